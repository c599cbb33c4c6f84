// The hub's store under a plain OpenTelemetry JS SDK client: OTLP/protobuf batches of 512 spans
// into the hub (its own process, durable commits), trace searches while the second half of the
// spans arrives and again over everything stored; then the same for log records (OTLP/protobuf
// from the SDK's logs exporter, batches of 512, searched by service, level and a word of text);
// and the hub's resident memory.
//
//   npm run build && node bench/hub-ingest.mjs [--spans 1000000] [--logs 1000000] [--searches 50] [--clients 1] [--ceilings 200000]
//     [--hub-args '--max-memory-mb 512']
//
// First, unless --ceilings 0, the ceilings of the hub's parts are timed alone on the same batches
// (hub-ceilings.mjs), and the hub's own figures are reported as a share of them.
//
// --clients N runs N exporters at once (services sending side by side), which the hub's group
// commit turns into fewer, larger commits. The hub's CPU time is read from /proc, so spans per
// CPU-second of the hub is reported whatever the client costs.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { SPAN_ATTRIBUTES } from '@pyairtable/conventions';
import { measureCeilings, reportCeilings } from './hub-ceilings.mjs';
import { BATCH, ROUTES, SERVICES, logBatches, spanBatches, word } from './hub-workload.mjs';

const { values } = parseArgs({
  options: {
    spans: { type: 'string', default: '1000000' },
    logs: { type: 'string', default: '1000000' },
    searches: { type: 'string', default: '50' },
    clients: { type: 'string', default: '1' },
    ceilings: { type: 'string', default: '200000' },
    'hub-args': { type: 'string' },
  },
});
const TOTAL = Number(values.spans);
const CLIENTS = Number(values.clients);
const CEILINGS = Number(values.ceilings);
// Before the hub starts, so nothing else shares the cores.
const ceilings = CEILINGS > 0 ? await measureCeilings({ spans: CEILINGS, logs: CEILINGS }) : undefined;

const dataDir = mkdtempSync(join(tmpdir(), 'hub-bench-'));
const hub = spawn(
  process.execPath,
  [
    ...(process.env.HUB_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.HUB_PROFILE}`] : []),
    'packages/hub/bin/hub.js',
    ...(values['hub-args'] === undefined ? [] : values['hub-args'].split(' ')),
    '--data-dir',
    dataDir,
    ...['otlp-http-port', 'otlp-grpc-port', 'prometheus-port', 'query-port'].flatMap((flag) => [
      `--${flag}`,
      '0',
    ]),
  ],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const { otlpHttp, query } = await new Promise((resolve) => {
  hub.stdout.once('data', (chunk) => resolve(JSON.parse(chunk.toString().split('\n')[0])));
});
// The hub goes with the benchmark, however it ends.
process.on('exit', () => hub.kill('SIGKILL'));
const rssMb = () =>
  Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${hub.pid}/status`, 'utf8'))[1]) / 1024);

const exporter = new OTLPTraceExporter({ url: `${otlpHttp}/v1/traces`, timeoutMillis: 60_000 });
const nextSpans = spanBatches();
const exportBatch = (spans) =>
  new Promise((resolve, reject) =>
    exporter.export(spans, (result) =>
      result.code === 0 ? resolve() : reject(result.error ?? new Error('export failed')),
    ),
  );

/** One trace search by service, operation and attribute; its latency in ms. */
const searchTraces = async (index) => {
  const service = SERVICES[index % SERVICES.length];
  const route = encodeURIComponent(ROUTES[index % ROUTES.length]);
  // The published api_v3 form: camelCase names, attributes as a JSON map, a required time range.
  const attributes = encodeURIComponent(JSON.stringify({ [SPAN_ATTRIBUTES.userId]: `usr_${index}` }));
  const url = `${query}/api/v3/traces?query.serviceName=${service}&query.operationName=${route}&query.attributes=${attributes}&query.startTimeMin=2000-01-01T00:00:00Z&query.startTimeMax=2200-01-01T00:00:00Z&query.searchDepth=20`;
  const searchStarted = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  return performance.now() - searchStarted;
};
const searchAll = async (search) => {
  const latencies = [];
  for (let index = 0; index < Number(values.searches); index++) latencies.push(await search(index));
  return latencies;
};
const quantile = (latencies, q) => {
  const sorted = [...latencies].sort((a, b) => a - b);
  return sorted.length === 0
    ? 'none'
    : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(1);
};
/** The hub's user + system CPU seconds so far (clock ticks of /proc/<pid>/stat, 100 a second). */
const hubCpuSeconds = () => {
  const fields = readFileSync(`/proc/${hub.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

let exported = 0;
let claimed = 0;
let exportMs = 0;
const cpuBefore = hubCpuSeconds();
const started = performance.now();
const exportLoop = async () => {
  while (claimed < TOTAL) {
    const batchIndex = claimed / BATCH;
    claimed += BATCH;
    const spans = nextSpans(batchIndex);
    const sent = performance.now();
    await exportBatch(spans);
    exportMs += performance.now() - sent;
    exported += BATCH;
    if (exported % (BATCH * 200) === 0) process.stderr.write(`  ${exported} spans, hub RSS ${rssMb()} MB\n`);
  }
};
/** Searches back to back, from when half of `total` is stored until `done()`; their latencies. */
const searchDuring = async (search, stored, total, done, atHalf) => {
  while (stored() < total / 2) await new Promise((resolve) => setTimeout(resolve, 50));
  atHalf();
  const during = [];
  for (let index = 0; !done(); index++) {
    during.push(await search(index));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return during;
};
let spansDone = false;
// The hub's CPU per span is read over the first half, before searches share the hub.
let spansAtHalf = { spans: 0, cpu: 0 };
const [traceSearchesDuring] = await Promise.all([
  searchDuring(
    searchTraces,
    () => exported,
    TOTAL,
    () => spansDone,
    () => {
      spansAtHalf = { spans: exported, cpu: hubCpuSeconds() - cpuBefore };
    },
  ),
  Promise.all(Array.from({ length: CLIENTS }, exportLoop)).then(() => {
    spansDone = true;
  }),
]);
const hubCpu = hubCpuSeconds() - cpuBefore;
const elapsed = (performance.now() - started) / 1000;
const rssAfterIngest = rssMb();

const latencies = await searchAll(searchTraces);
console.log(
  `\nHub ingest: ${TOTAL} spans in batches of ${BATCH} from the OpenTelemetry JS SDK (OTLP/protobuf), ${CLIENTS} client(s) at once`,
);
console.log(
  `  end to end          ${Math.round(TOTAL / elapsed)} spans/s (client and hub on the same 2 cores)`,
);
console.log(
  `  per hub CPU-second  ${Math.round(spansAtHalf.spans / spansAtHalf.cpu)} spans over the first half, before searches run beside it (all its threads, commits included); ${Math.round(TOTAL / hubCpu)} over all of it, searches included`,
);
if (CLIENTS === 1)
  console.log(
    `  hub side            ${Math.round(TOTAL / (exportMs / 1000))} spans/s (time inside export requests, commit included)`,
  );
console.log(
  `  search p50 / p95    ${quantile(latencies, 0.5)} / ${quantile(latencies, 0.95)} ms (service + operation + attribute, ${values.searches} searches)`,
);
console.log(
  `  during ingest       ${quantile(traceSearchesDuring, 0.5)} / ${quantile(traceSearchesDuring, 0.95)} ms (${String(traceSearchesDuring.length)} searches while the second half arrived)`,
);
console.log(`  hub RSS             ${rssAfterIngest} MB after ingest, ${rssMb()} MB after searches`);
if (ceilings !== undefined)
  reportCeilings(
    `Span ingest's parts (${String(CEILINGS)} spans, median of 3 rounds), against the hub's first half`,
    ceilings.spans,
    spansAtHalf.spans / spansAtHalf.cpu,
  );

// ── Log records, the same way ───────────────────────────────────────────────────────────────
const LOGS = Number(values.logs);
if (LOGS > 0) {
  const logExporter = new OTLPLogExporter({ url: `${otlpHttp}/v1/logs`, timeoutMillis: 60_000 });
  const nextLogs = logBatches();
  const exportLogs = (records) =>
    new Promise((resolve, reject) =>
      logExporter.export(records, (result) =>
        result.code === 0 ? resolve() : reject(result.error ?? new Error('log export failed')),
      ),
    );
  let logsExported = 0;
  let logsClaimed = 0;
  let logsDone = false;
  let logsAtHalf = { records: 0, cpu: 0 };
  let logHits;
  const logCpuBefore = hubCpuSeconds();
  const logsStarted = performance.now();
  const logLoop = async () => {
    while (logsClaimed < LOGS) {
      const batchIndex = logsClaimed / BATCH;
      logsClaimed += BATCH;
      const records = nextLogs(batchIndex);
      await exportLogs(records);
      logsExported += BATCH;
    }
  };
  /** One log search by service, level and a word of the message; its latency in ms. */
  const searchLogs = async (index) => {
    const url = `${query}/api/logs?service=${SERVICES[index % SERVICES.length]}&level=ERROR&q=${word(index * 50)}&start=2000-01-01T00:00:00Z&limit=100`;
    const searchStarted = performance.now();
    const response = await fetch(url);
    if (!response.ok)
      throw new Error(`log search failed: ${String(response.status)} ${await response.text()}`);
    logHits += (await response.json()).logs.length;
    return performance.now() - searchStarted;
  };
  const [logSearchesDuring] = await Promise.all([
    searchDuring(
      searchLogs,
      () => logsExported,
      LOGS,
      () => logsDone,
      () => {
        logsAtHalf = { records: logsExported, cpu: hubCpuSeconds() - logCpuBefore };
      },
    ),
    Promise.all(Array.from({ length: CLIENTS }, logLoop)).then(() => {
      logsDone = true;
    }),
  ]);
  const logCpu = hubCpuSeconds() - logCpuBefore;
  const logElapsed = (performance.now() - logsStarted) / 1000;
  logHits = 0;
  const logLatencies = await searchAll(searchLogs);
  if (logHits === 0) throw new Error('the log searches found nothing: did the hub reject the records?');
  console.log(
    `\nHub log ingest: ${String(LOGS)} records in batches of ${String(BATCH)} (OTLP/protobuf), after the spans`,
  );
  console.log(`  end to end          ${String(Math.round(LOGS / logElapsed))} records/s`);
  console.log(
    `  per hub CPU-second  ${String(Math.round(logsAtHalf.records / logsAtHalf.cpu))} records over the first half, before searches run beside it; ${String(Math.round(LOGS / logCpu))} over all of it`,
  );
  console.log(
    `  search p50 / p95    ${quantile(logLatencies, 0.5)} / ${quantile(logLatencies, 0.95)} ms (service + level + a word, ${values.searches} searches, ${String(logHits)} records found)`,
  );
  console.log(
    `  during ingest       ${quantile(logSearchesDuring, 0.5)} / ${quantile(logSearchesDuring, 0.95)} ms (${String(logSearchesDuring.length)} searches while the second half arrived)`,
  );
  console.log(`  hub RSS             ${String(rssMb())} MB after spans and logs`);
  if (ceilings !== undefined)
    reportCeilings(
      `Log ingest's parts (${String(CEILINGS)} records, median of 3 rounds), against the hub's first half`,
      ceilings.logs,
      logsAtHalf.records / logsAtHalf.cpu,
    );
}
hub.kill('SIGTERM');
await new Promise((resolve) => hub.once('exit', resolve));
rmSync(dataDir, { recursive: true, force: true });
