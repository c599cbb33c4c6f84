// prom-client against the OpenTelemetry SDK's Prometheus exporter for the SDK's /metrics:
// recording the request-duration histogram with three labels, and rendering the exposition.
//
//   npm run build && node bench/metrics-backend.mjs
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { METRICS, SPAN_ATTRIBUTES } from '@pyairtable/conventions';
import { Histogram, Registry } from 'prom-client';
import { compare, opsPerSecond, report } from './harness.mjs';

const definition = METRICS.httpServerRequestDuration;
const routes = Array.from({ length: 20 }, (_, index) => `/api/route${index}/:id`);
const N = 500_000;

const registry = new Registry();
const promHistogram = new Histogram({
  name: definition.name,
  help: definition.help,
  labelNames: definition.labels.map((label) => label.name),
  buckets: [...definition.buckets],
  registers: [registry],
});

const exporter = new PrometheusExporter({ preventServerStart: true });
const provider = new MeterProvider({ readers: [exporter] });
const otelHistogram = provider.getMeter('bench').createHistogram(definition.otelName, {
  unit: definition.unit,
  advice: { explicitBucketBoundaries: [...definition.buckets] },
});
const serializer = new PrometheusSerializer();

const [method, route, status] = definition.labels.map((label) => label.name);
const record = await compare({
  'prom-client observe': () =>
    opsPerSecond(
      (index) =>
        promHistogram.observe({ [method]: 'GET', [route]: routes[index % 20], [status]: '200' }, 0.042),
      N,
    ),
  'OpenTelemetry histogram record': () =>
    opsPerSecond(
      (index) =>
        otelHistogram.record(0.042, {
          [SPAN_ATTRIBUTES.httpRequestMethod]: 'GET',
          [SPAN_ATTRIBUTES.httpRoute]: routes[index % 20],
          [SPAN_ATTRIBUTES.httpResponseStatusCode]: 200,
        }),
      N,
    ),
});
report(
  `Recording a histogram with 3 labels over 20 routes, ${N} per round`,
  record,
  'ops/s',
  'OpenTelemetry histogram record',
);

const render = await compare({
  'prom-client render': async () => {
    const started = performance.now();
    for (let index = 0; index < 200; index++) await registry.metrics();
    return 200 / ((performance.now() - started) / 1000);
  },
  'OpenTelemetry collect + serialize': async () => {
    const started = performance.now();
    for (let index = 0; index < 200; index++)
      serializer.serialize((await exporter.collect()).resourceMetrics);
    return 200 / ((performance.now() - started) / 1000);
  },
});
report(
  'Rendering /metrics (20 series x 16 buckets)',
  render,
  'renders/s',
  'OpenTelemetry collect + serialize',
);
await provider.shutdown();
