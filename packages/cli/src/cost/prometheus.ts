/**
 * Instant queries against Prometheus's HTTP API for `obs cost`: a vector of labelled values at
 * one time, with errors that say which Prometheus and what it answered.
 */
import { UI_PASSWORDS, UI_USER } from '@pyairtable/stack';
import { SourceError } from '../errors.js';

export interface PrometheusTarget {
  readonly url: string;
  /** An Authorization header value (basic auth of a staging or production Prometheus). */
  readonly authorization?: string;
}

export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const TIMEOUT_MS = 30_000;

/**
 * Basic auth as the stack's Prometheus takes it: its UI user and PROMETHEUS_WEB_PASSWORD (the
 * variable obs certs reads), from the environment only.
 */
export function prometheusAuthorization(
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const password = env[UI_PASSWORDS.prometheus.variable];
  if (password === undefined || password === '') return undefined;
  return `Basic ${Buffer.from(`${UI_USER}:${password}`).toString('base64')}`;
}

async function getJson(target: PrometheusTarget, path: string): Promise<unknown> {
  const url = `${target.url.replace(/\/+$/, '')}${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: target.authorization === undefined ? {} : { authorization: target.authorization },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new SourceError(`cannot reach Prometheus at ${target.url} (${reason}).`);
  }
  const text = await response.text();
  if (response.status === 401 || response.status === 403)
    throw new SourceError(
      `Prometheus at ${target.url} refused the request (${String(response.status)}): set ${UI_PASSWORDS.prometheus.variable} to its ${UI_USER} password.`,
    );
  let body: { status?: string; error?: string; data?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new SourceError(
      `${target.url} answered ${String(response.status)} with something that is not Prometheus's API: ${text.slice(0, 120)}`,
    );
  }
  if (body.status !== 'success')
    throw new SourceError(
      `Prometheus at ${target.url} answered: ${body.error ?? `HTTP ${String(response.status)}`}`,
    );
  return body.data;
}

/** The query's result vector at `atSeconds`; empty when no series matched. */
export async function instantQuery(
  target: PrometheusTarget,
  promql: string,
  atSeconds: number,
): Promise<Sample[]> {
  const data = (await getJson(
    target,
    `/api/v1/query?query=${encodeURIComponent(promql)}&time=${String(atSeconds)}`,
  )) as { resultType?: string; result?: { metric: Record<string, string>; value: [number, string] }[] };
  if (data.resultType !== 'vector' || !Array.isArray(data.result))
    throw new SourceError(`Prometheus answered ${promql} with a ${String(data.resultType)}, not a vector.`);
  return data.result
    .map((entry) => ({ labels: entry.metric, value: Number(entry.value[1]) }))
    .filter((sample) => Number.isFinite(sample.value));
}

/** The single value of an aggregated query, or undefined when nothing matched. */
export async function scalarQuery(
  target: PrometheusTarget,
  promql: string,
  atSeconds: number,
): Promise<number | undefined> {
  return (await instantQuery(target, promql, atSeconds))[0]?.value;
}

/** Series in the head block, from the TSDB status page (no self-scrape needed). */
export async function headSeries(target: PrometheusTarget): Promise<number> {
  const data = (await getJson(target, '/api/v1/status/tsdb')) as { headStats?: { numSeries?: number } };
  return data.headStats?.numSeries ?? 0;
}

/** The flags Prometheus runs with (`storage.tsdb.retention.time`, …). */
export async function prometheusFlags(target: PrometheusTarget): Promise<Readonly<Record<string, string>>> {
  return (await getJson(target, '/api/v1/status/flags')) as Record<string, string>;
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
  y: 31_536_000,
};

/** A Prometheus duration (`15d`, `1h30m`) in seconds; undefined when absent, zero or not one. */
export function parseDurationSeconds(text: string | undefined): number | undefined {
  if (text === undefined || !/^(\d+(ms|[smhdwy]))+$/.test(text)) return undefined;
  let seconds = 0;
  for (const [, amount = '0', unit = 's'] of text.matchAll(/(\d+)(ms|[smhdwy])/g))
    seconds += Number(amount) * (DURATION_UNITS[unit] ?? 0);
  return seconds > 0 ? seconds : undefined;
}
