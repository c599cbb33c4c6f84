/**
 * The arithmetic of `obs cost`, apart from where the volumes come from: storage held at steady
 * state under the contract's retention table, priced per tier; compute from the components'
 * requests and limits; alert channels; and the AI month-end forecast. Every figure is a plain
 * function of measured volumes and a price table, so each saving is a difference of two runs
 * of the same function, never a constant.
 */
import type { RetentionRule, StorageTier } from '@pyairtable/conventions';
import type { AlertChannel, InfraPriceTable } from './prices.js';

/** A calendar month on average (365.25 / 12 days), as cloud bills count hours. */
export const DAYS_PER_MONTH = 365.25 / 12;
export const HOURS_PER_MONTH = DAYS_PER_MONTH * 24;
/** Cloud price lists' GB is 2^30 bytes. */
export const BYTES_PER_GB = 2 ** 30;
const SECONDS_PER_DAY = 86_400;
export const DAY_MS = SECONDS_PER_DAY * 1000;

export type TierBytes = Readonly<Record<StorageTier, number>>;

/** How many days a day's data stays in each tier of the rule, in order. */
export function tierDays(rule: RetentionRule): { readonly tier: StorageTier; readonly days: number }[] {
  return rule.tiers.map((phase, index) => ({
    tier: phase.tier,
    days: Math.max(0, (rule.tiers[index + 1]?.fromDay ?? rule.deleteAfterDays) - phase.fromDay),
  }));
}

/**
 * Bytes held in each tier once ingest has run longer than the retention: every day's data sits
 * in a tier for as many days as the tier lasts. Without tiers it all stays hot until deletion.
 */
export function heldPerTier(bytesPerDay: number, rule: RetentionRule, tiered: boolean): TierBytes {
  const held = { hot: 0, warm: 0, cold: 0 };
  if (!tiered) return { ...held, hot: bytesPerDay * rule.deleteAfterDays };
  for (const { tier, days } of tierDays(rule)) held[tier] += bytesPerDay * days;
  return held;
}

export function storageMonthUsd(held: TierBytes, prices: InfraPriceTable): number {
  const perGb = prices.storageUsdPerGbMonth;
  return (held.hot * perGb.hot + held.warm * perGb.warm + held.cold * perGb.cold) / BYTES_PER_GB;
}

export interface ComputeShare {
  readonly cpus: number;
  readonly memoryGb: number;
}

export function computeMonthUsd(share: ComputeShare, prices: InfraPriceTable): number {
  return (share.cpus * prices.vcpuUsdPerHour + share.memoryGb * prices.memoryUsdPerGbHour) * HOURS_PER_MONTH;
}

export function alertingMonthUsd(channels: readonly AlertChannel[], prices: InfraPriceTable): number {
  return channels.reduce((sum, channel) => sum + prices.alertChannelUsdPerMonth[channel], 0);
}

/** Per second to per day. */
export const perDay = (perSecond: number): number => perSecond * SECONDS_PER_DAY;

/** The UTC calendar month holding `atMs`: its start, its length and what is left of it. */
export function monthAround(atMs: number): {
  readonly startMs: number;
  readonly days: number;
  readonly elapsedSeconds: number;
  readonly remainingDays: number;
} {
  const at = new Date(atMs);
  const startMs = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1);
  const nextMs = Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1);
  return {
    startMs,
    days: (nextMs - startMs) / DAY_MS,
    elapsedSeconds: Math.floor((atMs - startMs) / 1000),
    remainingDays: (nextMs - atMs) / DAY_MS,
  };
}

/** Spend by the month's end: what is spent so far plus the recent pace for the days left. */
export const monthEndForecast = (monthToDate: number, perDayPace: number, remainingDays: number): number =>
  monthToDate + perDayPace * remainingDays;
