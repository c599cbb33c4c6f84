/**
 * Prometheus through the hub's pass-through: a panel's queries with Grafana's macros and the
 * dashboard's variables filled in, as aligned series for uPlot or as single values.
 */
import { getJson } from './api.js';

export interface Range {
  readonly seconds: number;
  readonly end: number;
}

/** About 240 points across the range, never finer than 5 s. */
export function stepOf(range: Range): number {
  return Math.max(5, Math.ceil(range.seconds / 240));
}

/** Grafana's macros: the rate window spans at least four steps and a minute. */
export function fillMacros(expr: string, range: Range, variables: Readonly<Record<string, string>>): string {
  const step = stepOf(range);
  let text = expr
    .split('$__rate_interval')
    .join(`${String(Math.max(60, 4 * step))}s`)
    .split('$__range')
    .join(`${String(range.seconds)}s`)
    .split('$__interval')
    .join(`${String(step)}s`);
  for (const [name, value] of Object.entries(variables)) text = text.split(`$${name}`).join(value);
  return text;
}

interface Sample {
  metric: Record<string, string>;
  values?: [number, string][];
  value?: [number, string];
}

export function legendOf(template: string | undefined, metric: Record<string, string>): string {
  if (template === undefined || template === '' || template === '__auto')
    return (
      Object.entries(metric)
        .map(([key, value]) => `${key}="${value}"`)
        .join(', ') || 'value'
    );
  return template.replace(
    /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g,
    (_all, name: string) => metric[name] ?? '',
  );
}

export interface Series {
  readonly name: string;
  readonly values: (number | null)[];
}

/** Series of a range query on a shared time axis (seconds). */
export async function queryRange(
  expr: string,
  legend: string | undefined,
  range: Range,
): Promise<{ times: number[]; series: Series[] }> {
  const step = stepOf(range);
  const end = Math.floor(range.end / step) * step;
  const start = end - range.seconds;
  const answer = await getJson<{ data: { result: Sample[] } }>('/api/prometheus/api/v1/query_range', {
    query: expr,
    start: String(start),
    end: String(end),
    step: String(step),
  });
  const times: number[] = [];
  for (let time = start; time <= end; time += step) times.push(time);
  const index = new Map(times.map((time, position) => [time, position]));
  const series = answer.data.result.map((sample) => {
    const values: (number | null)[] = times.map(() => null);
    for (const [time, value] of sample.values ?? []) {
      const position = index.get(time);
      if (position !== undefined) values[position] = Number(value);
    }
    return { name: legendOf(legend, sample.metric), values };
  });
  return { times, series };
}

/** One value per series, now. */
export async function queryInstant(
  expr: string,
  legend: string | undefined,
): Promise<{ name: string; value: number; labels: Record<string, string> }[]> {
  const answer = await getJson<{ data: { result: Sample[] } }>('/api/prometheus/api/v1/query', {
    query: expr,
  });
  return answer.data.result.map((sample) => ({
    name: legendOf(legend, sample.metric),
    value: Number(sample.value?.[1] ?? NaN),
    labels: sample.metric,
  }));
}
