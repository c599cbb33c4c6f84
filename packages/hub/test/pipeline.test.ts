/**
 * The hub's pipeline against the contract: tail sampling (errors, slow traces and critical
 * services kept whatever the probabilistic rate; the probabilistic share within tolerance;
 * dropped traces deleted and counted), and PII masked before anything is written.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SamplingPolicy } from '@pyairtable/conventions';
import {
  CRITICAL_SERVICES,
  PII_MASK,
  RESOURCE_ATTRIBUTES,
  SAMPLING_POLICIES,
  createPiiMasker,
  inProbabilisticShare,
} from '@pyairtable/conventions';
import { POSITIVES, SENSITIVE_KEYS, plainFetch, sampleValue } from '@pyairtable/test-support';
import type { SpanRecord } from '@pyairtable/hub';
import { SpanStore, TailSampler } from '@pyairtable/hub';
import { useHub } from './harness.js';

const production = SAMPLING_POLICIES.production;
let counter = 0;
/** A trace id inside (or outside) the probabilistic share of `percent`. */
function traceId(inShare: boolean, percent = production.probabilisticPercent): string {
  for (;;) {
    counter++;
    const id = counter.toString(16).padStart(8, '0').repeat(4);
    if (inProbabilisticShare(id, percent) === inShare) return id;
  }
}

const span = (
  id: string,
  service: string,
  options: { error?: boolean; durationMs?: number } = {},
): SpanRecord => ({
  traceId: id,
  spanId: '1'.repeat(16),
  parentSpanId: '',
  traceState: '',
  flags: 0,
  name: 'op',
  kind: 2,
  startTimeUnixNano: 1_700_000_000_000_000_000n,
  endTimeUnixNano: 1_700_000_000_000_000_000n + BigInt(Math.round((options.durationMs ?? 10) * 1e6)),
  statusCode: options.error === true ? 2 : 0,
  statusMessage: '',
  attributes: [],
  events: [],
  links: [],
  droppedAttributesCount: 0,
  droppedEventsCount: 0,
  droppedLinksCount: 0,
  serviceName: service,
  resource: [],
  scope: { name: '', version: '', attributes: [] },
});

describe('tail sampling (the contract’s policy)', () => {
  it('keeps errors, slow traces and critical services at a 0% probabilistic rate, and nothing else', () => {
    let now = 0;
    const policy: SamplingPolicy = { ...production, probabilisticPercent: 0 };
    const sampler = new TailSampler(policy, () => now);
    const ids = {
      error: traceId(false),
      slow: traceId(false),
      critical: traceId(false),
      plain: traceId(false),
    };
    sampler.observe([
      span(ids.error, 'svc-a', { error: true }),
      span(ids.slow, 'svc-a', { durationMs: (production.keepSlowerThanMs ?? 0) + 1 }),
      span(ids.critical, CRITICAL_SERVICES[0] ?? ''),
      span(ids.plain, 'svc-a', { durationMs: (production.keepSlowerThanMs ?? 0) - 1 }),
    ]);
    now += (production.decisionWaitSeconds - 1) * 1000;
    expect(sampler.due()).toEqual([]);
    now += 2000;
    const decisions = Object.fromEntries(sampler.due().map((decision) => [decision.traceId, decision]));
    expect(decisions[ids.error]).toMatchObject({ keep: true, reason: 'error' });
    expect(decisions[ids.slow]).toMatchObject({ keep: true, reason: 'slow' });
    expect(decisions[ids.critical]).toMatchObject({ keep: true, reason: 'critical_service' });
    expect(decisions[ids.plain]).toMatchObject({ keep: false, reason: 'not_sampled' });
    // A late span of a dropped trace is refused; one of a kept trace is stored.
    expect(sampler.observe([span(ids.plain, 'svc-a'), span(ids.error, 'svc-a')]).lateDropped).toBe(1);
  });

  it('keeps the probabilistic share within tolerance over many traces', () => {
    let now = 0;
    const sampler = new TailSampler(production, () => now);
    const total = 20_000;
    for (let index = 0; index < total; index++)
      sampler.observe([span(`${index.toString(16).padStart(16, '0')}${'9'.repeat(16)}`, 'svc-a')]);
    now += production.decisionWaitSeconds * 1000 + 1;
    const kept = sampler.due().filter((decision) => decision.keep).length;
    const expected = (total * production.probabilisticPercent) / 100;
    const sigma = Math.sqrt(
      total * (production.probabilisticPercent / 100) * (1 - production.probabilisticPercent / 100),
    );
    expect(Math.abs(kept - expected)).toBeLessThan(4 * sigma);
  });
});

describe('the hub’s pipeline, end to end', () => {
  let now = 1_000_000;
  const harness = useHub('hub-pipeline', { profile: 'production', now: () => now });

  const send = async (spans: object[], service = 'svc-a'): Promise<number> => {
    const response = await plainFetch(`${harness.hub.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: {
              attributes: [{ key: RESOURCE_ATTRIBUTES.serviceName, value: { stringValue: service } }],
            },
            scopeSpans: [{ spans }],
          },
        ],
      }),
    });
    return response.status;
  };
  const otlpSpan = (id: string, spanId: string, extra: object = {}): object => ({
    traceId: id,
    spanId,
    name: 'op',
    kind: 2,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000010000000',
    ...extra,
  });
  const stored = async (id: string): Promise<boolean> =>
    (await plainFetch(`${harness.hub.queryUrl}/api/v3/traces/${id}`)).status === 200;

  it('stores at once, then deletes the traces the policy drops, and counts them', async () => {
    const dropped = traceId(false);
    const errored = traceId(false);
    expect(await send([otlpSpan(dropped, '1'.repeat(16)), otlpSpan(dropped, '2'.repeat(16))])).toBe(200);
    expect(await send([otlpSpan(errored, '3'.repeat(16), { status: { code: 2 } })])).toBe(200);
    // Acknowledged means stored, before any decision.
    expect(await stored(dropped)).toBe(true);
    now += production.decisionWaitSeconds * 1000 + 1;
    await harness.hub.decideDue();
    expect(await stored(dropped)).toBe(false);
    expect(await stored(errored)).toBe(true);
    expect(await send([otlpSpan(dropped, '4'.repeat(16))])).toBe(200);
    expect(await stored(dropped)).toBe(false);

    const metrics = await (await plainFetch(`${harness.hub.queryUrl}/metrics`)).text();
    expect(sampleValue(metrics, 'pyairtable_hub_spans_sampled_out_total', { reason: 'not_sampled' })).toBe(3);
    expect(
      sampleValue(metrics, 'pyairtable_hub_traces_decided_total', { decision: 'keep', reason: 'error' }),
    ).toBe(1);
    expect(sampleValue(metrics, 'pyairtable_hub_spans_stored_total', {})).toBe(3);
    // Each stored span's row: its name, attributes and JSON at least, never nothing.
    expect(sampleValue(metrics, 'pyairtable_hub_span_bytes_stored_total', {})).toBeGreaterThan(
      3 * 'op'.length,
    );
  });

  it('masks PII from the contract’s corpus before it is written: not in the query API, not in the files', async () => {
    const masker = createPiiMasker();
    const id = traceId(true);
    const attributes = [
      ...POSITIVES.map((positive, index) => ({
        key: `note_${String(index)}`,
        value: { stringValue: positive.text },
      })),
      ...SENSITIVE_KEYS.map((key) => ({ key, value: { stringValue: 'hunter2-secret-value' } })),
    ];
    expect(
      await send(
        [otlpSpan(id, '5'.repeat(16), { attributes, name: 'mail ann@example.com' })],
        CRITICAL_SERVICES[0],
      ),
    ).toBe(200);
    const body = (await (await plainFetch(`${harness.hub.queryUrl}/api/v3/traces/${id}`)).json()) as {
      result: {
        resourceSpans: {
          scopeSpans: {
            spans: { name: string; attributes: { key: string; value: { stringValue: string } }[] }[];
          }[];
        }[];
      };
    };
    const storedSpan = body.result.resourceSpans[0]?.scopeSpans[0]?.spans[0];
    expect(storedSpan?.name).toBe(`mail ${PII_MASK}`);
    const values = Object.fromEntries(
      (storedSpan?.attributes ?? []).map((entry) => [entry.key, entry.value.stringValue]),
    );
    POSITIVES.forEach((positive, index) => {
      expect(values[`note_${String(index)}`]).toBe(masker.maskString(positive.text));
    });
    for (const key of SENSITIVE_KEYS) expect(values[key], key).toBe(PII_MASK);

    // At rest: none of the raw values is in the store's files.
    const files = readdirSync(harness.dataDir).map((name) =>
      readFileSync(join(harness.dataDir, name)).toString('latin1'),
    );
    for (const positive of POSITIVES.slice(0, 5))
      for (const file of files) expect(file.includes(positive.text)).toBe(false);
    for (const file of files) expect(file.includes('hunter2-secret-value')).toBe(false);
  });
});

describe('retention', () => {
  const dayNs = 86_400_000_000_000n;
  const nowMs = Date.now();
  const harness = useHub('hub-retention', { now: () => nowMs, maxStoreBytes: 64 * 1024 ** 3 });

  const sendTrace = async (id: string, ageNs: bigint, spans = 1): Promise<void> => {
    const start = BigInt(nowMs) * 1_000_000n - ageNs;
    const response = await plainFetch(`${harness.hub.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: {
              attributes: [{ key: RESOURCE_ATTRIBUTES.serviceName, value: { stringValue: 'kept' } }],
            },
            scopeSpans: [
              {
                spans: Array.from({ length: spans }, (_unused, index) => ({
                  traceId: id,
                  spanId: (index + 1).toString(16).padStart(16, '0'),
                  name: 'op',
                  startTimeUnixNano: String(start),
                  endTimeUnixNano: String(start + 1_000_000n),
                  attributes: [{ key: 'payload', value: { stringValue: 'x'.repeat(2000) } }],
                })),
              },
            ],
          },
        ],
      }),
    });
    expect(response.status).toBe(200);
  };
  const stored = async (id: string): Promise<boolean> =>
    (await plainFetch(`${harness.hub.queryUrl}/api/v3/traces/${id}`)).status === 200;

  it('deletes spans older than the contract’s 7 days, not those just inside', async () => {
    await sendTrace('e1'.repeat(16), 8n * dayNs);
    await sendTrace('e2'.repeat(16), 7n * dayNs - 3_600_000_000_000n);
    const outcome = await harness.hub.enforceRetention();
    expect(outcome.deletedByAge).toBe(1);
    expect(await stored('e1'.repeat(16))).toBe(false);
    expect(await stored('e2'.repeat(16))).toBe(true);
  });

  it('beyond the size cap, deletes the oldest first and keeps the newest', async () => {
    // Enough spans for several of DuckDB's row groups (space is returned a row group at a time).
    const store = await SpanStore.open(`${harness.dataDir}-capped`);
    try {
      const batches = 560;
      for (let batch = 0; batch < batches; batch++) {
        const start = BigInt(nowMs) * 1_000_000n - BigInt(batches - batch) * 1_000_000_000n;
        await store.append(
          Array.from({ length: 512 }, (_unused, index) => ({
            ...span(`${batch.toString(16).padStart(16, '0')}${'7'.repeat(16)}`, 'sized'),
            spanId: (index + 1).toString(16).padStart(16, '0'),
            startTimeUnixNano: start,
            endTimeUnixNano: start + 1_000_000n,
            attributes: [
              { key: 'payload', value: { stringValue: `${String(batch * 512 + index)}-${'y'.repeat(64)}` } },
            ],
          })),
        );
      }
      const used = await store.usedBytes();
      const rowGroupBytes = used / (await store.rowGroups());
      const cap = Math.floor(used * 0.6);
      const outcome = await store.enforceRetention({
        nowNs: BigInt(nowMs) * 1_000_000n,
        maxAgeNs: 7n * dayNs,
        maxBytes: cap,
      });
      expect(outcome.deletedBySize).toBeGreaterThan(0);
      // Within one row group of the cap: DuckDB frees space a whole row group at a time.
      expect(await store.usedBytes()).toBeLessThanOrEqual(cap + rowGroupBytes);
      expect(await store.usedBytes()).toBeLessThan(used * 0.75);
      const trace = (batch: number): Promise<SpanRecord[]> =>
        store.trace(`${batch.toString(16).padStart(16, '0')}${'7'.repeat(16)}`);
      expect(await trace(0)).toHaveLength(0);
      expect(await trace(batches - 1)).toHaveLength(512);
    } finally {
      store.close();
    }
  }, 120_000);
});
