// Where the log line goes once pino has built it: the SDK's LineDestination against pino's own
// destination (sonic-boom), asynchronous as the SDK used it before and synchronous, all writing
// to /dev/null. Measured as the CPU this process spends per line (process.cpuUsage, every thread),
// the write of the last line included, so work handed to the thread pool is counted too.
//
//   npm run build && node bench/log-destination.mjs [--lines 200000]
import { openSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { LineDestination } from '@pyairtable/telemetry';
import { compare, report } from './harness.mjs';

const { values } = parseArgs({ options: { lines: { type: 'string', default: '200000' } } });
const LINES = Number(values.lines);
// An access record as the SDK writes it (about 400 bytes).
const record = {
  trace: { id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' },
  http: { method: 'GET', route: '/api/bases/:baseId/records', status_code: 200, response_time_ms: 12.5 },
  cost: { center: 'gateway', weight: 2 },
  user: { id: 'usr_42' },
};
const base = {
  service: { name: 'api-gateway', tier: 'gateway', version: '1.4.2', environment: 'production' },
};

const flushed = (stream) => new Promise((resolve) => stream.flush(() => resolve()));

/** Lines per CPU-second through `stream`, the last line written included. */
async function linesPerCpuSecond(stream, close) {
  const logger = pino({ base, messageKey: 'message' }, stream);
  const before = process.cpuUsage();
  for (let index = 0; index < LINES; index++) logger.info(record, 'GET /api/bases/:baseId/records 200');
  await flushed(stream);
  const used = process.cpuUsage(before);
  await close();
  return LINES / ((used.user + used.system) / 1e6);
}

const sonic = (sync) => {
  const stream = pino.destination({
    dest: '/dev/null',
    sync,
    minLength: sync ? 0 : 8192,
    maxLength: 16 * 1024 * 1024,
  });
  return linesPerCpuSecond(
    stream,
    () =>
      new Promise((resolve) => {
        stream.once('close', resolve);
        stream.end();
      }),
  );
};

const medians = await compare({
  'LineDestination (the SDK)': () => {
    const stream = new LineDestination({ fd: openSync('/dev/null', 'w') });
    return linesPerCpuSecond(stream, () => stream.close());
  },
  'sonic-boom, asynchronous': () => sonic(false),
  'sonic-boom, synchronous': () => sonic(true),
});
report(
  `Log destination, ${String(LINES)} lines per round (median of 5 rounds)`,
  medians,
  'lines/CPU-s',
  'sonic-boom, asynchronous',
);
