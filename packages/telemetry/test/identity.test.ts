/**
 * One process, one identity: the resource built once in `initTelemetry` is the one on every
 * exported span and log record, and the logger's `service` fields and the metrics' identity
 * labels say the same. A service without a name is `unknown_service` (the OpenTelemetry
 * resource conventions' form) in the SDK and in the hub alike.
 */
import { describe, expect, it } from 'vitest';
import {
  IDENTITY_LABELS,
  LOG_FIELDS,
  METRICS,
  RESOURCE_ATTRIBUTES,
  UNKNOWN_SERVICE_NAME,
} from '@pyairtable/conventions';
import { logsFromRequest, spansFromRequest } from '@pyairtable/hub';
import { captureLines, parseExposition, startOtlpReceiver } from '@pyairtable/test-support';
import { initTelemetry, resolveConfig, setWarningSink } from '@pyairtable/telemetry';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The OpenTelemetry resource conventions' `service.name` when none is given. */
const SPEC_UNKNOWN_SERVICE = 'unknown_service';

describe('service identity', () => {
  it('exports spans and log records with the same resource, and one service.instance.id', async () => {
    const receiver = await startOtlpReceiver();
    const lines = captureLines();
    const telemetry = initTelemetry({
      serviceName: 'billing',
      serviceVersion: '2.4.1',
      serviceTier: 'platform',
      environment: 'staging',
      otlpEndpoint: receiver.url,
      otlpProtocol: 'http/json',
      exportTraces: true,
      exportLogs: true,
      logDestination: lines.stream,
      runtimeMetrics: false,
    });
    try {
      await telemetry.traceAsync('invoice', () => {
        telemetry.logger.info('invoiced');
      });
      await telemetry.forceFlush();
      const [span] = await receiver.waitForSpans(1);
      const [log] = await receiver.waitForLogs(1);
      const instanceId = span?.resource[RESOURCE_ATTRIBUTES.serviceInstanceId];
      expect(instanceId).toMatch(UUID);
      expect(log?.resource[RESOURCE_ATTRIBUTES.serviceInstanceId]).toBe(instanceId);
      expect(log?.resource).toEqual(span?.resource);

      // The logger and the metrics carry the same identity as the resource.
      const resource = span?.resource ?? {};
      expect(lines.lines[0]?.['service']).toEqual({
        name: resource[RESOURCE_ATTRIBUTES.serviceName],
        tier: resource[RESOURCE_ATTRIBUTES.serviceTier],
        version: resource[RESOURCE_ATTRIBUTES.serviceVersion],
        environment: resource[RESOURCE_ATTRIBUTES.deploymentEnvironment],
      });
      telemetry.recordCacheLookup('records', true);
      const sample = parseExposition((await telemetry.metrics.render()).body).samples.find(
        (candidate) => candidate.name === METRICS.cacheLookups.name,
      );
      expect(sample?.labels).toMatchObject({
        [IDENTITY_LABELS.service]: resource[RESOURCE_ATTRIBUTES.serviceName],
        [IDENTITY_LABELS.tier]: resource[RESOURCE_ATTRIBUTES.serviceTier],
        [IDENTITY_LABELS.version]: resource[RESOURCE_ATTRIBUTES.serviceVersion],
      });
    } finally {
      await telemetry.shutdown();
      await receiver.close();
    }
  });
});

describe('a service without a name', () => {
  const anonymousSpan = {
    resourceSpans: [
      {
        resource: { attributes: [] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: '0af7651916cd43dd8448eb211c80319c',
                spanId: 'b7ad6b7169203331',
                name: 'GET /',
                startTimeUnixNano: '1700000000000000000',
                endTimeUnixNano: '1700000000100000000',
              },
            ],
          },
        ],
      },
    ],
  };
  const anonymousLog = {
    resourceLogs: [
      {
        resource: { attributes: [] },
        scopeLogs: [
          {
            logRecords: [
              {
                timeUnixNano: '1700000000000000000',
                severityText: 'INFO',
                body: { stringValue: 'hello' },
                attributes: [{ key: LOG_FIELDS.serviceTier, value: { stringValue: 'application' } }],
              },
            ],
          },
        ],
      },
    ],
  };

  it('is unknown_service, the OpenTelemetry form, in the SDK, the contract and the hub', () => {
    const warnings: string[] = [];
    const restore = setWarningSink((message) => warnings.push(message));
    let sdk: string;
    try {
      sdk = resolveConfig({}, {}).serviceName;
    } finally {
      restore();
    }
    expect(sdk).toBe(SPEC_UNKNOWN_SERVICE);
    expect(warnings.join('\n')).toContain(`using ${sdk}`);
    expect(UNKNOWN_SERVICE_NAME).toBe(SPEC_UNKNOWN_SERVICE);

    const { spans } = spansFromRequest(anonymousSpan, RESOURCE_ATTRIBUTES.serviceName);
    expect(spans.map((span) => span.serviceName)).toEqual([sdk]);
    const { records, rejectReason } = logsFromRequest(anonymousLog);
    expect(rejectReason).toBeUndefined();
    expect(records.map((record) => record.service.name)).toEqual([sdk]);
  });
});
