/**
 * The latest value of every metric series received over OTLP, served in Prometheus' text format
 * for Prometheus to scrape (the collector's `prometheus` exporter, port 8889 in the spec). Held in
 * memory: Prometheus is the durable store of metrics. Bounded: past `maxSeries` a new series is
 * refused (counted and reported to the sender); a series not updated for `expireAfterMs` goes,
 * as the exporter's `metric_expiration` does.
 */
import type { MetricKind, MetricPoint } from './otlp/metrics.js';

interface Series {
  labels: Readonly<Record<string, string>>;
  value: number;
  count: number;
  sum: number;
  bounds: readonly number[];
  bucketCounts: number[];
  quantiles: readonly (readonly [number, number])[];
  updatedAt: number;
}

interface Family {
  readonly kind: MetricKind;
  help: string;
  readonly series: Map<string, Series>;
}

export const METRIC_STORE_DEFAULTS = { maxSeries: 50_000, expireAfterMs: 5 * 60_000 } as const;

const escapeLabel = (value: string): string =>
  value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** Labels in name order: the exposition's order, and the key that identifies a series. */
const sortedLabels = (labels: Readonly<Record<string, string>>): [string, string][] =>
  Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

function labelText(labels: Readonly<Record<string, string>>, extra?: readonly [string, string]): string {
  const entries = sortedLabels(labels);
  if (extra !== undefined) entries.push([extra[0], extra[1]]);
  if (entries.length === 0) return '';
  return `{${entries.map(([key, value]) => `${key}="${escapeLabel(value)}"`).join(',')}}`;
}

/** The label the format adds to a family's samples, which an attribute must not take. */
const RESERVED_LABEL: Readonly<Partial<Record<MetricKind, string>>> = {
  histogram: 'le',
  summary: 'quantile',
};

/** An attribute named like that label is kept as exported_<name>, as Prometheus renames clashing target labels. */
function withoutReserved(
  labels: Readonly<Record<string, string>>,
  kind: MetricKind,
): Readonly<Record<string, string>> {
  const reserved = RESERVED_LABEL[kind];
  if (reserved === undefined || !(reserved in labels)) return labels;
  return Object.fromEntries(
    Object.entries(labels).map(([key, value]) => [key === reserved ? `exported_${key}` : key, value]),
  );
}

const seriesKey = (labels: Readonly<Record<string, string>>): string => JSON.stringify(sortedLabels(labels));

export class MetricStore {
  private readonly families = new Map<string, Family>();
  private seriesCount = 0;

  constructor(
    private readonly options: { maxSeries?: number; expireAfterMs?: number; now?: () => number } = {},
  ) {}

  get size(): number {
    return this.seriesCount;
  }

  /** Applies points; returns how many were refused and why (the first reason). */
  apply(points: readonly MetricPoint[]): { rejected: number; rejectReason?: string } {
    const now = (this.options.now ?? Date.now)();
    const maxSeries = this.options.maxSeries ?? METRIC_STORE_DEFAULTS.maxSeries;
    let rejected = 0;
    let rejectReason: string | undefined;
    for (const point of points) {
      let family = this.families.get(point.name);
      if (family === undefined) {
        family = { kind: point.kind, help: point.help, series: new Map() };
        this.families.set(point.name, family);
      } else if (family.kind !== point.kind) {
        rejected++;
        rejectReason ??= `${point.name} is a ${family.kind} here; a ${point.kind} cannot share its name`;
        continue;
      }
      if (point.help !== '') family.help = point.help;
      const key = seriesKey(point.labels);
      const current = family.series.get(key);
      if (current === undefined) {
        if (this.seriesCount >= maxSeries) {
          rejected++;
          rejectReason ??= `the hub holds ${String(maxSeries)} metric series, its limit; new series are refused`;
          continue;
        }
        this.seriesCount++;
        family.series.set(key, {
          labels: point.labels,
          value: point.value,
          count: point.count,
          sum: point.sum,
          bounds: point.bounds,
          bucketCounts: [...point.bucketCounts],
          quantiles: point.quantiles,
          updatedAt: now,
        });
        continue;
      }
      current.updatedAt = now;
      const sameBuckets =
        current.bounds.length === point.bounds.length &&
        current.bounds.every((bound, index) => bound === point.bounds[index]);
      if (point.delta && (point.kind !== 'histogram' || sameBuckets)) {
        current.value += point.value;
        current.count += point.count;
        current.sum += point.sum;
        current.bucketCounts = current.bucketCounts.map(
          (value, index) => value + (point.bucketCounts[index] ?? 0),
        );
      } else {
        current.value = point.value;
        current.count = point.count;
        current.sum = point.sum;
        current.bounds = point.bounds;
        current.bucketCounts = [...point.bucketCounts];
        current.quantiles = point.quantiles;
      }
    }
    return { rejected, ...(rejectReason === undefined ? {} : { rejectReason }) };
  }

  /** Drops series not updated within the expiry. */
  expire(): void {
    const cutoff =
      (this.options.now ?? Date.now)() - (this.options.expireAfterMs ?? METRIC_STORE_DEFAULTS.expireAfterMs);
    for (const [name, family] of this.families) {
      for (const [key, series] of family.series)
        if (series.updatedAt < cutoff) {
          family.series.delete(key);
          this.seriesCount--;
        }
      if (family.series.size === 0) this.families.delete(name);
    }
  }

  /** The Prometheus text exposition format (0.0.4), families in name order. */
  exposition(): string {
    this.expire();
    const lines: string[] = [];
    const names = [...this.families.keys()].sort();
    for (const name of names) {
      const family = this.families.get(name);
      if (family === undefined) continue;
      lines.push(`# HELP ${name} ${escapeHelp(family.help)}`);
      lines.push(`# TYPE ${name} ${family.kind}`);
      for (const stored of family.series.values()) {
        const series = { ...stored, labels: withoutReserved(stored.labels, family.kind) };
        if (family.kind === 'gauge' || family.kind === 'counter') {
          lines.push(`${name}${labelText(series.labels)} ${formatNumber(series.value)}`);
          continue;
        }
        if (family.kind === 'histogram') {
          let cumulative = 0;
          series.bounds.forEach((bound, index) => {
            cumulative += series.bucketCounts[index] ?? 0;
            lines.push(
              `${name}_bucket${labelText(series.labels, ['le', formatNumber(bound)])} ${formatNumber(cumulative)}`,
            );
          });
          lines.push(
            `${name}_bucket${labelText(series.labels, ['le', '+Inf'])} ${formatNumber(series.count)}`,
          );
        } else
          for (const [quantile, value] of series.quantiles)
            lines.push(
              `${name}${labelText(series.labels, ['quantile', formatNumber(quantile)])} ${formatNumber(value)}`,
            );
        lines.push(`${name}_sum${labelText(series.labels)} ${formatNumber(series.sum)}`);
        lines.push(`${name}_count${labelText(series.labels)} ${formatNumber(series.count)}`);
      }
    }
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }
}
