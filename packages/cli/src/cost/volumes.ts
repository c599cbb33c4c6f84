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
import { AGENT_TRACE_EXPORTER, JAEGER_TRACE_EXPORTER } from '@pyairtable/stack';
import { monthAround, perDay } from './estimate.js';
import type { PrometheusTarget } from './prometheus.js';
import { headSeries, instantQuery, scalarQuery } from './prometheus.js';

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
  readonly ai: readonly AiSpend[];
}

export interface Measurement {
  readonly target: PrometheusTarget;
  readonly atSeconds: number;
  /** A Prometheus range, like `1h`. */
  readonly window: string;
}

const rateOf = (metric: string, window: string, selector = ''): string =>
  `sum(rate(${metric}${selector}[${window}]))`;

/** Bytes per item over the window (bytes counter over items counter), when both grew. */
async function bytesPer(m: Measurement, bytes: string, items: string): Promise<number | undefined> {
  const ratio = await scalarQuery(
    m.target,
    `sum(increase(${bytes}[${m.window}])) / sum(increase(${items}[${m.window}])) > 0`,
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
  // Kubernetes runs agents in front of the gateways: what the agents forward is accepted twice.
  const accepted = await scalarQuery(
    m.target,
    `${rateOf(COLLECTOR.acceptedSpans, m.window)} - (${rateOf(COLLECTOR.sentSpans, m.window, `{exporter="${AGENT_TRACE_EXPORTER}"}`)} or vector(0))`,
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
  const bytes = await bytesPer(m, `${PROMETHEUS.chunkBytes}_sum`, `${PROMETHEUS.chunkSamples}_sum`);
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

const AI_LABELS = [
  IDENTITY_LABELS.service,
  METRIC_LABELS.genAiProviderName.name,
  METRIC_LABELS.genAiRequestModel.name,
];

/** AI spend by service, provider and model: month to date (UTC) and the window's pace per day. */
export async function aiSpend(m: Measurement): Promise<AiSpend[]> {
  const cost = METRICS.aiCost.name;
  const by = `sum by (${AI_LABELS.join(', ')})`;
  const elapsed = monthAround(m.atSeconds * 1000).elapsedSeconds;
  const [monthToDate, pace] = await Promise.all([
    elapsed < 60
      ? Promise.resolve([])
      : instantQuery(m.target, `${by} (increase(${cost}[${String(elapsed)}s]))`, m.atSeconds),
    instantQuery(m.target, `${by} (rate(${cost}[${m.window}]))`, m.atSeconds),
  ]);
  const rows = new Map<
    string,
    { service: string; provider: string; model: string; monthToDateUsd: number; perDayUsd: number }
  >();
  const row = (labels: Readonly<Record<string, string>>) => {
    const [service = '', provider = '', model = ''] = AI_LABELS.map((label) => labels[label] ?? '');
    const key = `${service}\u0000${provider}\u0000${model}`;
    const existing = rows.get(key) ?? { service, provider, model, monthToDateUsd: 0, perDayUsd: 0 };
    rows.set(key, existing);
    return existing;
  };
  for (const sample of monthToDate) row(sample.labels).monthToDateUsd = sample.value;
  for (const sample of pace) row(sample.labels).perDayUsd = perDay(sample.value);
  return [...rows.values()].sort(
    (a, b) =>
      a.service.localeCompare(b.service) ||
      a.provider.localeCompare(b.provider) ||
      a.model.localeCompare(b.model),
  );
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
