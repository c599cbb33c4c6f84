import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CRITICAL_SERVICES,
  LOG_CATEGORIES,
  LOG_RETENTION,
  RETENTION,
  SAMPLING_POLICIES,
  SLOW_REQUEST_SECONDS,
  fnv1a64,
  inProbabilisticShare,
  tailSamplingDecision,
} from '@pyairtable/conventions';

describe('sampling policy', () => {
  it("follows the spec's table", () => {
    expect(SAMPLING_POLICIES.development.probabilisticPercent).toBe(100);
    expect(SAMPLING_POLICIES.staging.probabilisticPercent).toBe(50);
    expect(SAMPLING_POLICIES.production.probabilisticPercent).toBe(10);
    // Staging: "Always sample errors and slow requests"; production adds critical services.
    expect(SAMPLING_POLICIES.staging).toMatchObject({ keepErrors: true, keepServices: [] });
    expect(SAMPLING_POLICIES.staging.keepSlowerThanMs).toBe(SLOW_REQUEST_SECONDS * 1000);
    expect(SAMPLING_POLICIES.production).toMatchObject({ keepErrors: true, keepServices: CRITICAL_SERVICES });
    expect(SAMPLING_POLICIES.production.keepSlowerThanMs).toBe(SLOW_REQUEST_SECONDS * 1000);
  });

  it('lets every span reach the tail sampler by default', () => {
    for (const policy of Object.values(SAMPLING_POLICIES)) expect(policy.headSamplingRatio).toBe(1);
  });

  const production = SAMPLING_POLICIES.production;
  const trace = { hasError: false, durationMs: 100, serviceNames: ['airtable-gateway'] };

  it('keeps errors, slow traces and critical services whatever the dice say', () => {
    expect(tailSamplingDecision({ ...trace, hasError: true }, production, false)).toEqual({
      keep: true,
      reason: 'error',
    });
    expect(tailSamplingDecision({ ...trace, durationMs: 2000 }, production, false)).toEqual({
      keep: true,
      reason: 'slow',
    });
    expect(
      tailSamplingDecision(
        { ...trace, serviceNames: ['airtable-gateway', 'api-gateway'] },
        production,
        false,
      ),
    ).toEqual({
      keep: true,
      reason: 'critical_service',
    });
  });

  it('decides at the slow threshold exactly as the collector (duration >= threshold)', () => {
    expect(tailSamplingDecision({ ...trace, durationMs: 1999 }, production, false).keep).toBe(false);
    expect(tailSamplingDecision({ ...trace, durationMs: 2000 }, production, false).keep).toBe(true);
  });

  it('drops an ordinary trace outside the random share and keeps it inside', () => {
    expect(tailSamplingDecision(trace, production, false)).toEqual({ keep: false, reason: 'not_sampled' });
    expect(tailSamplingDecision(trace, production, true)).toEqual({ keep: true, reason: 'probabilistic' });
  });

  it('keeps critical services only where the policy says so (not in staging)', () => {
    expect(
      tailSamplingDecision({ ...trace, serviceNames: ['api-gateway'] }, SAMPLING_POLICIES.staging, false)
        .keep,
    ).toBe(false);
  });
});

describe('probabilistic share (the collector hash)', () => {
  it('is FNV-1a 64', () => {
    expect(fnv1a64(new TextEncoder().encode('')).toString(16)).toBe('cbf29ce484222325');
    expect(fnv1a64(new TextEncoder().encode('foobar')).toString(16)).toBe('85944171f73967e8');
    expect(fnv1a64(new TextEncoder().encode('foo'), new TextEncoder().encode('bar'))).toBe(
      fnv1a64(new TextEncoder().encode('foobar')),
    );
  });

  it('keeps all at 100%, none at 0%', () => {
    const id = randomBytes(16).toString('hex');
    expect(inProbabilisticShare(id, 100)).toBe(true);
    expect(inProbabilisticShare(id, 0)).toBe(false);
  });

  it.each([10, 50])('keeps about %i% of random trace ids', (percent) => {
    const total = 20_000;
    let kept = 0;
    for (let index = 0; index < total; index++)
      if (inProbabilisticShare(randomBytes(16).toString('hex'), percent)) kept++;
    // Binomial standard deviation at 10% of 20k is 42 traces; 5 sigma either side.
    const sigma = Math.sqrt(total * (percent / 100) * (1 - percent / 100));
    expect(Math.abs(kept - (total * percent) / 100)).toBeLessThan(5 * sigma);
  });

  it('is deterministic per trace id and depends on the salt', () => {
    const ids = Array.from({ length: 200 }, () => randomBytes(16).toString('hex'));
    const first = ids.map((id) => inProbabilisticShare(id, 50));
    expect(ids.map((id) => inProbabilisticShare(id, 50))).toEqual(first);
    expect(ids.map((id) => inProbabilisticShare(id, 50, 'other-salt'))).not.toEqual(first);
  });
});

describe('retention', () => {
  it("follows the spec's table", () => {
    expect(RETENTION.metrics.deleteAfterDays).toBe(15);
    expect(RETENTION.traces.deleteAfterDays).toBe(7);
    expect(RETENTION['logs.application'].deleteAfterDays).toBe(30);
    expect(RETENTION['logs.application'].tiers.map((phase) => phase.tier)).toEqual(['hot', 'warm', 'cold']);
    expect(RETENTION['logs.security'].deleteAfterDays).toBe(90);
    expect(RETENTION['logs.audit'].deleteAfterDays).toBe(365);
  });

  it('defines every log category, justifying those the spec leaves open', () => {
    for (const category of LOG_CATEGORIES) expect(LOG_RETENTION[category]).toBeDefined();
    expect(LOG_RETENTION.access.rationale?.length).toBeGreaterThan(100);
    expect(LOG_RETENTION.error.rationale?.length).toBeGreaterThan(100);
  });

  it.each(Object.entries(RETENTION))('%s moves through its tiers in order before deletion', (_type, rule) => {
    expect(rule.tiers[0]).toEqual({ tier: 'hot', fromDay: 0 });
    for (let index = 1; index < rule.tiers.length; index++)
      expect(rule.tiers[index]!.fromDay).toBeGreaterThan(rule.tiers[index - 1]!.fromDay);
    expect(rule.tiers.at(-1)!.fromDay).toBeLessThan(rule.deleteAfterDays);
  });
});
