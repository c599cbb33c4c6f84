/**
 * One server request's telemetry, shared by every framework adapter: the server span, the
 * `x-trace-id` response header, business attributes, RED metrics, cost units and one access
 * log record. Adapters only find the route template and call `start` / `finish`.
 *
 * Trace continuity rule, in order:
 * 1. a valid `traceparent` continues that trace (`tracestate` and `baggage` are kept);
 * 2. otherwise a valid `x-trace-id` (32 lower-case hex, not all zero) becomes the trace id of
 *    a new root span, so a caller that only sends the correlation header still joins up;
 * 3. otherwise a new trace starts. An `x-trace-id` that is present but not a trace id is kept
 *    as the span attribute `pyairtable.correlation.id`.
 * The response always carries `x-trace-id` with the server span's trace id.
 */
import type { Context, Span, TextMapGetter } from '@opentelemetry/api';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace } from '@opentelemetry/api';
import type { CostCenter, HttpMethod } from '@pyairtable/conventions';
import {
  BUSINESS_HEADERS,
  HTTP_METHODS,
  PROPAGATION_HEADERS,
  SPAN_ATTRIBUTES as A,
} from '@pyairtable/conventions';
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiKeyHasher } from './api-key.js';
import type { TelemetryLogger } from './logger.js';
import { kPrepared } from './logger.js';
import type { ContractMetrics } from './metrics.js';
import type { TracingPipeline } from './tracing.js';
import { warnOnce } from './warnings.js';
import { asException, errorMessage } from './errors.js';

export interface HttpServerOptions {
  /** Paths served without telemetry (exact match, query ignored). */
  readonly ignorePaths?: readonly string[];
  /** Cost weight of a request (default: the tier's weight), or a function of the route (called once per route). */
  readonly costWeight?: number | ((route: string) => number);
}

export const DEFAULT_IGNORED_PATHS: readonly string[] = ['/health', '/metrics', '/ready'];

/** Route label of a request no route matched. */
export const UNMATCHED_ROUTE = 'unmatched';
const MAX_HEADER_ATTRIBUTE_LENGTH = 128;
const KNOWN_METHODS = new Set<string>(HTTP_METHODS);

const headerGetter: TextMapGetter<IncomingHttpHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first.slice(0, MAX_HEADER_ATTRIBUTE_LENGTH);
}

/** Method as recorded: the standard ones as they are, anything else `_OTHER`. */
export function normaliseMethod(method: string | undefined): HttpMethod {
  const upper = (method ?? 'GET').toUpperCase();
  return (KNOWN_METHODS.has(upper) ? upper : '_OTHER') as HttpMethod;
}

const ID_SEGMENT =
  /^(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,}|(?:app|tbl|rec|fld|viw|usr|wsp|sel)[A-Za-z0-9]{14}|(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{20,})$/i;

/** A path segment kept as it is: a short lower-case word, never anything that could carry data. */
const WORD_SEGMENT = /^[a-z][a-z0-9_-]{0,31}$/;

/**
 * A low-cardinality stand-in for a route template where no router names one (plain
 * `node:http`): only short lower-case word segments (`api`, `v1`, `records`) are kept; every
 * other segment (ids, e-mails, tokens, anything mixed-case or long) becomes `:id`, so no
 * request data reaches a label or a span name. Paths are cut to six segments.
 */
export function routeFromPath(path: string): string {
  const segments = path.split('/').slice(1, 7);
  if (segments.length === 0 || (segments.length === 1 && segments[0] === '')) return '/';
  return `/${segments.map((segment) => (WORD_SEGMENT.test(segment) && !ID_SEGMENT.test(segment) ? segment : ':id')).join('/')}`;
}

function costWeightOf(weightOf: (route: string) => number, route: string, fallback: number): number {
  try {
    const weight = weightOf(route);
    if (Number.isFinite(weight) && weight >= 0) return weight;
    warnOnce('cost-weight', `costWeight returned ${String(weight)} for ${route}; using ${String(fallback)}.`);
  } catch (error) {
    warnOnce(
      'cost-weight',
      `costWeight threw for ${route} (${errorMessage(error)}); using ${String(fallback)}.`,
    );
  }
  return fallback;
}

export interface ServerRequestScope {
  /** Context to run the request's handler in (the server span is active in it). */
  readonly context: Context;
  readonly span: Span;
  readonly traceId: string;
  recordException(error: unknown): void;
  /**
   * Ends the request. `route` is the matched template; undefined means no route matched
   * (labelled `unmatched`). An aborted request whose headers were never sent is a 499.
   * Idempotent.
   */
  finish(route: string | undefined, statusCode: number, aborted?: boolean): void;
}

export interface HttpServerDependencies {
  readonly tracing: TracingPipeline;
  readonly metrics: ContractMetrics;
  readonly accessLog: TelemetryLogger;
  readonly errorLog: TelemetryLogger;
  readonly hashApiKey: ApiKeyHasher;
  readonly costCenter: CostCenter;
  readonly defaultCostWeight: number;
  /** Masks outside input written into prepared log records. */
  readonly maskString: (value: string) => string;
}

/** What a finished request of one method and route needs that does not change between requests. */
interface RouteIdentity {
  readonly label: string;
  /** `METHOD route`: the span's name, and the access record's message before the status. */
  readonly name: string;
}

/** Route identities kept per instrumentation; beyond this many, they are built per request. */
const MAX_CACHED_ROUTES = 2_000;
const kScope = Symbol('pyairtable.http.scope');

/**
 * The request's telemetry as one object with its methods on the prototype: no closures and no
 * side tables per request (an allocation per request is what the garbage collector pays for).
 */
class RequestScope implements ServerRequestScope {
  readonly context: Context;
  readonly traceId: string;
  private readonly spanId: string;
  private finished = false;
  private failure: unknown;

  constructor(
    private readonly owner: HttpServerInstrumentation,
    readonly span: Span,
    parent: Context,
    private readonly method: HttpMethod,
    private readonly startedAt: number,
    private readonly headers: RequestHeaders,
    private readonly options: HttpServerOptions,
  ) {
    this.context = trace.setSpan(parent, span);
    const ids = span.spanContext();
    this.traceId = ids.traceId;
    this.spanId = ids.spanId;
  }

  recordException(error: unknown): void {
    this.failure = error;
    try {
      this.span.recordException(asException(error));
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
    } catch {
      // The span is only telemetry.
    }
  }

  finish(route: string | undefined, statusCode: number, aborted = false): void {
    if (this.finished) return;
    this.finished = true;
    const { owner, span, method } = this;
    owner.deps.metrics.add('httpServerActiveRequests', { http_request_method: method }, -1);
    try {
      const identity = owner.routeIdentity(method, route ?? UNMATCHED_ROUTE);
      const seconds = (performance.now() - this.startedAt) / 1000;
      span.updateName(identity.name);
      span.setAttribute(A.httpRoute, identity.label);
      span.setAttribute(A.httpResponseStatusCode, statusCode);
      if (statusCode >= 500 || aborted) {
        span.setAttribute(A.errorType, aborted ? 'aborted' : String(statusCode));
        if (this.failure === undefined) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      const weight = owner.costWeight(this.options, identity.label);
      const { metrics, costCenter } = owner.deps;
      metrics.observe(
        'httpServerRequestDuration',
        {
          http_request_method: method,
          http_route: identity.label,
          http_response_status_code: String(statusCode),
        },
        seconds,
      );
      metrics.inc('costUnits', { pyairtable_cost_center: costCenter }, weight);
      this.writeLogs(identity, statusCode, seconds, weight, aborted);
    } catch (error) {
      warnOnce('http-finish', `request telemetry incomplete: ${errorMessage(error)}`);
    } finally {
      span.end();
    }
  }

  /** The access record (and the error record of a failed request). */
  private writeLogs(
    identity: RouteIdentity,
    statusCode: number,
    seconds: number,
    weight: number,
    aborted: boolean,
  ): void {
    const { deps } = this.owner;
    const { userId, tenantId, apiKeyHash } = this.headers;
    const record: Record<string | symbol, unknown> = {
      [kPrepared]: true,
      trace: { id: this.traceId, span_id: this.spanId },
      http: {
        method: this.method,
        route: identity.label,
        status_code: statusCode,
        response_time_ms: Math.round(seconds * 1e6) / 1e3,
      },
      cost: { center: deps.costCenter, weight },
    };
    // Header values are the only outside input in the record; they are masked here.
    if (userId !== undefined) record['user'] = { id: deps.maskString(userId) };
    if (tenantId !== undefined) record['tenant'] = { id: deps.maskString(tenantId) };
    if (apiKeyHash !== undefined) record['api_key'] = { hash: apiKeyHash };
    const message = `${identity.name} ${String(statusCode)}${aborted ? ' (aborted)' : ''}`;
    if (statusCode >= 500) deps.accessLog.error(record, message);
    else deps.accessLog.info(record, message);
    if (this.failure !== undefined)
      deps.errorLog.error(
        { trace: { id: this.traceId, span_id: this.spanId }, err: this.failure },
        `${identity.name} failed`,
      );
  }
}

/** The business headers a request carried, as recorded (cut to length, the API key hashed). */
interface RequestHeaders {
  readonly userId: string | undefined;
  readonly tenantId: string | undefined;
  readonly apiKeyHash: string | undefined;
}

export class HttpServerInstrumentation {
  /** By method, then route: no key string is built per request. */
  private readonly routes = new Map<HttpMethod, Map<string, RouteIdentity>>();
  private cachedRoutes = 0;
  private readonly weights = new WeakMap<HttpServerOptions, Map<string, number>>();

  constructor(readonly deps: HttpServerDependencies) {}

  /** The request scope whose server span this is, if any. */
  scopeOf(span: Span | undefined): ServerRequestScope | undefined {
    return span === undefined ? undefined : (span as Span & { [kScope]?: RequestScope })[kScope];
  }

  /**
   * Begins a request. Returns undefined for ignored paths, and if anything goes wrong (the
   * request then proceeds without telemetry rather than failing).
   */
  start(
    rawMethod: string | undefined,
    rawUrl: string | undefined,
    headers: IncomingHttpHeaders,
    setResponseHeader: (name: string, value: string) => void,
    options: HttpServerOptions = {},
  ): ServerRequestScope | undefined {
    try {
      const url = rawUrl ?? '/';
      const query = url.indexOf('?');
      const path = query === -1 ? url : url.slice(0, query);
      if ((options.ignorePaths ?? DEFAULT_IGNORED_PATHS).includes(path)) return undefined;
      return this.begin(normaliseMethod(rawMethod), path, headers, setResponseHeader, options);
    } catch (error) {
      warnOnce('http-start', `request telemetry skipped: ${errorMessage(error)}`);
      return undefined;
    }
  }

  /** The span name and log message of a method and route, built once per pair. */
  routeIdentity(method: HttpMethod, label: string): RouteIdentity {
    let byRoute = this.routes.get(method);
    const known = byRoute?.get(label);
    if (known !== undefined) return known;
    const identity = { label, name: `${method} ${label}` };
    if (this.cachedRoutes < MAX_CACHED_ROUTES) {
      if (byRoute === undefined) this.routes.set(method, (byRoute = new Map<string, RouteIdentity>()));
      byRoute.set(label, identity);
      this.cachedRoutes++;
    }
    return identity;
  }

  /** The cost weight of a route: a constant, or the option's function called once per route. */
  costWeight(options: HttpServerOptions, route: string): number {
    const fallback = this.deps.defaultCostWeight;
    if (typeof options.costWeight !== 'function') return options.costWeight ?? fallback;
    let known = this.weights.get(options);
    const cached = known?.get(route);
    if (cached !== undefined) return cached;
    const weight = costWeightOf(options.costWeight, route, fallback);
    if (known === undefined) this.weights.set(options, (known = new Map<string, number>()));
    if (known.size < MAX_CACHED_ROUTES) known.set(route, weight);
    return weight;
  }

  private begin(
    method: HttpMethod,
    path: string,
    headers: IncomingHttpHeaders,
    setResponseHeader: (name: string, value: string) => void,
    options: HttpServerOptions,
  ): ServerRequestScope {
    const { tracing, metrics } = this.deps;
    const startedAt = performance.now();
    const parent = propagation.extract(ROOT_CONTEXT, headers, headerGetter);
    const correlation = header(headers, PROPAGATION_HEADERS.traceId);
    const attributes = {
      [A.httpRequestMethod]: method,
      [A.urlPath]: path,
      [A.urlScheme]: 'http',
    } as Record<string, string>;
    const userAgent = header(headers, 'user-agent');
    if (userAgent !== undefined) attributes[A.userAgentOriginal] = userAgent;
    const userId = header(headers, BUSINESS_HEADERS.userId);
    if (userId !== undefined) attributes[A.userId] = userId;
    const tenantId = header(headers, BUSINESS_HEADERS.tenantId);
    if (tenantId !== undefined) attributes[A.tenantId] = tenantId;
    const apiKey = headers[BUSINESS_HEADERS.apiKey];
    const apiKeyHash = typeof apiKey === 'string' && apiKey !== '' ? this.deps.hashApiKey(apiKey) : undefined;
    if (apiKeyHash !== undefined) attributes[A.apiKeyHash] = apiKeyHash;

    const spanOptions = { kind: SpanKind.SERVER, attributes };
    let span: Span;
    if (trace.getSpanContext(parent) === undefined && correlation !== undefined) {
      span = tracing.startRootWithTraceId(correlation, () =>
        tracing.tracer.startSpan(method, spanOptions, parent),
      );
      if (span.spanContext().traceId !== correlation) span.setAttribute(A.correlationId, correlation);
    } else {
      span = tracing.tracer.startSpan(method, spanOptions, parent);
    }
    const scope = new RequestScope(
      this,
      span,
      parent,
      method,
      startedAt,
      { userId, tenantId, apiKeyHash },
      options,
    );
    setResponseHeader(PROPAGATION_HEADERS.traceId, scope.traceId);
    metrics.add('httpServerActiveRequests', { http_request_method: method }, 1);
    (span as Span & { [kScope]?: RequestScope })[kScope] = scope;
    return scope;
  }
}
