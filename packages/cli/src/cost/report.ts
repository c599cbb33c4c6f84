/**
 * The monthly estimate from measured volumes: storage per data type under the retention table,
 * compute, alert channels and their total, each also with sampling at 100% and without
 * lifecycle tiers, so the savings are differences of the same arithmetic; and AI spend with its
 * month-end forecast against the HighAICosts budget.
 */
import type { DataType, LogCategory, RetentionRule } from '@pyairtable/conventions';
import { LOG_CATEGORIES, RETENTION } from '@pyairtable/conventions';
import type { ComputeShare, TierBytes } from './estimate.js';
import {
  DAY_MS,
  alertingMonthUsd,
  computeMonthUsd,
  heldPerTier,
  monthAround,
  monthEndForecast,
  perDay,
  storageMonthUsd,
} from './estimate.js';

import type { ComponentCompute } from './compute.js';
import { totalCompute } from './compute.js';
import type { AlertChannel, InfraPriceTable } from './prices.js';
import type { AiSpend, AiVolumes, Volumes } from './volumes.js';

/** The four ways of running the same volumes: as configured, and without each saving. */
export interface Scenarios {
  readonly asRun: number;
  readonly fullSampling: number;
  readonly noTiers: number;
  readonly neither: number;
}

export interface StorageRow {
  readonly dataType: DataType;
  readonly bytesPerDay: number;
  /** Without the tail policy's sampling, where it applies (traces): every span received. */
  readonly bytesPerDayUnsampled: number;
  readonly retention: RetentionRule;
  readonly held: TierBytes;
  readonly monthUsd: Scenarios;
}

export interface AiServiceBudget {
  readonly service: string;
  readonly monthToDateUsd: number;
  readonly perDayUsd: number;
  readonly forecastUsd: number;
  readonly dailyBudgetUsd: number;
  /** The daily budget times the month's days. */
  readonly monthAtDailyBudgetUsd: number;
  /** What the HighAICosts rule compares with the daily budget: the last hour's spend times 24. */
  readonly alertPacePerDayUsd: number;
  /** That figure is above the budget: the alert's condition holds (it fires after holding 15 minutes). */
  readonly aboveAlertThreshold: boolean;
  /** The alert as Prometheus has it (inactive also where its rules do not hold it). */
  readonly alertState: 'inactive' | 'pending' | 'firing';
  readonly forecastOverMonthAtDailyBudget: boolean;
}

export interface CostReport {
  readonly storage: readonly StorageRow[];
  readonly compute: {
    readonly components: readonly ComponentCompute[];
    readonly requested: ComputeShare & { readonly monthUsd: number };
    readonly limit: ComputeShare & { readonly monthUsd: number };
  };
  readonly alerting: { readonly channels: readonly AlertChannel[]; readonly monthUsd: number };
  /** Compute (requested), storage and alerting together. */
  readonly monthUsd: {
    readonly compute: number;
    readonly storage: Scenarios;
    readonly alerting: number;
    readonly total: Scenarios;
  };
  readonly savingsUsd: { readonly sampling: number; readonly tiers: number; readonly both: number };
  readonly ai: {
    readonly month: {
      readonly start: string;
      readonly days: number;
      readonly remainingDays: number;
      /** Later than the start when Prometheus no longer holds the month's first days. */
      readonly measuredFrom: string;
    };
    readonly rows: readonly (AiSpend & { readonly forecastUsd: number })[];
    readonly services: readonly AiServiceBudget[];
  };
  /** What was not measured, and so is priced at nothing or assumed: each with how to measure it. */
  readonly notes: readonly string[];
}

/** The figures nothing measured: each says what the estimate lacks and how to get it. */
export function unmeasured(volumes: Volumes): string[] {
  const notes: string[] = [];
  if (volumes.logSource === 'none')
    notes.push(
      'Log storage is not in the estimate: nothing counted log bytes. Local mode counts them in the hub; for the stack, pass --elasticsearch <url>.',
    );
  if (volumes.spans.source === 'none')
    notes.push(
      "Trace storage is not in the estimate: Prometheus has neither the hub's nor the tail-sampling collector's span counters.",
    );
  if (volumes.metrics.activeSeries === 0)
    notes.push('Metric storage is not in the estimate: Prometheus reports no series in its head block.');
  if (!volumes.spans.bytesPerSpan.measured && volumes.spans.source !== 'none')
    notes.push(
      `Bytes per span are assumed (${String(volumes.spans.bytesPerSpan.value)}): pass --elasticsearch <url> to measure them in Jaeger's indices, or set --bytes-per-span.`,
    );
  if (!volumes.metrics.bytesPerSample.measured)
    notes.push(
      `Bytes per sample are assumed (${String(volumes.metrics.bytesPerSample.value)}) until Prometheus has compacted its head (every two hours), or set --bytes-per-sample.`,
    );
  return notes;
}

export interface ReportInputs {
  readonly volumes: Volumes;
  readonly prices: InfraPriceTable;
  readonly components: readonly ComponentCompute[];
  readonly channels: readonly AlertChannel[];
  readonly aiDailyBudgetUsd: number;
  readonly atMs: number;
}

function storageRow(
  dataType: DataType,
  bytesPerDay: number,
  unsampled: number,
  prices: InfraPriceTable,
): StorageRow {
  const retention = RETENTION[dataType];
  const month = (perDayBytes: number, tiered: boolean): number =>
    storageMonthUsd(heldPerTier(perDayBytes, retention, tiered), prices);
  return {
    dataType,
    bytesPerDay,
    bytesPerDayUnsampled: unsampled,
    retention,
    held: heldPerTier(bytesPerDay, retention, true),
    monthUsd: {
      asRun: month(bytesPerDay, true),
      fullSampling: month(unsampled, true),
      noTiers: month(bytesPerDay, false),
      neither: month(unsampled, false),
    },
  };
}

export function storageRows(volumes: Volumes, prices: InfraPriceTable): StorageRow[] {
  const { spans, metrics, logBytesPerDay } = volumes;
  const metricBytes = perDay(metrics.samplesPerSecond.value) * metrics.bytesPerSample.value;
  const spanBytes = (perSecond: number): number => perDay(perSecond) * spans.bytesPerSpan.value;
  const logRows = (LOG_CATEGORIES as readonly LogCategory[]).map((category) => {
    const bytes = logBytesPerDay?.[category] ?? 0;
    return storageRow(`logs.${category}`, bytes, bytes, prices);
  });
  return [
    storageRow('metrics', metricBytes, metricBytes, prices),
    storageRow('traces', spanBytes(spans.keptPerSecond), spanBytes(spans.receivedPerSecond), prices),
    ...logRows,
  ];
}

const sumScenarios = (rows: readonly Scenarios[], plus = 0): Scenarios => ({
  asRun: rows.reduce((sum, row) => sum + row.asRun, plus),
  fullSampling: rows.reduce((sum, row) => sum + row.fullSampling, plus),
  noTiers: rows.reduce((sum, row) => sum + row.noTiers, plus),
  neither: rows.reduce((sum, row) => sum + row.neither, plus),
});

export function aiBudgets(
  ai: AiVolumes,
  rows: readonly (AiSpend & { readonly forecastUsd: number })[],
  dailyBudgetUsd: number,
  monthDays: number,
): AiServiceBudget[] {
  const services = [
    ...new Set([...rows.map((row) => row.service), ...Object.keys(ai.alertPacePerDay)]),
  ].sort();
  return services.map((service) => {
    const own = rows.filter((row) => row.service === service);
    const add = (pick: (row: (typeof own)[number]) => number): number =>
      own.reduce((sum, row) => sum + pick(row), 0);
    const forecastUsd = add((row) => row.forecastUsd);
    const alertPacePerDayUsd = ai.alertPacePerDay[service] ?? 0;
    return {
      service,
      monthToDateUsd: add((row) => row.monthToDateUsd),
      perDayUsd: add((row) => row.perDayUsd),
      forecastUsd,
      dailyBudgetUsd,
      monthAtDailyBudgetUsd: dailyBudgetUsd * monthDays,
      alertPacePerDayUsd,
      // The rule's own comparison: strictly above.
      aboveAlertThreshold: alertPacePerDayUsd > dailyBudgetUsd,
      alertState: ai.alertStates[service] ?? 'inactive',
      forecastOverMonthAtDailyBudget: forecastUsd > dailyBudgetUsd * monthDays,
    };
  });
}

export function costReport(inputs: ReportInputs): CostReport {
  const { volumes, prices, components, channels } = inputs;
  const storage = storageRows(volumes, prices);
  const requested = totalCompute(components, 'requested');
  const limit = totalCompute(components, 'limit');
  const compute = computeMonthUsd(requested, prices);
  const alerting = alertingMonthUsd(channels, prices);
  const storageUsd = sumScenarios(storage.map((row) => row.monthUsd));
  const total = sumScenarios([storageUsd], compute + alerting);
  const month = monthAround(inputs.atMs);
  // Days of the month Prometheus no longer holds are taken at the present pace.
  const unmeasuredDays = Math.max(0, volumes.ai.measuredFromSeconds * 1000 - month.startMs) / DAY_MS;
  const aiRows = volumes.ai.rows.map((row) => ({
    ...row,
    forecastUsd: monthEndForecast(row.monthToDateUsd, row.perDayUsd, month.remainingDays + unmeasuredDays),
  }));
  return {
    storage,
    compute: {
      components,
      requested: { ...requested, monthUsd: compute },
      limit: { ...limit, monthUsd: computeMonthUsd(limit, prices) },
    },
    alerting: { channels, monthUsd: alerting },
    monthUsd: { compute, storage: storageUsd, alerting, total },
    savingsUsd: {
      sampling: total.fullSampling - total.asRun,
      tiers: total.noTiers - total.asRun,
      both: total.neither - total.asRun,
    },
    ai: {
      month: {
        start: new Date(month.startMs).toISOString(),
        days: month.days,
        remainingDays: month.remainingDays,
        measuredFrom: new Date(volumes.ai.measuredFromSeconds * 1000).toISOString(),
      },
      rows: aiRows,
      services: aiBudgets(volumes.ai, aiRows, inputs.aiDailyBudgetUsd, month.days),
    },
    notes: unmeasured(volumes),
  };
}
