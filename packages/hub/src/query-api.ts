/**
 * Jaeger v2's HTTP query API (api_v3, the grpc-gateway JSON of its QueryService): traces come
 * back as OTLP/JSON wrapped in `{"result": ...}`, errors as `{"error": {code, message}}`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toOtlpJson } from './otlp/spans.js';
import { QueryError, parseDuration, parseTime, requestUrl, storableNs, wholeNumber } from './query-params.js';
import type { SpanStore, TraceQuery } from './store.js';

const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
const TRACE_ID = /^[0-9a-f]{32}$/;

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

const error = (code: number, message: string): object => ({ error: { code, message } });

function traceQuery(params: URLSearchParams): TraceQuery {
  const get = (name: string): string | undefined => {
    const value = params.get(name);
    return value === null || value === '' ? undefined : value;
  };
  const attributes: Record<string, string> = {};
  for (const [name, value] of params) {
    const match = /^query\.attributes\[(.+)\]$/.exec(name);
    if (match?.[1] !== undefined) attributes[match[1]] = value;
  }
  const limit =
    wholeNumber('query.num_traces', get('query.num_traces')) ??
    wholeNumber('query.search_depth', get('query.search_depth'));
  const service = get('query.service_name');
  const operation = get('query.operation_name');
  const startMin = get('query.start_time_min');
  const startMax = get('query.start_time_max');
  const durationMin = get('query.duration_min');
  const durationMax = get('query.duration_max');
  return {
    ...(service === undefined ? {} : { service }),
    ...(operation === undefined ? {} : { operation }),
    ...(startMin === undefined ? {} : { startMinNs: parseTime('query.start_time_min', startMin) }),
    ...(startMax === undefined ? {} : { startMaxNs: parseTime('query.start_time_max', startMax) }),
    ...(durationMin === undefined ? {} : { durationMinNs: parseDuration('query.duration_min', durationMin) }),
    ...(durationMax === undefined ? {} : { durationMaxNs: parseDuration('query.duration_max', durationMax) }),
    ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
    ...(limit === undefined ? {} : { limit }),
  };
}

export async function handleQuery(
  store: SpanStore,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = requestUrl(request);
  if (request.method !== 'GET') {
    send(response, 405, error(12, 'the query API answers GET only'));
    return;
  }
  try {
    if (url.pathname === '/api/v3/services') {
      send(response, 200, { services: await store.services() });
      return;
    }
    if (url.pathname === '/api/v3/operations') {
      const service = url.searchParams.get('service');
      if (service === null || service === '')
        throw new QueryError('service is required: /api/v3/operations?service=<name>');
      const kindName = url.searchParams.get('span_kind') ?? '';
      const kind =
        kindName === ''
          ? undefined
          : SPAN_KINDS.indexOf(kindName.toLowerCase() as (typeof SPAN_KINDS)[number]);
      if (kind === -1) throw new QueryError(`span_kind="${kindName}" is not one of ${SPAN_KINDS.join(', ')}`);
      const operations = await store.operations(service, kind);
      send(response, 200, {
        operations: operations.map((operation) => ({
          name: operation.name,
          spanKind: SPAN_KINDS[operation.kind] ?? '',
        })),
      });
      return;
    }
    const traceMatch = /^\/api\/v3\/traces\/([^/]+)$/.exec(url.pathname);
    if (traceMatch?.[1] !== undefined) {
      const traceId = traceMatch[1].toLowerCase();
      if (!TRACE_ID.test(traceId))
        throw new QueryError(`"${traceMatch[1]}" is not a trace id (32 hex digits)`);
      const spans = await store.trace(traceId);
      if (spans.length === 0) send(response, 404, error(5, `trace ${traceId} not found`));
      else if (url.searchParams.get('format') === 'file') {
        // One line of the collector file exporter's format: import takes it back as it is.
        response.writeHead(200, {
          'content-type': 'application/x-ndjson',
          'content-disposition': `attachment; filename="trace-${traceId}.jsonl"`,
        });
        response.end(`${JSON.stringify(toOtlpJson(spans))}\n`);
      } else send(response, 200, { result: toOtlpJson(spans) });
      return;
    }
    if (url.pathname === '/api/logs') {
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
      const logs = await store.searchLogs({
        ...(startNs === undefined ? {} : { startNs }),
        ...(endNs === undefined ? {} : { endNs }),
        ...(service === undefined ? {} : { service }),
        ...(level === undefined ? {} : { level }),
        ...(category === undefined ? {} : { category }),
        ...(traceId === undefined ? {} : { traceId }),
        ...(text === undefined ? {} : { text }),
        ...(limit === undefined ? {} : { limit }),
      });
      send(response, 200, { logs });
      return;
    }
    if (url.pathname === '/api/red') {
      const end = url.searchParams.get('end');
      const start = url.searchParams.get('start');
      const endNs = end === null || end === '' ? BigInt(Date.now()) * 1_000_000n : parseTime('end', end);
      const startNs =
        start === null || start === ''
          ? storableNs(
              'lookback',
              endNs - parseDuration('lookback', url.searchParams.get('lookback') ?? '15m'),
            )
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
      send(response, 200, {
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
      return;
    }
    if (url.pathname === '/api/v3/traces') {
      const traces = await store.findTraces(traceQuery(url.searchParams));
      send(response, 200, { result: toOtlpJson(traces.flat()) });
      return;
    }
    send(response, 404, error(5, `${url.pathname} is not part of the query API`));
  } catch (caught) {
    if (caught instanceof QueryError) send(response, 400, error(3, caught.message));
    else throw caught;
  }
}
