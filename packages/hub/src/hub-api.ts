/**
 * The hub's own query endpoints beside Jaeger's: log search (`/api/logs`, the Kibana role in
 * local mode) and RED per service and operation (`/api/red`). Errors in the shape of api_v3's.
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

async function red(store: StoreReaders, url: URL, response: ServerResponse): Promise<void> {
  const end = url.searchParams.get('end');
  const start = url.searchParams.get('start');
  const endNs = end === null || end === '' ? BigInt(Date.now()) * 1_000_000n : parseTime('end', end);
  const startNs =
    start === null || start === ''
      ? storableNs('lookback', endNs - parseDuration('lookback', url.searchParams.get('lookback') ?? '15m'))
      : parseTime('start', start);
  if (startNs >= endNs) throw new QueryError('start must be before end');
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
};
