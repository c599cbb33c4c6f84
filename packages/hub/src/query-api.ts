/**
 * Jaeger's HTTP query API, api_v3, as Jaeger publishes it (jaeger-idl's OpenAPI definition,
 * kept in `packages/hub/reference/`) and as Jaeger 2.20's own gateway reads it: camelCase
 * parameters with the older snake_case names as aliases, `query.attributes` as a URL-encoded
 * JSON map, a required time range, 64- and 128-bit trace ids. Traces come back as OTLP/JSON
 * wrapped in `{"result": ...}`; errors in a shape both clients read (`errorBody`). The hub's own
 * endpoints (`/api/logs`, `/api/red`) answer on the same listener.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SPAN_ATTRIBUTES } from '@pyairtable/conventions';
import { HUB_ROUTES } from './hub-api.js';
import type { SpanRecord } from './span-record.js';
import { toOtlpJson } from './otlp/spans.js';
import {
  QueryError,
  RPC,
  SPAN_KINDS,
  aliased,
  booleanParam,
  errorBody,
  parseDuration,
  parseTime,
  parseTraceId,
  requestUrl,
  sendJson,
  spanKindParam,
  wholeNumber,
} from './query-params.js';
import type { StoreReaders, TraceQuery } from './store-api.js';

/** Traces a search returns when `query.searchDepth` is not given (Jaeger's gateway default). */
export const DEFAULT_SEARCH_DEPTH = 100;
/** The most a search returns, whatever `query.searchDepth` asks. */
export const MAX_SEARCH_DEPTH = 1000;

/**
 * The attributes a search must match: `query.attributes` as a JSON object of strings (the
 * published form), and `query.attributes[key]=value` (the hub's earlier form, kept as an alias).
 */
function attributesParam(params: URLSearchParams): Record<string, string> | undefined {
  const attributes: Record<string, string> = {};
  const json = params.get('query.attributes');
  if (json !== null && json !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new QueryError(
        `query.attributes must be a JSON object of strings, such as {"${SPAN_ATTRIBUTES.httpRoute}":"/orders/:id"}`,
      );
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value !== 'string')
        throw new QueryError(`query.attributes: the value of ${JSON.stringify(key)} must be a string`);
      Object.defineProperty(attributes, key, { value, enumerable: true });
    }
  }
  for (const [name, value] of params) {
    const match = /^query\.attributes\[(.+)\]$/.exec(name);
    if (match?.[1] !== undefined) Object.defineProperty(attributes, match[1], { value, enumerable: true });
  }
  return Object.keys(attributes).length > 0 ? attributes : undefined;
}

/** `TraceQueryParameters` from the URL; the time range is required, as the definition says. */
function traceQuery(params: URLSearchParams): TraceQuery {
  const startMin = aliased(params, 'query.startTimeMin', 'query.start_time_min');
  const startMax = aliased(params, 'query.startTimeMax', 'query.start_time_max');
  if (startMin === undefined || startMax === undefined)
    throw new QueryError('query.startTimeMin and query.startTimeMax are required');
  const startMinNs = parseTime(startMin.name, startMin.value);
  const startMaxNs = parseTime(startMax.name, startMax.value);
  if (startMinNs >= startMaxNs) throw new QueryError('query.startTimeMin must be before query.startTimeMax');
  const service = aliased(params, 'query.serviceName', 'query.service_name');
  const operation = aliased(params, 'query.operationName', 'query.operation_name');
  const durationMin = aliased(params, 'query.durationMin', 'query.duration_min');
  const durationMax = aliased(params, 'query.durationMax', 'query.duration_max');
  const depth = aliased(params, 'query.searchDepth', 'query.search_depth', 'query.num_traces');
  booleanParam(aliased(params, 'query.rawTraces', 'query.raw_traces'));
  const attributes = attributesParam(params);
  return {
    startMinNs,
    startMaxNs,
    ...(service === undefined ? {} : { service: service.value }),
    ...(operation === undefined ? {} : { operation: operation.value }),
    ...(durationMin === undefined
      ? {}
      : { durationMinNs: parseDuration(durationMin.name, durationMin.value) }),
    ...(durationMax === undefined
      ? {}
      : { durationMaxNs: parseDuration(durationMax.name, durationMax.value) }),
    ...(attributes === undefined ? {} : { attributes }),
    limit: Math.min(
      MAX_SEARCH_DEPTH,
      (depth === undefined ? undefined : wholeNumber(depth.name, depth.value)) ?? DEFAULT_SEARCH_DEPTH,
    ),
  };
}

/** A found trace as the definition's `TraceSummary`. */
export function traceSummary(spans: readonly SpanRecord[]): object {
  const ids = new Set(spans.map((span) => span.spanId));
  const root = spans.find((span) => span.parentSpanId === '') ?? spans[0];
  const services = new Map<string, { name: string; spanCount: number; errorSpanCount: number }>();
  let start: bigint | undefined;
  let end: bigint | undefined;
  let errors = 0;
  let orphans = 0;
  for (const span of spans) {
    const service = services.get(span.serviceName) ?? {
      name: span.serviceName,
      spanCount: 0,
      errorSpanCount: 0,
    };
    services.set(span.serviceName, service);
    service.spanCount++;
    if (span.statusCode === 2) {
      service.errorSpanCount++;
      errors++;
    }
    if (span.parentSpanId !== '' && !ids.has(span.parentSpanId)) orphans++;
    if (start === undefined || span.startTimeUnixNano < start) start = span.startTimeUnixNano;
    if (end === undefined || span.endTimeUnixNano > end) end = span.endTimeUnixNano;
  }
  return {
    traceId: root?.traceId ?? '',
    rootServiceName: root?.serviceName ?? '',
    rootOperationName: root?.name ?? '',
    minStartTimeUnixNano: String(start ?? 0n),
    maxEndTimeUnixNano: String(end ?? 0n),
    spanCount: spans.length,
    errorSpanCount: errors,
    orphanSpanCount: orphans,
    services: [...services.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}

type Route = (store: StoreReaders, url: URL, response: ServerResponse) => Promise<void>;

const getTrace = async (
  store: StoreReaders,
  url: URL,
  response: ServerResponse,
  rawId: string,
): Promise<void> => {
  const traceId = parseTraceId('traceId', rawId);
  const params = url.searchParams;
  // Accepted and checked as the definition has them; the hub finds a trace by id alone.
  for (const [name, alias] of [
    ['startTime', 'start_time'],
    ['endTime', 'end_time'],
  ] as const) {
    const time = aliased(params, name, alias);
    if (time !== undefined) parseTime(time.name, time.value);
  }
  booleanParam(aliased(params, 'rawTraces', 'raw_traces'));
  const spans = await store.trace(traceId);
  if (spans.length === 0) sendJson(response, 404, errorBody(404, RPC.notFound, `trace ${traceId} not found`));
  else if (params.get('format') === 'file') {
    // One line of the collector file exporter's format: import takes it back as it is.
    response.writeHead(200, {
      'content-type': 'application/x-ndjson',
      'content-disposition': `attachment; filename="trace-${traceId}.jsonl"`,
    });
    response.end(`${JSON.stringify(toOtlpJson(spans))}\n`);
  } else sendJson(response, 200, { result: toOtlpJson(spans) });
};

/** api_v3 by path (the trace by id is matched apart, as its path carries the id). */
const API_V3_ROUTES: Readonly<Record<string, Route>> = {
  '/api/v3/services': async (store, _url, response) => {
    sendJson(response, 200, { services: await store.services() });
  },
  '/api/v3/operations': async (store, url, response) => {
    const service = url.searchParams.get('service');
    if (service === null || service === '')
      throw new QueryError('service is required: /api/v3/operations?service=<name>');
    const kind = spanKindParam(aliased(url.searchParams, 'spanKind', 'span_kind'));
    const operations = await store.operations(service, kind);
    sendJson(response, 200, {
      operations: operations.map((operation) => ({
        name: operation.name,
        spanKind: SPAN_KINDS[operation.kind] ?? '',
      })),
    });
  },
  '/api/v3/traces': async (store, url, response) => {
    const traces = await store.findTraces(traceQuery(url.searchParams));
    sendJson(response, 200, { result: toOtlpJson(traces.flat()) });
  },
  '/api/v3/trace-summaries': async (store, url, response) => {
    const traces = await store.findTraces(traceQuery(url.searchParams));
    sendJson(response, 200, { summaries: traces.map(traceSummary) });
  },
  '/api/v3/dependencies': async (store, url, response) => {
    const start = aliased(url.searchParams, 'startTime', 'start_time');
    const end = aliased(url.searchParams, 'endTime', 'end_time');
    if (start === undefined || end === undefined) throw new QueryError('startTime and endTime are required');
    const edges = await store.dependencies(
      parseTime(start.name, start.value),
      parseTime(end.name, end.value),
    );
    sendJson(response, 200, {
      dependencies: edges.map((edge) => ({
        parent: edge.parent,
        child: edge.child,
        callCount: String(edge.callCount),
      })),
    });
  },
};

export async function handleQuery(
  store: StoreReaders,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = requestUrl(request);
  if (request.method !== 'GET') {
    sendJson(response, 405, errorBody(405, RPC.unimplemented, 'the query API answers GET only'));
    return;
  }
  try {
    const traceMatch = /^\/api\/v3\/traces\/([^/]+)$/.exec(url.pathname);
    if (traceMatch?.[1] !== undefined) {
      await getTrace(store, url, response, traceMatch[1]);
      return;
    }
    const route = API_V3_ROUTES[url.pathname] ?? HUB_ROUTES[url.pathname];
    if (route === undefined) {
      sendJson(response, 404, errorBody(404, RPC.notFound, `${url.pathname} is not part of the query API`));
      return;
    }
    await route(store, url, response);
  } catch (caught) {
    if (caught instanceof QueryError)
      sendJson(response, 400, errorBody(400, RPC.invalidArgument, caught.message));
    else throw caught;
  }
}
