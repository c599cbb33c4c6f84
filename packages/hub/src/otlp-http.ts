/**
 * The OTLP/HTTP receiver (port 4318): `/v1/traces`, `/v1/logs`, `/v1/metrics` in protobuf or
 * JSON, gzip or not, plus the hub's own `/ingest/logs` (JSON lines in the contract's schema) and
 * `/import/otlp-json` (the collector file exporter's format). Answers follow the OTLP/HTTP
 * specification: 200 with a (partial) success in the request's encoding, 400 with the reason for
 * a malformed body, 413 over the size limit, 415 for another content type, 503 with Retry-After
 * when the hub is overloaded or the store cannot write, so a client retries rather than losing data.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { gunzip } from 'node:zlib';
import { RESOURCE_ATTRIBUTES, validateLogRecord } from '@pyairtable/conventions';
import type { HubCounters } from './counters.js';
import type { Ingest } from './ingest.js';
import { Overloaded } from './ingest.js';
import { unstorableLogRecord } from './log-store.js';
import { decodeLogs } from './otlp/logs.js';
import { decodeMetrics } from './otlp/metrics.js';
import {
  ExportLogsServiceResponse,
  ExportMetricsServiceResponse,
  ExportTraceServiceResponse,
  RpcStatus,
} from './otlp/proto.js';
import { PayloadError, decodeTraceJson, decodeTraceProtobuf } from './otlp/spans.js';

/** Where files in the collector file exporter's format are imported (on the ingest listener). */
export const IMPORT_PATH = '/import/otlp-json';
/** Where services' stdout log lines in the contract's schema are sent (on the ingest listener). */
export const LOG_LINES_PATH = '/ingest/logs';

export const GRPC_CODES = { invalidArgument: 3, unavailable: 14, unauthenticated: 16 } as const;

const SIGNALS = {
  '/v1/traces': ExportTraceServiceResponse,
  '/v1/logs': ExportLogsServiceResponse,
  '/v1/metrics': ExportMetricsServiceResponse,
} as const;
type SignalPath = keyof typeof SIGNALS;
const isSignalPath = (path: string): path is SignalPath => path in SIGNALS;

export class BodyTooLarge extends Error {}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    request.on('error', reject);
  });
}

function gunzipLimited(body: Buffer, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    gunzip(body, { maxOutputLength: limit }, (error, result) => {
      if (error === null) resolve(result);
      else if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') reject(new BodyTooLarge());
      else reject(new PayloadError(`gzip body could not be decompressed: ${error.message}`));
    });
  });
}

/** True when no token is required or the header carries it (compared in constant time). */
export function tokenMatches(header: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  const expected = Buffer.from(`Bearer ${token}`);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function bearerAllowed(request: IncomingMessage, token: string | undefined): boolean {
  return tokenMatches(request.headers.authorization, token);
}

/** A partial-success answer body, empty when nothing was rejected (as the specification asks). */
export function partialSuccess(
  path: SignalPath,
  rejected: number,
  reason: string | undefined,
): Record<string, unknown> {
  if (rejected === 0) return {};
  const field =
    path === '/v1/traces'
      ? 'rejectedSpans'
      : path === '/v1/logs'
        ? 'rejectedLogRecords'
        : 'rejectedDataPoints';
  return { partialSuccess: { [field]: String(rejected), errorMessage: reason ?? '' } };
}

/** Decodes one admitted OTLP request and hands it to the ingest; returns the partial-success counts. */
export async function ingestSignal(
  ingest: Ingest,
  path: SignalPath,
  body: Uint8Array,
  json: boolean,
): Promise<{ rejected: number; rejectReason?: string }> {
  if (path === '/v1/traces') {
    const decoded = json
      ? decodeTraceJson(body, RESOURCE_ATTRIBUTES.serviceName)
      : decodeTraceProtobuf(body, RESOURCE_ATTRIBUTES.serviceName);
    await ingest.traces(decoded);
    return decoded;
  }
  if (path === '/v1/logs') {
    const decoded = decodeLogs(body, json);
    await ingest.logs(decoded.records, decoded.rejected);
    return decoded;
  }
  return ingest.metrics(decodeMetrics(body, json));
}

/**
 * What a failed ingest is, for either transport: the gRPC code (OTLP/HTTP sends it in its
 * google.rpc.Status too), the HTTP status and the message. Refusals are counted here, once.
 */
export function ingestFailure(
  error: unknown,
  counters: HubCounters,
  maxBodyBytes: number,
): { code: number; httpStatus: 400 | 413 | 503; message: string } {
  if (error instanceof BodyTooLarge) {
    counters.refused.inc({ reason: 'too_large' });
    return {
      code: GRPC_CODES.invalidArgument,
      httpStatus: 413,
      message: `the body exceeds ${String(maxBodyBytes)} bytes`,
    };
  }
  if (error instanceof PayloadError) {
    counters.refused.inc({ reason: 'malformed' });
    return { code: GRPC_CODES.invalidArgument, httpStatus: 400, message: error.message };
  }
  // Overloaded was counted when it was refused admission.
  if (error instanceof Overloaded)
    return { code: GRPC_CODES.unavailable, httpStatus: 503, message: error.message };
  counters.refused.inc({ reason: 'store_error' });
  return { code: GRPC_CODES.unavailable, httpStatus: 503, message: 'the store could not write; retry' };
}

export { SIGNALS, isSignalPath };
export type { SignalPath };

export interface OtlpHttpOptions {
  readonly ingest: Ingest;
  readonly counters: HubCounters;
  readonly maxBodyBytes: number;
  readonly ingestToken: string | undefined;
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

  /** The body, decompressed, within the size limit. */
  const readRequestBody = async (request: IncomingMessage): Promise<Buffer> => {
    const body = await readBody(request, maxBodyBytes);
    const encoding = (request.headers['content-encoding'] ?? '').toLowerCase();
    if (encoding === 'gzip') return gunzipLimited(body, maxBodyBytes);
    if (encoding !== '' && encoding !== 'identity')
      throw new PayloadError(`content-encoding ${encoding} is not supported; use gzip or none`);
    return body;
  };

  /** Answers 401 and returns false when a bearer token is required and this request has none. */
  const authorised = (request: IncomingMessage, response: ServerResponse, json: boolean): boolean => {
    if (bearerAllowed(request, options.ingestToken)) return true;
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
    // Whatever of the body is still unread is discarded, so the connection stays usable.
    request.resume();
    const failure = ingestFailure(error, counters, maxBodyBytes);
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
   * Files in the collector file exporter's format (one OTLP/JSON trace request per line), as
   * exported by `/api/v3/traces/{id}?format=file`. Lines that cannot be read are reported by
   * number; the rest are stored.
   */
  const importFile = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await readRequestBody(request);
    const { values, errors } = eachLine(body, (line) =>
      decodeTraceJson(Buffer.from(line), RESOURCE_ATTRIBUTES.serviceName),
    );
    let imported = 0;
    let rejected = 0;
    for (const decoded of values) {
      await ingest.importSpans(decoded);
      imported += decoded.spans.length;
      rejected += decoded.rejected;
    }
    answer(response, errors.length > 0 && imported === 0 ? 400 : 200, true, {
      imported,
      rejected,
      errors: errors.slice(0, 100),
    });
  };

  /**
   * JSON lines in the contract's log schema (what the SDK writes on stdout). Each line is
   * validated; a line that is not a contract record is reported by number with its problems,
   * the others are stored. All refused: 400.
   */
  const ingestLogLines = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await readRequestBody(request);
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
  };

  return createServer((request, response) => {
    void (async () => {
      const path = (request.url ?? '').split('?')[0] ?? '';
      const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      const json = contentType === 'application/json';
      const lineRoute =
        request.method === 'POST' && path === LOG_LINES_PATH
          ? ingestLogLines
          : request.method === 'POST' && path === IMPORT_PATH
            ? importFile
            : undefined;
      if (lineRoute !== undefined) {
        if (!authorised(request, response, true)) return;
        let release: (() => void) | undefined;
        try {
          release = ingest.admit();
          await lineRoute(request, response);
        } catch (error) {
          answerFailure(request, response, error, true);
        } finally {
          release?.();
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
      let release: (() => void) | undefined;
      try {
        // Admitted before the body is read: a full hub refuses without buffering anything.
        release = ingest.admit();
        const body = await readRequestBody(request);
        const outcome = await ingestSignal(ingest, path, body, json);
        answer(
          response,
          200,
          json,
          partialSuccess(path, outcome.rejected, outcome.rejectReason),
          {},
          SIGNALS[path],
        );
      } catch (error) {
        answerFailure(request, response, error, json);
      } finally {
        release?.();
      }
    })().catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
}
