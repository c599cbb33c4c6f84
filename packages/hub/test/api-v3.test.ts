/**
 * The hub's api_v3 as Jaeger publishes it: every answer is validated against the OpenAPI
 * definition Jaeger 2.20 pins (packages/hub/reference/), and every documented parameter is sent
 * in its documented form and shown to take effect.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_ATTRIBUTES, SPAN_ATTRIBUTES } from '@pyairtable/conventions';
import { plainFetch } from '@pyairtable/test-support';
import { useHub } from './harness.js';
import { jsonSpan } from './otlp-requests.js';

const DEFINITION = JSON.parse(
  readFileSync(new URL('../reference/jaeger-api-v3.openapi.json', import.meta.url), 'utf8'),
) as { components: { schemas: Record<string, object> } };

/**
 * The definition's schemas leave extra properties open; for successful answers every object
 * schema is closed, so a misspelt or invented field fails. Errors keep the published, open
 * `google.rpc.Status`: the hub adds Jaeger's gateway `error` beside it on purpose.
 */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, closed(value)]));
  if ('properties' in copy && !('additionalProperties' in copy)) copy['additionalProperties'] = false;
  return copy;
}

function validators(): (schema: string, body: unknown, strict?: boolean) => string[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats.default(ajv);
  // Protobuf's formats: `bytes` are hex strings here (OTLP/JSON), the integer ones are ranges.
  for (const format of ['bytes', 'enum', 'fixed32', 'uint32']) ajv.addFormat(format, true);
  ajv.addSchema(DEFINITION, 'published');
  ajv.addSchema(closed(DEFINITION) as object, 'closed');
  return (schema, body, strict = true) => {
    const validate = ajv.getSchema(`${strict ? 'closed' : 'published'}#/components/schemas/${schema}`);
    if (validate === undefined) throw new Error(`no schema ${schema}`);
    return validate(body)
      ? []
      : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`);
  };
}
const validate = validators();

const NOW_MS = Date.now();
const iso = (offsetMs: number): string => new Date(NOW_MS + offsetMs).toISOString();
const nanos = (offsetMs: number): string => String(BigInt(NOW_MS + offsetMs) * 1_000_000n);

/** Three traces: a shop order (server → db client, 300 ms, one error), a search (20 ms), an old one. */
const ORDER = 'a1'.repeat(16);
const SEARCH = 'b2'.repeat(16);
const OLD = 'c3'.repeat(16);
/** A 64-bit trace id: the high half is zero. */
const SHORT = `${'0'.repeat(16)}${'d4'.repeat(8)}`;

function request(service: string, spans: object[]): object {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: RESOURCE_ATTRIBUTES.serviceName, value: { stringValue: service } }] },
        scopeSpans: [{ scope: { name: 'test' }, spans }],
      },
    ],
  };
}

describe('api_v3 as Jaeger publishes it', () => {
  const harness = useHub('hub-api-v3');
  const get = async (path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await plainFetch(`${harness.hub.queryUrl}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const range = `query.startTimeMin=${encodeURIComponent(iso(-3_600_000))}&query.startTimeMax=${encodeURIComponent(iso(60_000))}`;
  /** Trace ids of a search in the published form, its answer validated. */
  const search = async (params: string): Promise<string[]> => {
    const { status, body } = await get(`/api/v3/traces?${params}`);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(validate('opentelemetry.proto.trace.v1.TracesData', body['result'])).toEqual([]);
    const result = body['result'] as { resourceSpans: { scopeSpans: { spans: { traceId: string }[] }[] }[] };
    return [
      ...new Set(
        result.resourceSpans.flatMap((resource) =>
          resource.scopeSpans.flatMap((scope) => scope.spans.map((span) => span.traceId)),
        ),
      ),
    ].sort();
  };

  beforeAll(async () => {
    const post = async (body: object): Promise<void> => {
      const response = await plainFetch(`${harness.hub.otlpHttpUrl}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(200);
    };
    const at = (startMs: number, durationMs: number): object => ({
      startTimeUnixNano: nanos(startMs),
      endTimeUnixNano: nanos(startMs + durationMs),
    });
    await post(
      request('shop', [
        jsonSpan(ORDER, '01'.repeat(8), {
          name: 'GET /orders/:id',
          kind: 2,
          ...at(-60_000, 300),
          attributes: [{ key: SPAN_ATTRIBUTES.httpRoute, value: { stringValue: '/orders/:id' } }],
        }),
        jsonSpan(SEARCH, '03'.repeat(8), {
          name: 'GET /search',
          kind: 2,
          ...at(-30_000, 20),
          attributes: [{ key: SPAN_ATTRIBUTES.httpRoute, value: { stringValue: '/search' } }],
        }),
        jsonSpan(OLD, '04'.repeat(8), { name: 'GET /search', kind: 2, ...at(-7_200_000, 20) }),
      ]),
    );
    await post(
      request('db', [
        jsonSpan(ORDER, '02'.repeat(8), {
          name: 'SELECT orders',
          kind: 3,
          parentSpanId: '01'.repeat(8),
          ...at(-59_900, 100),
          status: { code: 2, message: 'deadlock' },
        }),
        jsonSpan(SHORT, '05'.repeat(8), { name: 'vacuum', kind: 1, ...at(-10_000, 5) }),
      ]),
    );
  });

  it('has a validator that refuses what the definition does not allow', () => {
    expect(validate('jaeger.api_v3.TraceSummary', { traceId: ORDER })).toEqual([]);
    expect(validate('jaeger.api_v3.TraceSummary', { rootServiceName: 'shop' })).not.toEqual([]);
    expect(validate('jaeger.api_v3.TraceSummary', { traceId: ORDER, spanCount: '2' })).not.toEqual([]);
    expect(validate('jaeger.api_v3.TraceSummary', { traceId: ORDER, rootService: 'shop' })).not.toEqual([]);
    expect(
      validate('opentelemetry.proto.trace.v1.TracesData', { resourceSpans: [{ scopeSpans: 1 }] }),
    ).not.toEqual([]);
  });

  it('services and operations, with spanKind', async () => {
    const services = await get('/api/v3/services');
    expect(validate('jaeger.api_v3.GetServicesResponse', services.body)).toEqual([]);
    expect(services.body['services']).toEqual(['db', 'shop']);
    const all = await get('/api/v3/operations?service=shop');
    expect(validate('jaeger.api_v3.GetOperationsResponse', all.body)).toEqual([]);
    const client = await get('/api/v3/operations?service=db&spanKind=client');
    expect(validate('jaeger.api_v3.GetOperationsResponse', client.body)).toEqual([]);
    expect(client.body['operations']).toEqual([{ name: 'SELECT orders', spanKind: 'client' }]);
  });

  it('a trace by its 128-bit id, with startTime, endTime and rawTraces', async () => {
    const { status, body } = await get(
      `/api/v3/traces/${ORDER}?startTime=${encodeURIComponent(iso(-3_600_000))}&endTime=${encodeURIComponent(iso(0))}&rawTraces=true`,
    );
    expect(status).toBe(200);
    expect(validate('opentelemetry.proto.trace.v1.TracesData', body['result'])).toEqual([]);
  });

  it('a trace by its 64-bit id (16 hex digits), as Jaeger accepts it', async () => {
    const { status, body } = await get(`/api/v3/traces/${SHORT.slice(16)}`);
    expect(status).toBe(200);
    expect(JSON.stringify(body)).toContain(SHORT);
  });

  it('requires the time range, naming both, in a body both clients read', async () => {
    for (const params of ['query.serviceName=shop', `query.startTimeMin=${encodeURIComponent(iso(0))}`]) {
      const { status, body } = await get(`/api/v3/traces?${params}`);
      expect(status).toBe(400);
      expect(validate('google.rpc.Status', body, false)).toEqual([]);
      expect(body).toMatchObject({
        code: 3,
        message: 'query.startTimeMin and query.startTimeMax are required',
        error: { httpCode: 400, message: 'query.startTimeMin and query.startTimeMax are required' },
      });
    }
    const reversed = await get(
      `/api/v3/trace-summaries?query.startTimeMin=${encodeURIComponent(iso(0))}&query.startTimeMax=${encodeURIComponent(iso(-1000))}`,
    );
    expect(reversed.status).toBe(400);
    expect(reversed.body['message']).toBe('query.startTimeMin must be before query.startTimeMax');
  });

  it.each([
    ['the time range alone', '', [ORDER, SEARCH, SHORT]],
    ['query.serviceName', '&query.serviceName=db', [ORDER, SHORT]],
    ['query.operationName', '&query.serviceName=shop&query.operationName=GET%20%2Fsearch', [SEARCH]],
    ['query.durationMin', '&query.durationMin=0.1s', [ORDER]],
    ['query.durationMax (a Go duration)', '&query.durationMax=50ms', [SEARCH, SHORT]],
    [
      'query.attributes (a JSON map)',
      `&query.attributes=${encodeURIComponent(JSON.stringify({ [SPAN_ATTRIBUTES.httpRoute]: '/orders/:id' }))}`,
      [ORDER],
    ],
    ['query.rawTraces', '&query.serviceName=shop&query.rawTraces=true', [ORDER, SEARCH]],
  ])('%s takes effect', async (_name, params, expected) => {
    expect(await search(`${range}${params}`)).toEqual([...expected].sort());
  });

  it('query.startTimeMin and query.startTimeMax take effect', async () => {
    const wide = `query.startTimeMin=${encodeURIComponent(iso(-3 * 3_600_000))}&query.startTimeMax=${encodeURIComponent(iso(-3_600_000))}`;
    expect(await search(wide)).toEqual([OLD]);
  });

  it('query.searchDepth takes effect (the newest first)', async () => {
    expect(await search(`${range}&query.searchDepth=1`)).toEqual([SHORT]);
  });

  it('trace summaries: root, span and error counts, services by name', async () => {
    const { status, body } = await get(`/api/v3/trace-summaries?${range}&query.serviceName=db`);
    expect(status).toBe(200);
    expect(validate('jaeger.api_v3.FindTraceSummariesResponse', body)).toEqual([]);
    const order = (body['summaries'] as { traceId: string }[]).find((summary) => summary.traceId === ORDER);
    expect(order).toEqual({
      traceId: ORDER,
      rootServiceName: 'shop',
      rootOperationName: 'GET /orders/:id',
      minStartTimeUnixNano: nanos(-60_000),
      maxEndTimeUnixNano: nanos(-59_700),
      spanCount: 2,
      errorSpanCount: 1,
      orphanSpanCount: 0,
      services: [
        { name: 'db', spanCount: 1, errorSpanCount: 1 },
        { name: 'shop', spanCount: 1, errorSpanCount: 0 },
      ],
    });
  });

  it('dependencies between services over a time range', async () => {
    const { status, body } = await get(
      `/api/v3/dependencies?startTime=${encodeURIComponent(iso(-3_600_000))}&endTime=${encodeURIComponent(iso(0))}`,
    );
    expect(status).toBe(200);
    expect(validate('jaeger.api_v3.DependenciesResponse', body)).toEqual([]);
    expect(body).toEqual({ dependencies: [{ parent: 'shop', child: 'db', callCount: '1' }] });
  });

  it('the service map (the hub’s own endpoint): calls between services and how many failed', async () => {
    const { status, body } = await get('/api/service-map?lookback=2h');
    expect(status).toBe(200);
    expect(body).toEqual({ edges: [{ parent: 'shop', child: 'db', callCount: 1, errorCount: 1 }] });
    expect((await get('/api/service-map?lookback=forever')).status).toBe(400);
  });

  it('requests and errors per service in 30 buckets (the UI’s sparklines)', async () => {
    const { status, body } = await get('/api/red/series?lookback=2h');
    expect(status).toBe(200);
    const services = body['services'] as Record<string, { requests: number[]; errors: number[] }>;
    expect(body['bucketSeconds']).toBe(240);
    const all = Object.values(services);
    expect(all.length).toBeGreaterThan(0);
    for (const series of all) {
      expect(series.requests).toHaveLength(30);
      expect(series.errors).toHaveLength(30);
    }
    expect(all.flatMap((series) => series.requests).reduce((sum, count) => sum + count, 0)).toBeGreaterThan(
      0,
    );
  });

  it.each([
    ['/api/v3/traces/zz', 400],
    [`/api/v3/traces/${'e'.repeat(33)}`, 400],
    [`/api/v3/traces/${'e'.repeat(32)}`, 404],
    ['/api/v3/operations', 400],
    ['/api/v3/operations?service=shop&spanKind=sideways', 400],
    [`/api/v3/traces?${range}&query.attributes=%5B1%5D`, 400],
    [`/api/v3/traces?${range}&query.durationMin=soon`, 400],
    [`/api/v3/traces?${range}&query.rawTraces=maybe`, 400],
    ['/api/v3/dependencies', 400],
    ['/api/v3/nothing', 404],
  ])('%s answers %i as a google.rpc.Status and as Jaeger gateway error', async (path, status) => {
    const answer = await get(path);
    expect(answer.status).toBe(status);
    expect(validate('google.rpc.Status', answer.body, false)).toEqual([]);
    expect(answer.body).toMatchObject({
      message: expect.any(String) as unknown,
      error: { httpCode: status },
    });
  });
});
