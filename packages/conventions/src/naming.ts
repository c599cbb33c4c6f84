/**
 * OpenTelemetry to Prometheus name translation and the naming rules of the catalog.
 *
 * The translation follows OpenTelemetry's Prometheus compatibility specification (underscore
 * escaping with suffixes, specification v1.56 and later): characters outside `[a-zA-Z0-9_]`
 * become `_` and runs of `_` collapse, the unit becomes a suffix unless the name already ends
 * with it, annotations in braces (`{request}`) and the unit `1` add nothing, and monotonic
 * counters end in `_total`.
 */
import type { LabelDefinition, MetricDefinition } from './metrics.js';
import { IDENTITY_LABELS } from './metrics.js';

/** UCUM units and their Prometheus suffixes (OpenTelemetry's translation table, base units). */
const UNIT_SUFFIXES: Readonly<Record<string, string>> = {
  s: 'seconds',
  By: 'bytes',
  '%': 'percent',
  Hz: 'hertz',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
};

/**
 * Units the catalog may use besides `{annotations}`: Prometheus recommends base units, so
 * milliseconds, kibibytes and friends are rejected even though the translation table knows
 * them. The dimensionless `1` is avoided too: the specification stopped translating it to
 * `_ratio` in v1.56, so the Prometheus name of such a metric depends on the exporter's version.
 */
export const ALLOWED_UNITS = ['s', 'By'] as const;

/** Prometheus's own names that a metric name must not end with. */
const RESERVED_SUFFIXES = ['_sum', '_count', '_bucket', '_created', '_info', '_gcount', '_gsum'];
const RESERVED_LABELS = ['le', 'quantile', 'job', 'instance'];
const NON_BASE_UNIT_IN_NAME =
  /_(milli|micro|nano)seconds(_|$)|_(ms|us|ns)(_|$)|_(minutes?|hours?|days?)(_|$)|_(kb|mb|gb|kib|mib|gib|kilobytes|megabytes|gigabytes)(_|$)/;
const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

function sanitize(name: string): string {
  const replaced = name.replace(/[^a-zA-Z0-9_]/g, '_').replace(/_+/g, '_');
  return /^[0-9]/.test(replaced) ? `_${replaced}` : replaced;
}

/** The Prometheus label name for an attribute key (`http.route` → `http_route`). */
export function prometheusLabelName(attributeKey: string): string {
  return sanitize(attributeKey);
}

function unitSuffix(unit: string): string | undefined {
  if (unit.startsWith('{') && unit.endsWith('}')) return undefined;
  if (unit === '1') return undefined;
  const per = unit.split('/');
  if (per.length === 2) {
    const [numerator = '', denominator = ''] = per;
    const left = unitSuffix(numerator);
    const right = UNIT_SUFFIXES[denominator] ?? denominator;
    return left ? `${left}_per_${right}` : `per_${right}`;
  }
  return UNIT_SUFFIXES[unit] ?? sanitize(unit);
}

/** The Prometheus metric name OpenTelemetry's translation gives an instrument. */
export function prometheusMetricName(otelName: string, unit: string, type: MetricDefinition['type']): string {
  let name = sanitize(otelName);
  const suffix = unitSuffix(unit);
  if (suffix && !name.endsWith(`_${suffix}`)) name = `${name}_${suffix}`;
  if (type === 'counter' && !name.endsWith('_total')) name = `${name}_total`;
  return name;
}

function labelProblems(metric: string, label: LabelDefinition): string[] {
  const at = `${metric} label ${label.name}`;
  const problems: string[] = [];
  if (!SNAKE_CASE.test(label.name)) problems.push(`${at}: label names are snake_case`);
  if (label.name.startsWith('__') || RESERVED_LABELS.includes(label.name))
    problems.push(`${at}: "${label.name}" is reserved by Prometheus`);
  if ((Object.values(IDENTITY_LABELS) as string[]).includes(label.name))
    problems.push(`${at}: "${label.name}" is an identity label that every series already carries`);
  const expected = prometheusLabelName(label.attribute);
  if (label.name !== expected)
    problems.push(`${at}: must be the translated attribute key "${expected}" (attribute ${label.attribute})`);
  if (label.description.trim() === '') problems.push(`${at}: needs a description`);
  if (label.values !== undefined) {
    if (label.values.length === 0) problems.push(`${at}: a bounded label lists at least one value`);
    if (new Set(label.values).size !== label.values.length) problems.push(`${at}: values repeat`);
    if (label.values.some((value) => value.trim() === '')) problems.push(`${at}: empty value`);
  }
  if (label.pattern !== undefined) {
    try {
      new RegExp(label.pattern);
    } catch {
      problems.push(`${at}: pattern ${label.pattern} does not compile`);
    }
    if (label.values !== undefined) problems.push(`${at}: give values or a pattern, not both`);
  }
  return problems;
}

const INSTRUMENTS_BY_TYPE: Readonly<Record<MetricDefinition['type'], readonly string[]>> = {
  counter: ['counter'],
  gauge: ['updowncounter', 'gauge'],
  histogram: ['histogram'],
};

/**
 * Every naming rule a metric definition breaks, as sentences naming the metric; empty when
 * the definition is sound. Used over the catalog by the tests and over user-defined metrics by
 * the SDK.
 */
export function metricDefinitionProblems(metric: MetricDefinition): string[] {
  const problems: string[] = [];
  const { name } = metric;
  if (!SNAKE_CASE.test(name)) problems.push(`${name}: metric names are snake_case ([a-z0-9_], no double _)`);
  const expected = prometheusMetricName(metric.otelName, metric.unit, metric.type);
  if (name !== expected)
    problems.push(
      `${name}: OpenTelemetry's translation of ${metric.otelName} (${metric.unit}, ${metric.type}) is ${expected}`,
    );
  if (metric.type === 'counter' && !name.endsWith('_total')) problems.push(`${name}: counters end in _total`);
  if (metric.type !== 'counter' && name.endsWith('_total'))
    problems.push(`${name}: only counters end in _total`);
  for (const suffix of RESERVED_SUFFIXES)
    if (name.endsWith(suffix)) problems.push(`${name}: the suffix ${suffix} is reserved by Prometheus`);
  const unitIsAnnotation = metric.unit.startsWith('{') && metric.unit.endsWith('}');
  if (!unitIsAnnotation && !(ALLOWED_UNITS as readonly string[]).includes(metric.unit))
    problems.push(`${name}: unit ${metric.unit} is not a base unit (use one of ${ALLOWED_UNITS.join(', ')})`);
  if (NON_BASE_UNIT_IN_NAME.test(name)) problems.push(`${name}: names use base units (seconds, bytes)`);
  if (metric.semconv && name.startsWith('pyairtable_'))
    problems.push(`${name}: semantic-convention metrics keep their OpenTelemetry name`);
  if (!metric.semconv && !name.startsWith('pyairtable_'))
    problems.push(`${name}: metrics of our own are namespaced pyairtable_`);
  if (!INSTRUMENTS_BY_TYPE[metric.type].includes(metric.instrument))
    problems.push(`${name}: a ${metric.instrument} instrument is not exposed as a ${metric.type}`);
  if (!/^[A-Z].*\.$/.test(metric.help.trim()))
    problems.push(`${name}: help is a sentence ending with a period`);
  if (metric.type === 'histogram') {
    const buckets = metric.buckets ?? [];
    if (buckets.length === 0) problems.push(`${name}: histograms define their buckets`);
    if (buckets.some((bound) => !Number.isFinite(bound) || bound <= 0))
      problems.push(`${name}: bucket bounds are finite and positive`);
    if (buckets.some((bound, index) => index > 0 && bound <= (buckets[index - 1] ?? -Infinity)))
      problems.push(`${name}: bucket bounds strictly increase`);
  } else if (metric.buckets !== undefined) {
    problems.push(`${name}: only histograms have buckets`);
  }
  const labelNames = metric.labels.map((label) => label.name);
  if (new Set(labelNames).size !== labelNames.length) problems.push(`${name}: a label is listed twice`);
  for (const label of metric.labels) problems.push(...labelProblems(name, label));
  return problems;
}

/** Problems of the catalog as a whole: each metric's, plus names that collide. */
export function catalogProblems(catalog: readonly MetricDefinition[]): string[] {
  const problems = catalog.flatMap(metricDefinitionProblems);
  const seen = new Map<string, string>();
  for (const metric of catalog) {
    // A histogram owns its _bucket, _sum and _count series; nothing else may take those names.
    const owned =
      metric.type === 'histogram'
        ? [metric.name, `${metric.name}_bucket`, `${metric.name}_sum`, `${metric.name}_count`]
        : [metric.name];
    for (const series of [...owned, `otel:${metric.otelName}`]) {
      const previous = seen.get(series);
      if (previous !== undefined) problems.push(`${metric.name}: ${series} is also defined by ${previous}`);
      seen.set(series, metric.name);
    }
  }
  return problems;
}
