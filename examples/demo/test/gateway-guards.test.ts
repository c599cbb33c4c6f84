/**
 * The gateway's memory of its callers, read back from the SDK's real metrics: a session opens
 * once per user and closes after the quiet time; a client guessing keys is throttled just past
 * its limit (not at it), reported once as credential stuffing, and counted as rate-limited.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { METRICS } from '@pyairtable/conventions';
import { captureLines } from '@pyairtable/test-support';
import type { Telemetry } from '@pyairtable/telemetry';
import { initTelemetry } from '@pyairtable/telemetry';
import { KeyGuessing, UserSessions } from '../src/gateway-guards.js';

let telemetry: Telemetry;
beforeEach(() => {
  telemetry = initTelemetry({
    serviceName: 'api-gateway',
    serviceTier: 'gateway',
    exportTraces: false,
    runtimeMetrics: false,
    logDestination: captureLines().stream,
  });
});
afterEach(async () => {
  await telemetry.shutdown();
});

async function total(name: string): Promise<number> {
  const metric = telemetry.metrics.registry.getSingleMetric(name);
  const values = (await metric?.get())?.values ?? [];
  return values.reduce((sum, value) => sum + value.value, 0);
}

describe('user sessions', () => {
  it('opens one session (a login) per user and closes it after the quiet time', async () => {
    const sessions = new UserSessions(telemetry, { idleMs: 1_000 });
    try {
      sessions.seen('usr_1', 0);
      sessions.seen('usr_1', 500);
      sessions.seen('usr_2', 600);
      sessions.seen(undefined, 700);
      expect(await total(METRICS.userSessionsStarted.name)).toBe(2);
      expect(await total(METRICS.userLogins.name)).toBe(2);
      expect(await total(METRICS.userSessionsActive.name)).toBe(2);
      sessions.endIdle(1_499);
      expect(sessions.open).toBe(2);
      sessions.endIdle(1_500);
      expect(sessions.open).toBe(1);
      expect(await total(METRICS.userSessionsActive.name)).toBe(1);
      sessions.seen('usr_1', 1_600);
      expect(await total(METRICS.userSessionsStarted.name)).toBe(3);
    } finally {
      sessions.close();
    }
  });
});

describe('key guessing', () => {
  it('throttles a client just past its limit, reports it once, and leaves other clients alone', async () => {
    const guessing = new KeyGuessing(telemetry, { failuresPerMinute: 3 });
    const answers = [0, 1, 2, 3, 4].map((second) => guessing.failed('10.0.0.1', second * 1_000));
    expect(answers).toEqual([false, false, false, true, true]);
    expect(guessing.failed('10.0.0.2', 5_000)).toBe(false);
    expect(await total(METRICS.suspiciousActivity.name)).toBe(1);
    expect(await total(METRICS.rateLimitRejections.name)).toBe(2);
    // A minute later the early failures no longer count.
    expect(guessing.failed('10.0.0.1', 63_500)).toBe(false);
  });
});
