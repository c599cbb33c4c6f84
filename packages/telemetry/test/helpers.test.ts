/** The business helpers: spans, metrics and log records they produce. */
import { describe, expect, it } from 'vitest';
import { useTelemetry } from './harness.js';
import {
  METRICS,
  METRIC_LABELS as L,
  SPAN_ATTRIBUTES as A,
  validateLogRecord,
} from '@pyairtable/conventions';
import { sampleValue } from '@pyairtable/test-support';

const harness = useTelemetry({
  serviceName: 'automation-services',
  serviceTier: 'automation',
  apiKeyHmacSecret: 'helpers-secret-0123456789',
});

const exposition = async (): Promise<string> => (await harness.telemetry.metrics.render()).body;

describe('helpers', () => {
  it('runWorkflow counts executions by final status and traces each run', async () => {
    await harness.telemetry.runWorkflow('sync-base', () => 'ok');
    await expect(
      harness.telemetry.runWorkflow('sync-base', () => {
        throw new Error('upstream 500');
      }),
    ).rejects.toThrow('upstream 500');
    await expect(
      harness.telemetry.runWorkflow(
        'import-csv',
        () => Promise.reject(new Error('deadline')),
        () => 'timeout',
      ),
    ).rejects.toThrow('deadline');
    const text = await exposition();
    for (const [workflow, status] of [
      ['sync-base', 'success'],
      ['sync-base', 'failure'],
      ['import-csv', 'timeout'],
    ])
      expect(
        sampleValue(text, METRICS.workflowExecutions.name, {
          [L.workflowName.name]: workflow!,
          [L.workflowStatus.name]: status!,
        }),
        `${workflow!} ${status!}`,
      ).toBe(1);
    await harness.telemetry.forceFlush();
    const spans = harness.receiver.spans.filter((span) => span.name.startsWith('workflow '));
    expect(spans.map((span) => [span.name, span.status.code ?? 0])).toEqual([
      ['workflow sync-base', 0],
      ['workflow sync-base', 2],
      ['workflow import-csv', 2],
    ]);
    expect(spans[0]?.attributes[A.workflowName]).toBe('sync-base');
  });

  it('timeDbOperation records a client span and the duration, errors included', async () => {
    await harness.telemetry.timeDbOperation('postgresql', 'SELECT', async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    await expect(
      harness.telemetry.timeDbOperation('redis', 'GET', () => {
        throw new TypeError('connection reset');
      }),
    ).rejects.toThrow('connection reset');
    const text = await exposition();
    const count = `${METRICS.dbClientOperationDuration.name}_count`;
    const db = (system: string, operation: string, errorType: string): Record<string, string> => ({
      [L.dbSystemName.name]: system,
      [L.dbOperationName.name]: operation,
      [L.errorType.name]: errorType,
    });
    expect(sampleValue(text, count, db('postgresql', 'SELECT', ''))).toBe(1);
    expect(sampleValue(text, count, db('redis', 'GET', 'TypeError'))).toBe(1);
    await harness.telemetry.forceFlush();
    const select = harness.receiver.spans.find((span) => span.name === 'SELECT postgresql');
    expect(select?.kind).toBe(3);
    expect(select?.attributes).toMatchObject({
      [A.dbSystemName]: 'postgresql',
      [A.dbOperationName]: 'SELECT',
    });
  });

  it('recordAuthEvent counts, annotates the span and writes a security record', async () => {
    await harness.telemetry.traceAsync('login', () => {
      harness.telemetry.recordAuthEvent({
        event: 'login',
        result: 'failure',
        reason: 'invalid_credentials',
        userId: 'usr_9',
      });
      harness.telemetry.recordAuthEvent({
        event: 'login',
        result: 'success',
        method: 'sso',
        userId: 'usr_9',
      });
    });
    const text = await exposition();
    expect(
      sampleValue(text, METRICS.authEvents.name, {
        [L.authResult.name]: 'failure',
        [L.authReason.name]: 'invalid_credentials',
      }),
    ).toBe(1);
    expect(sampleValue(text, METRICS.userLogins.name, { [L.authMethod.name]: 'sso' })).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const security = harness.logs.lines.filter((line) => line['category'] === 'security');
    expect(security).toHaveLength(2);
    for (const line of security) expect(validateLogRecord(line).ok).toBe(true);
    expect(security[0]).toMatchObject({
      log_level: 'WARN',
      event: { action: 'auth.login', outcome: 'failure', reason: 'invalid_credentials' },
      user: { id: 'usr_9' },
    });
    await harness.telemetry.forceFlush();
    const span = harness.receiver.spans.find((candidate) => candidate.name === 'login');
    expect(span?.events.filter((event) => event.name === 'auth')).toHaveLength(2);
  });

  it('addBusinessAttributes hashes the API key with the configured secret, never keeping it', async () => {
    await harness.telemetry.traceAsync('call', (span) => {
      harness.telemetry.addBusinessAttributes(span, {
        userId: 'usr_1',
        tenantId: 't-1',
        apiKey: 'pk_live_abcdef',
        costCenter: 'ai-ml',
      });
    });
    await harness.telemetry.forceFlush();
    const span = harness.receiver.spans.find((candidate) => candidate.name === 'call');
    expect(span?.attributes).toMatchObject({
      [A.userId]: 'usr_1',
      [A.tenantId]: 't-1',
      [A.costCenter]: 'ai-ml',
      [A.apiKeyHash]: harness.telemetry.hashApiKey('pk_live_abcdef'),
    });
    expect(harness.telemetry.hashApiKey('pk_live_abcdef')).toMatch(/^[0-9a-f]{64}$/);
    expect(harness.telemetry.hashApiKey('pk_live_abcdef')).not.toContain('abcdef');
    expect(JSON.stringify(harness.receiver.spans)).not.toContain('pk_live');
  });

  it('recordAiUsage sets the gen_ai attributes and the computed cost on the active span', async () => {
    await harness.telemetry.traceAsync('chat', () => {
      harness.telemetry.recordAiUsage({
        provider: 'anthropic',
        model: 'claude-sonnet-4-5-20250929',
        inputTokens: 2000,
        outputTokens: 1000,
      });
    });
    await harness.telemetry.forceFlush();
    const span = harness.receiver.spans.find((candidate) => candidate.name === 'chat');
    expect(span?.attributes).toMatchObject({
      [A.genAiProviderName]: 'anthropic',
      [A.genAiRequestModel]: 'claude-sonnet-4-5-20250929',
      [A.genAiUsageInputTokens]: 2000,
      [A.genAiUsageOutputTokens]: 1000,
      [A.genAiCostSource]: 'price_table',
    });
    // $3 per million input, $15 per million output.
    expect(span?.attributes[A.genAiCostUsd]).toBeCloseTo((2000 * 3 + 1000 * 15) / 1e6, 12);
  });
});
