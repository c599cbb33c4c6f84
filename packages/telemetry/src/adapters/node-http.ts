/**
 * Plain `node:http`: wrap the request listener. Without a router there is no route template,
 * so pass `route` when you have one; otherwise the path with id-like segments replaced stands in.
 */
import { context } from '@opentelemetry/api';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { errorMessage } from '../errors.js';
import type { HttpServerOptions } from '../http-server.js';
import { routeFromPath } from '../http-server.js';
import { warnOnce } from '../warnings.js';
import type { Telemetry } from '../telemetry.js';

export interface NodeHttpOptions extends HttpServerOptions {
  /** The route template of a request, when the service knows it. */
  readonly route?: (request: IncomingMessage) => string | undefined;
}

export function instrumentRequestListener<
  Request extends typeof IncomingMessage = typeof IncomingMessage,
  Response extends typeof ServerResponse<InstanceType<Request>> = typeof ServerResponse,
>(
  telemetry: Telemetry,
  listener: RequestListener<Request, Response>,
  options: NodeHttpOptions = {},
): RequestListener<Request, Response> {
  return (request, response) => {
    const scope = telemetry.http.start(
      request.method,
      request.url,
      request.headers,
      (name, value) => {
        if (!response.headersSent) response.setHeader(name, value);
      },
      options,
    );
    if (scope === undefined) {
      listener(request, response);
      return;
    }
    // Without a router, a 404 is taken as "no route matched"; other paths stand in for a route.
    const route = (): string | undefined => {
      const fallback =
        response.statusCode === 404 ? undefined : routeFromPath((request.url ?? '/').split('?')[0] ?? '/');
      try {
        return options.route?.(request) ?? fallback;
      } catch (error) {
        warnOnce(
          'node-http-route',
          `the route option threw (${errorMessage(error)}); using the path instead.`,
        );
        return fallback;
      }
    };
    response.once('finish', () => {
      scope.finish(route(), response.statusCode);
    });
    response.once('close', () => {
      if (!response.writableFinished)
        scope.finish(route(), response.headersSent ? response.statusCode : 499, true);
    });
    context.with(scope.context, () => {
      try {
        const result = (listener as (...args: unknown[]) => unknown)(request, response);
        // An async listener's rejection is recorded, then left unhandled exactly as before.
        if (result instanceof Promise)
          void result.catch((error: unknown) => {
            scope.recordException(error);
            throw error;
          });
      } catch (error) {
        scope.recordException(error);
        throw error;
      }
    });
  };
}
