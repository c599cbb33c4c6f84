/**
 * What the running stack measured over a window, from Prometheus: spans per second before and
 * after the tail policy (the hub's counters in local mode, the collector's in Compose and
 * Kubernetes), log bytes per day per category, active series and samples per second, the
 * bytes a span and a sample take where the engines report it, and AI spend by service,
 * provider and model. A figure nothing reports is marked assumed, never silently made up.
 */
import type { LogCategory } from '@pyairtable/conventions';
import { IDENTITY_LABELS, LOG_CATEGORIES, METRICS, METRIC_LABELS } from '@pyairtable/conventions';
import { EXPORTER_METRICS } from '@pyairtable/dashboards';
import { SourceError } from '../errors.js';
import type { Environment } from '@pyairtable/conventions';
import { JAEGER_TRACE_EXPORTER, PROFILES, alertRules } from '@pyairtable/stack';
import { monthAround, perDay } from './estimate.js';
import type { PrometheusTarget } from './prometheus.js';
import {
  headSeries,
  instantQuery,
  parseDurationSeconds,
  prometheusFlags,
  scalarQuery,
} from './prometheus.js';

const HUB = EXPORTER_METRICS.hub;
const COLLECTOR = EXPORTER_METRICS.otelcol;
const PROMETHEUS = EXPORTER_METRICS.prometheus;

/** A figure with where it came from: measured by the stack, or an assumption the user can change. */
export interface Figure {
  readonly value: number;
  readonly measured: boolean;
}

export interface Assumptions {
  readonly bytesPerSpan: number;
  readonly bytesPerSample: number;
  readonly scrapeIntervalSeconds: number;
}

export interface SpanVolumes {
  readonly source: 'hub' | 'collector' | 'none';
  /** Before the tail policy: every span services sent. */
  readonly receivedPerSecond: number;
  /** After it: what is kept. */
  readonly keptPerSecond: number;
  readonly bytesPerSpan: Figure;
}

export interface MetricVolumes {
  readonly activeSeries: number;
  readonly samplesPerSecond: Figure;
  readonly bytesPerSample: Figure;
}

export interface AiSpend {
  readonly service: string;
  readonly provider: string;
  readonly model: string;
  readonly monthToDateUsd: number;
  /** The window's pace, per day. */
  readonly perDayUsd: number;
}

export interface Volumes {
  readonly spans: SpanVolumes;
  /** Bytes per day by category; undefined where nothing counts them. */
  readonly logBytesPerDay: Readonly<Record<LogCategory, number>> | undefined;
  readonly logSource: 'hub' | 'elasticsearch' | 'none';
  readonly metrics: MetricVolumes;
  readonly ai: AiVolumes;
}

export interface Measurement {
  readonly target: PrometheusTarget;
  /** Whose HighAICosts rule (budget) the AI spend is held against. */
  readonly profile: Environment;
  readonly atSeconds: number;
  /** A Prometheus range, like `1h`. */
  readonly window: string;
}

const rateOf = (metric: string, window: string, selector = ''): string =>
  `sum(rate(${metric}${selector}[${window}]))`;

/** Bytes per item over `range` (bytes counter over items counter), when both grew. */
async function bytesPer(
  m: Measurement,
  bytes: string,
  items: string,
  range = m.window,
): Promise<number | undefined> {
  const ratio = await scalarQuery(
    m.target,
    `sum(increase(${bytes}[${range}])) / sum(increase(${items}[${range}])) > 0`,
    m.atSeconds,
  );
  return ratio === undefined || !Number.isFinite(ratio) ? undefined : ratio;
}

export async function spanVolumes(m: Measurement, assumed: Assumptions): Promise<SpanVolumes> {
  const at = m.atSeconds;
  const hubReceived = await scalarQuery(m.target, rateOf(HUB.spansReceived, m.window), at);
  if (hubReceived !== undefined) {
    const sampledOut = (await scalarQuery(m.target, rateOf(HUB.spansSampledOut, m.window), at)) ?? 0;
    const bytes = await bytesPer(m, HUB.spanBytesStored, HUB.spansStored);
    return {
      source: 'hub',
      receivedPerSecond: hubReceived,
      keptPerSecond: Math.max(0, hubReceived - sampledOut),
      bytesPerSpan:
        bytes === undefined
          ? { value: assumed.bytesPerSpan, measured: false }
          : { value: bytes, measured: true },
    };
  }
  // Only the collectors that export to Jaeger run the tail policy: not Kubernetes' agents in front
  // of them, nor Jaeger (itself a collector, whose receiver takes the kept spans again).
  // Over the window, so a gateway a rollout replaced in it still counts.
  const policyCollectors = `on (instance) count_over_time(${COLLECTOR.sentSpans}{exporter="${JAEGER_TRACE_EXPORTER}"}[${m.window}])`;
  const accepted = await scalarQuery(
    m.target,
    `sum(rate(${COLLECTOR.acceptedSpans}[${m.window}]) and ${policyCollectors})`,
    at,
  );
  const bytesPerSpan = { value: assumed.bytesPerSpan, measured: false };
  if (accepted === undefined) return { source: 'none', receivedPerSecond: 0, keptPerSecond: 0, bytesPerSpan };
  const sent = await scalarQuery(
    m.target,
    rateOf(COLLECTOR.sentSpans, m.window, `{exporter="${JAEGER_TRACE_EXPORTER}"}`),
    at,
  );
  return { source: 'collector', receivedPerSecond: accepted, keptPerSecond: sent ?? 0, bytesPerSpan };
}

export async function logBytesPerDay(m: Measurement): Promise<Record<LogCategory, number> | undefined> {
  const samples = await instantQuery(
    m.target,
    `sum by (category) (rate(${HUB.logBytesStored}[${m.window}]))`,
    m.atSeconds,
  );
  if (samples.length === 0) return undefined;
  const perCategory = Object.fromEntries(LOG_CATEGORIES.map((category) => [category, 0])) as Record<
    LogCategory,
    number
  >;
  for (const sample of samples) {
    const category = sample.labels['category'] as LogCategory | undefined;
    if (category !== undefined && category in perCategory) perCategory[category] = perDay(sample.value);
  }
  return perCategory;
}

export async function metricVolumes(m: Measurement, assumed: Assumptions): Promise<MetricVolumes> {
  const at = m.atSeconds;
  const scraped = await scalarQuery(m.target, `sum(${PROMETHEUS.headSeries})`, at);
  const activeSeries = scraped ?? (await headSeries(m.target));
  const appended = await scalarQuery(m.target, rateOf(PROMETHEUS.samplesAppended, m.window), at);
  // Chunks are written when the head is compacted, every two hours: a day holds several.
  const bytes = await bytesPer(
    m,
    `${PROMETHEUS.chunkBytes}_sum`,
    `${PROMETHEUS.chunkSamples}_sum`,
    CHUNK_LOOKBACK,
  );
  return {
    activeSeries,
    samplesPerSecond:
      appended === undefined
        ? { value: activeSeries / assumed.scrapeIntervalSeconds, measured: false }
        : { value: appended, measured: true },
    bytesPerSample:
      bytes === undefined
        ? { value: assumed.bytesPerSample, measured: false }
        : { value: bytes, measured: true },
  };
}

const CHUNK_LOOKBACK = '1d';

const AI_LABELS = [
  IDENTITY_LABELS.service,
  METRIC_LABELS.genAiProviderName.name,
  METRIC_LABELS.genAiRequestModel.name,
];

export interface AiVolumes {
  readonly rows: readonly AiSpend[];
  /** Where the month to date starts: the month's first, or the oldest sample Prometheus still holds. */
  readonly measuredFromSeconds: number;
  /** Each service's figure the HighAICosts alert compares with its budget (USD a day), at that time. */
  readonly alertPacePerDay: Readonly<Record<string, number>>;
  /** HighAICosts as Prometheus has it, by service: pending or firing (absent: inactive). */
  readonly alertStates: Readonly<Record<string, 'pending' | 'firing'>>;
}

/** Prometheus's default retention when neither an age nor a size is set. */
const DEFAULT_RETENTION_SECONDS = 15 * 86_400;

/** The age Prometheus keeps samples for, from its flags; undefined when only a size bounds it. */
export function retentionSeconds(flags: Readonly<Record<string, string | undefined>>): number | undefined {
  const age =
    parseDurationSeconds(flags['storage.tsdb.retention.time']) ??
    parseDurationSeconds(flags['storage.tsdb.retention']);
  if (age !== undefined) return age;
  const size = flags['storage.tsdb.retention.size'];
  return size === undefined || /^0[A-Z]*B?$/i.test(size) ? DEFAULT_RETENTION_SECONDS : undefined;
}

/**
 * The oldest time Prometheus still holds samples for: its own gauge (the latest of them, should
 * it scrape several Prometheus servers), else now less its retention. A fresh Prometheus reports
 * no lowest time (the largest int64); a time after `at` says nothing about the month either.
 */
async function oldestSampleSeconds(m: Measurement): Promise<number | undefined> {
  const lowest = await scalarQuery(m.target, `max(${PROMETHEUS.lowestTimestamp})`, m.atSeconds);
  if (lowest !== undefined && lowest <= m.atSeconds) return lowest;
  if (lowest !== undefined) return m.atSeconds;
  const flags = await prometheusFlags(m.target).catch((error: unknown) => {
    if (error instanceof SourceError) return {};
    throw error;
  });
  const retention = retentionSeconds(flags);
  return retention === undefined ? undefined : Date.now() / 1000 - retention;
}

/** The left side of the HighAICosts rule (`… > budget`): its own expression, not a copy. */
export function aiAlertExpression(profile: Environment): string {
  const rule = alertRules(PROFILES[profile].alerts).find((candidate) => candidate.alert === 'HighAICosts');
  const comparison = rule?.expr.lastIndexOf(' > ') ?? -1;
  if (rule === undefined || comparison < 0)
    throw new Error('the HighAICosts rule has no "> budget" comparison');
  return rule.expr.slice(0, comparison);
}

/** AI spend by service, provider and model: month to date (UTC) and the window's pace per day. */
export async function aiSpend(m: Measurement): Promise<AiVolumes> {
  const cost = METRICS.aiCost.name;
  const by = `sum by (${AI_LABELS.join(', ')})`;
  const monthStart = monthAround(m.atSeconds * 1000).startMs / 1000;
  const oldest = Math.ceil((await oldestSampleSeconds(m)) ?? monthStart);
  const measuredFromSeconds = Math.min(m.atSeconds, Math.max(monthStart, oldest));
  const elapsed = Math.floor(m.atSeconds - measuredFromSeconds);
  const service = IDENTITY_LABELS.service;
  const [monthToDate, pace, alertPace, alerts] = await Promise.all([
    elapsed < 60
      ? Promise.resolve([])
      : instantQuery(m.target, `${by} (increase(${cost}[${String(elapsed)}s]))`, m.atSeconds),
    instantQuery(m.target, `${by} (rate(${cost}[${m.window}]))`, m.atSeconds),
    instantQuery(m.target, aiAlertExpression(m.profile), m.atSeconds),
    instantQuery(m.target, `ALERTS{alertname="HighAICosts"}`, m.atSeconds),
  ]);
  const rows = new Map<
    string,
    { service: string; provider: string; model: string; monthToDateUsd: number; perDayUsd: number }
  >();
  const row = (labels: Readonly<Record<string, string>>) => {
    const [name = '', provider = '', model = ''] = AI_LABELS.map((label) => labels[label] ?? '');
    const key = `${name}\u0000${provider}\u0000${model}`;
    const existing = rows.get(key) ?? { service: name, provider, model, monthToDateUsd: 0, perDayUsd: 0 };
    rows.set(key, existing);
    return existing;
  };
  for (const sample of monthToDate) row(sample.labels).monthToDateUsd = sample.value;
  for (const sample of pace) row(sample.labels).perDayUsd = perDay(sample.value);
  return {
    rows: [...rows.values()].sort(
      (a, b) =>
        a.service.localeCompare(b.service) ||
        a.provider.localeCompare(b.provider) ||
        a.model.localeCompare(b.model),
    ),
    measuredFromSeconds,
    alertPacePerDay: Object.fromEntries(
      alertPace.map((sample) => [sample.labels[service] ?? '', sample.value]),
    ),
    alertStates: Object.fromEntries(
      alerts.map((sample) => [
        sample.labels[service] ?? '',
        sample.labels['alertstate'] === 'firing' ? 'firing' : 'pending',
      ]),
    ),
  };
}

export async function measureVolumes(m: Measurement, assumed: Assumptions): Promise<Volumes> {
  const [spans, logs, metrics, ai] = await Promise.all([
    spanVolumes(m, assumed),
    logBytesPerDay(m),
    metricVolumes(m, assumed),
    aiSpend(m),
  ]);
  return { spans, logBytesPerDay: logs, logSource: logs === undefined ? 'none' : 'hub', metrics, ai };
}
