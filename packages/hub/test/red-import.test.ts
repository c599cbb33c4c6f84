/**
 * RED per service and operation computed from stored spans, and a trace's round trip through
 * export (the collector file exporter's format) and import into another hub.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plainFetch, tempDir } from '@pyairtable/test-support';
import { FREE_PORTS } from './harness.js';
import { traceRequestJson } from './otlp-requests.js';
import type { Hub } from '@pyairtable/hub';
import { IMPORT_PATH, startHub } from '@pyairtable/hub';

const NOW_NS = BigInt(Date.now()) * 1_000_000n;

const request = traceRequestJson;

describe('RED and import/export', () => {
  const dirs = [tempDir('hub-red'), tempDir('hub-import')];
  let hub: Hub;
  let other: Hub;
  beforeAll(async () => {
    hub = await startHub({ dataDir: dirs[0]?.path ?? '', ...FREE_PORTS });
    other = await startHub({ dataDir: dirs[1]?.path ?? '', ...FREE_PORTS });
    // 100 server spans of "GET /a": durations 1..100 ms, every tenth an error; 10 client spans ignored by default.
    const spans = Array.from({ length: 100 }, (_unused, index) => ({
      traceId: (index + 1).toString(16).padStart(32, '0'),
      spanId: (index + 1).toString(16).padStart(16, '0'),
      name: 'GET /a',
      kind: 2,
      startTimeUnixNano: String(NOW_NS - 60_000_000_000n),
      endTimeUnixNano: String(NOW_NS - 60_000_000_000n + BigInt(index + 1) * 1_000_000n),
      ...(index % 10 === 0 ? { status: { code: 2 } } : {}),
    }));
    const clients = Array.from({ length: 10 }, (_unused, index) => ({
      traceId: (index + 1).toString(16).padStart(32, '0'),
      spanId: (index + 1001).toString(16).padStart(16, '0'),
      name: 'SELECT',
      kind: 3,
      startTimeUnixNano: String(NOW_NS - 60_000_000_000n),
      endTimeUnixNano: String(NOW_NS - 59_000_000_000n),
    }));
    const response = await plainFetch(`${hub.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: request('shop', [...spans, ...clients]),
    });
    expect(response.status).toBe(200);
  });
  afterAll(async () => {
    await hub.close();
    await other.close();
    for (const dir of dirs) dir.cleanup();
  });

  it('computes rate, error ratio and p50/p95/p99 per service and operation from server spans', async () => {
    const response = await plainFetch(`${hub.queryUrl}/api/red?service=shop&lookback=10m`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { operations: Record<string, number | string>[] };
    expect(body.operations).toHaveLength(1);
    const [red] = body.operations;
    expect(red).toMatchObject({ service: 'shop', operation: 'GET /a', requests: 100, errorRatio: 0.1 });
    expect(red?.['ratePerSecond']).toBeCloseTo(100 / 600, 6);
    expect(red?.['p50Ms']).toBeCloseTo(50.5, 6);
    expect(red?.['p95Ms']).toBeCloseTo(95.05, 6);
    expect(red?.['p99Ms']).toBeCloseTo(99.01, 6);
    const all = (await (
      await plainFetch(`${hub.queryUrl}/api/red?service=shop&lookback=10m&span_kind=all`)
    ).json()) as {
      operations: unknown[];
    };
    expect(all.operations).toHaveLength(2);
    expect((await plainFetch(`${hub.queryUrl}/api/red?lookback=soon`)).status).toBe(400);
  });

  it('exports a trace in the collector file format and imports it into another hub unchanged', async () => {
    const traceId = '5'.padStart(32, '0');
    const exported = await plainFetch(`${hub.queryUrl}/api/v3/traces/${traceId}?format=file`);
    expect(exported.headers.get('content-disposition')).toContain(`trace-${traceId}.jsonl`);
    const file = await exported.text();
    const imported = await plainFetch(`${other.otlpHttpUrl}${IMPORT_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `${file}not json at all\n\n`,
    });
    expect(imported.status).toBe(200);
    expect(await imported.json()).toEqual({
      imported: 2,
      rejected: 0,
      lines: 3,
      failedLines: 1,
      errors: [{ line: 2, message: expect.stringContaining('not JSON') as unknown }],
    });
    const original = await (await plainFetch(`${hub.queryUrl}/api/v3/traces/${traceId}`)).json();
    const copy = await (await plainFetch(`${other.queryUrl}/api/v3/traces/${traceId}`)).json();
    expect(copy).toEqual(original);
  });
});
