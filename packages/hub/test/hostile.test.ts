/**
 * The hub under requests built to break it (found by an outside probe): each is answered with
 * a 4xx or a partial success that names the problem, nothing already accepted is lost or stored
 * twice, and the process keeps serving everyone else.
 */
import { describe, expect, it } from 'vitest';
import { LOG_FIELDS, RESOURCE_ATTRIBUTES } from '@pyairtable/conventions';
import { plainFetch } from '@pyairtable/test-support';
import { LOG_LINES_PATH, MetricStore } from '@pyairtable/hub';
import { useHub } from './harness.js';
import { jsonSpan, traceRequestJson } from './otlp-requests.js';

const NOW_NS = BigInt(Date.now()) * 1_000_000n;

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
        `/api/v3/traces?query.service_name=paths&query.attributes%5B${encodeURIComponent(key)}%5D=${encodeURIComponent(`v${key}`)}`,
      );
      expect(found.status, key).toBe(200);
      expect(found.text, key).toContain(traceId);
      const other = await query(
        `/api/v3/traces?query.service_name=paths&query.attributes%5B${encodeURIComponent(key)}%5D=other`,
      );
      expect(other.text, key).not.toContain(traceId);
    }
    // A key that ends in an escaped quote does not match the key after it.
    const shifted = await query(
      `/api/v3/traces?query.service_name=paths&query.attributes%5Bb%5D=${encodeURIComponent('va"b')}`,
    );
    expect(shifted.text).not.toContain(traceId);
  });

  it.each([
    ['/api/v3/traces?query.duration_min=' + '9'.repeat(300) + 's', 'query.duration_min'],
    ['/api/v3/traces?query.start_time_min=9999-01-01T00:00:00Z', 'query.start_time_min'],
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
