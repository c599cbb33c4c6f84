/** The fault switch's rules on their own: validation, merging, and what a switch does to a request. */
import { describe, expect, it } from 'vitest';
import { FAULT_LIMITS, InjectedFault, NO_FAULTS, parseFaultUpdate } from '@pyairtable/demo';
import { FaultSwitch } from '../src/faults.js';

const ALL = Object.keys(FAULT_LIMITS) as (keyof typeof FAULT_LIMITS)[];

describe('parseFaultUpdate', () => {
  it('accepts every switch at both ends of its range', () => {
    for (const name of ALL) {
      const { min, max } = FAULT_LIMITS[name];
      expect(parseFaultUpdate({ [name]: min }, 'svc', ALL)).toEqual({ ok: true, update: { [name]: min } });
      expect(parseFaultUpdate({ [name]: max }, 'svc', ALL)).toEqual({ ok: true, update: { [name]: max } });
    }
  });

  it.each([
    [{ errorRate: -0.1 }, 'errorRate must be a number from 0 to 1 (got -0.1)'],
    [{ errorRate: null }, 'errorRate must be a number from 0 to 1 (got null)'],
    [{ latencyMs: 30_001 }, 'latencyMs must be a whole number from 0 to 30000 (got 30001)'],
    [{ aiTokensMultiplier: 0.5 }, 'aiTokensMultiplier must be a number from 1 to 100 (got 0.5)'],
    [{ workflowFailureRate: true }, 'workflowFailureRate must be a number from 0 to 1 (got true)'],
    [
      { speed: 1 },
      'unknown field "speed"; svc accepts errorRate, latencyMs, aiTokensMultiplier, workflowFailureRate',
    ],
    [
      'errorRate=1',
      'the body must be a JSON object of fault switches (errorRate, latencyMs, aiTokensMultiplier, workflowFailureRate)',
    ],
    [
      undefined,
      'the body must be a JSON object of fault switches (errorRate, latencyMs, aiTokensMultiplier, workflowFailureRate)',
    ],
  ])('refuses %j: %s', (body, message) => {
    expect(parseFaultUpdate(body, 'svc', ALL)).toEqual({ ok: false, message });
  });

  it('refuses a switch the service does not act on, and names the one that does', () => {
    expect(
      parseFaultUpdate(
        { workflowFailureRate: 0.5 },
        'api-gateway',
        ['errorRate', 'latencyMs'],
        () => 'automation-services',
      ),
    ).toEqual({
      ok: false,
      message:
        'workflowFailureRate has no effect on api-gateway; set it on automation-services (api-gateway accepts errorRate, latencyMs)',
    });
  });
});

describe('FaultSwitch', () => {
  it('merges POSTed switches, shows only its own, and resets on DELETE', () => {
    const faults = new FaultSwitch('llm-orchestrator', ['errorRate', 'latencyMs', 'aiTokensMultiplier']);
    faults.handle('POST', { errorRate: 0.25 });
    expect(faults.handle('POST', { aiTokensMultiplier: 20 })).toEqual({
      status: 200,
      body: {
        service: 'llm-orchestrator',
        faults: { errorRate: 0.25, latencyMs: 0, aiTokensMultiplier: 20 },
      },
    });
    expect(faults.handle('POST', { errorRate: 7 }).status).toBe(400);
    expect(faults.current.errorRate).toBe(0.25);
    expect(faults.handle('DELETE', undefined).body).toEqual({
      service: 'llm-orchestrator',
      faults: { errorRate: 0, latencyMs: 0, aiTokensMultiplier: 1 },
    });
    expect(faults.current).toEqual(NO_FAULTS);
    expect(faults.handle('PUT', {}).status).toBe(405);
  });

  it('fails the errorRate share of requests with an InjectedFault and delays each by latencyMs', async () => {
    let draw = 0;
    // Draws 0.0, 0.1, ..., 0.9: with errorRate 0.3 exactly the first three fail.
    const faults = new FaultSwitch('svc', ['errorRate', 'latencyMs'], undefined, () => (draw++ % 10) / 10);
    faults.handle('POST', { errorRate: 0.3, latencyMs: 30 });
    const outcomes: string[] = [];
    const started = performance.now();
    for (let index = 0; index < 10; index++)
      outcomes.push(
        await faults.beforeRequest().then(
          () => 'ok',
          (error: unknown) => (error instanceof InjectedFault ? 'fault' : 'other'),
        ),
      );
    expect(outcomes).toEqual(['fault', 'fault', 'fault', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(performance.now() - started).toBeGreaterThanOrEqual(10 * 29);
  });

  it('fails the workflowFailureRate share of workflow runs', () => {
    let draw = 0;
    const faults = new FaultSwitch('svc', ['workflowFailureRate'], undefined, () => (draw++ % 4) / 4);
    expect(faults.workflowShouldFail()).toBe(false);
    faults.handle('POST', { workflowFailureRate: 0.5 });
    // Draws 0, 0.25, 0.5, 0.75 (the check above drew none: a zero rate never fails).
    expect([1, 2, 3, 4].map(() => faults.workflowShouldFail())).toEqual([true, true, false, false]);
  });
});
