/** The arithmetic of obs cost at its edges: tiers, the month's boundaries, memory sizes. */
import { describe, expect, it } from 'vitest';
import { LOG_RETENTION, METRICS_RETENTION } from '@pyairtable/conventions';
import { heldPerTier, monthAround, monthEndForecast } from '../src/cost/estimate.js';
import { memoryGb, stackCompute } from '../src/cost/compute.js';
import { retentionSeconds } from '../src/cost/volumes.js';

describe('storage held under the retention table', () => {
  it('keeps each day in a tier for as long as the tier lasts, and all of it hot without tiers', () => {
    expect(heldPerTier(10, LOG_RETENTION.security, true)).toEqual({ hot: 70, warm: 230, cold: 600 });
    expect(heldPerTier(10, LOG_RETENTION.security, false)).toEqual({ hot: 900, warm: 0, cold: 0 });
    expect(heldPerTier(10, METRICS_RETENTION, true)).toEqual({ hot: 150, warm: 0, cold: 0 });
    expect(heldPerTier(0, LOG_RETENTION.audit, true)).toEqual({ hot: 0, warm: 0, cold: 0 });
  });
});

describe('the calendar month (UTC)', () => {
  it('starts a new month at midnight on the first, with nothing elapsed', () => {
    expect(monthAround(Date.parse('2026-12-01T00:00:00Z'))).toEqual({
      startMs: Date.parse('2026-12-01T00:00:00Z'),
      days: 31,
      elapsedSeconds: 0,
      remainingDays: 31,
    });
  });

  it('a second before, still counts the old month, with a second left', () => {
    const month = monthAround(Date.parse('2026-11-30T23:59:59Z'));
    expect(month.startMs).toBe(Date.parse('2026-11-01T00:00:00Z'));
    expect(month.days).toBe(30);
    expect(month.remainingDays * 86_400).toBeCloseTo(1, 6);
  });

  it('knows February of a leap year', () => {
    expect(monthAround(Date.parse('2028-02-15T00:00:00Z')).days).toBe(29);
    expect(monthAround(Date.parse('2027-02-15T00:00:00Z')).days).toBe(28);
  });

  it('forecasts what is spent plus the pace for the days left', () => {
    expect(monthEndForecast(100, 10, 2.5)).toBe(125);
  });
});

describe("the stack's compute", () => {
  it("reads Compose's memory sizes, and refuses one it does not know", () => {
    expect(memoryGb('512M')).toBe(0.5);
    expect(memoryGb('2G')).toBe(2);
    expect(() => memoryGb('2Gi')).toThrow('unknown memory size 2Gi');
  });

  it('counts every component once, and the trace-retention job that keeps running', () => {
    const names = stackCompute().map((component) => component.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('elasticsearch');
    expect(names).toContain('trace-retention');
    expect(names).not.toContain('elastic-setup');
  });
});

describe("Prometheus's retention, from its flags", () => {
  const DAY = 86_400;
  it('is the age flag, the old flag, or the default 15 days when nothing bounds it', () => {
    expect(retentionSeconds({ 'storage.tsdb.retention.time': '2w1d' })).toBe(15 * DAY);
    expect(retentionSeconds({ 'storage.tsdb.retention.time': '0s', 'storage.tsdb.retention': '30d' })).toBe(
      30 * DAY,
    );
    expect(
      retentionSeconds({ 'storage.tsdb.retention.time': '0s', 'storage.tsdb.retention.size': '0B' }),
    ).toBe(15 * DAY);
    expect(retentionSeconds({})).toBe(15 * DAY);
  });

  it('is unknown when only a size bounds it', () => {
    expect(
      retentionSeconds({ 'storage.tsdb.retention.time': '0s', 'storage.tsdb.retention.size': '10GB' }),
    ).toBeUndefined();
  });
});
