/**
 * OTLP metric requests (protobuf or JSON) to Prometheus samples, translated the way the
 * collector's `prometheus` exporter does (the role the hub plays in local mode): names
 * sanitised with the unit as a suffix and `_total` on monotonic sums, attributes as labels,
 * `job` and `instance` from the resource. Gauges, sums, explicit-bucket histograms and
 * summaries are read; exponential histograms are rejected point by point (partial success).
 */
import { RESOURCE_ATTRIBUTES, getOwn, setOwn } from '@pyairtable/conventions';
import { ExportMetricsServiceRequest } from './proto.js';
import type { Loose } from './shape.js';
import { MAX_VALUE_DEPTH, TooDeep, isObject, list, text } from './shape.js';
import { PayloadError, decodeRequest } from './request.js';

export type MetricKind = 'gauge' | 'counter' | 'histogram' | 'summary';

export interface MetricPoint {
  readonly name: string;
  readonly kind: MetricKind;
  readonly help: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Delta points are added to what the series holds; cumulative ones replace it. */
  readonly delta: boolean;
  readonly value: number;
  readonly count: number;
  readonly sum: number;
  /** Histograms: upper bounds and the count in each bucket (not cumulative), one more than bounds. */
  readonly bounds: readonly number[];
  readonly bucketCounts: readonly number[];
  /** Summaries: [quantile, value] pairs. */
  readonly quantiles: readonly (readonly [number, number])[];
}

export interface DecodedMetrics {
  readonly points: MetricPoint[];
  readonly rejected: number;
  readonly rejectReason?: string;
}

const DELTA = 1;
/** UCUM units the collector spells out as a name suffix. */
const UNIT_WORDS: Readonly<Record<string, string>> = {
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  min: 'minutes',
  h: 'hours',
  d: 'days',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  '%': 'percent',
  Hz: 'hertz',
  V: 'volts',
  W: 'watts',
  A: 'amperes',
  Cel: 'celsius',
  m: 'meters',
};

function numeric(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return Number.NaN;
}

export function sanitizeName(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/_{2,}/g, '_');
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

function sanitizeLabel(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_]/g, '_');
  if (/^[0-9]/.test(cleaned)) return `key_${cleaned}`;
  return cleaned.startsWith('__') ? `key${cleaned}` : cleaned;
}

/** Per-unit words (`By/s` is `_bytes_per_second`), as the collector's translator has them. */
const PER_UNIT_WORDS: Readonly<Record<string, string>> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

/**
 * The collector's naming (its Prometheus translator with metric suffixes on): the name's tokens,
 * then the unit and `per_<unit>` unless a token already says it, `ratio` for gauges in unit 1,
 * and for counters any `total` token moved to the end.
 */
export function prometheusName(
  name: string,
  unit: string,
  kind: MetricKind,
  fromGauge = kind === 'gauge',
): string {
  let tokens = name.split(/[^a-zA-Z0-9:]+/).filter(Boolean);
  const bare = unit.replace(/\{[^}]*\}/g, '');
  const [numerator = '', denominator] = bare.split('/');
  const unitWord =
    numerator === '1' ? '' : sanitizeName(UNIT_WORDS[numerator] ?? numerator).replace(/^_+|_+$/g, '');
  if (unitWord !== '' && !tokens.includes(unitWord)) tokens.push(unitWord);
  if (denominator !== undefined && denominator !== '') {
    const perWord = sanitizeName(PER_UNIT_WORDS[denominator] ?? denominator).replace(/^_+|_+$/g, '');
    if (!tokens.includes(perWord)) tokens.push('per', perWord);
  }
  if (fromGauge && unit === '1' && !tokens.includes('ratio')) tokens.push('ratio');
  if (kind === 'counter') tokens = [...tokens.filter((token) => token !== 'total'), 'total'];
  const joined = tokens.join('_');
  return /^[0-9]/.test(joined) ? `_${joined}` : joined;
}

function plain(value: unknown, depth = 0): string {
  if (!isObject(value)) return '';
  if (depth > MAX_VALUE_DEPTH) throw new TooDeep();
  if (typeof value['stringValue'] === 'string') return value['stringValue'];
  if (typeof value['boolValue'] === 'boolean') return String(value['boolValue']);
  const int = value['intValue'];
  if (typeof int === 'string' || typeof int === 'number') return String(int);
  if (typeof value['doubleValue'] === 'number') return String(value['doubleValue']);
  if (isObject(value['arrayValue']))
    return JSON.stringify(list(value['arrayValue']['values']).map((entry) => plain(entry, depth + 1)));
  return '';
}

function labelsOf(attributes: unknown, base: Readonly<Record<string, string>>): Record<string, string> {
  const labels: Record<string, string> = { ...base };
  for (const entry of list(attributes).filter(isObject)) {
    const key = sanitizeLabel(text(entry['key']));
    if (key === '') continue;
    const value = plain(entry['value']);
    // Two attributes that sanitise to one label keep both values, as the collector does.
    const existing = getOwn(labels, key) as string | undefined;
    setOwn(labels, key, existing === undefined || Object.hasOwn(base, key) ? value : `${existing};${value}`);
  }
  return labels;
}

function resourceLabels(resource: unknown): Record<string, string> {
  const attributes = new Map(
    list(isObject(resource) ? resource['attributes'] : undefined)
      .filter(isObject)
      .map((entry) => [text(entry['key']), plain(entry['value'])]),
  );
  const service = attributes.get(RESOURCE_ATTRIBUTES.serviceName);
  const namespace = attributes.get(RESOURCE_ATTRIBUTES.serviceNamespace);
  const instance = attributes.get(RESOURCE_ATTRIBUTES.serviceInstanceId);
  const labels: Record<string, string> = {};
  if (service !== undefined && service !== '')
    labels['job'] = namespace === undefined || namespace === '' ? service : `${namespace}/${service}`;
  if (instance !== undefined && instance !== '') labels['instance'] = instance;
  return labels;
}

const EMPTY = { value: 0, count: 0, sum: 0, bounds: [], bucketCounts: [], quantiles: [] } as const;

/** Turns a decoded request (either encoding, as plain objects) into Prometheus points. */
export function metricsFromRequest(request: unknown): DecodedMetrics {
  if (!isObject(request)) throw new PayloadError('the body is not an ExportMetricsServiceRequest object');
  const resourceMetrics = request['resourceMetrics'];
  if (resourceMetrics !== undefined && !Array.isArray(resourceMetrics))
    throw new PayloadError('resourceMetrics must be a list');
  const points: MetricPoint[] = [];
  let rejected = 0;
  let rejectReason: string | undefined;
  const reject = (howMany: number, reason: string): void => {
    rejected += howMany;
    rejectReason ??= reason;
  };
  for (const resourceEntry of list(resourceMetrics).filter(isObject)) {
    let base: Record<string, string>;
    try {
      base = resourceLabels(resourceEntry['resource']);
    } catch (error) {
      if (!(error instanceof TooDeep)) throw error;
      throw new PayloadError(`resource: ${error.message}`);
    }
    for (const scopeEntry of list(resourceEntry['scopeMetrics']).filter(isObject))
      for (const metric of list(scopeEntry['metrics']).filter(isObject)) {
        const name = text(metric['name']);
        const unit = text(metric['unit']);
        // Prometheus' linter wants help on every family; the OTLP name says at least what it is.
        const help =
          text(metric['description']) || `${name} received over OTLP${unit === '' ? '' : ` (unit ${unit})`}`;
        if (name === '') {
          reject(1, 'a metric has no name');
          continue;
        }
        const data = (key: string): Loose | undefined => (isObject(metric[key]) ? metric[key] : undefined);
        /** The point's labels, or undefined when the point is refused for them. */
        const labelsFor = (point: Loose): Record<string, string> | undefined => {
          try {
            return labelsOf(point['attributes'], base);
          } catch (error) {
            if (!(error instanceof TooDeep)) throw error;
            reject(1, `${name}: ${error.message}`);
            return undefined;
          }
        };
        const gauge = data('gauge');
        const sum = data('sum');
        const histogram = data('histogram');
        const summary = data('summary');
        const exponential = data('exponentialHistogram');
        if (exponential !== undefined) {
          reject(
            Math.max(1, list(exponential['dataPoints']).length),
            `${name}: exponential histograms are not supported; use explicit buckets`,
          );
          continue;
        }
        const numberPoints = (source: Loose, kind: MetricKind, delta: boolean, fromGauge: boolean): void => {
          const promName = prometheusName(name, unit, kind, fromGauge);
          for (const point of list(source['dataPoints']).filter(isObject)) {
            const value =
              point['asDouble'] !== undefined ? numeric(point['asDouble']) : numeric(point['asInt']);
            if (Number.isNaN(value) && point['asDouble'] === undefined) {
              reject(1, `${name}: a data point has no value`);
              continue;
            }
            const labels = labelsFor(point);
            if (labels === undefined) continue;
            points.push({
              ...EMPTY,
              name: promName,
              kind,
              help,
              delta,
              value,
              labels,
            });
          }
        };
        if (gauge !== undefined) numberPoints(gauge, 'gauge', false, true);
        else if (sum !== undefined) {
          const monotonic = sum['isMonotonic'] === true;
          const delta = numeric(sum['aggregationTemporality']) === DELTA;
          // A non-monotonic delta has no cumulative value to expose; the collector drops it too.
          if (!monotonic && delta)
            reject(
              Math.max(1, list(sum['dataPoints']).length),
              `${name}: non-monotonic delta sums cannot be exposed to Prometheus; send them cumulative`,
            );
          else numberPoints(sum, monotonic ? 'counter' : 'gauge', delta, false);
        } else if (histogram !== undefined) {
          const promName = prometheusName(name, unit, 'histogram');
          const delta = numeric(histogram['aggregationTemporality']) === DELTA;
          for (const point of list(histogram['dataPoints']).filter(isObject)) {
            const bounds = list(point['explicitBounds']).map(numeric);
            const bucketCounts = list(point['bucketCounts']).map(numeric);
            if (bucketCounts.length > 0 && bucketCounts.length !== bounds.length + 1) {
              reject(
                1,
                `${name}: a histogram point has ${String(bucketCounts.length)} buckets for ${String(bounds.length)} bounds`,
              );
              continue;
            }
            const labels = labelsFor(point);
            if (labels === undefined) continue;
            points.push({
              ...EMPTY,
              name: promName,
              kind: 'histogram',
              help,
              delta,
              labels,
              count: numeric(point['count']) || 0,
              sum: numeric(point['sum']) || 0,
              bounds,
              bucketCounts,
            });
          }
        } else if (summary !== undefined) {
          const promName = prometheusName(name, unit, 'summary');
          for (const point of list(summary['dataPoints']).filter(isObject)) {
            const labels = labelsFor(point);
            if (labels === undefined) continue;
            points.push({
              ...EMPTY,
              name: promName,
              kind: 'summary',
              help,
              delta: false,
              labels,
              count: numeric(point['count']) || 0,
              sum: numeric(point['sum']) || 0,
              quantiles: list(point['quantileValues'])
                .filter(isObject)
                .map((entry) => [numeric(entry['quantile']), numeric(entry['value'])] as const),
            });
          }
        } else reject(1, `${name}: the metric has no data`);
      }
  }
  return { points, rejected, ...(rejectReason === undefined ? {} : { rejectReason }) };
}

export const decodeMetrics = (body: Uint8Array, json: boolean): DecodedMetrics =>
  metricsFromRequest(decodeRequest(body, json, ExportMetricsServiceRequest));
