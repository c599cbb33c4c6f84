/**
 * Plain `node:http`: wrap the request listener. Without a router there is no route template,
 * so pass `route` when you have one; otherwise the path with id-like segments replaced stands in.
 */
import { context } from '@opentelemetry/api';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { HttpServerOptions } from '../http-server.js';
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
    const route = (): string | undefined => options.route?.(request);
    response.once('finish', () => {
      scope.finish(route(), response.statusCode);
    });
    response.once('close', () => {
      scope.finish(route(), response.statusCode, !response.writableFinished);
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
