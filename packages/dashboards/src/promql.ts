/**
 * PromQL as the dashboards write it: selectors with the template variables' matchers, rates
 * over Grafana's `$__rate_interval`, aggregations that name their labels, quantiles over
 * buckets. Metric names come from the contract or from `EXPORTER_METRICS`, never spelled here.
 */
import type { MetricDefinition } from '@pyairtable/conventions';
import { IDENTITY_LABELS } from '@pyairtable/conventions';

/** Grafana's rate window: at least four scrape intervals, whatever the zoom. */
export const RATE_INTERVAL = '$__rate_interval';
/** Grafana's whole selected range, for totals over it. */
export const RANGE = '$__range';

/** The dashboards' variables, as queries refer to them. */
export const VARIABLES = {
  service: 'service',
  instance: 'instance',
  environment: 'environment',
} as const;

export type Matcher = string;

const quote = (value: string): string => JSON.stringify(value);
export const eq = (label: string, value: string): Matcher => `${label}=${quote(value)}`;
export const ne = (label: string, value: string): Matcher => `${label}!=${quote(value)}`;
export const re = (label: string, pattern: string): Matcher => `${label}=~${quote(pattern)}`;

/** The `$service` variable's matcher (multi-value, so a regex). */
export const serviceMatch: Matcher = re(IDENTITY_LABELS.service, `$${VARIABLES.service}`);
/** The `$instance` variable's matcher. */
export const instanceMatch: Matcher = re('instance', `$${VARIABLES.instance}`);

export function selector(metric: string, ...matchers: readonly Matcher[]): string {
  return matchers.length === 0 ? metric : `${metric}{${matchers.join(', ')}}`;
}

/** The series a histogram of the contract exposes: `_bucket`, `_count`, `_sum`. */
export function series(metric: MetricDefinition, part: 'bucket' | 'count' | 'sum'): string {
  if (metric.type !== 'histogram') throw new Error(`${metric.name} is a ${metric.type}, not a histogram`);
  return `${metric.name}_${part}`;
}

export const rate = (metric: string, ...matchers: readonly Matcher[]): string =>
  `rate(${selector(metric, ...matchers)}[${RATE_INTERVAL}])`;

/** The increase over the dashboard's range (or a fixed window such as `1h`). */
export const increase = (metric: string, window: string, ...matchers: readonly Matcher[]): string =>
  `increase(${selector(metric, ...matchers)}[${window}])`;

export function sumBy(labels: readonly string[], expr: string): string {
  return labels.length === 0 ? `sum(${expr})` : `sum by (${labels.join(', ')}) (${expr})`;
}

/** A quantile of a contract histogram, per the labels given. */
export function quantile(
  q: number,
  metric: MetricDefinition,
  by: readonly string[],
  ...matchers: readonly Matcher[]
): string {
  return `histogram_quantile(${String(q)}, ${sumBy([...by, 'le'], rate(series(metric, 'bucket'), ...matchers))})`;
}

/** A ratio of two expressions aggregated by the same labels; no data where the divisor is 0. */
export function ratio(numerator: string, denominator: string): string {
  return `(${numerator}) / (${denominator} > 0)`;
}
