/**
 * Traces in through OTLP from real exporters (the plain OpenTelemetry JS SDK over HTTP protobuf,
 * HTTP JSON and gRPC, and our SDK), out through Jaeger's api_v3, intact: ids, parent links, attributes of
 * every type, events, links, status and resource.
 */
import { gzipSync } from 'node:zlib';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { RESOURCE_ATTRIBUTES, SPAN_ATTRIBUTES } from '@pyairtable/conventions';
import { captureLines, plainFetch, sampleValue } from '@pyairtable/test-support';
import { initTelemetry } from '@pyairtable/telemetry';
import type { Hub } from '@pyairtable/hub';
import { useHub } from './harness.js';
import { jsonSpan, traceRequestJson, traceRequestProtobuf } from './otlp-requests.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
  events: { name: string; attributes: { key: string; value: Record<string, unknown> }[] }[];
  links: { traceId: string; spanId: string }[];
  status: { code: number; message?: string };
}
interface TracesResult {
  result: {
    resourceSpans: {
      resource: { attributes: { key: string; value: Record<string, unknown> }[] };
      scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[];
    }[];
  };
}

const spansOf = (body: TracesResult): OtlpSpan[] =>
  body.result.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans));
const attribute = (span: OtlpSpan | undefined, key: string): Record<string, unknown> | undefined =>
  span?.attributes.find((entry) => entry.key === key)?.value;

describe('hub ingest and query', () => {
  const harness = useHub('hub');

  const get = async (path: string): Promise<{ status: number; body: unknown }> => {
    const response = await plainFetch(`${harness.hub.queryUrl}${path}`);
    return { status: response.status, body: await response.json() };
  };

  /** A small trace through the plain OpenTelemetry JS SDK: a server span, a child with an event and a link. */
  async function exportWithPlainSdk(
    exporter: SpanExporter,
    service: string,
  ): Promise<{ traceId: string; rootId: string; childId: string }> {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        [RESOURCE_ATTRIBUTES.serviceName]: service,
        'deployment.region': 'eu-west-1',
      }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const tracer = provider.getTracer('hub-test', '1.2.3');
    const root = tracer.startSpan('GET /api/records', {
      kind: SpanKind.SERVER,
      attributes: {
        [SPAN_ATTRIBUTES.httpRoute]: '/api/records',
        [SPAN_ATTRIBUTES.httpResponseStatusCode]: 500,
        ratio: 0.25,
        cached: false,
        tags: ['a', 'b'],
      },
    });
    const linked = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 };
    const child = tracer.startSpan(
      'SELECT records',
      { kind: SpanKind.CLIENT, links: [{ context: linked, attributes: { reason: 'batch' } }] },
      trace.setSpan(context.active(), root),
    );
    child.addEvent('retry', { attempt: 2 });
    child.end();
    root.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream failed' });
    root.end();
    await provider.forceFlush();
    await provider.shutdown();
    return {
      traceId: root.spanContext().traceId,
      rootId: root.spanContext().spanId,
      childId: child.spanContext().spanId,
    };
  }

  it.each([
    ['protobuf', (hub: Hub): SpanExporter => new ProtoExporter({ url: `${hub.otlpHttpUrl}/v1/traces` })],
    ['JSON', (hub: Hub): SpanExporter => new JsonExporter({ url: `${hub.otlpHttpUrl}/v1/traces` })],
    ['gRPC', (hub: Hub): SpanExporter => new GrpcExporter({ url: `http://${hub.otlpGrpcAddress}` })],
  ])(
    'takes a trace from the plain OpenTelemetry SDK over %s and returns it intact through api_v3',
    async (encoding, make) => {
      const service = `plain-${encoding.toLowerCase()}`;
      const { traceId, rootId, childId } = await exportWithPlainSdk(make(harness.hub), service);
      const { status, body } = await get(`/api/v3/traces/${traceId}`);
      expect(status).toBe(200);
      const result = body as TracesResult;
      const resource = result.result.resourceSpans[0]?.resource.attributes;
      expect(resource).toEqual(
        expect.arrayContaining([
          { key: RESOURCE_ATTRIBUTES.serviceName, value: { stringValue: service } },
          { key: 'deployment.region', value: { stringValue: 'eu-west-1' } },
        ]),
      );
      expect(result.result.resourceSpans[0]?.scopeSpans[0]?.scope.name).toBe('hub-test');
      const spans = spansOf(result);
      const root = spans.find((span) => span.spanId === rootId);
      const child = spans.find((span) => span.spanId === childId);
      expect(root).toMatchObject({
        traceId,
        name: 'GET /api/records',
        kind: 2,
        status: { code: 2, message: 'upstream failed' },
      });
      expect(root?.parentSpanId).toBeUndefined();
      expect(attribute(root, SPAN_ATTRIBUTES.httpResponseStatusCode)).toEqual({ intValue: '500' });
      expect(attribute(root, 'ratio')).toEqual({ doubleValue: 0.25 });
      expect(attribute(root, 'cached')).toEqual({ boolValue: false });
      expect(attribute(root, 'tags')).toEqual({
        arrayValue: { values: [{ stringValue: 'a' }, { stringValue: 'b' }] },
      });
      expect(child).toMatchObject({ traceId, parentSpanId: rootId, kind: 3, name: 'SELECT records' });
      expect(child?.events).toEqual([
        expect.objectContaining({
          name: 'retry',
          attributes: [{ key: 'attempt', value: { intValue: '2' } }],
        }),
      ]);
      expect(child?.links).toEqual([
        expect.objectContaining({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) }),
      ]);
    },
  );

  it('takes our SDK’s spans and finds them by service, operation, attribute and duration', async () => {
    const telemetry = initTelemetry({
      serviceName: 'orders',
      otlpEndpoint: harness.hub.otlpHttpUrl,
      logDestination: captureLines().stream,
      runtimeMetrics: false,
    });
    await telemetry.traceAsync('place-order', async (span) => {
      span.setAttribute('order.channel', 'web');
      await new Promise((resolve) => setTimeout(resolve, 30));
    });
    await telemetry.traceAsync('quick-lookup', async (span) => {
      span.setAttribute('order.channel', 'api');
      await Promise.resolve();
    });
    await telemetry.shutdown();

    expect((await get('/api/v3/services')).body).toMatchObject({
      services: expect.arrayContaining(['orders']) as unknown,
    });
    expect((await get('/api/v3/operations?service=orders')).body).toEqual({
      operations: [
        { name: 'place-order', spanKind: 'internal' },
        { name: 'quick-lookup', spanKind: 'internal' },
      ],
    });
    // Spans of 2023 and now: a range that holds both, in the older parameter names (aliases).
    const range = 'query.start_time_min=2000-01-01T00:00:00Z&query.start_time_max=2200-01-01T00:00:00Z';
    const names = async (query: string): Promise<string[]> =>
      spansOf((await get(`/api/v3/traces?${range}&${query}`)).body as TracesResult)
        .map((span) => span.name)
        .sort();
    expect(await names('query.service_name=orders')).toEqual(['place-order', 'quick-lookup']);
    expect(await names('query.service_name=orders&query.operation_name=quick-lookup')).toEqual([
      'quick-lookup',
    ]);
    expect(await names('query.service_name=orders&query.attributes%5Border.channel%5D=web')).toEqual([
      'place-order',
    ]);
    expect(await names('query.service_name=orders&query.duration_min=25ms')).toEqual(['place-order']);
    expect(await names('query.service_name=orders&query.duration_max=25ms')).toEqual(['quick-lookup']);
  });

  it('answers bad queries with 400 and the reason, unknown traces with 404', async () => {
    expect(await get('/api/v3/traces/nothex')).toMatchObject({ status: 400 });
    expect(await get(`/api/v3/traces/${'f'.repeat(32)}`)).toMatchObject({ status: 404 });
    const badTime = await get(
      '/api/v3/traces?query.start_time_min=yesterday&query.start_time_max=2200-01-01T00:00:00Z',
    );
    expect(badTime.status).toBe(400);
    expect(JSON.stringify(badTime.body)).toContain('RFC 3339');
    expect((await get('/api/v3/operations')).status).toBe(400);
  });
});

describe('hub ingest, the OTLP/HTTP way', () => {
  const harness = useHub('hub-ingest', { maxBodyBytes: 64 * 1024 });

  const post = (
    body: string | Uint8Array,
    headers: Record<string, string>,
    path = '/v1/traces',
  ): Promise<Response> => plainFetch(`${harness.hub.otlpHttpUrl}${path}`, { method: 'POST', headers, body });
  const span = (traceId: string, spanId: string): object => jsonSpan(traceId, spanId);
  const request = (spans: object[]): string => traceRequestJson('ingest', spans);

  it('accepts gzip, and reports spans it cannot keep as a partial success', async () => {
    const response = await post(
      gzipSync(request([span('1'.repeat(32), '2'.repeat(16)), span('0'.repeat(32), '3'.repeat(16))])),
      {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      partialSuccess: {
        rejectedSpans: '1',
        errorMessage: 'a span has no valid trace id (16 bytes, not all zero)',
      },
    });
    expect((await plainFetch(`${harness.hub.queryUrl}/api/v3/traces/${'1'.repeat(32)}`)).status).toBe(200);
  });

  it('answers malformed bodies 400, oversized 413, other types 415, other paths 404', async () => {
    const malformed = await post('{"resourceSpans": ', { 'content-type': 'application/json' });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { message: string }).message).toContain('not JSON');
    expect(
      (await post(new Uint8Array([0x0a, 0xff, 0xff]), { 'content-type': 'application/x-protobuf' })).status,
    ).toBe(400);
    expect((await post('x'.repeat(70 * 1024), { 'content-type': 'application/json' })).status).toBe(413);
    expect(
      (
        await post(gzipSync(Buffer.alloc(1024 * 1024)), {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
        })
      ).status,
    ).toBe(413);
    expect((await post('{}', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post('{}', { 'content-type': 'application/json' }, '/v2/traces')).status).toBe(404);
    expect((await post('{}', { 'content-type': 'application/json' }, '/v1/traces/')).status).toBe(404);
  });

  it('rejects a span whose time the store cannot hold alone, and the requests committed beside it still land', async () => {
    const beyond = jsonSpan('d'.repeat(32), '1'.repeat(16), { startTimeUnixNano: '18446744073709551615' });
    const [bad, good] = await Promise.all([
      post(traceRequestJson('poison', [beyond]), { 'content-type': 'application/json' }),
      post(traceRequestJson('poison', [jsonSpan('e'.repeat(32), '1'.repeat(16))]), {
        'content-type': 'application/json',
      }),
    ]);
    expect(bad.status).toBe(200);
    expect(
      ((await bad.json()) as { partialSuccess: { errorMessage: string } }).partialSuccess.errorMessage,
    ).toContain('2^63');
    expect(good.status).toBe(200);
    expect((await plainFetch(`${harness.hub.queryUrl}/api/v3/traces/${'e'.repeat(32)}`)).status).toBe(200);
  });

  it('commits concurrent requests together and answers each once its spans are stored', async () => {
    const counters = async (): Promise<string> =>
      (await plainFetch(`${harness.hub.queryUrl}/metrics`)).text();
    const commitsBefore = sampleValue(await counters(), 'pyairtable_hub_span_commits_total', {}) ?? 0;
    const traceIds = Array.from({ length: 30 }, (_unused, index) =>
      (index + 1).toString(16).padStart(32, 'c'),
    );
    const answers = await Promise.all(
      traceIds.map((traceId) =>
        post(traceRequestProtobuf('grouped', [{ traceId, spanId: '6'.repeat(16) }]), {
          'content-type': 'application/x-protobuf',
        }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(traceIds.map(() => 200));
    for (const traceId of traceIds)
      expect((await plainFetch(`${harness.hub.queryUrl}/api/v3/traces/${traceId}`)).status).toBe(200);
    const commits =
      (sampleValue(await counters(), 'pyairtable_hub_span_commits_total', {}) ?? 0) - commitsBefore;
    expect(commits).toBeGreaterThan(0);
    expect(commits).toBeLessThan(traceIds.length);
  });

  it('never crashes on hostile input: thousands of random, truncated and mangled bodies each get an answer below 500', async () => {
    const validJson = Buffer.from(request([span('4'.repeat(32), '5'.repeat(16))]));
    const validProtobuf = traceRequestProtobuf('fuzz', [{ traceId: '4'.repeat(32), spanId: '5'.repeat(16) }]);
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const statuses = new Map<number, number>();
    for (let index = 0; index < 3000; index++) {
      const kind = index % 4;
      const protobuf = index % 2 === 0;
      const valid = protobuf ? validProtobuf : validJson;
      let body: Uint8Array;
      if (kind === 0)
        body = Uint8Array.from({ length: Math.floor(random() * 512) }, () => Math.floor(random() * 256));
      else if (kind === 1) body = valid.subarray(0, Math.floor(random() * valid.length));
      else if (kind === 2) {
        body = Buffer.from(valid);
        for (let flips = 0; flips < 5; flips++)
          body[Math.floor(random() * body.length)] = Math.floor(random() * 256);
      } else
        body = Buffer.from(
          JSON.stringify({
            resourceSpans: [
              { scopeSpans: [{ spans: [{ traceId: random(), spanId: [1, 2], startTimeUnixNano: {} }] }] },
            ],
          }),
        );
      const response = await post(
        body,
        { 'content-type': protobuf ? 'application/x-protobuf' : 'application/json' },
        ['/v1/traces', '/v1/logs', '/v1/metrics'][index % 3],
      );
      await response.arrayBuffer();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      expect(response.status, `body ${String(index)}`).toBeLessThan(500);
    }
    // Most of them are refused as malformed; the process is still serving.
    expect(statuses.get(400) ?? 0).toBeGreaterThan(1500);
    expect((await plainFetch(`${harness.hub.queryUrl}/api/v3/services`)).status).toBe(200);
  }, 120_000);
});
