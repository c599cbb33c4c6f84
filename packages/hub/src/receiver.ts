/**
 * What every receiver shares, whatever the transport (OTLP/HTTP, OTLP/gRPC): the signals and
 * their answers, the bearer token check, decoding a request into the ingest, and what a failed
 * ingest is answered (a gRPC code, an HTTP status and a message).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { RESOURCE_ATTRIBUTES } from '@pyairtable/conventions';
import type { HubCounters } from './counters.js';
import type { Ingest } from './ingest.js';
import { Overloaded } from './ingest.js';
import { decodeLogs } from './otlp/logs.js';
import { decodeMetrics } from './otlp/metrics.js';
import {
  ExportLogsServiceResponse,
  ExportMetricsServiceResponse,
  ExportTraceServiceResponse,
} from './otlp/proto.js';
import { PayloadError } from './otlp/request.js';
import { decodeTraceJson, decodeTraceProtobuf } from './otlp/spans.js';

export const GRPC_CODES = { invalidArgument: 3, unavailable: 14, unauthenticated: 16 } as const;

const SIGNALS = {
  '/v1/traces': ExportTraceServiceResponse,
  '/v1/logs': ExportLogsServiceResponse,
  '/v1/metrics': ExportMetricsServiceResponse,
} as const;
type SignalPath = keyof typeof SIGNALS;
const isSignalPath = (path: string): path is SignalPath => path in SIGNALS;

export class BodyTooLarge extends Error {}
/** The client took longer than the request deadline to send its body. */
export class BodyTimeout extends Error {}

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
): { code: number; httpStatus: 400 | 408 | 413 | 503; message: string } {
  if (error instanceof BodyTimeout) {
    counters.refused.inc({ reason: 'too_slow' });
    return {
      code: GRPC_CODES.unavailable,
      httpStatus: 408,
      message: 'the request was not received in time; send it again, faster',
    };
  }
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
