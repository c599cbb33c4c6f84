import { describe, expect, it } from 'vitest';
import { LOG_FIELDS, formatProblems, logRecordJsonSchema, validateLogRecord } from '@pyairtable/conventions';

/**
 * The spec's example record, verbatim except for its elided ids ("abc123...", "def456..."),
 * which are replaced by real W3C ids of the same fields.
 */
const SPEC_EXAMPLE = {
  '@timestamp': '2024-01-15T10:30:00.000Z',
  service: { name: 'api-gateway', tier: 'gateway' },
  log_level: 'INFO',
  message: 'Request processed',
  trace: { id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' },
  http: { method: 'GET', status_code: 200, response_time_ms: 45 },
  cost: { center: 'gateway', weight: 2 },
};

function problemsOf(input: unknown): Record<string, string> {
  const result = validateLogRecord(input);
  if (result.ok) return {};
  return Object.fromEntries(result.problems.map((problem) => [problem.path, problem.message]));
}

describe('log record schema', () => {
  it("accepts the spec's example and files it as an application record", () => {
    const result = validateLogRecord(SPEC_EXAMPLE);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.value.category).toBe('application');
  });

  it('accepts a full access record with every optional part', () => {
    const record = {
      ...SPEC_EXAMPLE,
      category: 'access',
      service: { name: 'api-gateway', tier: 'gateway', version: '1.4.2', environment: 'production' },
      http: { method: 'POST', route: '/api/bases/:baseId', status_code: 201, response_time_ms: 12.5 },
      user: { id: 'usr_42' },
      tenant: { id: 'tenant-7' },
      api_key: { hash: 'a'.repeat(64) },
      attributes: { 'workflow.name': 'sync', retries: 2, cached: false },
    };
    expect(problemsOf(record)).toEqual({});
  });

  it('reports every problem at once, each with the path of its field', () => {
    const problems = problemsOf({
      ...SPEC_EXAMPLE,
      '@timestamp': '15/01/2024 10:30',
      service: { name: 'API Gateway', tier: 'edge' },
      log_level: 'info',
      trace: { id: 'abc123...', span_id: 'def456...' },
      http: { method: 'GET', status_code: 200.5, response_time_ms: -1 },
      cost: { center: 'gateway', weight: '2' },
    });
    expect(Object.keys(problems).sort()).toEqual([
      '@timestamp',
      'cost.weight',
      'http.response_time_ms',
      'http.status_code',
      'log_level',
      'service.name',
      'service.tier',
      'trace.id',
      'trace.span_id',
    ]);
    expect(problems['trace.id']).toContain('32 lower-case hex');
    expect(problems['@timestamp']).toContain('ISO 8601');
  });

  it('names missing required fields', () => {
    expect(Object.keys(problemsOf({ message: 'x' })).sort()).toEqual(['@timestamp', 'log_level', 'service']);
  });

  it('names each unknown field by its path', () => {
    const problems = problemsOf({
      ...SPEC_EXAMPLE,
      level: 'INFO',
      http: { ...SPEC_EXAMPLE.http, path: '/x' },
    });
    expect(problems).toEqual({
      level: 'is not a known field',
      'http.path': 'is not a known field',
    });
  });

  it('rejects a non-object', () => {
    expect(problemsOf('INFO hello')).toHaveProperty(['(root)']);
    expect(problemsOf(null)).toHaveProperty(['(root)']);
  });

  it('requires the HTTP outcome on access records', () => {
    expect(problemsOf({ ...SPEC_EXAMPLE, category: 'access', http: { method: 'GET' } })).toEqual({
      'http.status_code': expect.stringContaining('access records') as string,
      'http.response_time_ms': expect.stringContaining('access records') as string,
    });
    const { http: _http, ...withoutHttp } = SPEC_EXAMPLE;
    expect(Object.keys(problemsOf({ ...withoutHttp, category: 'access' }))).toContain('http.method');
  });

  it('requires an event on security and audit records', () => {
    for (const category of ['security', 'audit']) {
      expect(problemsOf({ ...SPEC_EXAMPLE, category })).toHaveProperty(['event']);
      expect(
        problemsOf({
          ...SPEC_EXAMPLE,
          category,
          event: { action: 'user.login', outcome: 'failure', reason: 'invalid_credentials' },
        }),
      ).toEqual({});
    }
  });

  it('logs error records at ERROR or FATAL', () => {
    expect(problemsOf({ ...SPEC_EXAMPLE, category: 'error' })).toHaveProperty(['log_level']);
    expect(
      problemsOf({
        ...SPEC_EXAMPLE,
        category: 'error',
        log_level: 'ERROR',
        error: { type: 'TypeError', message: 'x' },
      }),
    ).toEqual({});
  });

  it('rejects the all-zero W3C ids', () => {
    const problems = problemsOf({ ...SPEC_EXAMPLE, trace: { id: '0'.repeat(32), span_id: '0'.repeat(16) } });
    expect(Object.keys(problems).sort()).toEqual(['trace.id', 'trace.span_id']);
  });

  it('formats problems one per line', () => {
    const result = validateLogRecord({ ...SPEC_EXAMPLE, log_level: 'LOUD' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(formatProblems(result.problems)).toMatch(/^ {2}- log_level: /);
  });
});

describe('field paths and JSON Schema', () => {
  it('names fields that exist in the schema', () => {
    const schema = logRecordJsonSchema() as {
      properties: Record<string, { properties?: Record<string, unknown> }>;
    };
    for (const field of Object.values(LOG_FIELDS)) {
      const [head = '', ...rest] = field.split('.');
      expect(schema.properties, field).toHaveProperty([head]);
      if (rest.length > 0)
        expect(schema.properties[head]?.properties, field).toHaveProperty([rest.join('.')]);
    }
  });

  it('exports the required fields and closes objects to unknown keys', () => {
    const schema = logRecordJsonSchema() as { required: string[]; additionalProperties: unknown };
    expect(schema.required.sort()).toEqual(['@timestamp', 'log_level', 'message', 'service']);
    expect(schema.additionalProperties).toBe(false);
  });
});
