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
