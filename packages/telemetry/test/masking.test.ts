/**
 * Secrets in free text, through the SDK's public API with the default masker: credentials in
 * URLs, `password=`-style assignments and Airtable legacy API keys are masked in the log line
 * written and in the span exported; span link attributes are masked like span attributes.
 */
import { describe, expect, it } from 'vitest';
import { PII_MASK } from '@pyairtable/conventions';
import { captureLines, startOtlpReceiver } from '@pyairtable/test-support';
import { initTelemetry } from '@pyairtable/telemetry';
import { useTelemetry } from './harness.js';

interface Case {
  readonly name: string;
  readonly text: string;
  readonly secrets: readonly string[];
  readonly masked: string;
}

const CASES: readonly Case[] = [
  {
    name: 'credentials in a URL',
    text: 'connecting to postgres://app:hunter2@db:5432/orders',
    secrets: ['hunter2'],
    masked: `connecting to postgres${PII_MASK}db:5432/orders`,
  },
  {
    name: 'secrets assigned in free text',
    text: 'login failed password=hunter2 secret: s3cr3t-value token=opaque123',
    secrets: ['hunter2', 's3cr3t-value', 'opaque123'],
    masked: `login failed ${PII_MASK} ${PII_MASK} ${PII_MASK}`,
  },
  {
    name: 'an Airtable legacy API key',
    text: 'syncing with keyAbCdEfGh123456 for appXYZ',
    secrets: ['keyAbCdEfGh123456'],
    masked: `syncing with ${PII_MASK} for appXYZ`,
  },
];

describe('free-text secrets (default masker)', () => {
  const harness = useTelemetry();

  it.each(CASES)('masks $name in the log line: message and fields', async ({ text, secrets, masked }) => {
    harness.telemetry.logger.info({ detail: text }, text);
    await harness.telemetry.forceFlush();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(harness.logs.lines).toHaveLength(1);
    expect(harness.logs.lines[0]).toMatchObject({ message: masked, attributes: { detail: masked } });
    for (const secret of secrets) expect(harness.logs.raw.join('\n')).not.toContain(secret);
  });

  it.each(CASES)('masks $name in an exported span attribute', async ({ text, secrets, masked }) => {
    await harness.telemetry.traceAsync('sync', (span) => {
      span.setAttribute('detail', text);
      span.addEvent('note', { detail: text });
    });
    await harness.telemetry.forceFlush();
    const [span] = await harness.receiver.waitForSpans(1);
    expect(span?.attributes['detail']).toBe(masked);
    expect(span?.events[0]?.attributes['detail']).toBe(masked);
    for (const secret of secrets) expect(JSON.stringify(harness.receiver.spans)).not.toContain(secret);
  });
});

describe('span links', () => {
  it('masks link attributes before export, as span attributes are', async () => {
    const receiver = await startOtlpReceiver();
    try {
      // Protobuf: the receiver keeps the body whole, links included.
      const telemetry = initTelemetry({
        serviceName: 'api-gateway',
        otlpEndpoint: receiver.url,
        otlpProtocol: 'http/protobuf',
        logDestination: captureLines().stream,
        runtimeMetrics: false,
      });
      const producer = telemetry.tracer.startSpan('produce');
      producer.end();
      telemetry.tracer
        .startSpan('consume', {
          links: [
            {
              context: producer.spanContext(),
              attributes: {
                'link.note': 'retry after password=hunter2 was refused',
                'link.customer': 'jane@example.com',
                'link.auth_token': 'opaque-link-value',
                'link.relation': 'follows-from',
              },
            },
          ],
        })
        .end();
      await telemetry.shutdown();
      const body = Buffer.concat(
        receiver.protobufBodies.filter((entry) => entry.path === '/v1/traces').map((entry) => entry.body),
      ).toString('latin1');
      expect(body).toContain('consume');
      expect(body).toContain('link.note');
      expect(body).toContain('follows-from');
      expect(body).toContain(`retry after ${PII_MASK} was refused`);
      for (const secret of ['hunter2', 'jane@example.com', 'opaque-link-value'])
        expect(body).not.toContain(secret);
    } finally {
      await receiver.close();
    }
  });
});
