/**
 * The OTLP/HTTP receiver (port 4318): `/v1/traces`, `/v1/logs`, `/v1/metrics` in protobuf or
 * JSON, gzip or not, plus the hub's own `/ingest/logs` (JSON lines in the contract's schema) and
 * `/import/otlp-json` (the collector file exporter's format). Answers follow the OTLP/HTTP
 * specification: 200 with a (partial) success in the request's encoding, 400 with the reason for
 * a malformed body, 413 over the size limit, 415 for another content type, 503 with Retry-After
 * when the hub is overloaded or the store cannot write, so a client retries rather than losing data.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { isIP } from 'node:net';
import { createGunzip, gunzip } from 'node:zlib';
import { validateLogRecord } from '@pyairtable/conventions';
import type { HubCounters } from './counters.js';
import type { BodyReading, Ingest } from './ingest.js';
import type { ImportOutcome } from './import.js';
import { ImportIdle, importTraces } from './import.js';
import { unstorableLogRecord } from './log-store.js';
import { ExportTraceServiceResponse, RpcStatus } from './otlp/proto.js';
import { ERASE_PATH, parseErasureRequest } from './erasure.js';
import { PayloadError } from './otlp/request.js';
import type { SignalPath } from './receiver.js';
import {
  BodyTimeout,
  BodyTooLarge,
  GRPC_CODES,
  SIGNALS,
  bearerAllowed,
  ingestFailure,
  ingestSignal,
  isSignalPath,
  partialSuccess,
} from './receiver.js';

/** Where files in the collector file exporter's format are imported (on the ingest listener). */
export const IMPORT_PATH = '/import/otlp-json';
/** Where services' stdout log lines in the contract's schema are sent (on the ingest listener). */
export const LOG_LINES_PATH = '/ingest/logs';

/**
 * The body, counted against the memory bound as it arrives, within the size limit and the
 * deadline. A slow sender holds only what it has sent, never a request slot.
 */
function readBody(
  request: IncomingMessage,
  limit: number,
  reading: BodyReading,
  deadline: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (error: Error): void => {
      clearTimeout(timer);
      request.removeListener('data', onData);
      request.resume();
      reject(error);
    };
    const timer = setTimeout(
      () => {
        fail(new BodyTimeout());
      },
      Math.max(0, deadline - Date.now()),
    );
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        fail(new BodyTooLarge());
        return;
      }
      try {
        reading.add(chunk.length);
      } catch (error) {
        fail(error as Error);
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    request.on('error', fail);
  });
}

async function gunzipLimited(body: Buffer, limit: number, reading: BodyReading): Promise<Buffer> {
  const result = await new Promise<Buffer>((resolve, reject) => {
    gunzip(body, { maxOutputLength: limit }, (error, output) => {
      if (error === null) resolve(output);
      else if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') reject(new BodyTooLarge());
      else reject(new PayloadError(`gzip body could not be decompressed: ${error.message}`));
    });
  });
  reading.add(result.length);
  return result;
}

export const ERASURE_RUNNING = 'an erasure is running; run obs erase again once it has finished';

export interface OtlpHttpOptions {
  readonly ingest: Ingest;
  readonly counters: HubCounters;
  readonly maxBodyBytes: number;
  readonly ingestToken: string | undefined;
  /** The bearer token erasures need; the ingest token's when unset. */
  readonly adminToken: string | undefined;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

/** Whether a Host header names an IP address (or localhost) rather than a domain name. */
function addressedByIp(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name === 'localhost' || isIP(name) !== 0;
}

export function createOtlpHttpServer(options: OtlpHttpOptions): Server {
  const { ingest, counters, maxBodyBytes } = options;

  const answer = (
    response: ServerResponse,
    status: number,
    json: boolean,
    body: object,
    headers: Record<string, string> = {},
    okType = ExportTraceServiceResponse,
  ): void => {
    if (json) {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
      return;
    }
    const type = status === 200 ? okType : RpcStatus;
    response.writeHead(status, { 'content-type': 'application/x-protobuf', ...headers });
    response.end(type.encode(type.fromObject(body)).finish());
  };

  /** When a request that arrived now must have been received whole. */
  const deadlineOf = (): number => Date.now() + options.requestTimeoutMs;

  /**
   * The body, decompressed, within the size limit and the deadline, then admitted for decoding
   * (a request slot). Returns the body and the slot's release.
   */
  const readAndAdmit = async (request: IncomingMessage, deadline: number): Promise<[Buffer, () => void]> => {
    const encoding = (request.headers['content-encoding'] ?? '').toLowerCase();
    if (encoding !== '' && encoding !== 'identity' && encoding !== 'gzip')
      throw new PayloadError(`content-encoding ${encoding} is not supported; use gzip or none`);
    const reading = ingest.startReading();
    try {
      const raw = await readBody(request, maxBodyBytes, reading, deadline);
      const body = encoding === 'gzip' ? await gunzipLimited(raw, maxBodyBytes, reading) : raw;
      return [body, ingest.admit(body.length)];
    } finally {
      reading.done();
    }
  };

  /** Answers 401 and returns false when a bearer token is required and this request has none. */
  const authorised = (
    request: IncomingMessage,
    response: ServerResponse,
    json: boolean,
    token = options.ingestToken,
  ): boolean => {
    if (bearerAllowed(request, token)) return true;
    counters.refused.inc({ reason: 'unauthorized' });
    answer(
      response,
      401,
      json,
      { code: GRPC_CODES.unauthenticated, message: 'a valid bearer token is required' },
      { 'www-authenticate': 'Bearer' },
    );
    request.resume();
    return false;
  };

  /** The answer to an ingest that failed: 413, 400 with the reason, or 503 so the client retries. */
  const answerFailure = (
    request: IncomingMessage,
    response: ServerResponse,
    error: unknown,
    json: boolean,
  ): void => {
    const failure = ingestFailure(error, counters, maxBodyBytes);
    if (failure.httpStatus === 408) {
      // A sender too slow for the deadline does not keep its connection.
      response.setHeader('connection', 'close');
      answer(response, 408, json, { code: failure.code, message: failure.message });
      request.socket.destroySoon();
      return;
    }
    // Whatever of the body is still unread is discarded, so the connection stays usable.
    request.resume();
    answer(
      response,
      failure.httpStatus,
      json,
      { code: failure.code, message: failure.message },
      failure.httpStatus === 503 ? { 'retry-after': '1' } : {},
    );
  };

  /** Reads numbered lines, each parsed by `parse`; returns what was read and what was not. */
  const eachLine = <T>(
    body: Buffer,
    parse: (line: string) => T,
  ): { values: T[]; errors: { line: number; message: string }[] } => {
    const values: T[] = [];
    const errors: { line: number; message: string }[] = [];
    for (const [index, line] of body.toString('utf8').split('\n').entries()) {
      if (line.trim() === '') continue;
      try {
        values.push(parse(line));
      } catch (error) {
        if (!(error instanceof PayloadError)) throw error;
        errors.push({ line: index + 1, message: error.message });
      }
    }
    return { values, errors };
  };

  /**
   * Files in the collector file exporter's format, streamed (import.ts). With
   * `Accept: application/x-ndjson` the answer streams a progress line after each committed group
   * and the outcome last; otherwise it is the outcome alone. Lines that cannot be read are
   * reported by number; the rest are stored.
   */
  const importFile = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const encoding = (request.headers['content-encoding'] ?? '').toLowerCase();
    if (encoding !== '' && encoding !== 'identity' && encoding !== 'gzip')
      throw new PayloadError(`content-encoding ${encoding} is not supported; use gzip or none`);
    const source = encoding === 'gzip' ? request.pipe(createGunzip()) : request;
    const streaming = (request.headers.accept ?? '').includes('application/x-ndjson');
    const progressLine = (body: object): void => {
      if (!response.headersSent) response.writeHead(200, { 'content-type': 'application/x-ndjson' });
      response.write(`${JSON.stringify(body)}\n`);
    };
    let outcome: ImportOutcome;
    try {
      outcome = await importTraces(source, {
        ingest,
        maxLineBytes: maxBodyBytes,
        idleTimeoutMs: options.requestTimeoutMs,
        ...(streaming
          ? {
              onProgress: (progress) => {
                progressLine({ progress });
              },
            }
          : {}),
      });
    } catch (error) {
      if (error instanceof ImportIdle) throw new BodyTimeout();
      if ((error as NodeJS.ErrnoException).code?.startsWith('Z_') === true)
        throw new PayloadError(`gzip body could not be decompressed: ${(error as Error).message}`);
      throw error;
    }
    const result = {
      imported: outcome.imported,
      rejected: outcome.rejected,
      lines: outcome.lines,
      failedLines: outcome.failedLines,
      errors: outcome.errors,
    };
    if (streaming) {
      progressLine(result);
      response.end();
    } else answer(response, outcome.failedLines > 0 && outcome.imported === 0 ? 400 : 200, true, result);
  };

  /**
   * JSON lines in the contract's log schema (what the SDK writes on stdout). Each line is
   * validated; a line that is not a contract record is reported by number with its problems,
   * the others are stored. All refused: 400.
   */
  const ingestLogLines = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const [body, release] = await readAndAdmit(request, deadlineOf());
    try {
      const { values, errors } = eachLine(body, (line) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          throw new PayloadError('not JSON');
        }
        const validation = validateLogRecord(parsed);
        if (!validation.ok)
          throw new PayloadError(
            validation.problems.map((problem) => `${problem.path}: ${problem.message}`).join('; '),
          );
        const unstorable = unstorableLogRecord(validation.value);
        if (unstorable !== undefined) throw new PayloadError(unstorable);
        return validation.value;
      });
      await ingest.logs(values, errors.length);
      answer(response, values.length === 0 && errors.length > 0 ? 400 : 200, true, {
        stored: values.length,
        rejected: errors.length,
        errors: errors.slice(0, 100),
      });
    } finally {
      release();
    }
  };

  /**
   * A data subject's erasure (`obs erase`). JSON only, so that a web page cannot send one: a
   * browser asks before sending JSON to another origin, and the hub grants no such request.
   */
  let erasing = false;
  const eraseSubject = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    // A browser sends Origin with every POST; a page that rebinds its own domain name to this
    // address still sends that name as Host. Neither comes from obs erase.
    if (request.headers.origin !== undefined || !addressedByIp(request.headers.host))
      throw new PayloadError(
        'erasures are taken from obs erase only: no Origin header, the hub addressed by its IP address',
      );
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/json')
      throw new PayloadError(`send the erasure as application/json, not ${contentType || 'no content type'}`);
    // Each erasure rewrites the store while writes wait: one at a time.
    if (erasing) {
      answer(response, 409, true, { code: GRPC_CODES.unavailable, message: ERASURE_RUNNING });
      request.resume();
      return;
    }
    erasing = true;
    try {
      const [body, release] = await readAndAdmit(request, deadlineOf());
      try {
        const outcome = await ingest.erase(parseErasureRequest(body));
        answer(response, 200, true, outcome);
      } finally {
        release();
      }
    } finally {
      erasing = false;
    }
  };

  /** An OTLP request of one signal: read, admitted, decoded, committed, answered. */
  const ingestOtlp = async (
    request: IncomingMessage,
    response: ServerResponse,
    path: SignalPath,
    json: boolean,
  ): Promise<void> => {
    const [body, release] = await readAndAdmit(request, deadlineOf());
    try {
      const outcome = await ingestSignal(ingest, path, body, json);
      answer(
        response,
        200,
        json,
        partialSuccess(path, outcome.rejected, outcome.rejectReason),
        {},
        SIGNALS[path],
      );
    } finally {
      release();
    }
  };

  // Node's own request deadline is off: the body deadline is ours (an import may take longer
  // than any one request, but not pause longer); headers still have Node's, checked every second.
  const server = createServer(
    { connectionsCheckingInterval: 1000, requestTimeout: 0 },
    (request, response) => {
      void (async () => {
        const path = (request.url ?? '').split('?')[0] ?? '';
        const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
        const json = contentType === 'application/json';
        const lineRoute =
          request.method === 'POST' && path === LOG_LINES_PATH
            ? ingestLogLines
            : request.method === 'POST' && path === IMPORT_PATH
              ? importFile
              : request.method === 'POST' && path === ERASE_PATH
                ? eraseSubject
                : undefined;
        if (lineRoute !== undefined) {
          const token =
            lineRoute === eraseSubject ? (options.adminToken ?? options.ingestToken) : options.ingestToken;
          if (!authorised(request, response, true, token)) return;
          try {
            await lineRoute(request, response);
          } catch (error) {
            if (response.headersSent)
              response.end(`${JSON.stringify({ error: ingestFailure(error, counters, maxBodyBytes) })}\n`);
            else answerFailure(request, response, error, true);
          }
          return;
        }
        if (request.method !== 'POST' || !isSignalPath(path)) {
          answer(response, 404, true, {
            code: 12,
            message: `${request.method ?? ''} ${path} is not served here; send POST /v1/traces, /v1/logs or /v1/metrics`,
          });
          request.resume();
          return;
        }
        if (!authorised(request, response, json)) return;
        if (!json && contentType !== 'application/x-protobuf') {
          counters.refused.inc({ reason: 'unsupported_type' });
          answer(response, 415, true, {
            code: GRPC_CODES.invalidArgument,
            message: 'use application/x-protobuf or application/json',
          });
          request.resume();
          return;
        }
        try {
          await ingestOtlp(request, response, path, json);
        } catch (error) {
          answerFailure(request, response, error, json);
        }
      })().catch(() => {
        if (!response.headersSent) response.writeHead(500).end();
      });
    },
  );
  server.headersTimeout = options.headersTimeoutMs;
  return server;
}
