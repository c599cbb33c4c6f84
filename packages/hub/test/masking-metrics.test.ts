/**
 * Metric attributes received over OTLP are masked before they become Prometheus labels, as the
 * rendered production collector's redaction processor masks its metrics pipeline: a label named
 * like a secret is masked whole, other label values are scrubbed by the value rules, and
 * never-masked fields (the API key's hash) are kept.
 */
import { describe, expect, it } from 'vitest';
import { PII_MASK, RESOURCE_ATTRIBUTES, SPAN_ATTRIBUTES, createPiiMasker } from '@pyairtable/conventions';
import { parseExposition, plainFetch, sampleValue } from '@pyairtable/test-support';
import { useHub } from './harness.js';

const HASH = 'f'.repeat(64);
const DSN = 'postgres://app:hunter2@db:5432/x';
/** The API key hash's attribute as the metric translation spells it as a label name. */
const HASH_LABEL = SPAN_ATTRIBUTES.apiKeyHash.replace(/\./g, '_');

const attribute = (key: string, value: string): object => ({ key, value: { stringValue: value } });

/** One cumulative counter point with PII in its attributes, as an OTLP/JSON request. */
function request(service: string): string {
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: [attribute(RESOURCE_ATTRIBUTES.serviceName, service)] },
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'demo.signups',
                unit: '{signup}',
                sum: {
                  isMonotonic: true,
                  aggregationTemporality: 2,
                  dataPoints: [
                    {
                      asInt: '3',
                      timeUnixNano: String(Date.now() * 1_000_000),
                      attributes: [
                        attribute('customer', 'jane@example.com'),
                        attribute('note', 'login failed password=hunter2'),
                        attribute('target', DSN),
                        attribute('airtable', 'keyAbCdEfGh123456'),
                        attribute('api.key', 'plain-looking-value'),
                        attribute(SPAN_ATTRIBUTES.apiKeyHash, HASH),
                        attribute('route', '/api/records'),
                      ],
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  });
}

async function postAndScrape(
  hub: { otlpHttpUrl: string; prometheusUrl: string },
  service: string,
): Promise<string> {
  const response = await plainFetch(`${hub.otlpHttpUrl}/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: request(service),
  });
  expect(response.status).toBe(200);
  return (await plainFetch(`${hub.prometheusUrl}/metrics`)).text();
}

describe('hub metric attributes (PII masking on, the default)', () => {
  const harness = useHub('hub-masking-metrics');

  it('masks label values of OTLP metric points before Prometheus sees them', async () => {
    const text = await postAndScrape(harness.hub, 'masking-metrics');
    const samples = parseExposition(text).samples.filter((sample) => sample.name === 'demo_signups_total');
    expect(samples.map((sample) => sample.labels)).toEqual([
      {
        job: 'masking-metrics',
        customer: PII_MASK,
        note: `login failed ${PII_MASK}`,
        target: createPiiMasker().maskString(DSN),
        airtable: PII_MASK,
        api_key: PII_MASK,
        [HASH_LABEL]: HASH,
        route: '/api/records',
      },
    ]);
    expect(samples[0]?.value).toBe(3);
    for (const secret of ['jane@example.com', 'hunter2', 'keyAbCdEfGh123456', 'plain-looking-value'])
      expect(text).not.toContain(secret);
  });
});

describe('hub metric attributes (maskPii: false)', () => {
  const harness = useHub('hub-masking-metrics-off', { maskPii: false });

  it('keeps label values as sent when masking is turned off', async () => {
    const text = await postAndScrape(harness.hub, 'unmasked-metrics');
    expect(
      sampleValue(text, 'demo_signups_total', {
        job: 'unmasked-metrics',
        customer: 'jane@example.com',
        target: DSN,
        api_key: 'plain-looking-value',
      }),
    ).toBe(3);
  });
});
