/**
 * Two services in one process: api-gateway (Fastify) calls airtable-gateway (Express) with
 * fetch and with node:http. One trace end to end, x-trace-id everywhere.
 */
import { request as httpRequest } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROPAGATION_HEADERS, SPAN_ATTRIBUTES as A } from '@pyairtable/conventions';
import type { OtlpReceiver } from '@pyairtable/test-support';
import { captureLines, startOtlpReceiver, plainFetch } from '@pyairtable/test-support';
import type { Telemetry } from '@pyairtable/telemetry';
import { initTelemetry } from '@pyairtable/telemetry';
import { expressTelemetry } from '@pyairtable/telemetry/express';
import { fastifyTelemetry } from '@pyairtable/telemetry/fastify';

let receiver: OtlpReceiver;
let telemetry: Telemetry;
let downstream: Server;
let downstreamUrl: string;
let upstream: FastifyInstance;
let upstreamUrl: string;
const seenHeaders: Record<string, string | undefined>[] = [];

function getWithNodeHttp(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    httpRequest(url, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => {
        resolve(body);
      });
    })
      .on('error', reject)
      .end();
  });
}

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  telemetry = initTelemetry({
    serviceName: 'api-gateway',
    serviceTier: 'gateway',
    otlpEndpoint: receiver.url,
    otlpProtocol: 'http/json',
    logDestination: captureLines().stream,
    runtimeMetrics: false,
  });

  const downstreamApp = express();
  downstreamApp.use(expressTelemetry(telemetry));
  downstreamApp.get('/bases/:baseId', (request, response) => {
    seenHeaders.push({
      traceparent: request.headers[PROPAGATION_HEADERS.traceparent] as string | undefined,
      xTraceId: request.headers[PROPAGATION_HEADERS.traceId] as string | undefined,
      baggage: request.get(PROPAGATION_HEADERS.baggage),
    });
    response.json({ ok: true });
  });
  downstream = downstreamApp.listen(0, '127.0.0.1');
  await new Promise((resolve) => downstream.once('listening', resolve));
  downstreamUrl = `http://127.0.0.1:${(downstream.address() as AddressInfo).port}`;

  upstream = Fastify();
  await upstream.register(fastifyTelemetry(telemetry));
  upstream.get('/api/bases/:baseId', async (request: FastifyRequest) => {
    const { baseId } = request.params as { baseId: string };
    const viaFetch = await (await fetch(`${downstreamUrl}/bases/${baseId}`)).json();
    const viaHttp = JSON.parse(await getWithNodeHttp(`${downstreamUrl}/bases/${baseId}`)) as unknown;
    return { viaFetch, viaHttp };
  });
  await upstream.listen({ port: 0, host: '127.0.0.1' });
  upstreamUrl = `http://127.0.0.1:${(upstream.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await upstream.close();
  downstream.closeAllConnections();
  await new Promise((resolve) => downstream.close(resolve));
  await telemetry.shutdown();
  await receiver.close();
});

describe('propagation across two services', () => {
  it('keeps one trace from the caller through fetch and node:http to the callee', async () => {
    seenHeaders.length = 0;
    const response = await plainFetch(`${upstreamUrl}/api/bases/app1`);
    expect(await response.json()).toEqual({ viaFetch: { ok: true }, viaHttp: { ok: true } });
    const traceId = response.headers.get(PROPAGATION_HEADERS.traceId);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    // Outgoing requests carried W3C context and the correlation header.
    expect(seenHeaders).toHaveLength(2);
    for (const headers of seenHeaders) {
      expect(headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      expect(headers.xTraceId).toBe(traceId);
    }

    await telemetry.forceFlush();
    const spans = receiver.spans.filter((span) => span.traceId === traceId);
    const gateway = spans.find((span) => span.name === 'GET /api/bases/:baseId');
    const clients = spans.filter((span) => span.kind === 3);
    const callee = spans.filter((span) => span.name === 'GET /bases/:baseId');
    expect(gateway).toBeDefined();
    expect(clients).toHaveLength(2);
    expect(callee).toHaveLength(2);
    for (const client of clients) {
      expect(client.parentSpanId).toBe(gateway?.spanId);
      expect(client.attributes[A.httpResponseStatusCode]).toBe(200);
    }
    // Each callee server span is the child of the client span that called it.
    expect(callee.map((span) => span.parentSpanId).sort()).toEqual(clients.map((span) => span.spanId).sort());
    // The exporter's own requests are not traced.
    expect(receiver.spans.some((span) => String(span.attributes[A.urlFull]).includes('/v1/traces'))).toBe(
      false,
    );
  });

  it('carries W3C baggage from the incoming request to the outgoing ones', async () => {
    seenHeaders.length = 0;
    const response = await plainFetch(`${upstreamUrl}/api/bases/app9`, {
      headers: { baggage: 'tenant=t-42,plan=pro' },
    });
    await response.text();
    expect(seenHeaders.map((headers) => headers.baggage)).toEqual([
      'tenant=t-42,plan=pro',
      'tenant=t-42,plan=pro',
    ]);
  });

  it('continues the trace of an incoming traceparent', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await plainFetch(`${downstreamUrl}/bases/app2`, {
      headers: {
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
        [PROPAGATION_HEADERS.traceId]: 'ffffffffffffffffffffffffffffffff',
      },
    });
    await response.text();
    expect(response.headers.get(PROPAGATION_HEADERS.traceId)).toBe(traceId);
    await telemetry.forceFlush();
    const span = receiver.spans.find((candidate) => candidate.traceId === traceId);
    expect(span?.parentSpanId).toBe('00f067aa0ba902b7');
  });

  it('uses a valid x-trace-id as the trace id when no traceparent arrives', async () => {
    const correlation = 'abcdef0123456789abcdef0123456789';
    const response = await plainFetch(`${downstreamUrl}/bases/app3`, {
      headers: { [PROPAGATION_HEADERS.traceId]: correlation },
    });
    await response.text();
    expect(response.headers.get(PROPAGATION_HEADERS.traceId)).toBe(correlation);
    await telemetry.forceFlush();
    const span = receiver.spans.find((candidate) => candidate.traceId === correlation);
    expect(span?.parentSpanId).toBe('');
  });

  it('starts a new trace and keeps an invalid x-trace-id as the correlation attribute', async () => {
    const response = await plainFetch(`${downstreamUrl}/bases/app4`, {
      headers: { [PROPAGATION_HEADERS.traceId]: 'req-42' },
    });
    await response.text();
    const traceId = response.headers.get(PROPAGATION_HEADERS.traceId);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    await telemetry.forceFlush();
    const span = receiver.spans.find((candidate) => candidate.traceId === traceId);
    expect(span?.attributes[A.correlationId]).toBe('req-42');
  });
});
