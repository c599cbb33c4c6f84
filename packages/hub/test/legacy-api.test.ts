/**
 * Jaeger's original API, as Grafana's Jaeger datasource and Jaeger's v1 UI call it: services,
 * operations, trace search, one trace, and the service dependency graph.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_ATTRIBUTES } from '@pyairtable/conventions';
import { plainFetch, tempDir } from '@pyairtable/test-support';
import { FREE_PORTS } from './harness.js';
import type { Hub } from '@pyairtable/hub';
import { startHub } from '@pyairtable/hub';

const TRACE = 'ab'.repeat(16);
const NOW_NS = BigInt(Date.now()) * 1_000_000n;

interface JaegerSpan {
  spanID: string;
  operationName: string;
  references: { refType: string; spanID: string }[];
  startTime: number;
  duration: number;
  tags: { key: string; type: string; value: unknown }[];
  logs: { fields: { key: string; value: unknown }[] }[];
  processID: string;
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

describe('the legacy Jaeger API', () => {
  const dir = tempDir('hub-legacy');
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub({ dataDir: dir.path, ...FREE_PORTS });
    const resource = (service: string): object => ({
      attributes: [{ key: RESOURCE_ATTRIBUTES.serviceName, value: { stringValue: service } }],
    });
    const span = (
      spanId: string,
      parent: string,
      name: string,
      offsetMs: number,
      durationMs: number,
      extra: object = {},
    ): object => ({
      traceId: TRACE,
      spanId,
      ...(parent === '' ? {} : { parentSpanId: parent }),
      name,
      kind: parent === '' ? 2 : 3,
      startTimeUnixNano: String(NOW_NS - 60_000_000_000n + BigInt(offsetMs) * 1_000_000n),
      endTimeUnixNano: String(NOW_NS - 60_000_000_000n + BigInt(offsetMs + durationMs) * 1_000_000n),
      ...extra,
    });
    const response = await plainFetch(`${hub.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: resource('gateway'),
            scopeSpans: [
              {
                spans: [
                  span('1'.repeat(16), '', 'GET /api/records', 0, 120, {
                    attributes: [{ key: 'retries', value: { intValue: '2' } }],
                  }),
                ],
              },
            ],
          },
          {
            resource: resource('records'),
            scopeSpans: [
              {
                spans: [
                  span('2'.repeat(16), '1'.repeat(16), 'list records', 10, 100, {
                    status: { code: 2, message: 'timeout' },
                    events: [
                      { timeUnixNano: String(NOW_NS - 59_000_000_000n), name: 'retry', attributes: [] },
                    ],
                  }),
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(response.status).toBe(200);
  });
  afterAll(async () => {
    await hub.close();
    dir.cleanup();
  });

  const get = async (path: string): Promise<{ status: number; body: { data: unknown; errors: unknown } }> => {
    const response = await plainFetch(`${hub.queryUrl}${path}`);
    return { status: response.status, body: (await response.json()) as { data: unknown; errors: unknown } };
  };

  it('lists services and operations', async () => {
    expect((await get('/api/services')).body.data).toEqual(['gateway', 'records']);
    expect((await get('/api/services/gateway/operations')).body.data).toEqual(['GET /api/records']);
    expect((await get('/api/operations?service=records')).body.data).toEqual([
      { name: 'list records', spanKind: 'client' },
    ]);
  });

  it('returns a trace in Jaeger’s model: microseconds, references, typed tags, logs, processes', async () => {
    const { status, body } = await get(`/api/traces/${TRACE}`);
    expect(status).toBe(200);
    const [trace] = body.data as JaegerTrace[];
    expect(trace?.traceID).toBe(TRACE);
    const root = trace?.spans.find((span) => span.spanID === '1'.repeat(16));
    const child = trace?.spans.find((span) => span.spanID === '2'.repeat(16));
    expect(root?.duration).toBe(120_000);
    expect(root?.tags).toEqual(
      expect.arrayContaining([
        { key: 'retries', type: 'int64', value: 2 },
        { key: 'span.kind', type: 'string', value: 'server' },
      ]),
    );
    expect(child?.references).toEqual([{ refType: 'CHILD_OF', traceID: TRACE, spanID: '1'.repeat(16) }]);
    expect(child?.tags).toEqual(
      expect.arrayContaining([
        { key: 'error', type: 'bool', value: true },
        { key: 'otel.status_description', type: 'string', value: 'timeout' },
      ]),
    );
    expect(child?.logs[0]?.fields).toEqual([{ key: 'event', type: 'string', value: 'retry' }]);
    expect(trace?.processes[root?.processID ?? '']?.serviceName).toBe('gateway');
    expect(trace?.processes[child?.processID ?? '']?.serviceName).toBe('records');
    expect((await get(`/api/traces/${'c'.repeat(32)}`)).status).toBe(404);
  });

  it('searches as Grafana does: service, operation, tags, time window in microseconds, duration', async () => {
    const endMicros = String(NOW_NS / 1000n);
    const startMicros = String((NOW_NS - 3_600_000_000_000n) / 1000n);
    const found = async (query: string): Promise<number> =>
      ((await get(`/api/traces?${query}`)).body.data as JaegerTrace[]).length;
    expect(await found(`service=gateway&start=${startMicros}&end=${endMicros}&limit=20`)).toBe(1);
    expect(await found('service=records&operation=list%20records&lookback=1h')).toBe(1);
    expect(await found(`service=gateway&tags=${encodeURIComponent('{"retries":"2"}')}`)).toBe(1);
    expect(await found(`service=gateway&tags=${encodeURIComponent('{"retries":"3"}')}`)).toBe(0);
    expect(await found('service=gateway&minDuration=200ms')).toBe(0);
    expect(await found('service=gateway&maxDuration=200ms')).toBe(1);
    const bad = await get('/api/traces?service=gateway&tags=notjson');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.errors)).toContain('tags must be a JSON object');
  });

  it('derives the dependency graph from parent spans in other services', async () => {
    const { body } = await get(`/api/dependencies?endTs=${String(Date.now())}&lookback=3600000`);
    expect(body.data).toEqual([{ parent: 'gateway', child: 'records', callCount: 1 }]);
  });
});
