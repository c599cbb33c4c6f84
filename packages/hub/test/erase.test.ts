/**
 * A data subject's erasure (`POST /admin/erase`, what `obs erase` calls): the subject's traces and
 * log records go, from the API and from every file of the store; nobody else's data does; the
 * erasure leaves an audit record that does not name the subject.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOG_FIELDS, RESOURCE_ATTRIBUTES, SPAN_ATTRIBUTES } from '@pyairtable/conventions';
import { plainFetch, tempDir } from '@pyairtable/test-support';
import { ERASE_PATH, LOG_LINES_PATH, SpanStore, decodeTraceJson } from '@pyairtable/hub';
import { useHub } from './harness.js';
import { jsonSpan, traceRequestJson } from './otlp-requests.js';

const ERASED = 'usr-erase-qxzw';
const KEPT = 'usr-keep-mnbv';
const TENANT_A = 'tenant-alpha';
const TENANT_B = 'tenant-beta';

const hex = (seed: number, length: number): string => seed.toString(16).padStart(length, '0');
const nowNs = (): string => `${String(Date.now())}000000`;

/** A trace of two spans: the server span names the user (and tenant), its child names nobody. */
function trace(seed: number, user: string, tenant?: string): object[] {
  const traceId = hex(seed, 32);
  const attributes = [
    { key: SPAN_ATTRIBUTES.userId, value: { stringValue: user } },
    ...(tenant === undefined ? [] : [{ key: SPAN_ATTRIBUTES.tenantId, value: { stringValue: tenant } }]),
  ];
  const times = { startTimeUnixNano: nowNs(), endTimeUnixNano: nowNs() };
  return [
    jsonSpan(traceId, hex(seed * 2, 16), { name: 'GET /api/v1/records', kind: 2, attributes, ...times }),
    jsonSpan(traceId, hex(seed * 2 + 1, 16), {
      name: 'SELECT records',
      parentSpanId: hex(seed * 2, 16),
      ...times,
    }),
  ];
}

/** A contract log line; `user` and `tenant` as its parts, `traceSeed` links it to a trace. */
function logLine(message: string, parts: { user?: string; tenant?: string; traceSeed?: number }): string {
  return JSON.stringify({
    [LOG_FIELDS.timestamp]: new Date().toISOString(),
    service: { name: 'platform-services', tier: 'platform' },
    log_level: 'INFO',
    category: 'application',
    message,
    ...(parts.user === undefined ? {} : { user: { id: parts.user } }),
    ...(parts.tenant === undefined ? {} : { tenant: { id: parts.tenant } }),
    ...(parts.traceSeed === undefined ? {} : { trace: { id: hex(parts.traceSeed, 32) } }),
  });
}

/** Every file of the data directory that holds `text`. */
const filesHolding = (dir: string, text: string): string[] =>
  readdirSync(dir).filter((file) => readFileSync(join(dir, file)).includes(text));

describe('erasing a data subject', () => {
  const harness = useHub('hub-erase');
  const post = (path: string, body: string, type = 'application/json'): Promise<Response> =>
    plainFetch(`${harness.hub.otlpHttpUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    });
  const tracesOf = async (user: string): Promise<unknown[]> => {
    const attributes = encodeURIComponent(JSON.stringify({ [SPAN_ATTRIBUTES.userId]: user }));
    const response = await plainFetch(
      `${harness.hub.queryUrl}/api/v3/traces?query.serviceName=platform-services&query.attributes=${attributes}&query.startTimeMin=2000-01-01T00:00:00Z&query.startTimeMax=2200-01-01T00:00:00Z`,
    );
    if (response.status === 404) return [];
    const body = (await response.json()) as { result: { resourceSpans: unknown[] } };
    return body.result.resourceSpans;
  };
  const logsMatching = async (text: string): Promise<{ message: string }[]> => {
    const response = await plainFetch(
      `${harness.hub.queryUrl}/api/logs?q=${encodeURIComponent(text)}&start=2000-01-01T00:00:00Z&limit=1000`,
    );
    return ((await response.json()) as { logs: { message: string }[] }).logs;
  };
  const traceFound = async (seed: number): Promise<boolean> =>
    (await plainFetch(`${harness.hub.queryUrl}/api/v3/traces/${hex(seed, 32)}`)).status === 200;

  beforeAll(async () => {
    const spans = [
      ...trace(1, ERASED, TENANT_A),
      ...trace(2, ERASED),
      ...trace(3, ERASED, TENANT_B),
      ...trace(4, KEPT, TENANT_A),
    ];
    expect((await post('/v1/traces', traceRequestJson('platform-services', spans))).status).toBe(200);
    const lines = [
      logLine(`order placed by ${ERASED}`, { user: ERASED, tenant: TENANT_A }),
      logLine('a query of the erased trace, naming nobody', { traceSeed: 1 }),
      logLine(`export for ${ERASED} in another tenant`, { user: ERASED, tenant: TENANT_B }),
      logLine('order placed', { user: KEPT, tenant: TENANT_A, traceSeed: 4 }),
    ];
    expect((await post(LOG_LINES_PATH, lines.join('\n'), 'application/x-ndjson')).status).toBe(200);
  });

  it('refuses without an explicit id, naming what is wrong', async () => {
    for (const body of ['{}', '{"user": ""}', '{"user": "  "}', '{"user": 42}']) {
      const response = await post(ERASE_PATH, body);
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('explicit id');
    }
    const unknown = await post(ERASE_PATH, '{"user": "x", "everyone": true}');
    expect(await unknown.text()).toContain('unknown field(s) everyone');
    const fromPage = await plainFetch(`${harness.hub.otlpHttpUrl}${ERASE_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://evil.example' },
      body: JSON.stringify({ user: ERASED }),
    });
    expect(fromPage.status).toBe(400);
    expect(await fromPage.text()).toContain('obs erase only');
    const form = await post(ERASE_PATH, 'user=x', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(400);
    expect(await form.text()).toContain('application/json');
    // Nothing was erased by the refusals.
    expect(await traceFound(1)).toBe(true);
  });

  it('within a tenant: that tenant’s and the unnamed, not another tenant’s', async () => {
    expect(filesHolding(harness.dataDir, ERASED).length).toBeGreaterThan(0);
    const response = await post(ERASE_PATH, JSON.stringify({ user: ERASED, tenant: TENANT_A, actor: 'dpo' }));
    expect(response.status).toBe(200);
    const outcome = (await response.json()) as Record<string, unknown>;
    // Traces 1 (tenant A) and 2 (no tenant), two spans each; the tenant-A record and the one of trace 1.
    expect(outcome).toMatchObject({ traces: 2, spans: 4, logRecords: 2, compacted: true });
    expect(outcome['erasureId']).toMatch(/^[0-9a-f-]{36}$/);
    expect(await traceFound(1)).toBe(false);
    expect(await traceFound(2)).toBe(false);
    expect(await traceFound(3)).toBe(true);
    expect((await logsMatching(ERASED)).map((log) => log.message)).toEqual([
      `export for ${ERASED} in another tenant`,
    ]);
  });

  it('without a tenant: nothing of the user is left in the API or the store’s files; others untouched', async () => {
    // Searches run while the store is rewritten: they wait for the swap, none fails.
    const searches = Array.from({ length: 20 }, () => logsMatching('order placed'));
    const response = await post(ERASE_PATH, JSON.stringify({ user: ERASED, actor: 'dpo' }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ traces: 1, spans: 2, logRecords: 1 });
    for (const found of await Promise.all(searches)) expect(found.length).toBeGreaterThan(0);

    expect(await tracesOf(ERASED)).toEqual([]);
    expect(await logsMatching(ERASED)).toEqual([]);
    expect(await traceFound(3)).toBe(false);
    expect(filesHolding(harness.dataDir, ERASED)).toEqual([]);

    expect(await traceFound(4)).toBe(true);
    expect(await tracesOf(KEPT)).toHaveLength(1);
    expect((await logsMatching(KEPT)).length + (await logsMatching('order placed')).length).toBeGreaterThan(
      0,
    );
    expect(filesHolding(harness.dataDir, KEPT).length).toBeGreaterThan(0);
  });

  it('keeps an audit record of each erasure: who and how much, never whose', async () => {
    const response = await plainFetch(
      `${harness.hub.queryUrl}/api/logs?category=audit&start=2000-01-01T00:00:00Z&limit=10`,
    );
    const audits = ((await response.json()) as { logs: Record<string, unknown>[] }).logs;
    expect(audits).toHaveLength(2);
    for (const audit of audits) {
      expect(audit).toMatchObject({
        category: 'audit',
        event: { action: 'data_subject.erase', outcome: 'success' },
        attributes: { actor: 'dpo' },
      });
      const text = JSON.stringify(audit);
      expect(text).not.toContain(ERASED);
      expect(text).not.toContain(TENANT_A);
    }
    expect(
      audits.map((audit) => (audit['attributes'] as Record<string, unknown>)['within_tenant']).sort(),
    ).toEqual([false, true]);
  });

  it('a rewrite that fails is reported; the erasure and the store stand, and the next one rewrites', async () => {
    // A directory where the rewrite's file would go: the rewrite cannot start.
    const blocker = join(harness.dataDir, 'hub.compact.duckdb');
    mkdirSync(blocker);
    try {
      const response = await post(ERASE_PATH, JSON.stringify({ user: 'usr-nobody-either' }));
      expect(response.status).toBe(200);
      const outcome = (await response.json()) as Record<string, unknown>;
      expect(outcome).toMatchObject({ traces: 0, compacted: false });
      expect(String(outcome['compactionError'])).not.toBe('');
      expect(await traceFound(4)).toBe(true);
    } finally {
      rmSync(blocker, { recursive: true });
    }
    expect(
      await (await post(ERASE_PATH, JSON.stringify({ user: 'usr-nobody-either' }))).json(),
    ).toMatchObject({
      compacted: true,
    });
  });

  it('an erasure of someone the hub never saw deletes nothing and is still recorded', async () => {
    const response = await post(ERASE_PATH, JSON.stringify({ user: 'usr-nobody' }));
    expect(await response.json()).toMatchObject({ traces: 0, spans: 0, logRecords: 0 });
    expect(await traceFound(4)).toBe(true);
  });
});

describe('the store after a compaction', () => {
  it('is the same store: it takes writes, and they and the rest survive a reopening', async () => {
    const dir = tempDir('hub-compact-reopen');
    const spans = (seed: number, user: string) =>
      decodeTraceJson(
        Buffer.from(traceRequestJson('platform-services', trace(seed, user))),
        RESOURCE_ATTRIBUTES.serviceName,
      ).spans;
    let store = await SpanStore.open(dir.path);
    try {
      await store.append(spans(10, KEPT));
      await store.append(spans(11, ERASED));
      expect(await store.erase({ userId: ERASED })).toEqual({ traces: 1, spans: 2, logRecords: 0 });
      await store.compact();
      await store.append(spans(12, KEPT));
      expect(await store.spanCount()).toBe(4);
      store.close();
      store = await SpanStore.open(dir.path);
      expect(await store.spanCount()).toBe(4);
      expect(await store.trace(hex(11, 32))).toEqual([]);
      expect(filesHolding(dir.path, ERASED)).toEqual([]);
    } finally {
      store.close();
      dir.cleanup();
    }
  });
});

describe('who may erase, and how many at once', () => {
  const harness = useHub('hub-erase-admin', { ingestToken: 'ingest-secret', adminToken: 'admin-secret' });
  const erase = (
    token: string | undefined,
    body = JSON.stringify({ user: ERASED, actor: 'test' }),
  ): Promise<Response> =>
    plainFetch(`${harness.hub.otlpHttpUrl}${ERASE_PATH}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body,
    });

  it('takes the admin token, not the ingest token, once an admin token is set', async () => {
    expect((await erase(undefined)).status).toBe(401);
    expect((await erase('ingest-secret')).status).toBe(401);
    expect((await erase('admin-secret')).status).toBe(200);
    // Ingest still takes its own token, not the admin one.
    const ingest = (token: string): Promise<Response> =>
      plainFetch(`${harness.hub.otlpHttpUrl}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: traceRequestJson('platform-services', trace(90, KEPT)),
      });
    expect((await ingest('admin-secret')).status).toBe(401);
    expect((await ingest('ingest-secret')).status).toBe(200);
  });

  it('refuses a second erasure while one runs (409), and takes it once the first is done', async () => {
    // The first erasure's body arrives only after the second has been answered.
    const url = new URL(`${harness.hub.otlpHttpUrl}${ERASE_PATH}`);
    const body = JSON.stringify({ user: ERASED, actor: 'first' });
    const first = request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': body.length,
        authorization: 'Bearer admin-secret',
      },
    });
    const answered = new Promise<number>((resolve, reject) => {
      first.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      first.on('error', reject);
    });
    // Its first byte, and time for the hub to take the request, before the second is sent.
    first.write(body.slice(0, 1));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await erase('admin-secret');
    expect(second.status).toBe(409);
    expect(((await second.json()) as { message: string }).message).toContain('an erasure is running');
    first.end(body.slice(1));
    expect(await answered).toBe(200);
    expect((await erase('admin-secret')).status).toBe(200);
  });
});
