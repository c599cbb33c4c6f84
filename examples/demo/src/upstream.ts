/**
 * Calls from one demo service to another. Plain `fetch`: the SDK instruments it, so each call
 * gets a client span and carries `traceparent` and `x-trace-id`, and the callee's server span
 * joins the caller's trace with no code here. Failures to reach the callee become answers
 * (502, 504) rather than exceptions, because a gateway reports a broken upstream, it does not
 * crash on one.
 */
import { BUSINESS_HEADERS } from '@pyairtable/conventions';
import type { Telemetry } from '@pyairtable/telemetry';

/** How long a service waits for another; longer than the largest injected latency a test uses. */
export const UPSTREAM_TIMEOUT_MS = 10_000;

export interface Upstream {
  /** The callee's service name, for messages. */
  readonly name: string;
  readonly baseUrl: string;
}

export interface UpstreamAnswer {
  readonly status: number;
  readonly body: unknown;
}

export interface UpstreamRequest {
  readonly method: 'GET' | 'POST';
  readonly body?: unknown;
  /** Business context to pass on (user and tenant ids), already read from the caller's request. */
  readonly context?: { readonly userId?: string | undefined; readonly tenantId?: string | undefined };
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === 'TimeoutError';
}

export async function callUpstream(
  telemetry: Telemetry,
  upstream: Upstream,
  path: string,
  request: UpstreamRequest,
): Promise<UpstreamAnswer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (request.context?.userId !== undefined) headers[BUSINESS_HEADERS.userId] = request.context.userId;
  if (request.context?.tenantId !== undefined) headers[BUSINESS_HEADERS.tenantId] = request.context.tenantId;
  let response: Response;
  try {
    response = await fetch(`${upstream.baseUrl}${path}`, {
      method: request.method,
      headers,
      body: request.body === undefined ? null : JSON.stringify(request.body),
      signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
    });
  } catch (error) {
    telemetry.recordException(error);
    return isTimeout(error)
      ? { status: 504, body: { error: `${upstream.name} did not answer within ${UPSTREAM_TIMEOUT_MS} ms` } }
      : { status: 502, body: { error: `${upstream.name} is unreachable` } };
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    telemetry.recordException(error);
    return {
      status: isTimeout(error) ? 504 : 502,
      body: { error: `${upstream.name}'s answer broke off` },
    };
  }
  try {
    return { status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: 502, body: { error: `${upstream.name} answered ${response.status} without JSON` } };
  }
}

/** The first value of a header as Node gives it (a string, a list, or nothing). */
export function headerValue(value: string | readonly string[] | undefined): string | undefined {
  const first = typeof value === 'string' ? value : value?.[0];
  return first === undefined || first === '' ? undefined : first;
}
