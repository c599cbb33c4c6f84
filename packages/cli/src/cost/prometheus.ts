/**
 * Instant queries against Prometheus's HTTP API for `obs cost`: a vector of labelled values at
 * one time, with errors that say which Prometheus and what it answered.
 */
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

/** Basic auth from PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD, never from options. */
export function prometheusAuthorization(
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const user = env['PROMETHEUS_USERNAME'];
  const password = env['PROMETHEUS_PASSWORD'];
  if (user === undefined || password === undefined) return undefined;
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
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
  let body: { status?: string; error?: string; data?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new SourceError(
      `${target.url} answered ${String(response.status)} with something that is not Prometheus's API: ${text.slice(0, 120)}`,
    );
  }
  if (response.status === 401 || response.status === 403)
    throw new SourceError(
      `Prometheus at ${target.url} refused the request (${String(response.status)}): set PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD.`,
    );
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
