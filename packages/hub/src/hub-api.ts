/**
 * The hub's own query endpoints beside Jaeger's: log search (`/api/logs`, the Kibana role in
 * local mode), RED per service and operation (`/api/red`) and the service map
 * (`/api/service-map`). Errors in the shape of api_v3's.
 */
import type { ServerResponse } from 'node:http';
import {
  QueryError,
  SPAN_KINDS,
  parseDuration,
  parseTime,
  sendJson,
  storableNs,
  wholeNumber,
} from './query-params.js';
import type { StoreReaders } from './store-api.js';

async function searchLogs(store: StoreReaders, url: URL, response: ServerResponse): Promise<void> {
  const get = (name: string): string | undefined => {
    const value = url.searchParams.get(name);
    return value === null || value === '' ? undefined : value;
  };
  const limit = wholeNumber('limit', get('limit'));
  const start = get('start');
  const end = get('end');
  const lookback = get('lookback');
  const endNs = end === undefined ? undefined : parseTime('end', end);
  const startNs =
    start !== undefined
      ? parseTime('start', start)
      : lookback === undefined
        ? undefined
        : storableNs(
            'lookback',
            (endNs ?? BigInt(Date.now()) * 1_000_000n) - parseDuration('lookback', lookback),
          );
  const service = get('service');
  const level = get('level');
  const category = get('category');
  const traceId = get('trace_id');
  const text = get('q');
  const logs = await store.logs.search({
    ...(startNs === undefined ? {} : { startNs }),
    ...(endNs === undefined ? {} : { endNs }),
    ...(service === undefined ? {} : { service }),
    ...(level === undefined ? {} : { level }),
    ...(category === undefined ? {} : { category }),
    ...(traceId === undefined ? {} : { traceId }),
    ...(text === undefined ? {} : { text }),
    ...(limit === undefined ? {} : { limit }),
  });
  sendJson(response, 200, { logs });
}

/** `start`/`end` (RFC 3339) or `lookback` before now (default 15m), as nanoseconds. */
function timeWindow(url: URL): { startNs: bigint; endNs: bigint } {
  const end = url.searchParams.get('end');
  const start = url.searchParams.get('start');
  const endNs = end === null || end === '' ? BigInt(Date.now()) * 1_000_000n : parseTime('end', end);
  const startNs =
    start === null || start === ''
      ? storableNs('lookback', endNs - parseDuration('lookback', url.searchParams.get('lookback') ?? '15m'))
      : parseTime('start', start);
  if (startNs >= endNs) throw new QueryError('start must be before end');
  return { startNs, endNs };
}

/** The service map: calls between services with how many failed, over a time window. */
async function serviceMap(store: StoreReaders, url: URL, response: ServerResponse): Promise<void> {
  const { startNs, endNs } = timeWindow(url);
  sendJson(response, 200, { edges: await store.dependencies(startNs, endNs) });
}

const SERIES_BUCKETS = 30;

/** Requests and errors of each service over the window, in 30 equal buckets (the UI's sparklines). */
async function redSeries(store: StoreReaders, url: URL, response: ServerResponse): Promise<void> {
  const { startNs, endNs } = timeWindow(url);
  const bucketNs = (endNs - startNs + BigInt(SERIES_BUCKETS) - 1n) / BigInt(SERIES_BUCKETS);
  const rows = await store.requestSeries({ startNs, endNs, bucketNs });
  const services = new Map<string, { requests: number[]; errors: number[] }>();
  for (const row of rows) {
    const entry = services.get(row.service) ?? {
      requests: new Array<number>(SERIES_BUCKETS).fill(0),
      errors: new Array<number>(SERIES_BUCKETS).fill(0),
    };
    if (row.bucket >= 0 && row.bucket < SERIES_BUCKETS) {
      entry.requests[row.bucket] = row.requests;
      entry.errors[row.bucket] = row.errors;
    }
    services.set(row.service, entry);
  }
  sendJson(response, 200, {
    bucketSeconds: Number(bucketNs) / 1e9,
    services: Object.fromEntries(services),
  });
}

async function red(store: StoreReaders, url: URL, response: ServerResponse): Promise<void> {
  const { startNs, endNs } = timeWindow(url);
  const service = url.searchParams.get('service');
  const kindName = url.searchParams.get('span_kind') ?? '';
  const kinds =
    kindName === ''
      ? undefined
      : kindName === 'all'
        ? [0, 1, 2, 3, 4, 5]
        : [SPAN_KINDS.indexOf(kindName.toLowerCase() as (typeof SPAN_KINDS)[number])];
  if (kinds?.includes(-1) === true)
    throw new QueryError(`span_kind="${kindName}" is not one of ${SPAN_KINDS.join(', ')}, all`);
  const seconds = Number(endNs - startNs) / 1e9;
  const rows = await store.red({
    startNs,
    endNs,
    ...(service === null || service === '' ? {} : { service }),
    ...(kinds === undefined ? {} : { kinds }),
  });
  sendJson(response, 200, {
    window: {
      start: new Date(Number(startNs / 1_000_000n)).toISOString(),
      end: new Date(Number(endNs / 1_000_000n)).toISOString(),
    },
    operations: rows.map((row) => ({
      service: row.service,
      operation: row.operation,
      requests: row.requests,
      ratePerSecond: row.requests / seconds,
      errorRatio: row.requests === 0 ? 0 : row.errors / row.requests,
      p50Ms: row.p50Ns / 1e6,
      p95Ms: row.p95Ns / 1e6,
      p99Ms: row.p99Ns / 1e6,
    })),
  });
}

/** The hub's endpoints by path. */
export const HUB_ROUTES: Readonly<
  Record<string, (store: StoreReaders, url: URL, response: ServerResponse) => Promise<void>>
> = {
  '/api/logs': searchLogs,
  '/api/red': red,
  '/api/red/series': redSeries,
  '/api/service-map': serviceMap,
};
