/**
 * Hono 4 (on Node through @hono/node-server): `app.use(honoTelemetry(telemetry))` first. The
 * route template is the path of the route that produced the response.
 */
import { context } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { PROPAGATION_HEADERS } from '@pyairtable/conventions';
import type { HttpServerOptions } from '../http-server.js';
import type { Telemetry } from '../telemetry.js';

export function honoTelemetry(telemetry: Telemetry, options: HttpServerOptions = {}): MiddlewareHandler {
  return async (c, next) => {
    const url = new URL(c.req.url);
    const scope = telemetry.http.start(
      c.req.method,
      url.pathname,
      c.req.header(),
      (name, value) => {
        c.header(name, value);
      },
      options,
    );
    if (scope === undefined) {
      await next();
      return;
    }
    try {
      await context.with(scope.context, next);
    } catch (error) {
      scope.recordException(error);
      scope.finish(undefined, 500);
      throw error;
    }
    if (c.error !== undefined) scope.recordException(c.error);
    // A handler that returned its own Response skipped c.header(); set it on the response too.
    try {
      c.res.headers.set(PROPAGATION_HEADERS.traceId, scope.traceId);
    } catch {
      // Immutable headers (a redirect, a fetched response): the response stays as it is.
    }
    const responder = matchedRoutes(c)[c.req.routeIndex];
    // Middleware mounted for everything ('*', '/*') did not match a route; any other path is a template.
    const route =
      responder === undefined || responder.path === '*' || responder.path === '/*'
        ? undefined
        : responder.path;
    scope.finish(route, c.res.status);
  };
}
