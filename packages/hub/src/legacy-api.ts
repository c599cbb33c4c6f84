/**
 * Jaeger's original HTTP API (the one its v1 UI and Grafana's Jaeger datasource call):
 * `/api/services`, `/api/services/{service}/operations`, `/api/operations`, `/api/traces`,
 * `/api/traces/{id}` and `/api/dependencies`, in Jaeger's JSON model (`data`, `errors`; spans
 * with microsecond times, typed tags, references and per-trace processes).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AnyValue, KeyValue, SpanRecord } from './span-record.js';
import {
  QueryError,
  SPAN_KINDS,
  epochParam,
  parseDuration,
  pathSegment,
  requestUrl,
  storableNs,
  wholeNumber,
} from './query-params.js';
import type { StoreReaders, TraceQuery } from './store-api.js';

interface JaegerTag {
  key: string;
  type: 'string' | 'bool' | 'int64' | 'float64' | 'binary';
  value: string | boolean | number;
}

function tag(key: string, value: AnyValue): JaegerTag {
  if (value.stringValue !== undefined) return { key, type: 'string', value: value.stringValue };
  if (value.boolValue !== undefined) return { key, type: 'bool', value: value.boolValue };
  if (value.intValue !== undefined) return { key, type: 'int64', value: Number(value.intValue) };
  if (value.doubleValue !== undefined) return { key, type: 'float64', value: value.doubleValue };
  if (value.bytesValue !== undefined) return { key, type: 'binary', value: value.bytesValue };
  return { key, type: 'string', value: JSON.stringify(value.arrayValue ?? value.kvlistValue ?? null) };
}
const tags = (attributes: readonly KeyValue[]): JaegerTag[] =>
  attributes.map((entry) => tag(entry.key, entry.value));
const micros = (nanos: bigint): number => Number(nanos / 1000n);

/** One trace in Jaeger's JSON model. */
export function jaegerTrace(spans: readonly SpanRecord[]): object {
  const processes = new Map<string, { id: string; serviceName: string; tags: JaegerTag[] }>();
  const processOf = (span: SpanRecord): string => {
    const key = JSON.stringify(span.resource);
    let process = processes.get(key);
    if (process === undefined) {
      process = {
        id: `p${String(processes.size + 1)}`,
        serviceName: span.serviceName,
        tags: tags(span.resource.filter((entry) => entry.value.stringValue !== span.serviceName)),
      };
      processes.set(key, process);
    }
    return process.id;
  };
  return {
    traceID: spans[0]?.traceId ?? '',
    spans: spans.map((span) => {
      const extra: JaegerTag[] = [];
      if (span.kind > 0)
        extra.push({ key: 'span.kind', type: 'string', value: SPAN_KINDS[span.kind] ?? 'internal' });
      if (span.scope.name !== '')
        extra.push({ key: 'otel.scope.name', type: 'string', value: span.scope.name });
      if (span.statusCode === 2) {
        extra.push(
          { key: 'error', type: 'bool', value: true },
          { key: 'otel.status_code', type: 'string', value: 'ERROR' },
        );
        if (span.statusMessage !== '')
          extra.push({ key: 'otel.status_description', type: 'string', value: span.statusMessage });
      } else if (span.statusCode === 1) extra.push({ key: 'otel.status_code', type: 'string', value: 'OK' });
      return {
        traceID: span.traceId,
        spanID: span.spanId,
        operationName: span.name,
        references: [
          ...(span.parentSpanId === ''
            ? []
            : [{ refType: 'CHILD_OF', traceID: span.traceId, spanID: span.parentSpanId }]),
          ...span.links.map((link) => ({
            refType: 'FOLLOWS_FROM',
            traceID: link.traceId,
            spanID: link.spanId,
          })),
        ],
        startTime: micros(span.startTimeUnixNano),
        duration: micros(span.endTimeUnixNano - span.startTimeUnixNano),
        tags: [...tags(span.attributes), ...extra],
        logs: span.events.map((event) => ({
          timestamp: micros(BigInt(event.timeUnixNano)),
          fields: [{ key: 'event', type: 'string', value: event.name }, ...tags(event.attributes)],
        })),
        processID: processOf(span),
        warnings: null,
        flags: span.flags,
      };
    }),
    processes: Object.fromEntries([...processes.values()].map(({ id, ...process }) => [id, process])),
    warnings: null,
  };
}

const ok = (data: unknown): object => ({
  data,
  total: Array.isArray(data) ? data.length : 0,
  limit: 0,
  offset: 0,
  errors: null,
});
const failure = (code: number, message: string): object => ({
  data: null,
  total: 0,
  limit: 0,
  offset: 0,
  errors: [{ code, msg: message }],
});

function send(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** `start`/`end` in microseconds since the epoch, as Jaeger's UI sends them. */
const microsParam = (name: string, value: string | null): bigint | undefined =>
  epochParam(name, value, 1000n, 'microseconds');

function legacyQuery(params: URLSearchParams, nowNs: bigint): TraceQuery {
  const service = params.get('service') ?? '';
  const operation = params.get('operation') ?? '';
  const tagsParam = params.get('tags');
  let attributes: Record<string, string> | undefined;
  if (tagsParam !== null && tagsParam !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(tagsParam);
    } catch {
      throw new QueryError('tags must be a JSON object such as {"region":"eu-west-1"}');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new QueryError('tags must be a JSON object such as {"region":"eu-west-1"}');
    attributes = Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, String(value)]));
  }
  const end = microsParam('end', params.get('end'));
  let start = microsParam('start', params.get('start'));
  const lookback = params.get('lookback');
  if (start === undefined && lookback !== null && lookback !== '' && lookback !== 'custom')
    start = storableNs('lookback', (end ?? nowNs) - parseDuration('lookback', lookback));
  const minDuration = params.get('minDuration');
  const maxDuration = params.get('maxDuration');
  const limit = wholeNumber('limit', params.get('limit'));
  return {
    ...(service === '' ? {} : { service }),
    ...(operation === '' ? {} : { operation }),
    ...(attributes === undefined ? {} : { attributes }),
    ...(start === undefined ? {} : { startMinNs: start }),
    ...(end === undefined ? {} : { startMaxNs: end }),
    ...(minDuration === null || minDuration === ''
      ? {}
      : { durationMinNs: parseDuration('minDuration', minDuration) }),
    ...(maxDuration === null || maxDuration === ''
      ? {}
      : { durationMaxNs: parseDuration('maxDuration', maxDuration) }),
    ...(limit === undefined ? {} : { limit }),
  };
}

/** Answers a legacy API request; false when the path is not one of its. */
export async function handleLegacyQuery(
  store: StoreReaders,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<boolean> {
  const url = requestUrl(request);
  const path = url.pathname;
  if (!path.startsWith('/api/') || path.startsWith('/api/v3/')) return false;
  try {
    if (path === '/api/services') {
      send(response, 200, ok(await store.services()));
      return true;
    }
    const operationsMatch = /^\/api\/services\/([^/]+)\/operations$/.exec(path);
    if (operationsMatch?.[1] !== undefined) {
      const operations = await store.operations(pathSegment('service', operationsMatch[1]));
      send(response, 200, ok([...new Set(operations.map((operation) => operation.name))]));
      return true;
    }
    if (path === '/api/operations') {
      const service = url.searchParams.get('service');
      if (service === null || service === '')
        throw new QueryError('service is required: /api/operations?service=<name>');
      const operations = await store.operations(service);
      send(
        response,
        200,
        ok(
          operations.map((operation) => ({
            name: operation.name,
            spanKind: SPAN_KINDS[operation.kind] ?? '',
          })),
        ),
      );
      return true;
    }
    const traceMatch = /^\/api\/traces\/([^/]+)$/.exec(path);
    if (traceMatch?.[1] !== undefined) {
      const traceId = traceMatch[1].toLowerCase().padStart(32, '0');
      if (!/^[0-9a-f]{32}$/.test(traceId)) throw new QueryError(`"${traceMatch[1]}" is not a trace id`);
      const spans = await store.trace(traceId);
      if (spans.length === 0) send(response, 404, failure(404, 'trace not found'));
      else send(response, 200, ok([jaegerTrace(spans)]));
      return true;
    }
    if (path === '/api/traces') {
      const traces = await store.findTraces(legacyQuery(url.searchParams, BigInt(Date.now()) * 1_000_000n));
      send(response, 200, ok(traces.map(jaegerTrace)));
      return true;
    }
    if (path === '/api/dependencies') {
      const endNs =
        epochParam('endTs', url.searchParams.get('endTs'), 1_000_000n, 'milliseconds') ??
        BigInt(Date.now()) * 1_000_000n;
      const lookbackNs =
        epochParam('lookback', url.searchParams.get('lookback'), 1_000_000n, 'milliseconds') ??
        86_400_000_000_000n;
      const edges = await store.dependencies(storableNs('lookback', endNs - lookbackNs), endNs);
      send(response, 200, ok(edges.map(({ parent, child, callCount }) => ({ parent, child, callCount }))));
      return true;
    }
    return false;
  } catch (caught) {
    if (caught instanceof QueryError) {
      send(response, 400, failure(400, caught.message));
      return true;
    }
    throw caught;
  }
}
