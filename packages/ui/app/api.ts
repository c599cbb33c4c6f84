/**
 * The hub's APIs from the browser: same origin, the bearer token (when the hub asks for one)
 * from this browser's storage, errors as readable messages.
 */
const TOKEN_KEY = 'pyairtable-obs-token';

export class Unauthorized extends Error {
  override readonly name = 'Unauthorized';
}

/** Raised on `window` when the hub refuses a request for want of its token. */
export const UNAUTHORIZED_EVENT = 'pyairtable-unauthorized';

export function setToken(token: string): void {
  localStorage.setItem(TOKEN_KEY, token);
}

export async function getJson<T>(path: string, params: Record<string, string | undefined> = {}): Promise<T> {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== '') query.set(key, value);
  const url = query.size === 0 ? path : `${path}?${query.toString()}`;
  const token = localStorage.getItem(TOKEN_KEY);
  const response = await fetch(url, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  if (response.status === 401) {
    window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
    throw new Unauthorized('the hub asks for its API token');
  }
  const body = (await response.json().catch(() => ({}))) as {
    message?: string;
    error?: { message?: string };
  };
  if (!response.ok)
    throw new Error(body.message ?? body.error?.message ?? `${String(response.status)} from ${path}`);
  return body as T;
}

/** RFC 3339 for a time this many milliseconds ago. */
export const ago = (ms: number): string => new Date(Date.now() - ms).toISOString();
export const now = (): string => new Date().toISOString();

export interface RedRow {
  service: string;
  operation: string;
  requests: number;
  ratePerSecond: number;
  errorRatio: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export interface TraceSummary {
  traceId: string;
  rootServiceName: string;
  rootOperationName: string;
  minStartTimeUnixNano: string;
  maxEndTimeUnixNano: string;
  spanCount: number;
  errorSpanCount: number;
  services: { name: string; spanCount: number; errorSpanCount: number }[];
}

/** A contract log record, nested as JSON (see LOG_FIELDS for the dotted paths). */
export type LogRecord = Record<string, unknown>;

/** A record's field by its dotted path (`trace.id`), as text; '' when absent. */
export function field(record: LogRecord, path: string): string {
  let value: unknown = record[path];
  if (value === undefined) {
    value = record;
    for (const part of path.split('.'))
      value =
        typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  }
  return value === undefined || value === null
    ? ''
    : typeof value === 'string'
      ? value
      : JSON.stringify(value);
}
