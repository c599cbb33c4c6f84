/**
 * api-gateway (Fastify): the platform's public entry. Checks `x-api-key` on every `/api/*`
 * request (recording each rejection as an auth event, so failures reach the security metrics
 * and log; a client guessing keys is throttled and reported), counts user sessions, then routes
 * to the service that owns the call. Trace context reaches the services
 * behind it through the SDK's fetch instrumentation.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BUSINESS_HEADERS } from '@pyairtable/conventions';
import type { AuthReason } from '@pyairtable/conventions';
import { fastifyTelemetry } from '@pyairtable/telemetry/fastify';
import type { DemoEnv } from './config.js';
import { readBaseUrl, readInteger, readString } from './config.js';
import { FAULTS_PATH, InjectedFault } from './faults.js';
import { KeyGuessing, UserSessions } from './gateway-guards.js';
import { closeWithGrace, IGNORED_PATHS, MAX_BODY_BYTES } from './http.js';
import type { PreparedService } from './service-context.js';
import { DEFAULT_DEMO_API_KEY, DEMO_HOST, demoService } from './services.js';
import type { Upstream, UpstreamAnswer } from './upstream.js';
import { callUpstream, headerValue } from './upstream.js';

const API_PREFIX = '/api/';

function upstream(
  env: DemoEnv,
  variable: string,
  name: 'airtable-gateway' | 'llm-orchestrator' | 'automation-services',
): Upstream {
  return { name, baseUrl: readBaseUrl(env, variable, `http://${DEMO_HOST}:${demoService(name).port}`) };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** The status an error from a hook or handler answers with: its own 4xx, otherwise 500. */
function statusOf(error: unknown): number {
  if (error instanceof InjectedFault) return 500;
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : 500;
}

export function prepareApiGateway(env: DemoEnv): PreparedService {
  // Compared as digests with timingSafeEqual: equal length whatever the caller sends, constant time.
  const expectedKey = digest(readString(env, 'DEMO_API_KEY', DEFAULT_DEMO_API_KEY));
  const airtableGateway = upstream(env, 'DEMO_UPSTREAM_AIRTABLE_GATEWAY', 'airtable-gateway');
  const llmOrchestrator = upstream(env, 'DEMO_UPSTREAM_LLM_ORCHESTRATOR', 'llm-orchestrator');
  const automationServices = upstream(env, 'DEMO_UPSTREAM_AUTOMATION_SERVICES', 'automation-services');
  const sessionIdleSeconds = readInteger(env, 'DEMO_SESSION_IDLE_SECONDS', 300, 1, 86_400);
  const failedAuthLimit = readInteger(env, 'DEMO_FAILED_AUTH_LIMIT', 20, 1, 100_000);

  return async ({ telemetry, faults, host, port }) => {
    const app = Fastify({ logger: false, bodyLimit: MAX_BODY_BYTES });
    const sessions = new UserSessions(telemetry, { idleMs: sessionIdleSeconds * 1_000 });
    const guessing = new KeyGuessing(telemetry, { failuresPerMinute: failedAuthLimit });
    await app.register(fastifyTelemetry(telemetry, { ignorePaths: IGNORED_PATHS }));

    app.setErrorHandler((error, _request, reply) => {
      const status = statusOf(error);
      const message = error instanceof Error ? error.message : String(error);
      return reply
        .code(status)
        .send({ error: status === 500 && !(error instanceof InjectedFault) ? 'internal error' : message });
    });
    app.setNotFoundHandler((request, reply) =>
      reply.code(404).send({ error: `no route for ${request.method} ${request.url.split('?')[0] ?? ''}` }),
    );

    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (!request.url.startsWith(API_PREFIX)) return;
      const presented = headerValue(request.headers[BUSINESS_HEADERS.apiKey]);
      let reason: AuthReason | undefined;
      if (presented === undefined) reason = 'missing_credentials';
      else if (!timingSafeEqual(digest(presented), expectedKey)) reason = 'invalid_api_key';
      if (reason === undefined) {
        sessions.seen(headerValue(request.headers[BUSINESS_HEADERS.userId]));
        return;
      }
      // Only failures are recorded: a success is every request (the access log has those), and a
      // security record per request would bury the failures the security alert is about.
      telemetry.recordAuthEvent({
        event: 'api_key_validation',
        method: 'api_key',
        result: 'failure',
        reason,
      });
      if (guessing.failed(request.ip))
        return reply.code(429).send({ error: 'too many failed authentications; try again in a minute' });
      return reply.code(401).send({
        error:
          reason === 'missing_credentials'
            ? `the ${BUSINESS_HEADERS.apiKey} header is required`
            : 'invalid API key',
      });
    });
    app.addHook('preHandler', async (request: FastifyRequest) => {
      if (request.url.startsWith(API_PREFIX)) await faults.beforeRequest();
    });

    const forward = async (
      request: FastifyRequest,
      reply: FastifyReply,
      target: Upstream,
      path: string,
      method: 'GET' | 'POST',
    ): Promise<FastifyReply> => {
      const query = request.url.indexOf('?');
      const answer: UpstreamAnswer = await callUpstream(
        telemetry,
        target,
        query === -1 ? path : path + request.url.slice(query),
        {
          method,
          ...(method === 'POST' ? { body: request.body ?? {} } : {}),
          context: {
            userId: headerValue(request.headers[BUSINESS_HEADERS.userId]),
            tenantId: headerValue(request.headers[BUSINESS_HEADERS.tenantId]),
          },
        },
      );
      return reply.code(answer.status).send(answer.body);
    };

    app.get('/health', () => ({ status: 'healthy', service: 'api-gateway' }));
    app.route({
      method: ['GET', 'POST', 'DELETE'],
      url: FAULTS_PATH,
      handler: (request, reply) => {
        const answer = faults.handle(request.method, request.body);
        return reply.code(answer.status).send(answer.body);
      },
    });

    app.get<{ Params: { baseId: string; table: string } }>(
      '/api/bases/:baseId/tables/:table/records',
      (request, reply) =>
        forward(
          request,
          reply,
          airtableGateway,
          `/bases/${encodeURIComponent(request.params.baseId)}/tables/${encodeURIComponent(request.params.table)}/records`,
          'GET',
        ),
    );
    app.post('/api/chat', (request, reply) => forward(request, reply, llmOrchestrator, '/chat', 'POST'));
    app.post<{ Params: { name: string } }>('/api/workflows/:name/run', (request, reply) =>
      forward(
        request,
        reply,
        automationServices,
        `/workflows/${encodeURIComponent(request.params.name)}/run`,
        'POST',
      ),
    );

    await app.listen({ port, host });
    const address = app.server.address();
    return {
      port: typeof address === 'object' && address !== null ? address.port : port,
      close: () => {
        sessions.close();
        return closeWithGrace(app.server, () => app.close());
      },
    };
  };
}
