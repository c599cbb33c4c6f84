import { describe, expect, it } from 'vitest';
import { useTelemetry } from './harness.js';
import { LOG_FIELDS, PII_MASK, RESOURCE_ATTRIBUTES, validateLogRecord } from '@pyairtable/conventions';
import { captureLines } from '@pyairtable/test-support';
import { initTelemetry } from '@pyairtable/telemetry';

const harness = useTelemetry({
  serviceName: 'automation-services',
  serviceVersion: '3.1.0',
  serviceTier: 'automation',
  environment: 'staging',
  logLevel: 'DEBUG',
});

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 10));

describe('logger', () => {
  it('writes every record in the contract schema', async () => {
    harness.telemetry.logger.debug('starting');
    harness.telemetry.logger.info(
      { workflowId: 'wf-1', attempt: 2, nested: { deepKey: true }, tags: ['a', 'b'] },
      'running %s',
      'sync',
    );
    harness.telemetry.logger.warn(new Error('slow upstream'));
    harness.telemetry
      .log('audit')
      .info({ event: { action: 'base.shared', outcome: 'success' }, user: { id: 'usr_1' } }, 'base shared');
    harness.telemetry.logger.child({ requestId: 'req-9', tenantId: 't-1' }).info('in child');
    await settle();
    expect(harness.logs.lines).toHaveLength(5);
    for (const line of harness.logs.lines) {
      const result = validateLogRecord(line);
      expect(result.ok ? [] : result.problems, JSON.stringify(line)).toEqual([]);
    }
    const [debug, info, warn, audit, child] = harness.logs.lines;
    expect(debug).toMatchObject({
      log_level: 'DEBUG',
      message: 'starting',
      category: 'application',
      service: { name: 'automation-services', tier: 'automation', version: '3.1.0', environment: 'staging' },
    });
    expect(debug?.[LOG_FIELDS.timestamp]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(info).toMatchObject({
      message: 'running sync',
      attributes: { workflow_id: 'wf-1', attempt: 2, 'nested.deep_key': true, tags: '["a","b"]' },
    });
    expect(warn).toMatchObject({
      log_level: 'WARN',
      message: 'slow upstream',
      error: { type: 'Error', message: 'slow upstream' },
    });
    expect(audit).toMatchObject({ category: 'audit', event: { action: 'base.shared' } });
    expect(child).toMatchObject({ context: { request_id: 'req-9', tenant_id: 't-1' }, message: 'in child' });
  });

  it('fills trace ids inside a span and leaves them out elsewhere', async () => {
    let ids: { traceId: string; spanId: string } | undefined;
    await harness.telemetry.traceAsync('work', () => {
      ids = harness.telemetry.currentTraceIds();
      harness.telemetry.logger.info('inside');
    });
    harness.telemetry.logger.info('outside');
    await settle();
    expect(harness.logs.lines[0]).toMatchObject({ trace: { id: ids?.traceId, span_id: ids?.spanId } });
    expect(harness.logs.lines[1]).not.toHaveProperty('trace');
  });

  it('masks PII in messages, fields and child bindings before writing', async () => {
    harness.telemetry.logger
      .child({ email: 'bound@example.com' })
      .info(
        { password: 'hunter2', customer: { phone: '+44 20 7946 0958' }, card: '4111 1111 1111 1111' },
        'signup by jane@example.com with Bearer abcdefghijklmnopqrstuvwxyz',
      );
    await settle();
    const raw = harness.logs.raw.join('\n');
    for (const secret of [
      'bound@example.com',
      'hunter2',
      '7946',
      '4111',
      'jane@example.com',
      'abcdefghijklmnop',
    ])
      expect(raw).not.toContain(secret);
    expect(harness.logs.lines[0]).toMatchObject({
      message: `signup by ${PII_MASK} with ${PII_MASK}`,
      context: { email: PII_MASK },
      attributes: { password: PII_MASK, 'customer.phone': PII_MASK, card: PII_MASK },
    });
  });

  it('never throws into the caller, and still writes a valid record', async () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic['self'] = cyclic;
    const hostile = {
      get boom(): string {
        throw new Error('getter exploded');
      },
    };
    expect(() => {
      harness.telemetry.logger.info({ when: new Date('not a date') }, 'bad date');
      harness.telemetry.logger.info({ user: cyclic }, 'cycle');
      harness.telemetry.logger.info(hostile, 'hostile');
      harness.telemetry.logger.child(hostile).info('hostile child');
    }).not.toThrow();
    await settle();
    expect(harness.logs.lines.length).toBeGreaterThanOrEqual(4);
    for (const line of harness.logs.lines) {
      const result = validateLogRecord(line);
      expect(result.ok ? [] : result.problems, JSON.stringify(line)).toEqual([]);
    }
    expect(harness.logs.lines[0]).toMatchObject({ attributes: { when: 'Invalid Date' } });
  });

  it('always writes a message, masked however it was given', async () => {
    harness.telemetry.logger.error(new Error('failed for ann@example.com'));
    harness.telemetry.logger.error({ err: new Error('again ann@example.com') });
    harness.telemetry.logger.info(
      '%o and %d',
      { password: 'hunter2', mail: 'ann@example.com' },
      4111111111111111,
    );
    harness.telemetry.logger.info({ requestId: 'r1' });
    harness.telemetry.logger.info({ message: 'lifted ann@example.com', attempt: 1 });
    await settle();
    expect(harness.logs.raw.join('\n')).not.toContain('ann@example.com');
    expect(harness.logs.raw.join('\n')).not.toContain('4111111111111111');
    expect(harness.logs.lines.map((line) => line['message'])).toEqual([
      `failed for ${PII_MASK}`,
      `again ${PII_MASK}`,
      expect.not.stringContaining('hunter2') as string,
      '',
      `lifted ${PII_MASK}`,
    ]);
    for (const line of harness.logs.lines) expect(validateLogRecord(line).ok).toBe(true);
  });

  it('moves ill-shaped contract parts under attributes instead of writing an invalid record', async () => {
    harness.telemetry.logger.info(
      {
        user: 'bob',
        event: 'signup',
        service: 'other',
        error: null,
        attributes: { Nested: { a: 1 } },
        123: 'x',
      },
      'shapes',
    );
    harness.telemetry.logger.child({ requestId: 'r1' }).child({ jobId: 'j2' }).info('nested');
    await settle();
    const [shapes, nested] = harness.logs.lines;
    for (const line of harness.logs.lines) {
      const result = validateLogRecord(line);
      expect(result.ok ? [] : result.problems, JSON.stringify(line)).toEqual([]);
    }
    expect(shapes).toMatchObject({
      service: { name: 'automation-services' },
      attributes: { user: 'bob', event: 'signup', service: 'other', 'nested.a': 1, n123: 'x' },
    });
    expect(nested).toMatchObject({ context: { request_id: 'r1', job_id: 'j2' } });
    expect(harness.logs.raw[1]?.match(/"context"/g)).toHaveLength(1);
  });

  it('respects the level', async () => {
    harness.telemetry.logger.trace('too detailed');
    await settle();
    expect(harness.logs.lines).toHaveLength(0);
  });
});

describe('OTLP log export', () => {
  it('is off by default', async () => {
    harness.telemetry.logger.info('only on stdout');
    await harness.telemetry.forceFlush();
    expect(harness.receiver.logs).toHaveLength(0);
  });

  it('sends the same records, masked and correlated, when turned on', async () => {
    await harness.telemetry.shutdown();
    const lines = captureLines();
    harness.telemetry = initTelemetry({
      serviceName: 'automation-services',
      serviceTier: 'automation',
      otlpEndpoint: harness.receiver.url,
      otlpProtocol: 'http/json',
      exportLogs: true,
      logDestination: lines.stream,
      runtimeMetrics: false,
    });
    let traceId = '';
    await harness.telemetry.traceAsync('job', () => {
      traceId = harness.telemetry.currentTraceIds()?.traceId ?? '';
      harness.telemetry
        .log('audit')
        .warn({ event: { action: 'base.deleted', outcome: 'success' } }, 'deleted by ann@example.com');
    });
    await harness.telemetry.forceFlush();
    const [record] = await harness.receiver.waitForLogs(1);
    expect(record).toMatchObject({
      body: `deleted by ${PII_MASK}`,
      severityText: 'WARN',
      traceId,
      attributes: {
        [LOG_FIELDS.category]: 'audit',
        [LOG_FIELDS.eventAction]: 'base.deleted',
        [LOG_FIELDS.serviceName]: 'automation-services',
      },
      resource: { [RESOURCE_ATTRIBUTES.serviceName]: 'automation-services' },
    });
    expect(lines.lines).toHaveLength(1);
  });
});
