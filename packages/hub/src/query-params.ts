/**
 * Parameters of the query APIs (api_v3, the legacy API, logs, RED), each checked before it
 * reaches the store: a value out of shape or out of range is a QueryError (400) that names the
 * parameter and says what it takes. Times are int64 nanoseconds, as the store keeps them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export class QueryError extends Error {
  override readonly name = 'QueryError';
}

/** The range the store's nanosecond columns hold: 1677-09-21 to 2262-04-11. */
const MIN_NS = -(2n ** 63n);
const MAX_NS = 2n ** 63n - 1n;

/** `value` nanoseconds if the store can hold them, else a QueryError naming `name`. */
export function storableNs(name: string, nanos: bigint): bigint {
  if (nanos < MIN_NS || nanos > MAX_NS)
    throw new QueryError(`${name} lies outside 1677-09-21 to 2262-04-11, the times the store holds`);
  return nanos;
}

/** The request's URL, whatever its path (`//`, `//host/x` are paths here, not authorities). */
export function requestUrl(request: IncomingMessage): URL {
  const path = request.url ?? '/';
  return new URL(`http://hub${path.startsWith('/') ? '' : '/'}${path}`);
}

/** A percent-encoded path segment, decoded; malformed encoding is the client's error. */
export function pathSegment(name: string, segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new QueryError(`the ${name} in the path is not valid percent-encoding`);
  }
}

/** RFC 3339 (what Jaeger's API takes) to Unix nanoseconds. */
export function parseTime(name: string, value: string): bigint {
  const match = /^(.{1,40}?)(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(value);
  const millis = match === null ? Number.NaN : Date.parse(`${match[1] ?? ''}${match[3] ?? ''}`);
  if (match === null || Number.isNaN(millis))
    throw new QueryError(
      `${name}="${value.slice(0, 64)}" is not an RFC 3339 time such as 2026-11-28T10:00:00Z`,
    );
  const fraction = (match[2] ?? '').padEnd(9, '0');
  return storableNs(name, BigInt(millis) * 1_000_000n + BigInt(fraction === '' ? 0 : Number(fraction)));
}

const DURATION_UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/**
 * A Go duration (`1.5s`, `250ms`, `1m30s`, what Jaeger's gateway parses) to nanoseconds, at most
 * the store's time range. The published definition's protobuf form (`0.25s`) is one of these.
 */
export function parseDuration(name: string, value: string): bigint {
  const parts = [...value.matchAll(/(\d{1,20})(?:\.(\d{1,9}))?(ns|us|µs|ms|s|m|h)/gy)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== value)
    throw new QueryError(`${name}="${value.slice(0, 64)}" is not a duration such as 250ms, 1.5s or 1m30s`);
  let nanos = 0n;
  for (const [, whole = '0', fraction = '', unitName = 's'] of parts) {
    const unit = DURATION_UNITS[unitName] ?? 1n;
    nanos += BigInt(whole) * unit + (BigInt(fraction.padEnd(9, '0')) * unit) / 1_000_000_000n;
  }
  if (nanos > MAX_NS)
    throw new QueryError(`${name}="${value.slice(0, 64)}" is longer than the store's time range`);
  return nanos;
}

/** A whole number parameter (a limit), or undefined when absent. */
export function wholeNumber(name: string, value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (!/^\d{1,9}$/.test(value)) throw new QueryError(`${name}="${value.slice(0, 64)}" is not a whole number`);
  return Number(value);
}

/** An integer count of `unitNs` nanoseconds since the epoch (`start` in µs, `endTs` in ms). */
export function epochParam(
  name: string,
  value: string | null,
  unitNs: bigint,
  unitName: string,
): bigint | undefined {
  if (value === null || value === '') return undefined;
  if (!/^\d{1,20}$/.test(value))
    throw new QueryError(`${name}="${value.slice(0, 64)}" is not a time in ${unitName} since the epoch`);
  return storableNs(name, BigInt(value) * unitNs);
}

/**
 * An error answer both clients read: `code`, `message` and `details` are the `google.rpc.Status`
 * of Jaeger's published api_v3 definition; `error.httpCode` and `error.message` are what
 * Jaeger's own HTTP gateway sends.
 */
export function errorBody(httpCode: number, grpcCode: number, message: string): object {
  return { code: grpcCode, message, details: [], error: { httpCode, message } };
}

/** gRPC codes of the answers (google.rpc.Code). */
export const RPC = {
  invalidArgument: 3,
  notFound: 5,
  unimplemented: 12,
  internal: 13,
  unavailable: 14,
  unauthenticated: 16,
} as const;

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/**
 * A parameter by its published name, else by an older name Jaeger still accepts; returns the
 * name the client used too, so an error names what the client sent.
 */
export function aliased(
  params: URLSearchParams,
  name: string,
  ...aliases: readonly string[]
): { name: string; value: string } | undefined {
  for (const candidate of [name, ...aliases]) {
    const value = params.get(candidate);
    if (value !== null && value !== '') return { name: candidate, value };
  }
  return undefined;
}

/** `true`/`false` (and Go's other spellings of them), or undefined when absent. */
export function booleanParam(found: { name: string; value: string } | undefined): boolean | undefined {
  if (found === undefined) return undefined;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(found.value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(found.value)) return false;
  throw new QueryError(`${found.name}="${found.value.slice(0, 64)}" is not true or false`);
}

/**
 * A trace id as the store keeps it (32 lower-case hex digits): 1 to 32 hex digits, a 64-bit id
 * being the low half of a 128-bit one, as Jaeger reads them.
 */
export function parseTraceId(name: string, value: string): string {
  if (!/^[0-9a-fA-F]{1,32}$/.test(value))
    throw new QueryError(
      `${name}="${value.slice(0, 64)}" is not a trace id: 1 to 32 hex digits (64 or 128 bits)`,
    );
  return value.toLowerCase().padStart(32, '0');
}

/** OTLP span kinds by number, in Jaeger's spelling. */
export const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;

/** A span kind by name (`server`, any case), or undefined when absent. */
export function spanKindParam(found: { name: string; value: string } | undefined): number | undefined {
  if (found === undefined) return undefined;
  const kind = SPAN_KINDS.indexOf(found.value.toLowerCase() as (typeof SPAN_KINDS)[number]);
  if (kind === -1)
    throw new QueryError(
      `${found.name}="${found.value.slice(0, 64)}" is not one of ${SPAN_KINDS.join(', ')}`,
    );
  return kind;
}
