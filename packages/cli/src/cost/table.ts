/** `obs cost` for people: the measured volumes, storage per data type, the month's totals, AI spend. */
import type { RetentionRule } from '@pyairtable/conventions';
import { table } from '../local/table.js';
import { tierDays } from './estimate.js';
import type { CostReport, Scenarios } from './report.js';
import type { InfraPriceTable } from './prices.js';
import type { Figure, Volumes } from './volumes.js';

export interface CostContext {
  readonly at: string;
  readonly window: string;
  readonly profile: string;
  readonly prometheus: string;
  readonly elasticsearch?: string;
  readonly prices: InfraPriceTable;
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${UNITS[unit] ?? ''}`;
}

export const usd = (amount: number): string =>
  `$${amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

const count = (value: number, digits = 1): string =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits });

const origin = (figure: Figure, flag: string): string => (figure.measured ? 'measured' : `assumed (${flag})`);

/** `7d hot, 7d warm, 16d cold`: how long a day's data stays in each tier. */
const tiers = (rule: RetentionRule): string =>
  tierDays(rule)
    .map(({ tier, days }) => `${String(days)}d ${tier}`)
    .join(', ');

const held = (bytes: number): string => (bytes === 0 ? '-' : formatBytes(bytes));

const LOG_SOURCES: Readonly<Record<Volumes['logSource'], string>> = {
  hub: "the hub's counters, by category below",
  elasticsearch: "Elasticsearch's log data streams, by category below",
  none: 'nothing counts log bytes: the hub does in local mode, --elasticsearch <url> for the stack',
};

function volumesSection(volumes: Volumes): string {
  const { spans, metrics } = volumes;
  const logs =
    volumes.logBytesPerDay === undefined
      ? undefined
      : Object.values(volumes.logBytesPerDay).reduce((sum, bytes) => sum + bytes, 0);
  const spanSource =
    spans.source === 'hub'
      ? "the hub's counters"
      : spans.source === 'collector'
        ? "the collector's counters"
        : 'nothing reports spans';
  return table(
    ['measured', 'value', 'from'],
    [
      ['spans/s before the tail policy', count(spans.receivedPerSecond, 2), spanSource],
      ['spans/s kept', count(spans.keptPerSecond, 2), spanSource],
      ['bytes per span', count(spans.bytesPerSpan.value, 0), origin(spans.bytesPerSpan, '--bytes-per-span')],
      ['log bytes per day', logs === undefined ? '-' : formatBytes(logs), LOG_SOURCES[volumes.logSource]],
      ['active series', count(metrics.activeSeries, 0), "Prometheus's head block"],
      [
        'samples/s',
        count(metrics.samplesPerSecond.value, 1),
        metrics.samplesPerSecond.measured ? 'measured' : 'assumed: active series / scrape interval',
      ],
      [
        'bytes per sample',
        count(metrics.bytesPerSample.value, 2),
        origin(metrics.bytesPerSample, '--bytes-per-sample'),
      ],
    ],
  );
}

function storageSection(report: CostReport): string {
  return table(
    ['data type', 'per day', 'held hot / warm / cold', 'retention', 'as run', 'sampling 100%', 'no tiers'],
    report.storage.map((row) => [
      row.dataType,
      formatBytes(row.bytesPerDay),
      `${held(row.held.hot)} / ${held(row.held.warm)} / ${held(row.held.cold)}`,
      tiers(row.retention),
      usd(row.monthUsd.asRun),
      usd(row.monthUsd.fullSampling),
      usd(row.monthUsd.noTiers),
    ]),
  );
}

function totalsSection(report: CostReport): string {
  const { monthUsd, compute, alerting } = report;
  const flat = (amount: number): Scenarios => ({
    asRun: amount,
    fullSampling: amount,
    noTiers: amount,
    neither: amount,
  });
  const line = (name: string, scenarios: Scenarios): string[] => [
    name,
    usd(scenarios.asRun),
    usd(scenarios.fullSampling),
    usd(scenarios.noTiers),
    usd(scenarios.neither),
  ];
  return table(
    ['a month', 'as run', 'sampling 100%', 'no tiers', 'neither'],
    [
      line(
        `compute (${count(compute.requested.cpus, 2)} vCPU, ${count(compute.requested.memoryGb, 2)} GB requested)`,
        flat(monthUsd.compute),
      ),
      line('storage', monthUsd.storage),
      line(
        `alerting (${alerting.channels.length === 0 ? 'no channel set' : alerting.channels.join(', ')})`,
        flat(monthUsd.alerting),
      ),
      line('total', monthUsd.total),
    ],
  );
}

function aiSection(report: CostReport): string {
  const { ai } = report;
  const month = ai.month.start.slice(0, 7);
  const since =
    ai.month.measuredFrom === ai.month.start
      ? ''
      : ` (Prometheus holds it from ${ai.month.measuredFrom.slice(0, 16).replace('T', ' ')} UTC on; the time before is taken at the present pace)`;
  if (ai.rows.length === 0 && ai.services.length === 0) return `AI spend, ${month} (UTC): none recorded.`;
  const rows = table(
    ['service', 'provider', 'model', 'month to date', 'per day now', 'forecast'],
    ai.rows.map((row) => [
      row.service,
      row.provider,
      row.model,
      usd(row.monthToDateUsd),
      usd(row.perDayUsd),
      usd(row.forecastUsd),
    ]),
  );
  const budgets = table(
    ['service', 'forecast', 'daily budget x days', 'last hour x 24', 'daily budget', 'HighAICosts'],
    ai.services.map((service) => [
      service.service,
      `${usd(service.forecastUsd)}${service.forecastOverMonthAtDailyBudget ? '  OVER' : ''}`,
      usd(service.monthAtDailyBudgetUsd),
      `${usd(service.alertPacePerDayUsd)}${service.aboveAlertThreshold ? '  ABOVE' : ''}`,
      usd(service.dailyBudgetUsd),
      service.alertState,
    ]),
  );
  return `AI spend, ${month} (UTC), ${count(ai.month.remainingDays, 1)} days left${since}:\n${rows}\n\nAgainst the HighAICosts budget:\n${budgets}`;
}

export function renderCostReport(context: CostContext, volumes: Volumes, report: CostReport): string {
  const { savingsUsd } = report;
  return [
    `obs cost: ${context.profile} profile, Prometheus ${context.prometheus}${context.elasticsearch === undefined ? '' : `, Elasticsearch ${context.elasticsearch}`}, the ${context.window} to ${context.at}`,
    `Prices of ${context.prices.effectiveDate}: ${context.prices.source} (--prices <file> to change them).`,
    '',
    volumesSection(volumes),
    '',
    'Storage held once each retention has run its course, and what it costs a month:',
    storageSection(report),
    '',
    totalsSection(report),
    '',
    `Savings, measured: sampling ${usd(savingsUsd.sampling)}, lifecycle tiers ${usd(savingsUsd.tiers)}, both ${usd(savingsUsd.both)} a month.`,
    `Compute is the Compose stack, one replica of each component, at its reservations; at its limits ${usd(report.compute.limit.monthUsd)} a month (${count(report.compute.limit.cpus, 2)} vCPU, ${count(report.compute.limit.memoryGb, 2)} GB).`,
    ...(report.notes.length === 0 ? [] : ['', 'Not measured:', ...report.notes.map((note) => `  - ${note}`)]),
    '',
    aiSection(report),
  ].join('\n');
}
