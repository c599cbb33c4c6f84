/**
 * Reading decoded OTLP requests, which arrive as plain objects of unchecked shape (OTLP/JSON
 * as sent, or protobuf turned into the same shapes): each accessor answers a safe default
 * instead of throwing on a value of the wrong type.
 */
export type Loose = Record<string, unknown>;

export const isObject = (value: unknown): value is Loose =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

export const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** An id from protobuf bytes or OTLP/JSON hex, as lower-case hex; '' when absent. */
export function hexId(value: unknown): string {
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  if (typeof value === 'string') return value.toLowerCase();
  return '';
}

/** How deep an attribute or body value may nest (arrays in arrays, maps in maps). */
export const MAX_VALUE_DEPTH = 16;

/** A value nested deeper than MAX_VALUE_DEPTH: its record or point is refused alone. */
export class TooDeep extends Error {
  constructor() {
    super(`a value is nested deeper than ${String(MAX_VALUE_DEPTH)} levels`);
  }
}

/** The latest time a record may carry: int64 nanoseconds, which the store and Date hold (2262-04-11). */
export const MAX_TIME_NS = 2n ** 63n - 1n;

/**
 * An OTLP `fixed64` time in nanoseconds (a decimal string in OTLP/JSON, a string or number from
 * protobuf), or undefined when it is absent or zero; a string naming the problem when it is not
 * a time the store can hold.
 */
export function unixNanos(value: unknown): bigint | undefined | string {
  if (value === undefined || value === null || value === '0' || value === 0) return undefined;
  let nanos: bigint | undefined;
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) nanos = BigInt(value);
  else if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) nanos = BigInt(value);
  else if (typeof value === 'bigint' && value > 0n) nanos = value;
  if (nanos === undefined)
    return `${typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : `a ${typeof value}`} is not a time in Unix nanoseconds`;
  if (nanos > MAX_TIME_NS)
    return `${String(nanos)} ns lies beyond 2262-04-11, the latest time the store holds`;
  return nanos;
}
