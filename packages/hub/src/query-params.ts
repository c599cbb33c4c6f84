/**
 * Parameters of the query APIs (api_v3, the legacy API, logs, RED), each checked before it
 * reaches the store: a value out of shape or out of range is a QueryError (400) that names the
 * parameter and says what it takes. Times are int64 nanoseconds, as the store keeps them.
 */
import type { IncomingMessage } from 'node:http';

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

/** A Go-style duration (`1.5s`, `250ms`, `2m`) to nanoseconds, at most the store's time range. */
export function parseDuration(name: string, value: string): bigint {
  const match = /^(\d{1,20})(?:\.(\d{1,9}))?(ns|us|µs|ms|s|m|h)$/.exec(value);
  if (match === null)
    throw new QueryError(`${name}="${value.slice(0, 64)}" is not a duration such as 250ms, 1.5s or 2m`);
  const unit = DURATION_UNITS[match[3] ?? 's'] ?? 1n;
  const fraction = match[2] ?? '';
  const nanos = BigInt(match[1] ?? '0') * unit + (BigInt(fraction.padEnd(9, '0')) * unit) / 1_000_000_000n;
  if (nanos > MAX_NS) throw new QueryError(`${name}="${value}" is longer than the store's time range`);
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
