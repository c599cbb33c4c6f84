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
  /** What this series takes in the exposition (an estimate from above, in UTF-16 units). */
  size: number;
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

export const METRIC_STORE_DEFAULTS = {
  maxSeries: 50_000,
  expireAfterMs: 5 * 60_000,
  /** One series' lines in the exposition: bounds times label text, which one request controls. */
  maxSeriesBytes: 256 * 1024,
  /** Every series' lines together: what a scrape answers, and about what the store holds. */
  maxTotalBytes: 128 * 1024 * 1024,
} as const;

/** The exposition is written in pieces of about this size, never built as one string. */
const CHUNK_BYTES = 64 * 1024;

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

/** A bound on the exposition text of one point's series: its lines times the longest line. */
function expositionSize(point: MetricPoint): number {
  const lines =
    point.kind === 'histogram'
      ? point.bounds.length + 3
      : point.kind === 'summary'
        ? point.quantiles.length + 2
        : 1;
  let labels = 0;
  for (const [key, value] of Object.entries(point.labels)) labels += key.length + 2 * value.length + 4;
  // name + `_bucket` + the `le` label + the value: 64 covers the longest of those additions.
  return lines * (point.name.length + labels + 64);
}

export class MetricStore {
  private readonly families = new Map<string, Family>();
  private seriesCount = 0;

  private totalSize = 0;

  constructor(
    private readonly options: {
      maxSeries?: number;
      expireAfterMs?: number;
      maxSeriesBytes?: number;
      maxTotalBytes?: number;
      now?: () => number;
    } = {},
  ) {}

  /** What the series hold, by the exposition size they were admitted at (an estimate from above). */
  get heldBytes(): number {
    return this.totalSize;
  }

  get size(): number {
    return this.seriesCount;
  }

  /** Applies points; returns how many were refused and why (the first reason). */
  apply(points: readonly MetricPoint[]): { rejected: number; rejectReason?: string } {
    const now = (this.options.now ?? Date.now)();
    const maxSeries = this.options.maxSeries ?? METRIC_STORE_DEFAULTS.maxSeries;
    const maxSeriesBytes = this.options.maxSeriesBytes ?? METRIC_STORE_DEFAULTS.maxSeriesBytes;
    const maxTotalBytes = this.options.maxTotalBytes ?? METRIC_STORE_DEFAULTS.maxTotalBytes;
    let rejected = 0;
    let rejectReason: string | undefined;
    // Expired series make room; looked for only near the limits (it walks every series).
    const sizes = points.map(expositionSize);
    const incoming = sizes.reduce((sum, size) => sum + size, 0);
    if (this.seriesCount + points.length > maxSeries || this.totalSize + incoming > maxTotalBytes)
      this.expire();
    for (const [index, point] of points.entries()) {
      const size = sizes[index] ?? 0;
      if (size > maxSeriesBytes) {
        rejected++;
        rejectReason ??= `${point.name}: a series of ${String(point.bounds.length)} bucket bounds and ${String(Object.keys(point.labels).length)} labels would take ${String(size)} bytes to expose, more than ${String(maxSeriesBytes)}; send fewer bounds or shorter label values`;
        continue;
      }
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
      const growth = size - (current?.size ?? 0);
      if (growth > 0 && this.totalSize + growth > maxTotalBytes) {
        rejected++;
        rejectReason ??= `the hub's metric series take ${String(this.totalSize)} bytes to expose, near their limit of ${String(maxTotalBytes)}; larger or new series are refused`;
        continue;
      }
      if (current === undefined) {
        if (this.seriesCount >= maxSeries) {
          rejected++;
          rejectReason ??= `the hub holds ${String(maxSeries)} metric series, its limit; new series are refused`;
          continue;
        }
        this.seriesCount++;
        this.totalSize += size;
        family.series.set(key, {
          size,
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
      this.totalSize += growth;
      current.size = size;
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
          this.totalSize -= series.size;
        }
      if (family.series.size === 0) this.families.delete(name);
    }
  }

  /** The Prometheus text exposition format (0.0.4), families in name order, as one string. */
  exposition(): string {
    return [...this.expositionChunks()].join('');
  }

  /**
   * The exposition in pieces of about 64 KiB, for a server to write as they come: its total
   * size is bounded by maxTotalBytes, but it is never held as one string.
   */
  *expositionChunks(): Generator<string> {
    this.expire();
    let lines: string[] = [];
    let pending = 0;
    const push = (line: string): void => {
      lines.push(line);
      pending += line.length + 1;
    };
    for (const name of [...this.families.keys()].sort()) {
      const family = this.families.get(name);
      if (family === undefined) continue;
      push(`# HELP ${name} ${escapeHelp(family.help)}`);
      push(`# TYPE ${name} ${family.kind}`);
      for (const stored of family.series.values()) {
        seriesLines(name, family.kind, stored, push);
        if (pending >= CHUNK_BYTES) {
          yield `${lines.join('\n')}\n`;
          lines = [];
          pending = 0;
        }
      }
    }
    if (lines.length > 0) yield `${lines.join('\n')}\n`;
  }
}

/** One series' sample lines. */
function seriesLines(name: string, kind: MetricKind, stored: Series, push: (line: string) => void): void {
  const series = { ...stored, labels: withoutReserved(stored.labels, kind) };
  if (kind === 'gauge' || kind === 'counter') {
    push(`${name}${labelText(series.labels)} ${formatNumber(series.value)}`);
    return;
  }
  if (kind === 'histogram') {
    let cumulative = 0;
    series.bounds.forEach((bound, index) => {
      cumulative += series.bucketCounts[index] ?? 0;
      push(
        `${name}_bucket${labelText(series.labels, ['le', formatNumber(bound)])} ${formatNumber(cumulative)}`,
      );
    });
    push(`${name}_bucket${labelText(series.labels, ['le', '+Inf'])} ${formatNumber(series.count)}`);
  } else
    for (const [quantile, value] of series.quantiles)
      push(`${name}${labelText(series.labels, ['quantile', formatNumber(quantile)])} ${formatNumber(value)}`);
  push(`${name}_sum${labelText(series.labels)} ${formatNumber(series.sum)}`);
  push(`${name}_count${labelText(series.labels)} ${formatNumber(series.count)}`);
}
