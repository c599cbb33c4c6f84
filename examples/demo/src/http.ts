/** Small node:http helpers the services and mocks share. */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_IGNORED_PATHS } from '@pyairtable/telemetry';
import { FAULTS_PATH } from './faults.js';

/** Paths every instrumented service keeps out of its spans and RED metrics. */
export const IGNORED_PATHS: readonly string[] = [...DEFAULT_IGNORED_PATHS, FAULTS_PATH];

/** Largest JSON body the demo's own endpoints read. */
export const MAX_BODY_BYTES = 256 * 1024;

/** Listens on `host:port` (0 picks a free port) and resolves with the port actually bound. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** How long requests still running at close get before their connections are cut. */
export const CLOSE_GRACE_MS = 2_000;

/**
 * Runs `close` (which stops accepting and resolves once every connection is gone) and cuts the
 * connections still open after the grace period. Without the cut, a keep-alive connection whose
 * request finishes after close() began stays open for the whole keep-alive timeout (72 s on
 * Fastify), and the service with it.
 */
export async function closeWithGrace(server: Server, close: () => Promise<void>): Promise<void> {
  const cut = setTimeout(() => {
    server.closeAllConnections();
  }, CLOSE_GRACE_MS);
  cut.unref();
  try {
    await close();
  } finally {
    clearTimeout(cut);
  }
}

/** Stops accepting, drops idle keep-alive connections now and busy ones after the grace period. */
export function closeServer(server: Server): Promise<void> {
  return closeWithGrace(
    server,
    () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeIdleConnections();
      }),
  );
}

export class BodyError extends Error {
  override readonly name = 'BodyError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The request body parsed as JSON; an empty body is `undefined`. */
export async function readJsonBody(request: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw new BodyError(`the body is larger than ${limit} bytes`, 413);
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BodyError('the body is not valid JSON', 400);
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/** The path of a request URL, without its query. */
export function pathOf(request: IncomingMessage): string {
  return (request.url ?? '/').split('?')[0] ?? '/';
}

/** A uniformly random whole number of milliseconds in [min, max]. */
export function jitter(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}
