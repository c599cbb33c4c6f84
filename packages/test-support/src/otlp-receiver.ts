/**
 * A loopback OTLP/HTTP receiver for tests: accepts OTLP/JSON (decoded) and OTLP/protobuf
 * (kept raw) on /v1/traces and /v1/logs, and can be told to fail.
 */
import type { IncomingMessage, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type AttributeValue = string | number | boolean | null | AttributeValue[];

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Record<string, AttributeValue>;
  readonly resource: Record<string, AttributeValue>;
  readonly events: { name: string; attributes: Record<string, AttributeValue> }[];
  readonly status: { code?: number; message?: string };
}

export interface ReceivedLog {
  readonly body: AttributeValue;
  readonly severityText: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly attributes: Record<string, AttributeValue>;
  readonly resource: Record<string, AttributeValue>;
}

interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
interface OtlpAnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpAnyValue[] };
}

function value(any: OtlpAnyValue | undefined): AttributeValue {
  if (any === undefined) return null;
  if (any.stringValue !== undefined) return any.stringValue;
  if (any.intValue !== undefined) return Number(any.intValue);
  if (any.doubleValue !== undefined) return any.doubleValue;
  if (any.boolValue !== undefined) return any.boolValue;
  if (any.arrayValue !== undefined) return (any.arrayValue.values ?? []).map(value);
  return null;
}

export function attributeMap(list: OtlpKeyValue[] | undefined): Record<string, AttributeValue> {
  return Object.fromEntries((list ?? []).map((entry) => [entry.key, value(entry.value)]));
}

export interface OtlpReceiver {
  /** Base URL to give an exporter (`http://127.0.0.1:PORT`). */
  readonly url: string;
  readonly spans: ReceivedSpan[];
  readonly logs: ReceivedLog[];
  /** Raw protobuf bodies received, by path. */
  readonly protobufBodies: { path: string; body: Buffer }[];
  /** Respond with this status to every request from now on (undefined: 200). */
  failWith: number | undefined;
  /** Resolves when at least `count` spans have arrived (rejects after `timeoutMs`). */
  waitForSpans(count: number, timeoutMs?: number): Promise<ReceivedSpan[]>;
  waitForLogs(count: number, timeoutMs?: number): Promise<ReceivedLog[]>;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const logs: ReceivedLog[] = [];
  const protobufBodies: { path: string; body: Buffer }[] = [];
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const waiter of waiters) waiter();
  };

  const receiver: OtlpReceiver = {
    url: '',
    spans,
    logs,
    protobufBodies,
    failWith: undefined,
    waitForSpans: (count, timeoutMs = 10_000) =>
      waitFor(
        () => spans.length >= count,
        () => spans,
        timeoutMs,
        'spans',
      ),
    waitForLogs: (count, timeoutMs = 10_000) =>
      waitFor(
        () => logs.length >= count,
        () => logs,
        timeoutMs,
        'logs',
      ),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };

  function waitFor<T>(done: () => boolean, result: () => T, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      if (done()) {
        resolve(result());
        return;
      }
      const check = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(result());
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what} (have ${String((result() as unknown[]).length)})`,
          ),
        );
      }, timeoutMs);
      waiters.add(check);
    });
  }

  const server: Server = createServer((request, response) => {
    void readBody(request).then((body) => {
      const path = (request.url ?? '').split('?')[0] ?? '';
      if (receiver.failWith !== undefined) {
        response.writeHead(receiver.failWith, { 'content-type': 'application/json' });
        response.end('{}');
        return;
      }
      const json = (request.headers['content-type'] ?? '').includes('json');
      if (!json) protobufBodies.push({ path, body });
      else if (path === '/v1/traces') {
        const payload = JSON.parse(body.toString()) as {
          resourceSpans?: {
            resource?: { attributes?: OtlpKeyValue[] };
            scopeSpans?: {
              spans?: {
                traceId: string;
                spanId: string;
                parentSpanId?: string;
                name: string;
                kind: number;
                attributes?: OtlpKeyValue[];
                events?: { name: string; attributes?: OtlpKeyValue[] }[];
                status?: { code?: number; message?: string };
              }[];
            }[];
          }[];
        };
        for (const resourceSpans of payload.resourceSpans ?? [])
          for (const scope of resourceSpans.scopeSpans ?? [])
            for (const span of scope.spans ?? [])
              spans.push({
                traceId: span.traceId,
                spanId: span.spanId,
                parentSpanId: span.parentSpanId ?? '',
                name: span.name,
                kind: span.kind,
                attributes: attributeMap(span.attributes),
                resource: attributeMap(resourceSpans.resource?.attributes),
                events: (span.events ?? []).map((event) => ({
                  name: event.name,
                  attributes: attributeMap(event.attributes),
                })),
                status: span.status ?? {},
              });
      } else if (path === '/v1/logs') {
        const payload = JSON.parse(body.toString()) as {
          resourceLogs?: {
            resource?: { attributes?: OtlpKeyValue[] };
            scopeLogs?: {
              logRecords?: {
                body?: OtlpAnyValue;
                severityText?: string;
                traceId?: string;
                spanId?: string;
                attributes?: OtlpKeyValue[];
              }[];
            }[];
          }[];
        };
        for (const resourceLogs of payload.resourceLogs ?? [])
          for (const scope of resourceLogs.scopeLogs ?? [])
            for (const record of scope.logRecords ?? [])
              logs.push({
                body: value(record.body),
                severityText: record.severityText ?? '',
                traceId: record.traceId ?? '',
                spanId: record.spanId ?? '',
                attributes: attributeMap(record.attributes),
                resource: attributeMap(resourceLogs.resource?.attributes),
              });
      }
      response.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      response.end(json ? '{}' : '');
      notify();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (receiver as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}
