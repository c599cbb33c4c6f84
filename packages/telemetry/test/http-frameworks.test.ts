import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { useTelemetry } from './harness.js';
import {
  BUSINESS_HEADERS,
  METRICS,
  METRIC_LABELS as L,
  PROPAGATION_HEADERS,
  RESOURCE_ATTRIBUTES,
  SPAN_ATTRIBUTES as A,
  validateLogRecord,
} from '@pyairtable/conventions';
import { plainFetch } from '@pyairtable/test-support';
import type { Telemetry } from '@pyairtable/telemetry';
import { instrumentRequestListener } from '@pyairtable/telemetry';
import { expressErrorTelemetry, expressTelemetry } from '@pyairtable/telemetry/express';
import { fastifyTelemetry } from '@pyairtable/telemetry/fastify';
import { honoTelemetry } from '@pyairtable/telemetry/hono';

const harness = useTelemetry({
  serviceVersion: '1.2.3',
  serviceTier: 'gateway',
  environment: 'development',
  apiKeyHmacSecret: 'test-secret-0123456789',
});

interface Started {
  readonly url: string;
  close(): Promise<void>;
}

function listen(server: Server): Promise<Started> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => {
              done();
            });
          }),
      });
    });
  });
}

/** Each framework serves GET /items/:id (200), GET /boom (throws), GET /health. */
const frameworks: Record<string, (t: Telemetry) => Promise<Started>> = {
  'node:http': (t) =>
    listen(
      createServer(
        instrumentRequestListener(t, (request, response) => {
          const path = (request.url ?? '').split('?')[0] ?? '';
          if (path === '/boom') {
            // Plain node:http does not catch; a service handles its own errors and reports them.
            t.recordException(new Error('kaboom'));
            response.writeHead(500);
            response.end();
            return;
          }
          if (path.startsWith('/items/')) {
            response.writeHead(200, { 'content-type': 'application/json' });
            response.end(JSON.stringify({ traceId: t.currentTraceIds()?.traceId }));
            return;
          }
          response.writeHead(path === '/health' ? 200 : 404);
          response.end();
        }),
      ).on('clientError', () => undefined),
    ),
  express: (t) => {
    const app = express();
    app.use(expressTelemetry(t));
    app.get('/health', (_request, response) => {
      response.send('ok');
    });
    app.get('/items/:id', (_request, response) => {
      response.json({ traceId: t.currentTraceIds()?.traceId });
    });
    app.get('/boom', () => {
      throw new Error('kaboom');
    });
    app.use(expressErrorTelemetry(t));
    app.use(
      (
        _error: unknown,
        _request: express.Request,
        response: express.Response,
        _next: express.NextFunction,
      ) => {
        response.status(500).send('error');
      },
    );
    return listen(createServer(app));
  },
  fastify: async (t) => {
    const app = Fastify();
    await app.register(fastifyTelemetry(t));
    app.get('/health', () => 'ok');
    app.get('/items/:id', () => ({ traceId: t.currentTraceIds()?.traceId }));
    app.get('/boom', () => {
      throw new Error('kaboom');
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
  },
  hono: (t) => {
    const app = new Hono();
    app.use(honoTelemetry(t));
    app.get('/health', (c) => c.text('ok'));
    app.get('/items/:id', (c) => c.json({ traceId: t.currentTraceIds()?.traceId }));
    app.get('/boom', () => {
      throw new Error('kaboom');
    });
    return new Promise((resolve) => {
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
        resolve({
          url: `http://127.0.0.1:${info.port}`,
          close: () =>
            new Promise((done) => {
              server.close(() => {
                done();
              });
            }),
        });
      });
    });
  },
};

describe.each(Object.keys(frameworks))('%s server instrumentation', (framework) => {
  it('traces a request by its route template, sets x-trace-id and harness.logs one access record', async () => {
    const server = await frameworks[framework]!(harness.telemetry);
    try {
      const response = await plainFetch(`${server.url}/items/42?q=1`, {
        headers: {
          [BUSINESS_HEADERS.userId]: 'usr_7',
          [BUSINESS_HEADERS.tenantId]: 'tenant-3',
          [BUSINESS_HEADERS.apiKey]: 'sk-live-secret-key-123',
        },
      });
      const body = (await response.json()) as { traceId?: string };
      const traceId = response.headers.get(PROPAGATION_HEADERS.traceId);
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(body.traceId, 'the handler runs inside the server span').toBe(traceId);

      await harness.telemetry.forceFlush();
      const server_ = harness.receiver.spans.find((span) => span.kind === 2 && span.traceId === traceId);
      expect(server_?.name).toBe('GET /items/:id');
      expect(server_?.attributes).toMatchObject({
        [A.httpRoute]: '/items/:id',
        [A.httpRequestMethod]: 'GET',
        [A.httpResponseStatusCode]: 200,
        [A.userId]: 'usr_7',
        [A.tenantId]: 'tenant-3',
      });
      const hash = server_?.attributes[A.apiKeyHash];
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(harness.receiver.spans)).not.toContain('secret-key');
      expect(server_?.resource).toMatchObject({
        [RESOURCE_ATTRIBUTES.serviceName]: 'api-gateway',
        [RESOURCE_ATTRIBUTES.serviceVersion]: '1.2.3',
      });

      await new Promise((resolve) => setTimeout(resolve, 20));
      const access = harness.logs.lines.filter((line) => line['category'] === 'access');
      expect(access).toHaveLength(1);
      expect(validateLogRecord(access[0]).ok).toBe(true);
      expect(access[0]).toMatchObject({
        trace: { id: traceId },
        http: { method: 'GET', route: '/items/:id', status_code: 200 },
        user: { id: 'usr_7' },
        tenant: { id: 'tenant-3' },
        api_key: { hash },
        cost: { center: 'gateway', weight: 2 },
      });

      const exposition = (await harness.telemetry.metrics.render()).body;
      expect(exposition).toMatch(
        new RegExp(
          `${METRICS.httpServerRequestDuration.name}_count\\{[^}]*${L.httpRequestMethod.name}="GET",${L.httpRoute.name}="/items/:id",${L.httpResponseStatusCode.name}="200"[^}]*\\} 1`,
        ),
      );
    } finally {
      await server.close();
    }
  });

  it('records a thrown error as a 500 with an error record', async () => {
    const server = await frameworks[framework]!(harness.telemetry);
    try {
      const response = await plainFetch(`${server.url}/boom`);
      expect(response.status).toBe(500);
      const traceId = response.headers.get(PROPAGATION_HEADERS.traceId);
      await harness.telemetry.forceFlush();
      const span = harness.receiver.spans.find(
        (candidate) => candidate.kind === 2 && candidate.traceId === traceId,
      );
      expect(span?.name).toBe('GET /boom');
      expect(span?.status.code).toBe(2);
      expect(span?.events.some((event) => event.name === 'exception')).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const errors = harness.logs.lines.filter((line) => line['category'] === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({
        log_level: 'ERROR',
        error: { message: 'kaboom' },
        trace: { id: traceId },
      });
      expect(validateLogRecord(errors[0]).ok).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('leaves /health alone and labels unmatched requests', async () => {
    const server = await frameworks[framework]!(harness.telemetry);
    try {
      const health = await plainFetch(`${server.url}/health`);
      expect(health.headers.get(PROPAGATION_HEADERS.traceId)).toBeNull();
      await health.text();
      const missing = await plainFetch(`${server.url}/nothing/here`);
      expect(missing.status).toBe(404);
      await missing.text();
      await harness.telemetry.forceFlush();
      expect(harness.receiver.spans.filter((span) => span.kind === 2).map((span) => span.name)).toEqual([
        'GET unmatched',
      ]);
    } finally {
      await server.close();
    }
  });
});
