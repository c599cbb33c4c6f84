// The SDK's cost per request as CPU time, and the physical floor beside it. A Fastify app is
// driven in this process with `inject` (no sockets, no load generator sharing the cores), bare and
// with @pyairtable/telemetry, round by round; the CPU this process spends per request
// (process.cpuUsage) is compared, so "added CPU per request" is ours minus bare. Spans really
// export over OTLP/protobuf, to a sink in a child process whose CPU is not counted; the access
// record is written to /dev/null through the SDK's own asynchronous destination.
//
// The floors are the parts no SDK can avoid, each timed alone in this process: a bare
// OpenTelemetry span created and ended, one pino line, one prom-client histogram observation with
// the contract's labels, and the OTLP/protobuf encoding of one span in a batch of 512.
//
//   npm run build && node bench/request-cost.mjs [--requests 20000] [--rounds 5]
import { fork } from 'node:child_process';
import { openSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { pino } from 'pino';
import client from 'prom-client';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { METRICS, SPAN_ATTRIBUTES } from '@pyairtable/conventions';
import { LineDestination, initTelemetry } from '@pyairtable/telemetry';
import { fastifyTelemetry } from '@pyairtable/telemetry/fastify';

const { values } = parseArgs({
  options: { requests: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '5' } },
});
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);

const sink = fork(new URL('servers/otlp-sink.mjs', import.meta.url), [], {
  stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
});
const sinkUrl = await new Promise((resolve) => sink.once('message', resolve));

/** CPU microseconds (user + system) this process spends in `work`. */
async function cpuMicros(work) {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return used.user + used.system;
}

async function app(instrumented) {
  const destination = instrumented ? new LineDestination({ fd: openSync('/dev/null', 'w') }) : undefined;
  const telemetry = instrumented
    ? initTelemetry({
        serviceName: 'bench-service',
        serviceTier: 'gateway',
        environment: 'production',
        otlpEndpoint: sinkUrl,
        // The SDK's stdout default, to /dev/null.
        logDestination: new LineDestination({ fd: openSync('/dev/null', 'w') }),
        runtimeMetrics: false,
        apiKeyHmacSecret: 'bench-hmac-secret-0123456789abcdef',
      })
    : undefined;
  const fastify = Fastify({ logger: false });
  if (telemetry !== undefined) await fastify.register(fastifyTelemetry(telemetry));
  fastify.get('/hello/:name', async (request) => ({ hello: request.params.name }));
  await fastify.ready();
  return { fastify, telemetry, destination };
}

/** CPU per request (µs) of REQUESTS requests, 64 in flight, export flushed and counted. */
async function perRequest(instrumented) {
  const { fastify, telemetry, destination } = await app(instrumented);
  const drive = async (count) => {
    for (let sent = 0; sent < count; sent += 64) {
      await Promise.all(
        Array.from({ length: Math.min(64, count - sent) }, (_, index) =>
          fastify.inject({ method: 'GET', url: `/hello/user${String((sent + index) % 50)}` }),
        ),
      );
      // A turn of the event loop per wave, as sockets would give: exports complete, none is dropped.
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await drive(2_000); // warm-up: JIT, route caches
  await telemetry?.forceFlush();
  const micros = await cpuMicros(async () => {
    await drive(REQUESTS);
    await telemetry?.forceFlush();
  });
  await telemetry?.shutdown();
  await destination?.close();
  await fastify.close();
  return micros / REQUESTS;
}

// ── The floors ──────────────────────────────────────────────────────────────────────────────
const N = 100_000;
const tracer = new BasicTracerProvider({ spanProcessors: [] }).getTracer('floor');
const spanFloor = () =>
  cpuMicros(() => {
    for (let index = 0; index < N; index++) tracer.startSpan('GET /hello/:name').end();
  }).then((micros) => micros / N);

const line = pino(
  { base: { service: { name: 'bench-service' } } },
  pino.destination({ dest: '/dev/null', sync: true }),
);
const fields = { http: { method: 'GET', route: '/hello/:name', status_code: 200, response_time_ms: 0.4 } };
const lineFloor = () =>
  cpuMicros(() => {
    for (let index = 0; index < N; index++) line.info(fields, 'GET /hello/:name 200');
  }).then((micros) => micros / N);

const registry = new client.Registry();
const duration = METRICS.httpServerRequestDuration;
const histogram = new client.Histogram({
  name: duration.name,
  help: duration.help,
  labelNames: duration.labels.map((label) => label.name),
  buckets: [...duration.buckets],
  registers: [registry],
});
const [methodLabel, routeLabel, statusLabel] = duration.labels.map((label) => label.name);
const labels = { [methodLabel]: 'GET', [routeLabel]: '/hello/:name', [statusLabel]: '200' };
const histogramFloor = () =>
  cpuMicros(() => {
    for (let index = 0; index < N; index++) histogram.observe(labels, 0.0004);
  }).then((micros) => micros / N);

const recorded = new InMemorySpanExporter();
const recording = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(recorded)] }).getTracer(
  'floor',
);
for (let index = 0; index < 512; index++) {
  const span = recording.startSpan('GET /hello/:name', {
    attributes: {
      [SPAN_ATTRIBUTES.httpRequestMethod]: 'GET',
      [SPAN_ATTRIBUTES.httpRoute]: '/hello/:name',
      [SPAN_ATTRIBUTES.httpResponseStatusCode]: 200,
    },
  });
  span.end();
}
const batch = recorded.getFinishedSpans();
const encodeFloor = () =>
  cpuMicros(() => {
    for (let index = 0; index < 200; index++) ProtobufTraceSerializer.serializeRequest(batch);
  }).then((micros) => micros / (200 * batch.length));

// ── Rounds ──────────────────────────────────────────────────────────────────────────────────
const cases = {
  bare: () => perRequest(false),
  ours: () => perRequest(true),
  'floor: span create and end': spanFloor,
  'floor: one pino line': lineFloor,
  'floor: one histogram observation': histogramFloor,
  'floor: protobuf encoding, per span': encodeFloor,
};
const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
const added = [];
for (let round = 0; round <= ROUNDS; round++) {
  const names = Object.keys(cases);
  if (round % 2 === 1) names.reverse();
  const values = {};
  for (const name of names) values[name] = await cases[name]();
  if (round === 0) continue; // warm-up
  for (const name of names) samples[name].push(values[name]);
  added.push(values.ours - values.bare);
}
sink.kill();

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
console.log(
  `\nCPU per request, Fastify inject, ${String(REQUESTS)} requests x ${String(ROUNDS)} rounds (median):`,
);
for (const [name, list] of Object.entries(samples))
  console.log(`  ${name.padEnd(38)} ${median(list).toFixed(2).padStart(8)} µs`);
const floors = Object.keys(cases)
  .filter((name) => name.startsWith('floor'))
  .reduce((sum, name) => sum + median(samples[name]), 0);
console.log(
  `  ${'added by the SDK (ours - bare)'.padEnd(38)} ${median(added).toFixed(2).padStart(8)} µs (median of per-round differences)`,
);
console.log(`  ${'the floors together'.padEnd(38)} ${floors.toFixed(2).padStart(8)} µs`);
