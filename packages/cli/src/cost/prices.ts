/**
 * What infrastructure costs, for `obs cost`: storage per GB-month in each retention tier,
 * compute per vCPU-hour and GB-hour of memory, and each alert channel per month. The defaults
 * are one cloud's public list prices on a dated day; a JSON file overrides any of them and is
 * checked like the AI price table (every problem named with its path).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatProblems, validateWith } from '@pyairtable/conventions';
import type { StorageTier } from '@pyairtable/conventions';
import { ConfigurationFileError } from '../errors.js';

const PRICE = z.number().nonnegative();
const TIERS = { hot: PRICE, warm: PRICE, cold: PRICE } satisfies Record<StorageTier, typeof PRICE>;
const CHANNELS = { email: PRICE, slack: PRICE, pagerduty: PRICE };

export const InfraPriceTableSchema = z.strictObject({
  /** Day the prices were read (YYYY-MM-DD). */
  effectiveDate: z.iso.date(),
  /** Where they were read. */
  source: z.string().min(1),
  storageUsdPerGbMonth: z.strictObject(TIERS),
  vcpuUsdPerHour: PRICE,
  memoryUsdPerGbHour: PRICE,
  alertChannelUsdPerMonth: z.strictObject(CHANNELS),
});
export type InfraPriceTable = z.output<typeof InfraPriceTableSchema>;
export type AlertChannel = keyof InfraPriceTable['alertChannelUsdPerMonth'];

/** An override file: a date and source are required, every price is optional. */
const InfraPriceOverridesSchema = z.strictObject({
  effectiveDate: z.iso.date(),
  source: z.string().min(1),
  storageUsdPerGbMonth: z.strictObject(TIERS).partial().optional(),
  vcpuUsdPerHour: PRICE.optional(),
  memoryUsdPerGbHour: PRICE.optional(),
  alertChannelUsdPerMonth: z.strictObject(CHANNELS).partial().optional(),
});

/**
 * AWS us-east-1 list prices: EBS gp3 (hot), st1 (warm) and S3 Standard-Infrequent Access (cold)
 * per GB-month; Fargate Linux/x86 per vCPU-hour and per GB-hour. E-mail (your SMTP relay) and
 * Slack webhooks cost nothing by themselves; PagerDuty is its Professional plan per user and
 * month, billed annually: set it to your seats times that in a prices file.
 */
export const DEFAULT_INFRA_PRICES: InfraPriceTable = {
  effectiveDate: '2026-12-01',
  source:
    'AWS us-east-1 list prices (EBS gp3/st1, S3 Standard-IA, Fargate); PagerDuty Professional, one user',
  storageUsdPerGbMonth: { hot: 0.08, warm: 0.045, cold: 0.0125 },
  vcpuUsdPerHour: 0.04048,
  memoryUsdPerGbHour: 0.004445,
  alertChannelUsdPerMonth: { email: 0, slack: 0, pagerduty: 21 },
};

/** The defaults with a file's prices over them; a ConfigurationFileError names every problem. */
export function readInfraPrices(path: string | undefined): InfraPriceTable {
  if (path === undefined) return DEFAULT_INFRA_PRICES;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    // It keeps its code (ENOENT, EACCES): the CLI's file system error.
    const { code, message } = error as NodeJS.ErrnoException;
    throw Object.assign(new Error(`cannot read the prices file: ${message}`), { code });
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationFileError(`the prices file ${path} is not JSON: ${(error as Error).message}`);
  }
  const checked = validateWith(InfraPriceOverridesSchema, input);
  if (!checked.ok)
    throw new ConfigurationFileError(
      `the prices file ${path} is not a price table:\n${formatProblems(checked.problems)}\n` +
        `Every price is a number of US dollars; effectiveDate (YYYY-MM-DD) and source are required.`,
    );
  const file = checked.value;
  const base = DEFAULT_INFRA_PRICES;
  const storage = file.storageUsdPerGbMonth ?? {};
  const channels = file.alertChannelUsdPerMonth ?? {};
  return {
    effectiveDate: file.effectiveDate,
    source: file.source,
    storageUsdPerGbMonth: {
      hot: storage.hot ?? base.storageUsdPerGbMonth.hot,
      warm: storage.warm ?? base.storageUsdPerGbMonth.warm,
      cold: storage.cold ?? base.storageUsdPerGbMonth.cold,
    },
    vcpuUsdPerHour: file.vcpuUsdPerHour ?? base.vcpuUsdPerHour,
    memoryUsdPerGbHour: file.memoryUsdPerGbHour ?? base.memoryUsdPerGbHour,
    alertChannelUsdPerMonth: {
      email: channels.email ?? base.alertChannelUsdPerMonth.email,
      slack: channels.slack ?? base.alertChannelUsdPerMonth.slack,
      pagerduty: channels.pagerduty ?? base.alertChannelUsdPerMonth.pagerduty,
    },
  };
}
