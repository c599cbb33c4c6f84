/**
 * Outgoing HTTP through Node's diagnostics channels, for both `fetch` (undici) and
 * `node:http`/`node:https`: a client span per request, W3C `traceparent`/`tracestate`/`baggage`
 * and `x-trace-id` injected, and the client duration metric. Channels rather than patching
 * modules, so it works the same for ESM and CommonJS callers. Requests made while tracing is
 * suppressed (the OTLP exporter's own) are left alone.
 */
import type { Span } from '@opentelemetry/api';
import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { PROPAGATION_HEADERS, SPAN_ATTRIBUTES as A } from '@pyairtable/conventions';
import diagnostics from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { normaliseMethod } from './http-server.js';
import type { ContractMetrics } from './metrics.js';
import { warnOnce } from './warnings.js';
import type { Tracer } from '@opentelemetry/api';

interface UndiciRequest {
  origin?: string | URL;
  method?: string;
  path?: string;
  addHeader?: (name: string, value: string) => unknown;
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

  const begin = (key: object, rawMethod: string | undefined, url: URL, inject: (name: string, value: string) => void): void => {
    const active = context.active();
    if (isTracingSuppressed(active)) return;
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
    for (const [name, value] of Object.entries(carrier)) inject(name, value);
    inject(PROPAGATION_HEADERS.traceId, span.spanContext().traceId);
    flights.set(key, { span, method, host: url.hostname, started: performance.now(), status: undefined });
  };

  const end = (key: object, error?: unknown): void => {
    const flight = flights.get(key);
    if (flight === undefined) return;
    flights.delete(key);
    const { span, status } = flight;
    if (status !== undefined) span.setAttribute(A.httpResponseStatusCode, status);
    if (error !== undefined) {
      span.recordException(error instanceof Error ? error : String(error));
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

  const guard =
    <Message>(name: string, handler: (message: Message) => void) =>
    (message: unknown): void => {
      try {
        handler(message as Message);
      } catch (error) {
        warnOnce(`client:${name}`, `outgoing request telemetry skipped (${name}): ${(error as Error).message}`);
      }
    };

  const subscriptions: [string, (message: unknown) => void][] = [
    [
      'undici:request:create',
      guard<{ request: UndiciRequest }>('undici:create', ({ request }) => {
        if (request.origin === undefined || request.addHeader === undefined) return;
        const url = new URL(request.path ?? '/', request.origin);
        begin(request, request.method, url, (name, value) => request.addHeader?.(name, value));
      }),
    ],
    [
      'undici:request:headers',
      guard<{ request: UndiciRequest; response: { statusCode: number } }>('undici:headers', ({ request, response }) => {
        const flight = flights.get(request);
        if (flight !== undefined) flight.status = response.statusCode;
      }),
    ],
    ['undici:request:trailers', guard<{ request: UndiciRequest }>('undici:trailers', ({ request }) => {
      end(request);
    })],
    [
      'undici:request:error',
      guard<{ request: UndiciRequest; error: unknown }>('undici:error', ({ request, error }) => {
        end(request, error);
      }),
    ],
    [
      'http.client.request.start',
      guard<{ request: ClientRequest }>('http:start', ({ request }) => {
        if (request.headersSent) return;
        const protocol = request.protocol || 'http:';
        const url = new URL(request.path, `${protocol}//${request.host}`);
        begin(request, request.method, url, (name, value) => {
          request.setHeader(name, value);
        });
        if (flights.has(request))
          request.once('error', (error) => {
            end(request, error);
          });
      }),
    ],
    [
      'http.client.response.finish',
      guard<{ request: ClientRequest; response: IncomingMessage }>('http:finish', ({ request, response }) => {
        const flight = flights.get(request);
        if (flight === undefined) return;
        flight.status = response.statusCode;
        end(request);
      }),
    ],
  ];
  for (const [channel, handler] of subscriptions) diagnostics.subscribe(channel, handler);
  return {
    disable() {
      for (const [channel, handler] of subscriptions) diagnostics.unsubscribe(channel, handler);
    },
  };
}
