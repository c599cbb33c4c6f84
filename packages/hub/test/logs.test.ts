/**
 * Logs the way a service writes them: our SDK's stdout lines (the contract's schema) sent to
 * the hub's JSON-lines endpoint, validated line by line, masked, searchable, and kept for their
 * category's retention.
 */
import { FREE_PORTS } from './harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_FIELDS, LOG_RETENTION, PII_MASK, RESOURCE_ATTRIBUTES } from '@pyairtable/conventions';
import { captureLines, plainFetch, sampleValue, tempDir } from '@pyairtable/test-support';
import { initTelemetry } from '@pyairtable/telemetry';
import type { Hub } from '@pyairtable/hub';
import { LOG_LINES_PATH, startHub } from '@pyairtable/hub';
import { useHub } from './harness.js';

const DAY_MS = 86_400_000;

describe('hub logs', () => {
  const dir = tempDir('hub-logs');
  let hub: Hub;
  const nowMs = Date.now();
  let traceId = '';
  beforeAll(async () => {
    hub = await startHub({ dataDir: dir.path, ...FREE_PORTS, now: () => nowMs });
    const capture = captureLines();
    const telemetry = initTelemetry({
      serviceName: 'billing',
      exportTraces: false,
      logDestination: capture.stream,
      runtimeMetrics: false,
    });
    await telemetry.traceAsync('charge', (span) => {
      traceId = span.spanContext().traceId;
      telemetry.logger.info({ attributes: { invoice: 'inv-42' } }, 'charged card for ann@example.com');
      telemetry
        .log('security')
        .warn(
          { event: { action: 'user.login', outcome: 'failure', reason: 'bad password' } },
          'login refused',
        );
    });
    telemetry.logger.error('payment gateway timeout');
    await telemetry.shutdown();
    const body = `${capture.raw.join('\n')}\n{"not":"a record"}\nnot json\n`;
    const response = await plainFetch(`${hub.otlpHttpUrl}${LOG_LINES_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as {
      stored: number;
      rejected: number;
      errors: { line: number; message: string }[];
    };
    expect(answer.stored).toBe(3);
    expect(answer.rejected).toBe(2);
    expect(answer.errors.map((error) => error.line)).toEqual([4, 5]);
    expect(answer.errors[1]?.message).toBe('not JSON');
  });
  afterAll(async () => {
    await hub.close();
    dir.cleanup();
  });

  const search = async (query: string): Promise<Record<string, unknown>[]> =>
    (
      (await (await plainFetch(`${hub.queryUrl}/api/logs?${query}`)).json()) as {
        logs: Record<string, unknown>[];
      }
    ).logs;
  const messages = async (query: string): Promise<string[]> =>
    (await search(query)).map((record) => String(record[LOG_FIELDS.message])).sort();

  it('finds records by service, level, category, trace id and text, newest first', async () => {
    expect(await messages('service=billing')).toHaveLength(3);
    expect(await messages('level=error')).toEqual(['payment gateway timeout']);
    expect(await messages('category=security')).toEqual(['login refused']);
    expect(await messages(`trace_id=${traceId}`)).toEqual([`charged card for ${PII_MASK}`, 'login refused']);
    expect(await messages('q=inv-42')).toEqual([`charged card for ${PII_MASK}`]);
    expect(await messages('q=gateway%20TIMEOUT')).toEqual(['payment gateway timeout']);
    expect(await messages('service=nobody')).toEqual([]);
    expect((await plainFetch(`${hub.queryUrl}/api/logs?limit=many`)).status).toBe(400);
  });

  it('counts the bytes it stores by category, each record as the JSON it keeps', async () => {
    const metrics = await (await plainFetch(`${hub.queryUrl}/metrics`)).text();
    const bytesOf = async (category: string): Promise<number> =>
      (await search(`category=${category}`)).reduce(
        (sum, record) => sum + Buffer.byteLength(JSON.stringify(record)),
        0,
      );
    const counted = (category: string): number | undefined =>
      sampleValue(metrics, 'pyairtable_hub_log_bytes_stored_total', { category });
    expect(counted('application')).toBe(await bytesOf('application'));
    expect(counted('security')).toBe(await bytesOf('security'));
    expect(await bytesOf('application')).toBeGreaterThan(200);
    expect(counted('audit')).toBe(0);
  });

  it('stores what the contract says, PII masked', async () => {
    const all = await search('service=billing');
    expect(JSON.stringify(all)).not.toContain('ann@example.com');
  });

  it('keeps each category for its own retention', async () => {
    const record = (category: string, ageDays: number, message: string): string =>
      JSON.stringify({
        [LOG_FIELDS.timestamp]: new Date(nowMs - ageDays * DAY_MS).toISOString(),
        service: { name: 'aged', tier: 'application' },
        log_level: 'INFO',
        message,
        category,
        ...(category === 'security' ? { event: { action: 'user.login', outcome: 'success' } } : {}),
      });
    const security = LOG_RETENTION.security.deleteAfterDays;
    const application = LOG_RETENTION.application.deleteAfterDays;
    const lines = [
      record('security', security - 1, 'security inside'),
      record('security', security + 1, 'security outside'),
      record('application', application - 1, 'application inside'),
      record('application', application + 1, 'application outside'),
    ];
    const response = await plainFetch(`${hub.otlpHttpUrl}${LOG_LINES_PATH}`, {
      method: 'POST',
      body: lines.join('\n'),
    });
    expect(((await response.json()) as { stored: number }).stored).toBe(4);
    await hub.enforceRetention();
    expect(await messages('service=aged')).toEqual(['application inside', 'security inside']);
  });
});

describe('hub logs over OTLP', () => {
  const harness = useHub('hub-otlp-logs');

  it.each(['http/protobuf', 'http/json'] as const)(
    'receives our SDK’s OTLP log export (%s) as the same records it writes on stdout',
    async (protocol) => {
      const capture = captureLines();
      const telemetry = initTelemetry({
        serviceName: `exporter-${protocol.replace('/', '-')}`,
        otlpEndpoint: harness.hub.otlpHttpUrl,
        otlpProtocol: protocol,
        exportTraces: false,
        exportLogs: true,
        logDestination: capture.stream,
        runtimeMetrics: false,
      });
      await telemetry.traceAsync('job', () => {
        telemetry.logger.warn({ attributes: { batch: 7 } }, 'slow batch for bob@example.com');
      });
      telemetry.log('audit').info({ event: { action: 'record.delete', outcome: 'success' } }, 'deleted');
      await telemetry.shutdown();
      const response = await plainFetch(
        `${harness.hub.queryUrl}/api/logs?service=exporter-${protocol.replace('/', '-')}`,
      );
      const { logs } = (await response.json()) as { logs: Record<string, unknown>[] };
      const byMessage = (records: Record<string, unknown>[]): Record<string, unknown>[] =>
        [...records].sort((a, b) =>
          String(a[LOG_FIELDS.message]).localeCompare(String(b[LOG_FIELDS.message])),
        );
      expect(byMessage(logs)).toEqual(byMessage(capture.lines));
      expect(JSON.stringify(logs)).not.toContain('bob@example.com');
    },
  );

  it('rejects a record that is not the contract’s alone, as a partial success', async () => {
    const response = await plainFetch(`${harness.hub.otlpHttpUrl}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceLogs: [
          {
            resource: {
              attributes: [{ key: RESOURCE_ATTRIBUTES.serviceName, value: { stringValue: 'Bad Name' } }],
            },
            scopeLogs: [
              {
                logRecords: [
                  { timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), body: { stringValue: 'x' } },
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      partialSuccess: { rejectedLogRecords: string; errorMessage: string };
    };
    expect(body.partialSuccess.rejectedLogRecords).toBe('1');
    expect(body.partialSuccess.errorMessage).toContain(LOG_FIELDS.serviceName);
  });
});
