// Fastify hello world under autocannon: bare, with @pyairtable/telemetry, and with the usual
// alternative (auto-instrumentations-node + fastify-metrics + pino request logging). Each
// variant runs as its own server process on loopback; rounds alternate the variants so drift
// on the machine hits all three alike. Spans go to an OTLP sink in this process, which also
// proves each variant really exports.
//
//   npm run build && node bench/http-overhead.mjs [--duration 10] [--rounds 3] [--connections 50]
//     [--handler hello|records] [--only bare,ours,alternative]
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    only: { type: 'string' },
    handler: { type: 'string', default: 'hello' },
  },
});
const duration = Number(values.duration);
const rounds = Number(values.rounds);
const connections = Number(values.connections);

const exported = { bytes: 0, requests: 0 };
const sink = createServer((request, response) => {
  request.on('data', (chunk) => (exported.bytes += chunk.length));
  request.on('end', () => {
    exported.requests++;
    response.writeHead(200, { 'content-type': 'application/x-protobuf' });
    response.end();
  });
});
await new Promise((resolve) => sink.listen(0, '127.0.0.1', resolve));
const sinkUrl = `http://127.0.0.1:${sink.address().port}`;

const variants = {
  bare: { file: 'servers/fastify-bare.mjs', execArgv: [], env: {} },
  ours: { file: 'servers/fastify-ours.mjs', execArgv: [], env: { OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl } },
  alternative: {
    file: 'servers/fastify-alternative.cjs',
    execArgv: ['--require', '@opentelemetry/auto-instrumentations-node/register'],
    env: {
      OTEL_SERVICE_NAME: 'bench-service',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl,
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_NODE_RESOURCE_DETECTORS: 'env',
    },
  },
};

let port = 31_000 + Math.floor(Math.random() * 1000);

async function runVariant(name) {
  const variant = variants[name];
  port++;
  const child = fork(new URL(variant.file, import.meta.url), [], {
    execArgv: variant.execArgv,
    env: {
      ...process.env,
      ...variant.env,
      PORT: String(port),
      NODE_ENV: 'production',
      HANDLER: values.handler,
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} server did not start within 30 s`)), 30_000);
    child.once('message', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => reject(new Error(`${name} server exited with ${code}`)));
  });
  const url = `http://127.0.0.1:${port}/hello/world`;
  await autocannon({ url, connections, duration: 2 }); // warm-up
  const before = exported.requests;
  const result = await autocannon({ url, connections, duration });
  child.send('flush');
  const flushed = await new Promise((resolve) => child.once('message', resolve));
  const exports = exported.requests - before;
  // SIGKILL: the auto-instrumentation SDK traps SIGTERM to flush and then keeps running.
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    exports,
    droppedLogRecords: flushed?.droppedLogRecords ?? 0,
  };
}

const results = { bare: [], ours: [], alternative: [] };
for (let round = 1; round <= rounds; round++) {
  const order = round % 2 === 1 ? ['bare', 'ours', 'alternative'] : ['alternative', 'ours', 'bare'];
  for (const name of order.filter(
    (variant) => values.only === undefined || values.only.split(',').includes(variant),
  )) {
    const run = await runVariant(name);
    results[name].push(run);
    console.error(
      `round ${round} ${name}: ${run.rps.toFixed(0)} req/s, p99 ${run.p99} ms, ${run.exports} OTLP exports, ${run.errors} errors${name === 'ours' ? `, ${run.droppedLogRecords} access records dropped` : ''}`,
    );
  }
}
sink.close();

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
// Ratios are taken within each round (the variants of one round ran back to back), then the
// median across rounds: the machine's drift between rounds cancels out.
const ratios = (name, base) => results[name].map((run, index) => run.rps / results[base][index].rps);
console.log(
  `\nFastify, ${values.handler} handler, ${connections} connections, ${duration} s x ${rounds} rounds:`,
);
for (const [name, runs] of Object.entries(results)) {
  if (runs.length === 0) continue;
  const rps = median(runs.map((run) => run.rps));
  const p99 = median(runs.map((run) => run.p99));
  const versusBare =
    results.bare.length === runs.length
      ? `   ${median(ratios(name, 'bare')).toFixed(3)}x bare (median of per-round ratios)`
      : '';
  console.log(
    `  ${name.padEnd(12)} ${rps.toFixed(0).padStart(8)} req/s (median)   p99 ${p99} ms${versusBare}`,
  );
}
if (results.ours.length > 0 && results.alternative.length === results.ours.length)
  console.log(
    `  ours / alternative: ${median(ratios('ours', 'alternative')).toFixed(2)}x (median of per-round ratios)`,
  );
if (results.ours.length > 0)
  console.log(
    `  ours: ${results.ours.reduce((sum, run) => sum + run.droppedLogRecords, 0)} access records dropped in all rounds (stdout not keeping up)`,
  );
for (const [name, runs] of Object.entries(results))
  if (name !== 'bare' && runs.some((run) => run.exports === 0))
    console.log(`  WARNING: ${name} exported no spans in a round`);
