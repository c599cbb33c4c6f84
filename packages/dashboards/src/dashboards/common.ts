/**
 * What every dashboard shares: the thresholds they draw, the variables, the RED expressions of
 * the contract's HTTP metrics, and short constructors for queries.
 */
import type { AlertThresholds, SPEC_THRESHOLDS } from '@pyairtable/conventions';
import { IDENTITY_LABELS, METRICS, METRIC_LABELS as L } from '@pyairtable/conventions';
import type { DatasourceVariable, LabelVariable, Query } from '../model.js';
import type { Matcher } from '../promql.js';
import { VARIABLES, rate, re, selector, series, serviceMatch, sumBy } from '../promql.js';

/** The numbers the panels draw: the spec's and the profile's alert thresholds. */
export type DashboardThresholds = typeof SPEC_THRESHOLDS & AlertThresholds;

export const SERVICE = IDENTITY_LABELS.service;
export const TIER = IDENTITY_LABELS.tier;

export const query = (expr: string, legend?: string): Query => ({
  expr,
  ...(legend === undefined ? {} : { legend }),
});
export const instant = (expr: string, legend?: string): Query => ({ ...query(expr, legend), instant: true });

/** `{{label}}` legends. */
export const legend = (...labels: readonly string[]): string =>
  labels.map((label) => `{{${label}}}`).join(' ');

export const environmentVariable: DatasourceVariable = {
  kind: 'datasource',
  name: VARIABLES.environment,
  label: 'Environment',
};

/** Services that served HTTP: the contract's server histogram, by its identity label. */
export const serviceVariable: LabelVariable = {
  kind: 'label',
  name: VARIABLES.service,
  label: 'Service',
  metric: series(METRICS.httpServerRequestDuration, 'count'),
};

/** The instances of one exporter's targets. */
export function instanceVariable(metric: string): LabelVariable {
  return { kind: 'label', name: VARIABLES.instance, label: 'Instance', metric };
}

const httpCount = series(METRICS.httpServerRequestDuration, 'count');
const serverErrors: Matcher = re(L.httpResponseStatusCode.name, '5..');

/** Requests a second, by the labels given. */
export function requestRate(by: readonly string[], ...matchers: readonly Matcher[]): string {
  return sumBy(by, rate(httpCount, serviceMatch, ...matchers));
}

/**
 * A failing share by the labels given: 0 (not "no data") while nothing fails, and no value
 * where nothing was counted at all.
 */
export function failingShare(
  metric: string,
  failing: Matcher,
  by: readonly string[],
  ...matchers: readonly Matcher[]
): string {
  const all = sumBy(by, rate(metric, serviceMatch, ...matchers));
  const failed = sumBy(by, rate(metric, serviceMatch, failing, ...matchers));
  return `(${failed} or ${all} * 0) / (${all} > 0)`;
}

/** The share of requests answered 5xx, by the labels given. */
export function httpErrorRatio(by: readonly string[], ...matchers: readonly Matcher[]): string {
  return failingShare(httpCount, serverErrors, by, ...matchers);
}

/** The `service` matcher for a service-scoped selector of a metric that is not a rate. */
export const forServices = (metric: string, ...matchers: readonly Matcher[]): string =>
  selector(metric, serviceMatch, ...matchers);
