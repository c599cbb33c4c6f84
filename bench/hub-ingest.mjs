// The hub's store under a plain OpenTelemetry JS SDK client: OTLP/protobuf batches of 512 spans
// into the hub (its own process, durable commits), then trace searches over what was stored,
// and the hub's resident memory.
//
//   npm run build && node bench/hub-ingest.mjs [--spans 1000000] [--searches 50] [--clients 1]
//
// --clients N runs N exporters at once (services sending side by side), which the hub's group
// commit turns into fewer, larger commits. The hub's CPU time is read from /proc, so spans per
// CPU-second of the hub is reported whatever the client costs.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { RESOURCE_ATTRIBUTES, SPAN_ATTRIBUTES } from '@pyairtable/conventions';

const { values } = parseArgs({
  options: {
    spans: { type: 'string', default: '1000000' },
    searches: { type: 'string', default: '50' },
    clients: { type: 'string', default: '1' },
  },
});
const TOTAL = Number(values.spans);
const CLIENTS = Number(values.clients);
const BATCH = 512;
const SERVICES = [
  'api-gateway',
  'platform-services',
  'airtable-gateway',
  'llm-orchestrator',
  'automation-services',
  'frontend',
];
const ROUTES = Array.from({ length: 40 }, (_unused, index) => `GET /api/v1/resource${String(index)}`);

const dataDir = mkdtempSync(join(tmpdir(), 'hub-bench-'));
const hub = spawn(
  process.execPath,
  [
    ...(process.env.HUB_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.HUB_PROFILE}`] : []),
    'packages/hub/bin/hub.js',
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
const rssMb = () =>
  Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${hub.pid}/status`, 'utf8'))[1]) / 1024);

// One provider per service; ended spans are collected and exported directly, so each request
// carries exactly 512 spans.
const collected = [];
const collector = {
  onStart() {},
  onEnd: (span) => collected.push(span),
  forceFlush: async () => {},
  shutdown: async () => {},
};
const exporter = new OTLPTraceExporter({ url: `${otlpHttp}/v1/traces`, timeoutMillis: 60_000 });
const providers = SERVICES.map(
  (service) =>
    new BasicTracerProvider({
      resource: resourceFromAttributes({
        [RESOURCE_ATTRIBUTES.serviceName]: service,
        [RESOURCE_ATTRIBUTES.serviceVersion]: '1.0.0',
      }),
      spanProcessors: [collector],
    }),
);
const tracers = providers.map((provider) => provider.getTracer('bench'));
const exportBatch = (spans) =>
  new Promise((resolve, reject) =>
    exporter.export(spans, (result) =>
      result.code === 0 ? resolve() : reject(result.error ?? new Error('export failed')),
    ),
  );

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
    collected.length = 0;
    const tracer = tracers[batchIndex % SERVICES.length];
    for (let index = 0; index < BATCH; index++) {
      const span = tracer.startSpan(ROUTES[index % ROUTES.length], {
        kind: SpanKind.SERVER,
        attributes: {
          [SPAN_ATTRIBUTES.httpRoute]: ROUTES[index % ROUTES.length],
          [SPAN_ATTRIBUTES.httpResponseStatusCode]: 200,
          [SPAN_ATTRIBUTES.userId]: `usr_${index % 997}`,
        },
      });
      if (index % 50 === 0) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    const sent = performance.now();
    await exportBatch(collected.splice(0));
    exportMs += performance.now() - sent;
    exported += BATCH;
    if (exported % (BATCH * 200) === 0) process.stderr.write(`  ${exported} spans, hub RSS ${rssMb()} MB\n`);
  }
};
await Promise.all(Array.from({ length: CLIENTS }, exportLoop));
const hubCpu = hubCpuSeconds() - cpuBefore;
const elapsed = (performance.now() - started) / 1000;
const rssAfterIngest = rssMb();

const latencies = [];
for (let index = 0; index < Number(values.searches); index++) {
  const service = SERVICES[index % SERVICES.length];
  const route = encodeURIComponent(ROUTES[index % ROUTES.length]);
  // The published api_v3 form: camelCase names, attributes as a JSON map, a required time range.
  const attributes = encodeURIComponent(JSON.stringify({ [SPAN_ATTRIBUTES.userId]: `usr_${index}` }));
  const url = `${query}/api/v3/traces?query.serviceName=${service}&query.operationName=${route}&query.attributes=${attributes}&query.startTimeMin=2000-01-01T00:00:00Z&query.startTimeMax=2200-01-01T00:00:00Z&query.searchDepth=20`;
  const searchStarted = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  latencies.push(performance.now() - searchStarted);
}
latencies.sort((a, b) => a - b);
const quantile = (q) =>
  latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(1);

console.log(
  `\nHub ingest: ${TOTAL} spans in batches of ${BATCH} from the OpenTelemetry JS SDK (OTLP/protobuf), ${CLIENTS} client(s) at once`,
);
console.log(
  `  end to end          ${Math.round(TOTAL / elapsed)} spans/s (client and hub on the same 2 cores)`,
);
console.log(
  `  per hub CPU-second  ${Math.round(TOTAL / hubCpu)} spans (hub CPU ${hubCpu.toFixed(1)} s, all its threads, commits included)`,
);
if (CLIENTS === 1)
  console.log(
    `  hub side            ${Math.round(TOTAL / (exportMs / 1000))} spans/s (time inside export requests, commit included)`,
  );
console.log(
  `  search p50 / p95    ${quantile(0.5)} / ${quantile(0.95)} ms (service + operation + attribute, ${values.searches} searches)`,
);
console.log(`  hub RSS             ${rssAfterIngest} MB after ingest, ${rssMb()} MB after searches`);
hub.kill('SIGTERM');
await new Promise((resolve) => hub.once('exit', resolve));
rmSync(dataDir, { recursive: true, force: true });
