/**
 * A service's `/metrics` against the contract's metric catalog (names, types, labels, buckets,
 * route templates) and against Prometheus's own linter (`promtool check metrics`).
 */
import { spawnSync } from 'node:child_process';
import type { MetricDefinition } from '@pyairtable/conventions';
import { METRICS, SERVICE_NAMESPACE, SPAN_ATTRIBUTES } from '@pyairtable/conventions';
import type { Check } from './report.js';

interface Family {
  type: string | undefined;
  /** Label sets of the family's samples (histogram series without `le`). */
  readonly labelSets: Record<string, string>[];
  readonly bucketBounds: Set<string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+\S+/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The exposition's families by name, histogram and summary samples under their family. */
export function families(text: string): Map<string, Family> {
  const byName = new Map<string, Family>();
  const family = (name: string): Family => {
    let found = byName.get(name);
    if (found === undefined)
      byName.set(name, (found = { type: undefined, labelSets: [], bucketBounds: new Set() }));
    return found;
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name = '', type] = line.split(/\s+/);
      family(name).type = type;
      continue;
    }
    const match = SAMPLE.exec(line);
    if (match === null || line.startsWith('#')) continue;
    const sampleName = match[1] ?? '';
    const labels = Object.fromEntries(
      [...(match[2] ?? '').matchAll(LABEL)].map((pair) => [pair[1] ?? '', pair[2] ?? '']),
    );
    const suffix = /_(bucket|count|sum|created|total)$/.exec(sampleName)?.[1];
    const base = suffix === undefined ? sampleName : sampleName.slice(0, -suffix.length - 1);
    const baseType = byName.get(base)?.type;
    // Samples of a family under their suffixes: a histogram's buckets, count and sum, a
    // summary's count and sum, an OpenMetrics counter's _total, anyone's _created.
    if (suffix === 'created' && baseType !== undefined) continue;
    if (baseType === 'histogram' || baseType === 'summary') {
      if (suffix === 'bucket') family(base).bucketBounds.add(labels['le'] ?? '');
      else if (suffix === 'count') family(base).labelSets.push(labels);
      if (suffix === 'bucket' || suffix === 'count' || suffix === 'sum') continue;
    }
    if (suffix === 'total' && baseType === 'counter') {
      family(base).labelSets.push(labels);
      continue;
    }
    family(sampleName).labelSets.push(labels);
  }
  return byName;
}

const CATALOG = new Map<string, MetricDefinition>(
  Object.values(METRICS).map((metric) => [metric.name, metric]),
);
/** The family every instrumented HTTP service must expose (RED). */
const REQUIRED = METRICS.httpServerRequestDuration;

/**
 * A route that is a raw path rather than a template: a segment of digits, or of six or more
 * characters with three digits or more (an id like rec8Kq2x91, app000123 or a UUID). Templates
 * have `:id` or `{id}` there.
 */
export const looksLikeRawPath = (route: string): boolean =>
  route
    .split('/')
    .some(
      (segment) => /^\d+$/.test(segment) || (segment.length >= 6 && (segment.match(/\d/g) ?? []).length >= 3),
    );

function checkFamily(name: string, family: Family, metric: MetricDefinition): Check[] {
  const checks: Check[] = [];
  if (family.type !== metric.type)
    checks.push({
      check: `metric ${name}`,
      ok: false,
      detail: `is a ${family.type ?? 'untyped'} family, the contract has a ${metric.type}`,
      fix: `expose it as a ${metric.type} (${metric.instrument} in OpenTelemetry)`,
    });
  const missing = metric.labels
    .filter((label) => label.conditional !== true)
    .map((label) => label.name)
    .filter((label) => family.labelSets.some((labels) => !(label in labels)));
  if (missing.length > 0)
    checks.push({
      check: `metric ${name}`,
      ok: false,
      detail: `series without the label(s) ${missing.join(', ')}`,
      fix: `set ${metric.labels.map((label) => `${label.name} (from ${label.attribute})`).join(', ')} on every observation`,
    });
  // A histogram with no series yet has no buckets to compare.
  if (metric.buckets !== undefined && family.type === 'histogram' && family.bucketBounds.size > 0) {
    const expected = [...metric.buckets.map(String), '+Inf'];
    const got = [...family.bucketBounds].filter((bound) => bound !== '');
    const same =
      expected.length === got.length && expected.every((bound) => got.map(Number).includes(Number(bound)));
    if (!same)
      checks.push({
        check: `metric ${name}`,
        ok: false,
        detail: `buckets ${got.join(', ')}; the contract's are ${expected.join(', ')}`,
        fix: 'use the bucket bounds of the contract, so dashboards and alerts can compare services',
      });
  }
  const route = metric.labels.find((label) => label.attribute === SPAN_ATTRIBUTES.httpRoute);
  const raw =
    route === undefined
      ? []
      : family.labelSets.map((labels) => labels[route.name] ?? '').filter(looksLikeRawPath);
  if (raw.length > 0)
    checks.push({
      check: `metric ${name}`,
      ok: false,
      detail: `${route?.name ?? ''}="${raw[0] ?? ''}" looks like a raw path`,
      fix: 'label with the route template (/records/:id), never the path: every id would be a new series',
    });
  if (checks.length === 0)
    checks.push({ check: `metric ${name}`, ok: true, detail: 'as the contract has it' });
  return checks;
}

/** Each family against the catalog; families of ours the catalog lacks; the RED family present. */
export function metricChecks(text: string): Check[] {
  const checks: Check[] = [];
  const found = families(text);
  for (const [name, family] of found) {
    // Python's client exposes `<name>_created` as a gauge family of its own, beside <name>.
    const owner = name.replace(/_created$/, '');
    if (owner !== name && (found.has(owner) || found.has(`${owner}_total`))) continue;
    // An OpenMetrics counter's family is named without the _total its samples carry.
    const metric =
      CATALOG.get(name) ?? (family.type === 'counter' ? CATALOG.get(`${name}_total`) : undefined);
    if (metric !== undefined) checks.push(...checkFamily(name, family, metric));
    else if (name.startsWith(`${SERVICE_NAMESPACE}_`))
      checks.push({
        check: `metric ${name}`,
        ok: false,
        detail: `has the ${SERVICE_NAMESPACE}_ prefix but is not in the contract's catalog`,
        fix: 'use a catalog metric (packages/conventions, METRICS), or add this one to the catalog first',
      });
  }
  if (!found.has(REQUIRED.name))
    checks.push({
      check: `metric ${REQUIRED.name}`,
      ok: false,
      detail: 'missing: every HTTP service exposes its request durations (rate, errors, duration)',
      fix: 'instrument the HTTP server (the SDK does it; in Go or Python, the OpenTelemetry HTTP instrumentation with a Prometheus exporter)',
    });
  return checks;
}

/** `promtool check metrics` over the exposition: each thing it says is a finding. */
export function promtoolChecks(text: string, promtool: string | undefined): Check[] {
  if (promtool === undefined)
    return [
      {
        check: 'promtool check metrics',
        ok: true,
        detail: 'skipped: promtool is not installed here (sudo apt-get install prometheus)',
      },
    ];
  const result = spawnSync(promtool, ['check', 'metrics'], {
    input: text,
    encoding: 'utf8',
    timeout: 30_000,
  });
  const said = `${result.stdout}${result.stderr}`
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  if (result.status === 0 && said.length === 0)
    return [{ check: 'promtool check metrics', ok: true, detail: 'nothing to say' }];
  return (said.length > 0 ? said : [`exit ${String(result.status)}`]).map((line) => ({
    check: 'promtool check metrics',
    ok: false,
    detail: line,
    fix: 'follow Prometheus’s naming rules (https://prometheus.io/docs/practices/naming/)',
  }));
}
