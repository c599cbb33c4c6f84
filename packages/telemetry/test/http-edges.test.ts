/** Edge cases of request telemetry: no request data in labels, bounded labels, host hooks that throw. */
import { createServer, Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { useTelemetry } from './harness.js';
import { METRICS, METRIC_LABELS as L, PROPAGATION_HEADERS } from '@pyairtable/conventions';
import { parseExposition, sampleValue, plainFetch } from '@pyairtable/test-support';
import { MAX_LABEL_VALUES, instrumentRequestListener, routeFromPath } from '@pyairtable/telemetry';
import { expressTelemetry } from '@pyairtable/telemetry/express';
import { honoTelemetry } from '@pyairtable/telemetry/hono';

const harness = useTelemetry({});

describe('route labels', () => {
  it('keep only short lower-case words from a raw path', () => {
    expect(routeFromPath('/api/v1/users/alice@example.com/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig')).toBe(
      '/api/v1/users/:id/:id',
    );
    expect(routeFromPath('/bases/appAbCdEfGhIjKlMn/records/42')).toBe('/bases/:id/records/:id');
    expect(routeFromPath('/Reports/Quarterly')).toBe('/:id/:id');
    expect(routeFromPath('/')).toBe('/');
  });

  it('never carry request data when middleware answers before any route', async () => {
    const app = express();
    app.use(expressTelemetry(harness.telemetry));
    app.use((_request, response) => {
      response.status(401).send('no');
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await (await plainFetch(`http://127.0.0.1:${port}/private/alice@example.com`)).text();
      await harness.telemetry.forceFlush();
      expect(harness.receiver.spans.map((span) => span.name)).toEqual(['GET unmatched']);
      const exposition = (await harness.telemetry.metrics.render()).body;
      expect(exposition).not.toContain('alice');
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(harness.logs.raw.join('\n')).not.toContain('alice');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it(`are bounded at ${MAX_LABEL_VALUES} distinct values`, async () => {
    for (let index = 0; index < MAX_LABEL_VALUES + 100; index++)
      harness.telemetry.http.start('GET', `/r${index}`, {}, () => undefined)?.finish(`/r${index}`, 200);
    const families = parseExposition((await harness.telemetry.metrics.render()).body).samples.filter(
      (sample) => sample.name === `${METRICS.httpServerRequestDuration.name}_count`,
    );
    expect(new Set(families.map((sample) => sample.labels[L.httpRoute.name])).size).toBe(
      MAX_LABEL_VALUES + 1,
    );
    expect(
      sampleValue(
        (await harness.telemetry.metrics.render()).body,
        `${METRICS.httpServerRequestDuration.name}_count`,
        { [L.httpRoute.name]: '_OTHER' },
      ),
    ).toBe(100);
  });
});

describe('host hooks that misbehave', () => {
  it('a throwing route option or cost weight neither crashes the host nor leaves a request in flight', async () => {
    const server = createServer(
      instrumentRequestListener(
        harness.telemetry,
        (_request, response) => {
          response.end('ok');
        },
        {
          route: () => {
            throw new Error('route lookup failed');
          },
          costWeight: () => {
            throw new Error('weight lookup failed');
          },
        },
      ),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      expect(await (await plainFetch(`http://127.0.0.1:${port}/things/1`)).text()).toBe('ok');
      await new Promise((resolve) => setTimeout(resolve, 20));
      const text = (await harness.telemetry.metrics.render()).body;
      expect(
        sampleValue(text, METRICS.httpServerActiveRequests.name, { [L.httpRequestMethod.name]: 'GET' }),
      ).toBe(0);
      expect(
        sampleValue(text, `${METRICS.httpServerRequestDuration.name}_count`, {
          [L.httpRoute.name]: '/things/:id',
        }),
      ).toBe(1);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('outgoing node:http', () => {
  it('does not keep an unread response from freeing its socket (fire-and-forget on one socket)', async () => {
    const server = createServer((_request, response) => {
      response.end('x'.repeat(100_000));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const { port } = server.address() as AddressInfo;
      // The first response is never read; Node drains it only if nobody listens for 'response'.
      httpRequest({ port, host: '127.0.0.1', path: '/a', agent }).end();
      const second = await new Promise<number | undefined>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error('second request never completed'));
        }, 5000);
        httpRequest({ port, host: '127.0.0.1', path: '/b', agent }, (response) => {
          response.resume();
          clearTimeout(timer);
          resolve(response.statusCode);
        }).end();
      });
      expect(second).toBe(200);
    } finally {
      agent.destroy();
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('Hono', () => {
  it('sets x-trace-id on a Response the handler built itself, and labels app.all routes', async () => {
    const app = new Hono();
    app.use(honoTelemetry(harness.telemetry));
    app.get('/raw', () => new Response('raw'));
    app.all('/any/:id', (c) => c.text('any'));
    await new Promise<void>((resolve) => {
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
        void (async () => {
          const raw = await plainFetch(`http://127.0.0.1:${info.port}/raw`);
          expect(raw.headers.get(PROPAGATION_HEADERS.traceId)).toMatch(/^[0-9a-f]{32}$/);
          await raw.text();
          await (await plainFetch(`http://127.0.0.1:${info.port}/any/7`, { method: 'POST' })).text();
          await harness.telemetry.forceFlush();
          expect(harness.receiver.spans.map((span) => span.name).sort()).toEqual([
            'GET /raw',
            'POST /any/:id',
          ]);
          server.close(() => {
            resolve();
          });
        })();
      });
    });
  });
});
