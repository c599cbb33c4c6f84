/**
 * The hub under requests built to break it (found by an outside probe): each is answered with
 * a 4xx or a partial success that names the problem, nothing already accepted is lost or stored
 * twice, and the process keeps serving everyone else.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LogRecord } from '@pyairtable/conventions';
import { LOG_FIELDS, RESOURCE_ATTRIBUTES } from '@pyairtable/conventions';
import { plainFetch, sampleValue, tempDir } from '@pyairtable/test-support';
import {
  DECODED_BYTES_PER_BODY_BYTE,
  IMPORT_GROUP_SPANS,
  IMPORT_PATH,
  LOG_LINES_PATH,
  MetricStore,
  SpanStore,
  startHub,
} from '@pyairtable/hub';
import { FREE_PORTS, useHub } from './harness.js';
import { jsonSpan, traceRequestJson, traceRequestProtobuf } from './otlp-requests.js';

const NOW_NS = BigInt(Date.now()) * 1_000_000n;

/** Waits until `condition` holds (at most 5 s). */
async function pollFor(condition: () => boolean): Promise<void> {
  for (const started = Date.now(); !condition();) {
    if (Date.now() - started > 5000) throw new Error('the condition did not come true within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
/** A search's required time range, wide enough for every span of these tests. */
const ALL_TIME = 'query.startTimeMin=2000-01-01T00:00:00Z&query.startTimeMax=2200-01-01T00:00:00Z';

/** An OTLP/JSON log request of one service whose records are given as OTLP log records. */
const logRequest = (service: string, records: readonly (object | string)[]): string =>
  JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [{ key: RESOURCE_ATTRIBUTES.serviceName, value: { stringValue: service } }] },
        scopeLogs: [{ logRecords: records }],
      },
    ],
  });

const tier = { key: LOG_FIELDS.serviceTier, value: { stringValue: 'platform' } };
const logRecord = (message: string, overrides: Record<string, unknown> = {}): object => ({
  timeUnixNano: String(NOW_NS),
  body: { stringValue: message },
  attributes: [tier],
  ...overrides,
});

/** An AnyValue of arrays nested `depth` deep, as JSON text (JSON.stringify would recurse as deep). */
const nestedArrayJson = (depth: number): string =>
  `${'{"arrayValue":{"values":['.repeat(depth)}{"stringValue":"x"}${']}}'.repeat(depth)}`;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

describe('the hub under hostile input', () => {
  const harness = useHub('hub-hostile');

  const post = async (path: string, body: string): Promise<Answer> => {
    const response = await plainFetch(`${harness.hub.otlpHttpUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': path.startsWith('/v1/') ? 'application/json' : 'application/x-ndjson' },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const query = async (path: string): Promise<{ status: number; text: string }> => {
    const response = await plainFetch(`${harness.hub.queryUrl}${path}`);
    return { status: response.status, text: await response.text() };
  };
  const logsOf = async (service: string): Promise<unknown[]> =>
    (JSON.parse((await query(`/api/logs?service=${service}&limit=1000`)).text) as { logs: unknown[] }).logs;

  it('survives a metric series built to make the exposition larger than a string can be', async () => {
    const bounds = Array.from({ length: 5000 }, (_, index) => index);
    const answer = await post(
      '/v1/metrics',
      JSON.stringify({
        resourceMetrics: [
          {
            scopeMetrics: [
              {
                metrics: [
                  {
                    name: 'bomb',
                    histogram: {
                      aggregationTemporality: 2,
                      dataPoints: [
                        {
                          explicitBounds: bounds,
                          bucketCounts: [...bounds, 0].map(() => '1'),
                          count: '5001',
                          attributes: [{ key: 'long', value: { stringValue: 'x'.repeat(120_000) } }],
                        },
                      ],
                    },
                  },
                  { name: 'fine', gauge: { dataPoints: [{ asDouble: 1 }] } },
                ],
              },
            ],
          },
        ],
      }),
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ partialSuccess: { rejectedDataPoints: '1' } });
    expect(String((answer.body['partialSuccess'] as Record<string, unknown>)['errorMessage'])).toMatch(
      /bomb: .*5000 bucket bounds.*fewer bounds or shorter label values/,
    );
    const scrape = await plainFetch(`${harness.hub.prometheusUrl}/metrics`);
    expect(scrape.status).toBe(200);
    const text = await scrape.text();
    expect(text).toContain('\nfine 1\n');
    expect(text).not.toContain('bomb_bucket');
    expect((await query('/api/v3/services')).status).toBe(200);
  });

  it('never writes an attribute key through a prototype, and takes the next record as usual', async () => {
    const polluting = await post(
      '/v1/logs',
      logRequest('proto', [
        logRecord('a', {
          attributes: [tier, { key: 'trace.__proto__.polluted', value: { stringValue: 'yes' } }],
        }),
      ]),
    );
    expect(polluting.status).toBe(200);
    expect('polluted' in {}).toBe(false);
    const ordinary = await post('/v1/logs', logRequest('proto', [logRecord('b')]));
    expect(ordinary).toEqual({ status: 200, body: {} });
    expect(await logsOf('proto')).toHaveLength(2);
  });

  it('refuses log records with times it cannot hold alone, and commits the rest once', async () => {
    const answer = await post(
      '/v1/logs',
      logRequest('times', [
        logRecord('kept'),
        logRecord('not a number', { timeUnixNano: 'soon' }),
        logRecord('beyond 2262', { timeUnixNano: '18446744073709551615' }),
      ]),
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ partialSuccess: { rejectedLogRecords: '2' } });
    expect(String((answer.body['partialSuccess'] as Record<string, unknown>)['errorMessage'])).toContain(
      'timeUnixNano',
    );
    expect(await logsOf('times')).toHaveLength(1);
  });

  it('answers log lines outside 1677-2262 by line, storing the valid lines once', async () => {
    const line = (stamp: string, message: string): string =>
      JSON.stringify({
        [LOG_FIELDS.timestamp]: stamp,
        service: { name: 'lines', tier: 'platform' },
        [LOG_FIELDS.level]: 'INFO',
        [LOG_FIELDS.message]: message,
      });
    const body = [
      line(new Date().toISOString(), 'now'),
      line('1600-01-01T00:00:00.000Z', 'too early'),
      line('2300-01-01T00:00:00.000Z', 'too late'),
    ].join('\n');
    const answer = await post(LOG_LINES_PATH, body);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ stored: 1, rejected: 2 });
    expect(JSON.stringify(answer.body['errors'])).toContain('1677-09-21 to 2262-04-11');
    const allBad = await post(LOG_LINES_PATH, line('2300-01-01T00:00:00.000Z', 'too late'));
    expect(allBad.status).toBe(400);
    expect(await logsOf('lines')).toHaveLength(1);
  });

  it('refuses values nested 10,000 deep in a log body or a metric attribute, alone', async () => {
    const deep = nestedArrayJson(10_000);
    const logs = await post(
      '/v1/logs',
      logRequest('deep', [logRecord('shallow'), 'DEEP']).replace('"DEEP"', `{"body":${deep}}`),
    );
    expect(logs.status).toBe(200);
    expect(logs.body).toMatchObject({ partialSuccess: { rejectedLogRecords: '1' } });
    expect(JSON.stringify(logs.body)).toContain('nested deeper than 16 levels');
    expect(await logsOf('deep')).toHaveLength(1);
    const metrics = await post(
      '/v1/metrics',
      `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"deep","gauge":{"dataPoints":[
        {"asDouble":1},{"asDouble":2,"attributes":[{"key":"a","value":${deep}}]}]}}]}]}]}`,
    );
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatchObject({ partialSuccess: { rejectedDataPoints: '1' } });
  });

  it('finds attributes whose keys are JSON-path syntax, as data', async () => {
    const traceId = 'a1'.repeat(16);
    const keys = ['*', '"', '\\', '$.x', 'a"b'];
    const attributes = keys.map((key) => ({ key, value: { stringValue: `v${key}` } }));
    const stored = await post(
      '/v1/traces',
      traceRequestJson('paths', [jsonSpan(traceId, 'b2'.repeat(8), { attributes })]),
    );
    expect(stored.status).toBe(200);
    for (const key of keys) {
      const found = await query(
        `/api/v3/traces?${ALL_TIME}&query.service_name=paths&query.attributes%5B${encodeURIComponent(key)}%5D=${encodeURIComponent(`v${key}`)}`,
      );
      expect(found.status, key).toBe(200);
      expect(found.text, key).toContain(traceId);
      const other = await query(
        `/api/v3/traces?${ALL_TIME}&query.service_name=paths&query.attributes%5B${encodeURIComponent(key)}%5D=other`,
      );
      expect(other.text, key).not.toContain(traceId);
    }
    // A key that ends in an escaped quote does not match the key after it.
    const shifted = await query(
      `/api/v3/traces?${ALL_TIME}&query.service_name=paths&query.attributes%5Bb%5D=${encodeURIComponent('va"b')}`,
    );
    expect(shifted.text).not.toContain(traceId);
  });

  it.each([
    [`/api/v3/traces?${ALL_TIME}&query.duration_min=${'9'.repeat(300)}s`, 'query.duration_min'],
    [
      '/api/v3/traces?query.start_time_min=9999-01-01T00:00:00Z&query.startTimeMax=2200-01-01T00:00:00Z',
      'query.start_time_min',
    ],
    ['/api/logs?lookback=99999999999h', 'lookback'],
    ['/api/red?lookback=9999999999h', 'lookback'],
    ['/api/traces?end=99999999999999999', 'end'],
    ['/api/traces?service=a&lookback=' + '1'.repeat(30) + 'h', 'lookback'],
    ['/api/dependencies?endTs=99999999999999999999', 'endTs'],
    ['/api/traces?limit=' + '9'.repeat(40), 'limit'],
    ['/api/services/%E0%A4%A/operations', 'service'],
  ])('answers %s with 400 naming %s, and no internal message', async (path, name) => {
    const answer = await query(path);
    expect(answer.status).toBe(400);
    expect(answer.text).toContain(name);
    expect(answer.text).not.toMatch(/Error:|Binder|Conversion|URI malformed|Invalid URL|RangeError/);
  });

  it.each(['//', '//api/services', '/api/v3/traces/%ZZ'])('answers %s below 500', async (path) => {
    const answer = await query(path);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(answer.text).not.toMatch(/Invalid URL|URI malformed/);
  });
});

describe('the metric store bounds what the exposition can grow to', () => {
  const gauge = (labelValue: string) => ({
    name: 'g',
    kind: 'gauge' as const,
    help: 'h',
    labels: { l: labelValue },
    delta: false,
    value: 1,
    count: 0,
    sum: 0,
    bounds: [],
    bucketCounts: [],
    quantiles: [],
  });

  it('refuses a new series past the total, and takes it again once others expire', () => {
    let now = 0;
    const store = new MetricStore({ maxTotalBytes: 2000, expireAfterMs: 1000, now: () => now });
    const first = store.apply([gauge('a'.repeat(400)), gauge('b'.repeat(400))]);
    expect(first.rejected).toBe(0);
    const third = store.apply([gauge('c'.repeat(400))]);
    expect(third.rejected).toBe(1);
    expect(third.rejectReason).toContain('near their limit of 2000');
    now = 2000;
    expect(store.apply([gauge('c'.repeat(400))]).rejected).toBe(0);
  });

  it('writes the exposition in pieces, never as one string', () => {
    const store = new MetricStore();
    store.apply(Array.from({ length: 2000 }, (_, index) => gauge(`${'v'.repeat(100)}${String(index)}`)));
    const chunks = [...store.expositionChunks()];
    expect(chunks.length).toBeGreaterThan(2);
    expect(Math.max(...chunks.map((chunk) => chunk.length))).toBeLessThan(70 * 1024);
    expect(chunks.join('')).toBe(store.exposition());
  });
});

describe('the size cap holds as data arrives', () => {
  const cap = 32 * 2 ** 20;
  const BATCHES = 300;
  // Masking off: the cost here is the store's, and random text is what masking scans longest.
  const harness = useHub('hub-capped', { maxStoreBytes: cap, maskPii: false });

  it('keeps the store near its cap while spans arrive, without waiting for the minute pass', async () => {
    // Random text, which DuckDB cannot compress much: several times the cap arrives.
    const payload = randomBytes(200).toString('hex');
    for (let batch = 0; batch < BATCHES; batch++) {
      const spans = Array.from({ length: 1000 }, (_, index) =>
        jsonSpan(
          `${batch.toString(16).padStart(8, '0')}${'c'.repeat(24)}`,
          (index + 1).toString(16).padStart(16, '0'),
          {
            startTimeUnixNano: String(NOW_NS - BigInt(BATCHES - batch) * 1_000_000_000n),
            endTimeUnixNano: String(NOW_NS - BigInt(BATCHES - batch) * 1_000_000_000n + 1000n),
            attributes: [
              {
                key: 'payload',
                value: {
                  stringValue: `${payload.slice(index % 400)}${String(batch * 1000 + index)}${payload.slice(0, index % 400)}`,
                },
              },
            ],
          },
        ),
      );
      const response = await plainFetch(`${harness.hub.otlpHttpUrl}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: traceRequestProtobuf('capped', spans as { traceId: string; spanId: string }[]),
      });
      expect(response.status).toBe(200);
    }
    // What is on disk, the database file and its write-ahead log, stays within the cap.
    const onDisk = ['hub.duckdb', 'hub.duckdb.wal']
      .map((name) => join(harness.dataDir, name))
      .reduce((sum, path) => sum + (existsSync(path) ? statSync(path).size : 0), 0);
    console.log({
      onDisk,
      cap,
      used: await harness.hub.store.usedBytes(),
      rowGroups: await harness.hub.store.rowGroups(),
    });
    expect(onDisk).toBeLessThanOrEqual(cap);
    // Oldest first: the newest batch is whole, the first is gone.
    const traceOf = (batch: number): string => `${batch.toString(16).padStart(8, '0')}${'c'.repeat(24)}`;
    expect((await plainFetch(`${harness.hub.queryUrl}/api/v3/traces/${traceOf(BATCHES - 1)}`)).status).toBe(
      200,
    );
    expect((await plainFetch(`${harness.hub.queryUrl}/api/v3/traces/${traceOf(0)}`)).status).toBe(404);
  }, 180_000);
});

describe('slow senders', () => {
  const harness = useHub('hub-slow', { maxInFlightRequests: 4, requestTimeoutMs: 1500 });

  it('hold no request slot while they trickle, and are cut off at the deadline with 408', async () => {
    const { port } = new URL(harness.hub.otlpHttpUrl);
    const tricklers = Array.from({ length: 16 }, () => {
      const socket = connect(Number(port), '127.0.0.1');
      let received = '';
      socket.on('data', (data: Buffer) => {
        received += data.toString();
      });
      socket.on('error', () => undefined);
      socket.write(
        'POST /v1/traces HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
      );
      const drip = setInterval(() => socket.write(' '), 100);
      const closed = new Promise<number>((resolve) => {
        const opened = Date.now();
        socket.on('close', () => {
          clearInterval(drip);
          resolve(Date.now() - opened);
        });
      });
      return { socket, closed, received: () => received };
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    const normal = await plainFetch(`${harness.hub.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: traceRequestJson('brisk', [jsonSpan('d1'.repeat(16), 'e1'.repeat(8))]),
    });
    expect(normal.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
    const lifetimes = await Promise.all(tricklers.map((trickler) => trickler.closed));
    for (const [index, trickler] of tricklers.entries()) {
      expect(trickler.received()).toMatch(/^HTTP\/1\.1 408/);
      expect(lifetimes[index]).toBeLessThan(1500 + 1500);
      trickler.socket.destroy();
    }
  });
});

describe('the memory bound', () => {
  it('refuses to start below the working set, naming the bound to give', async () => {
    const dir = tempDir('hub-too-small');
    try {
      await expect(
        startHub({ ...FREE_PORTS, dataDir: dir.path, maxMemoryBytes: 64 * 2 ** 20 }),
      ).rejects.toThrow(
        /memory bound of 64 MiB is below what the hub needs: .* give at least \d+ MiB \(--max-memory-mb\)/,
      );
      // Nothing is left open: the same store starts with a workable bound.
      const hub = await startHub({ ...FREE_PORTS, dataDir: dir.path });
      await hub.close();
    } finally {
      dir.cleanup();
    }
  });

  describe('while a body is being read', () => {
    const body = traceRequestProtobuf(
      'heavy',
      Array.from({ length: 2000 }, (_, index) =>
        jsonSpan('f1'.repeat(16), (index + 1).toString(16).padStart(16, '0'), {
          attributes: [{ key: 'payload', value: { stringValue: 'q'.repeat(200) } }],
        }),
      ) as { traceId: string; spanId: string }[],
    );
    const decoded = body.length * (1 + DECODED_BYTES_PER_BODY_BYTE);
    // Room for two such requests decoded at once.
    const budget = 2 * decoded;
    const harness = useHub('hub-memory', { memoryBudgetBytes: budget });
    const send = async (): Promise<number> =>
      (
        await plainFetch(`${harness.hub.otlpHttpUrl}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf' },
          body,
        })
      ).status;

    it('refuses a request that would pass the budget, holds no more, and takes it again once the body goes', async () => {
      // A sender holds three quarters of the budget in a body it has not finished.
      const held = Math.floor(budget * 0.75);
      const { port } = new URL(harness.hub.otlpHttpUrl);
      const sender = connect(Number(port), '127.0.0.1');
      sender.on('error', () => undefined);
      sender.write(
        `POST /v1/traces HTTP/1.1\r\nHost: hub\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${String(held + 1)}\r\n\r\n`,
      );
      sender.write(Buffer.alloc(held));
      await pollFor(() => harness.hub.memoryHeld() === held);
      // Its body fits beside the sender's, but not decoded: 503, and nothing more is held.
      expect(await send()).toBe(503);
      expect(harness.hub.memoryHeld()).toBe(held);
      // Recovered by construction: the sender goes, what it held goes with it.
      sender.destroy();
      await pollFor(() => harness.hub.memoryHeld() === 0);
      expect(await send()).toBe(200);
      expect(harness.hub.memoryHeld()).toBe(0);
      const scrape = await (await plainFetch(`${harness.hub.queryUrl}/metrics`)).text();
      expect(sampleValue(scrape, 'pyairtable_hub_memory_budget_bytes')).toBe(budget);
      expect(sampleValue(scrape, 'pyairtable_hub_memory_held_bytes')).toBe(0);
    });
  });
});

describe('import of a large file', () => {
  const harness = useHub('hub-import-large');

  it('streams with bounded memory, commits in groups and reports progress', async () => {
    const lines = Array.from({ length: 20_000 }, (_, index) =>
      traceRequestJson('imported', [
        jsonSpan(`${index.toString(16).padStart(8, '0')}${'a'.repeat(24)}`, 'b3'.repeat(8), {
          attributes: [{ key: 'payload', value: { stringValue: 'i'.repeat(300) } }],
        }),
      ]),
    );
    const file = `${lines.join('\n')}\n`;
    const commits = async (): Promise<number> =>
      sampleValue(
        await (await plainFetch(`${harness.hub.queryUrl}/metrics`)).text(),
        'pyairtable_hub_span_commits_total',
      ) ?? 0;
    const before = await commits();
    const rssBefore = process.memoryUsage.rss();
    let peakRss = rssBefore;
    const watch = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }, 10);
    const response = await plainFetch(`${harness.hub.otlpHttpUrl}${IMPORT_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', accept: 'application/x-ndjson' },
      body: file,
    });
    const answer = (await response.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    clearInterval(watch);
    expect(response.status).toBe(200);
    const progress = answer.filter((line) => 'progress' in line);
    expect(progress.length).toBe(20_000 / IMPORT_GROUP_SPANS);
    expect(progress.at(-1)).toEqual({ progress: { lines: 20_000, imported: 20_000, rejected: 0 } });
    expect(answer.at(-1)).toMatchObject({ imported: 20_000, lines: 20_000, failedLines: 0 });
    expect((await commits()) - before).toBeLessThanOrEqual(20_000 / IMPORT_GROUP_SPANS + 1);
    // The file is 7 MB; line by line commits took gigabytes. A group is a few megabytes.
    expect(peakRss - rssBefore).toBeLessThan(400 * 2 ** 20);
    expect(harness.hub.memoryHeld()).toBe(0);
  });
});

describe('a batch that fails part way', () => {
  it('leaves nothing of itself in the store, and the store takes the next one', async () => {
    const dir = tempDir('hub-atomic');
    const store = await SpanStore.open(dir.path);
    try {
      const record = (stamp: string, message: string): LogRecord =>
        ({
          [LOG_FIELDS.timestamp]: stamp,
          service: { name: 'atomic', tier: 'platform' },
          [LOG_FIELDS.level]: 'INFO',
          [LOG_FIELDS.message]: message,
          category: 'application',
        }) as unknown as LogRecord;
      const now = new Date().toISOString();
      // The third record's time is beyond int64 nanoseconds: the appender throws on its first
      // column, after two whole rows (the decoders refuse such records; this is the store's own guard).
      await expect(
        store.logs.append([record(now, 'a'), record(now, 'b'), record('2300-01-01T00:00:00.000Z', 'c')]),
      ).rejects.toThrow();
      expect(await store.logs.search({ service: 'atomic' })).toHaveLength(0);
      await store.logs.append([record(now, 'd')]);
      expect(await store.logs.search({ service: 'atomic' })).toHaveLength(1);
    } finally {
      store.close();
      dir.cleanup();
    }
  });
});
