/**
 * Hono 4 (on Node through @hono/node-server): `app.use(honoTelemetry(telemetry))` first. The
 * route template is the path of the route that produced the response.
 */
import { context } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
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
    const responder = matchedRoutes(c)[c.req.routeIndex];
    const route = responder !== undefined && responder.method !== 'ALL' ? responder.path : undefined;
    scope.finish(route, c.res.status);
  };
}
