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
