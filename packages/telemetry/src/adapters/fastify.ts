/**
 * Fastify 5: `await app.register(fastifyTelemetry(telemetry))` before declaring routes. The
 * plugin is not encapsulated, so its hooks see every route; handlers run inside the request's
 * span context even after the body has been read.
 */
import { context } from '@opentelemetry/api';
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import type { HttpServerOptions, ServerRequestScope } from '../http-server.js';
import type { Telemetry } from '../telemetry.js';

export function fastifyTelemetry(
  telemetry: Telemetry,
  options: HttpServerOptions = {},
): FastifyPluginCallback {
  // The request's scope lives on the request itself, declared with `decorateRequest` so that
  // every request keeps one shape (a side table per request costs the garbage collector).
  const kScope = Symbol('pyairtable.telemetry.scope');
  type ScopedRequest = FastifyRequest & { [kScope]: ServerRequestScope | null };
  const scopeOf = (request: FastifyRequest): ServerRequestScope | null => (request as ScopedRequest)[kScope];
  const plugin: FastifyPluginCallback = (app, _pluginOptions, done) => {
    if (!app.hasRequestDecorator(kScope)) app.decorateRequest(kScope, null);
    app.addHook('onRoute', (route) => {
      const handler = route.handler as (...args: unknown[]) => unknown;
      route.handler = function (this: unknown, request: FastifyRequest, ...rest: unknown[]) {
        const scope = scopeOf(request);
        return scope === null
          ? handler.call(this, request, ...rest)
          : context.with(scope.context, handler, this, request, ...rest);
      };
    });
    app.addHook('onRequest', (request, reply, next) => {
      const scope = telemetry.http.start(
        request.method,
        request.url,
        request.headers,
        (name, value) => {
          void reply.header(name, value);
        },
        options,
      );
      if (scope === undefined) {
        next();
        return;
      }
      (request as ScopedRequest)[kScope] = scope;
      context.with(scope.context, next);
    });
    app.addHook('onError', (request, _reply, error, next) => {
      scopeOf(request)?.recordException(error);
      next();
    });
    app.addHook('onResponse', (request, reply, next) => {
      scopeOf(request)?.finish(request.is404 ? undefined : request.routeOptions.url, reply.statusCode);
      next();
    });
    app.addHook('onRequestAbort', (request, next) => {
      scopeOf(request)?.finish(request.routeOptions.url, 499, true);
      next();
    });
    done();
  };
  // Equivalent of fastify-plugin: register the hooks on the parent scope, not an encapsulated child.
  (plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  return plugin;
}
