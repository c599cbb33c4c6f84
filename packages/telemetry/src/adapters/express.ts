/**
 * Express 5: `app.use(expressTelemetry(telemetry))` first, and
 * `app.use(expressErrorTelemetry(telemetry))` before your own error handlers to record
 * exceptions on the span. The route template is `baseUrl + route.path` as seen when the
 * response starts, so nested routers report their full template.
 */
import { context } from '@opentelemetry/api';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { HttpServerOptions, ServerRequestScope } from '../http-server.js';
import type { Telemetry } from '../telemetry.js';

const scopes = new WeakMap<Request, ServerRequestScope>();

function routeOf(request: Request): string | undefined {
  const path: unknown = (request.route as { path?: unknown } | undefined)?.path;
  if (typeof path !== 'string') return undefined;
  const joined = `${request.baseUrl}${path === '/' && request.baseUrl !== '' ? '' : path}`;
  return joined === '' ? '/' : joined;
}

export function expressTelemetry(telemetry: Telemetry, options: HttpServerOptions = {}): RequestHandler {
  return (request, response, next) => {
    const scope = telemetry.http.start(
      request.method,
      request.originalUrl,
      request.headers,
      (name, value) => {
        if (!response.headersSent) response.setHeader(name, value);
      },
      options,
    );
    if (scope === undefined) {
      next();
      return;
    }
    scopes.set(request, scope);
    let route: string | undefined;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- re-applied below with the response as `this`
    const writeHead = response.writeHead;
    // The route is known while the handler runs; by 'finish' nested routers have restored baseUrl.
    response.writeHead = function (this: typeof response, ...args: unknown[]) {
      route ??= routeOf(request);
      return (writeHead as (...a: unknown[]) => typeof response).apply(this, args);
    } as typeof response.writeHead;
    response.once('finish', () => {
      scope.finish(route ?? routeOf(request), response.statusCode);
    });
    response.once('close', () => {
      if (!response.writableFinished)
        scope.finish(route ?? routeOf(request), response.headersSent ? response.statusCode : 499, true);
    });
    context.with(scope.context, next);
  };
}

export function expressErrorTelemetry(_telemetry: Telemetry): ErrorRequestHandler {
  return (error: unknown, request, _response, next) => {
    scopes.get(request)?.recordException(error);
    next(error);
  };
}
