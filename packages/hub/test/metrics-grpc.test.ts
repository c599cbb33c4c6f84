/**
 * OTLP metrics in (HTTP protobuf and JSON from the plain OpenTelemetry SDK), Prometheus' format
 * out, accepted by promtool; OTLP/gRPC answers with the specification's status codes; and the
 * memory bound refuses with a retryable answer just above its limit, never at it.
 */
import { Client, Metadata, credentials, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as JsonMetricExporter,
} from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { RESOURCE_ATTRIBUTES } from '@pyairtable/conventions';
import { ENGINES, engineAvailable, plainFetch, runEngine, sampleValue } from '@pyairtable/test-support';
import { DECODED_BYTES_PER_BODY_BYTE, MetricStore, prometheusName } from '@pyairtable/hub';
import { jsonSpan, traceRequestProtobuf } from './otlp-requests.js';
import { useHub } from './harness.js';

const identity = (bytes: Buffer): Buffer => bytes;

/** One unary OTLP Export call with raw bytes; resolves with the status code (0 = OK). */
function grpcExport(
  address: string,
  service: string,
  body: Buffer,
  token?: string,
): Promise<{ code: number; details: string }> {
  const client = new Client(address, credentials.createInsecure());
  const metadata = new Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      `/${service}/Export`,
      identity,
      identity,
      body,
      metadata,
      (error: ServiceError | null) => {
        client.close();
        resolve(error === null ? { code: 0, details: '' } : { code: error.code, details: error.details });
      },
    );
  });
}
const TRACE_SERVICE = 'opentelemetry.proto.collector.trace.v1.TraceService';

/** Posts OTLP/JSON metrics of one scope; resolves with the answer's partial success. */
async function postMetrics(
  otlpHttpUrl: string,
  metrics: object[],
): Promise<{ status: number; partialSuccess?: { rejectedDataPoints: string; errorMessage: string } }> {
  const response = await plainFetch(`${otlpHttpUrl}/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics }] }] }),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

async function exportMetrics(exporter: PushMetricExporter, service: string, requests: number): Promise<void> {
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ [RESOURCE_ATTRIBUTES.serviceName]: service }),
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })],
  });
  const meter = provider.getMeter('hub-test');
  const counter = meter.createCounter('demo.requests', {
    unit: '{request}',
    description: 'Requests served.',
  });
  const duration = meter.createHistogram('demo.duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: [0.1, 0.5, 1] },
  });
  const queue = meter.createUpDownCounter('demo.queue.depth');
  const ratio = meter.createGauge('demo.cache.hit', { unit: '1' });
  for (let index = 0; index < requests; index++) {
    counter.add(1, { route: '/api/records', 'deployment.zone': 'a' });
    duration.record(index % 2 === 0 ? 0.05 : 0.7, { route: '/api/records' });
  }
  queue.add(5);
  queue.add(-2);
  ratio.record(0.75);
  await provider.forceFlush();
  await provider.shutdown();
}

describe('hub OTLP metrics', () => {
  const harness = useHub('hub-metrics');
  const scrape = async (): Promise<string> =>
    (await plainFetch(`${harness.hub.prometheusUrl}/metrics`)).text();

  it.each([
    ['protobuf', (url: string): PushMetricExporter => new ProtoMetricExporter({ url })],
    ['JSON', (url: string): PushMetricExporter => new JsonMetricExporter({ url })],
  ])(
    'translates the plain SDK metrics over %s into Prometheus series as the collector names them',
    async (encoding, make) => {
      const service = `metrics-${encoding.toLowerCase()}`;
      await exportMetrics(make(`${harness.hub.otlpHttpUrl}/v1/metrics`), service, 4);
      const text = await scrape();
      const labels = { job: service, route: '/api/records' };
      expect(sampleValue(text, 'demo_requests_total', { ...labels, deployment_zone: 'a' })).toBe(4);
      expect(sampleValue(text, 'demo_duration_seconds_bucket', { ...labels, le: '0.1' })).toBe(2);
      expect(sampleValue(text, 'demo_duration_seconds_bucket', { ...labels, le: '1' })).toBe(4);
      expect(sampleValue(text, 'demo_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(4);
      expect(sampleValue(text, 'demo_duration_seconds_count', labels)).toBe(4);
      expect(sampleValue(text, 'demo_duration_seconds_sum', labels)).toBeCloseTo(1.5);
      expect(sampleValue(text, 'demo_queue_depth', { job: service })).toBe(3);
      expect(sampleValue(text, 'demo_cache_hit_ratio', { job: service })).toBe(0.75);
    },
  );

  it('serves an exposition promtool accepts', () => {
    if (!engineAvailable(ENGINES.promtool)) return;
    return scrape().then((text) => {
      expect(text).toContain('demo_requests_total');
      const check = runEngine(ENGINES.promtool, ['check', 'metrics'], { input: text });
      expect(check.stderr).not.toMatch(/error/i);
      expect(check.status).toBe(0);
    });
  });

  it('adds delta points to what the series holds', async () => {
    const make = (): PushMetricExporter =>
      new JsonMetricExporter({
        url: `${harness.hub.otlpHttpUrl}/v1/metrics`,
        temporalityPreference: AggregationTemporalityPreference.DELTA,
      });
    await exportMetrics(make(), 'metrics-delta', 3);
    await exportMetrics(make(), 'metrics-delta', 2);
    const text = await scrape();
    expect(sampleValue(text, 'demo_requests_total', { job: 'metrics-delta', route: '/api/records' })).toBe(5);
  });

  it('rejects exponential histograms point by point as a partial success', async () => {
    const body = await postMetrics(harness.hub.otlpHttpUrl, [
      { name: 'kept', gauge: { dataPoints: [{ asDouble: 1 }] } },
      { name: 'exp', exponentialHistogram: { dataPoints: [{}, {}] } },
    ]);
    expect(body.status).toBe(200);
    expect(body.partialSuccess?.rejectedDataPoints).toBe('2');
    expect(body.partialSuccess?.errorMessage).toContain('exponential');
    expect(sampleValue(await scrape(), 'kept', {})).toBe(1);
  });
});

describe('hub metric series limit', () => {
  const harness = useHub('hub-series', { maxMetricSeries: 2 });

  it('refuses series past the limit and reports them, keeping those it holds', async () => {
    const point = (route: string): object => ({
      asInt: '1',
      attributes: [{ key: 'route', value: { stringValue: route } }],
    });
    const body = await postMetrics(harness.hub.otlpHttpUrl, [
      { name: 'limited', gauge: { dataPoints: ['/a', '/b', '/c'].map(point) } },
    ]);
    expect(body.partialSuccess?.rejectedDataPoints).toBe('1');
    expect(body.partialSuccess?.errorMessage).toContain('limit');
    const text = await (await plainFetch(`${harness.hub.prometheusUrl}/metrics`)).text();
    expect(sampleValue(text, 'limited', { route: '/b' })).toBe(1);
    expect(sampleValue(text, 'limited', { route: '/c' })).toBeUndefined();
  });
});

describe('hub OTLP/gRPC answers and the memory bound', () => {
  let held = 1000;
  const valid = traceRequestProtobuf('grpc', [
    jsonSpan('7'.repeat(32), '8'.repeat(16)) as { traceId: string; spanId: string },
  ]);
  // Held 1000 plus this request decoded is exactly the budget.
  const harness = useHub('hub-grpc', {
    memoryBudgetBytes: 1000 + valid.length * DECODED_BYTES_PER_BODY_BYTE,
    memoryHeld: () => held,
    ingestToken: 'ingest-secret',
  });

  it('answers INVALID_ARGUMENT to a malformed request and UNAUTHENTICATED without the token', async () => {
    const address = harness.hub.otlpGrpcAddress;
    expect((await grpcExport(address, TRACE_SERVICE, valid, 'ingest-secret')).code).toBe(status.OK);
    const malformed = await grpcExport(
      address,
      TRACE_SERVICE,
      Buffer.from([0x0a, 0xff, 0xff]),
      'ingest-secret',
    );
    expect(malformed.code).toBe(status.INVALID_ARGUMENT);
    expect(malformed.details).toContain('ExportTraceServiceRequest');
    expect((await grpcExport(address, TRACE_SERVICE, valid)).code).toBe(status.UNAUTHENTICATED);
  });

  it('accepts at the memory bound and refuses just above it, over HTTP (503 Retry-After) and gRPC (UNAVAILABLE)', async () => {
    const post = (): Promise<Response> =>
      plainFetch(`${harness.hub.otlpHttpUrl}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', authorization: 'Bearer ingest-secret' },
        body: valid,
      });
    held = 1000;
    expect((await post()).status).toBe(200);
    held = 1001;
    const refused = await post();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    const grpc = await grpcExport(harness.hub.otlpGrpcAddress, TRACE_SERVICE, valid, 'ingest-secret');
    expect(grpc.code).toBe(status.UNAVAILABLE);
    expect(grpc.details).toContain('memory bound');
    const counters = await (await plainFetch(`${harness.hub.queryUrl}/metrics`)).text();
    expect(sampleValue(counters, 'pyairtable_hub_requests_refused_total', { reason: 'memory_limit' })).toBe(
      2,
    );
    held = 900;
    expect((await post()).status).toBe(200);
  });
});

describe('OTLP metric names and labels in Prometheus', () => {
  it.each([
    ['queue.wait.duration', 's', 'histogram', true, 'queue_wait_duration_seconds'],
    ['system.cpu.time', 's', 'counter', false, 'system_cpu_time_seconds_total'],
    ['kafka.bytes.consumed', 'By', 'counter', false, 'kafka_bytes_consumed_total'],
    ['bytes.total', 'By', 'counter', false, 'bytes_total'],
    ['network.throughput', 'By/s', 'gauge', true, 'network_throughput_bytes_per_second'],
    ['demo.requests', '{request}', 'counter', false, 'demo_requests_total'],
    ['cache.hit', '1', 'gauge', true, 'cache_hit_ratio'],
    ['queue.share', '1', 'gauge', false, 'queue_share'],
    ['2xx.count', '', 'gauge', true, '_2xx_count'],
  ] as const)('%s in %s (%s) is %s', (name, unit, kind, fromGauge, expected) => {
    expect(prometheusName(name, unit, kind, fromGauge)).toBe(expected);
  });

  it('keeps an attribute named le or quantile as exported_<name>, so the exposition stays valid', () => {
    if (!engineAvailable(ENGINES.promtool)) return;
    const store = new MetricStore();
    const base = {
      help: 'h',
      delta: false,
      value: 0,
      bounds: [1],
      bucketCounts: [1, 0],
      quantiles: [],
    } as const;
    store.apply([
      { ...base, name: 'clash_seconds', kind: 'histogram', labels: { le: 'x' }, count: 1, sum: 0.5 },
      {
        ...base,
        name: 'clash_latency_seconds',
        kind: 'summary',
        labels: { quantile: 'y' },
        count: 1,
        sum: 0.5,
        quantiles: [[0.5, 0.5]],
      },
    ]);
    const text = store.exposition();
    expect(text).toContain('clash_seconds_bucket{exported_le="x",le="1"} 1');
    expect(text).toContain('clash_latency_seconds{exported_quantile="y",quantile="0.5"} 0.5');
    const check = runEngine(ENGINES.promtool, ['check', 'metrics'], { input: text });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });
});
