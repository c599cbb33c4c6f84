/**
 * Outgoing HTTP for both `fetch` (undici) and `node:http`/`node:https`: a client span per
 * request, W3C `traceparent`/`tracestate`/`baggage` and `x-trace-id` injected (unless the
 * caller set them), and the client duration metric. Requests made while tracing is suppressed
 * (the OTLP exporter's own) are left alone.
 *
 * fetch is observed through undici's diagnostics channels. node:http has no channel on Node 20
 * that fires before the headers are sent (`http.client.request.created` arrives in 22.12), so
 * `request` and `get` of both modules are wrapped, and the ESM named exports re-synced.
 */
import type { Span } from '@opentelemetry/api';
import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { PROPAGATION_HEADERS, SPAN_ATTRIBUTES as A } from '@pyairtable/conventions';
import diagnostics from 'node:diagnostics_channel';
import http from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import { normaliseMethod } from './http-server.js';
import type { ContractMetrics } from './metrics.js';
import { warnOnce } from './warnings.js';
import type { Tracer } from '@opentelemetry/api';
import { asException, errorMessage } from './errors.js';

interface UndiciRequest {
  origin?: string | URL;
  method?: string;
  path?: string;
  /** Raw `name: value\r\n` lines (undici 5/6) or a flat [name, value, ...] array (7+). */
  headers?: string | (string | Buffer)[];
  addHeader?: (name: string, value: string) => unknown;
}

/** Whether the caller set a trace context header itself; then it is left as the caller made it. */
function undiciHasHeader(request: UndiciRequest, name: string): boolean {
  const { headers } = request;
  if (typeof headers === 'string') return headers.toLowerCase().includes(`${name}:`);
  if (Array.isArray(headers))
    for (let index = 0; index < headers.length; index += 2)
      if (String(headers[index]).toLowerCase() === name) return true;
  return false;
}

interface Flight {
  readonly span: Span;
  readonly method: string;
  readonly host: string;
  readonly started: number;
  status: number | undefined;
}

export interface HttpClientInstrumentation {
  disable(): void;
}

export function instrumentHttpClients(tracer: Tracer, metrics: ContractMetrics): HttpClientInstrumentation {
  const flights = new WeakMap<object, Flight>();

  const begin = (
    key: object,
    rawMethod: string | undefined,
    url: URL,
    has: (name: string) => boolean,
    inject: (name: string, value: string) => void,
  ): void => {
    const active = context.active();
    if (isTracingSuppressed(active) || has(PROPAGATION_HEADERS.traceparent)) return;
    const method = normaliseMethod(rawMethod);
    const span = tracer.startSpan(
      method,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [A.httpRequestMethod]: method,
          [A.serverAddress]: url.hostname,
          [A.serverPort]: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
          [A.urlFull]: `${url.protocol}//${url.host}${url.pathname}`,
        },
      },
      active,
    );
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(active, span), carrier);
    for (const [name, value] of Object.entries(carrier)) if (!has(name)) inject(name, value);
    if (!has(PROPAGATION_HEADERS.traceId)) inject(PROPAGATION_HEADERS.traceId, span.spanContext().traceId);
    flights.set(key, { span, method, host: url.hostname, started: performance.now(), status: undefined });
  };

  const end = (key: object, error?: unknown): void => {
    const flight = flights.get(key);
    if (flight === undefined) return;
    flights.delete(key);
    const { span, status } = flight;
    if (status !== undefined) span.setAttribute(A.httpResponseStatusCode, status);
    if (error !== undefined) {
      span.recordException(asException(error));
      span.setAttribute(A.errorType, error instanceof Error ? error.name : 'error');
      span.setStatus({ code: SpanStatusCode.ERROR });
    } else if (status !== undefined && status >= 400) {
      span.setAttribute(A.errorType, String(status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    metrics.observe(
      'httpClientRequestDuration',
      {
        http_request_method: flight.method as never,
        server_address: flight.host,
        http_response_status_code: status === undefined ? '' : String(status),
      },
      (performance.now() - flight.started) / 1000,
    );
    span.end();
  };

  /** Channel handlers must never throw into the code making the request. */
  const guard =
    (name: string, handler: (message: unknown) => void) =>
    (message: unknown): void => {
      try {
        handler(message);
      } catch (error) {
        warnOnce(`client:${name}`, `outgoing request telemetry skipped (${name}): ${errorMessage(error)}`);
      }
    };

  interface UndiciMessage {
    readonly request: UndiciRequest;
    readonly response?: { readonly statusCode: number };
    readonly error?: unknown;
  }

  const subscriptions: [string, (message: unknown) => void][] = [
    [
      'undici:request:create',
      guard('undici:create', (message) => {
        const { request } = message as UndiciMessage;
        if (request.origin === undefined || request.addHeader === undefined) return;
        const url = new URL(request.path ?? '/', request.origin);
        begin(
          request,
          request.method,
          url,
          (name) => undiciHasHeader(request, name),
          (name, value) => request.addHeader?.(name, value),
        );
      }),
    ],
    [
      'undici:request:headers',
      guard('undici:headers', (message) => {
        const { request, response } = message as UndiciMessage;
        const flight = flights.get(request);
        if (flight !== undefined) flight.status = response?.statusCode;
      }),
    ],
    [
      'undici:request:trailers',
      guard('undici:trailers', (message) => {
        end((message as UndiciMessage).request);
      }),
    ],
    [
      'undici:request:error',
      guard('undici:error', (message) => {
        const { request, error } = message as UndiciMessage;
        end(request, error);
      }),
    ],
  ];
  for (const [channel, handler] of subscriptions) diagnostics.subscribe(channel, handler);

  const observe = guard('http:request', (message) => {
    const request = message as ClientRequest;
    if (request.headersSent) return;
    const protocol = request.protocol || 'http:';
    const url = new URL(request.path, `${protocol}//${request.host}`);
    begin(
      request,
      request.method,
      url,
      (name) => request.hasHeader(name),
      (name, value) => {
        request.setHeader(name, value);
      },
    );
    if (!flights.has(request)) return;
    // Watch events by wrapping emit rather than adding listeners: a 'response' listener would
    // stop Node from draining an unread response (its socket never returns to the agent), and
    // an 'error' listener would swallow errors the host expects to see.
    // eslint-disable-next-line @typescript-eslint/unbound-method -- re-applied with the request as `this`
    const emit = request.emit;
    request.emit = function (this: ClientRequest, event: string | symbol, ...args: unknown[]): boolean {
      try {
        if (event === 'response') {
          const flight = flights.get(request);
          if (flight !== undefined) flight.status = (args[0] as IncomingMessage).statusCode;
          end(request);
        } else if (event === 'error') end(request, args[0]);
        else if (event === 'close') end(request);
      } catch (error) {
        warnOnce('client:emit', `outgoing request telemetry incomplete: ${errorMessage(error)}`);
      }
      return (emit as (this: ClientRequest, event: string | symbol, ...rest: unknown[]) => boolean).call(
        this,
        event,
        ...args,
      );
    } as typeof request.emit;
  });
  const restore = wrapClientModules(observe);
  return {
    disable() {
      for (const [channel, handler] of subscriptions) diagnostics.unsubscribe(channel, handler);
      restore();
    },
  };
}

type RequestFunction = typeof http.request;

/** Wraps `request`/`get` of node:http and node:https so `observe` sees each request before it is sent. */
function wrapClientModules(observe: (request: ClientRequest) => void): () => void {
  const modules = [http, https] as const;
  const originals = modules.map((module) => ({ module, request: module.request, get: module.get }));
  for (const { module, request } of originals) {
    const wrappedRequest = function (this: unknown, ...args: unknown[]): ClientRequest {
      const clientRequest = (request as (...a: unknown[]) => ClientRequest).apply(this, args);
      observe(clientRequest);
      return clientRequest;
    } as RequestFunction;
    const wrappedGet = function (this: unknown, ...args: unknown[]): ClientRequest {
      const clientRequest = (wrappedRequest as (...a: unknown[]) => ClientRequest).apply(this, args);
      clientRequest.end();
      return clientRequest;
    } as RequestFunction;
    (module as { request: RequestFunction }).request = wrappedRequest;
    (module as { get: RequestFunction }).get = wrappedGet;
  }
  syncBuiltinESMExports();
  return () => {
    for (const { module, request, get } of originals) {
      (module as { request: RequestFunction }).request = request;
      (module as { get: RequestFunction }).get = get;
    }
    syncBuiltinESMExports();
  };
}
