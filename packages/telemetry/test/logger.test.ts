import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOG_FIELDS, PII_MASK, RESOURCE_ATTRIBUTES, validateLogRecord } from '@pyairtable/conventions';
import type { LineCapture, OtlpReceiver } from '@pyairtable/test-support';
import { captureLines, startOtlpReceiver } from '@pyairtable/test-support';
import type { Telemetry } from '@pyairtable/telemetry';
import { initTelemetry } from '@pyairtable/telemetry';

let logs: LineCapture;
let receiver: OtlpReceiver;
let telemetry: Telemetry;

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 10));

beforeEach(async () => {
  logs = captureLines();
  receiver = await startOtlpReceiver();
  telemetry = initTelemetry({
    serviceName: 'automation-services',
    serviceVersion: '3.1.0',
    serviceTier: 'automation',
    environment: 'staging',
    logLevel: 'DEBUG',
    otlpEndpoint: receiver.url,
    otlpProtocol: 'http/json',
    logDestination: logs.stream,
    runtimeMetrics: false,
  });
});

afterEach(async () => {
  await telemetry.shutdown();
  await receiver.close();
});

describe('logger', () => {
  it('writes every record in the contract schema', async () => {
    telemetry.logger.debug('starting');
    telemetry.logger.info(
      { workflowId: 'wf-1', attempt: 2, nested: { deepKey: true }, tags: ['a', 'b'] },
      'running %s',
      'sync',
    );
    telemetry.logger.warn(new Error('slow upstream'));
    telemetry
      .log('audit')
      .info({ event: { action: 'base.shared', outcome: 'success' }, user: { id: 'usr_1' } }, 'base shared');
    telemetry.logger.child({ requestId: 'req-9', tenantId: 't-1' }).info('in child');
    await settle();
    expect(logs.lines).toHaveLength(5);
    for (const line of logs.lines) {
      const result = validateLogRecord(line);
      expect(result.ok ? [] : result.problems, JSON.stringify(line)).toEqual([]);
    }
    const [debug, info, warn, audit, child] = logs.lines;
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
    await telemetry.traceAsync('work', () => {
      ids = telemetry.currentTraceIds();
      telemetry.logger.info('inside');
    });
    telemetry.logger.info('outside');
    await settle();
    expect(logs.lines[0]).toMatchObject({ trace: { id: ids?.traceId, span_id: ids?.spanId } });
    expect(logs.lines[1]).not.toHaveProperty('trace');
  });

  it('masks PII in messages, fields and child bindings before writing', async () => {
    telemetry.logger
      .child({ email: 'bound@example.com' })
      .info(
        { password: 'hunter2', customer: { phone: '+44 20 7946 0958' }, card: '4111 1111 1111 1111' },
        'signup by jane@example.com with Bearer abcdefghijklmnopqrstuvwxyz',
      );
    await settle();
    const raw = logs.raw.join('\n');
    for (const secret of [
      'bound@example.com',
      'hunter2',
      '7946',
      '4111',
      'jane@example.com',
      'abcdefghijklmnop',
    ])
      expect(raw).not.toContain(secret);
    expect(logs.lines[0]).toMatchObject({
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
      telemetry.logger.info({ when: new Date('not a date') }, 'bad date');
      telemetry.logger.info({ user: cyclic }, 'cycle');
      telemetry.logger.info(hostile, 'hostile');
      telemetry.logger.child(hostile).info('hostile child');
    }).not.toThrow();
    await settle();
    expect(logs.lines.length).toBeGreaterThanOrEqual(4);
    for (const line of logs.lines) {
      const result = validateLogRecord(line);
      expect(result.ok ? [] : result.problems, JSON.stringify(line)).toEqual([]);
    }
    expect(logs.lines[0]).toMatchObject({ attributes: { when: 'Invalid Date' } });
  });

  it('always writes a message, masked however it was given', async () => {
    telemetry.logger.error(new Error('failed for ann@example.com'));
    telemetry.logger.error({ err: new Error('again ann@example.com') });
    telemetry.logger.info('%o and %d', { password: 'hunter2', mail: 'ann@example.com' }, 4111111111111111);
    telemetry.logger.info({ requestId: 'r1' });
    telemetry.logger.info({ message: 'lifted ann@example.com', attempt: 1 });
    await settle();
    expect(logs.raw.join('\n')).not.toContain('ann@example.com');
    expect(logs.raw.join('\n')).not.toContain('4111111111111111');
    expect(logs.lines.map((line) => line['message'])).toEqual([
      `failed for ${PII_MASK}`,
      `again ${PII_MASK}`,
      expect.not.stringContaining('hunter2') as string,
      '',
      `lifted ${PII_MASK}`,
    ]);
    for (const line of logs.lines) expect(validateLogRecord(line).ok).toBe(true);
  });

  it('moves ill-shaped contract parts under attributes instead of writing an invalid record', async () => {
    telemetry.logger.info(
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
    telemetry.logger.child({ requestId: 'r1' }).child({ jobId: 'j2' }).info('nested');
    await settle();
    const [shapes, nested] = logs.lines;
    for (const line of logs.lines) {
      const result = validateLogRecord(line);
      expect(result.ok ? [] : result.problems, JSON.stringify(line)).toEqual([]);
    }
    expect(shapes).toMatchObject({
      service: { name: 'automation-services' },
      attributes: { user: 'bob', event: 'signup', service: 'other', 'nested.a': 1, n123: 'x' },
    });
    expect(nested).toMatchObject({ context: { request_id: 'r1', job_id: 'j2' } });
    expect(logs.raw[1]?.match(/"context"/g)).toHaveLength(1);
  });

  it('respects the level', async () => {
    telemetry.logger.trace('too detailed');
    await settle();
    expect(logs.lines).toHaveLength(0);
  });
});

describe('OTLP log export', () => {
  it('is off by default', async () => {
    telemetry.logger.info('only on stdout');
    await telemetry.forceFlush();
    expect(receiver.logs).toHaveLength(0);
  });

  it('sends the same records, masked and correlated, when turned on', async () => {
    await telemetry.shutdown();
    const lines = captureLines();
    telemetry = initTelemetry({
      serviceName: 'automation-services',
      serviceTier: 'automation',
      otlpEndpoint: receiver.url,
      otlpProtocol: 'http/json',
      exportLogs: true,
      logDestination: lines.stream,
      runtimeMetrics: false,
    });
    let traceId = '';
    await telemetry.traceAsync('job', () => {
      traceId = telemetry.currentTraceIds()?.traceId ?? '';
      telemetry
        .log('audit')
        .warn({ event: { action: 'base.deleted', outcome: 'success' } }, 'deleted by ann@example.com');
    });
    await telemetry.forceFlush();
    const [record] = await receiver.waitForLogs(1);
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
