/**
 * HTTP headers of the contract, lower-case as Node exposes them. Every service, whatever its
 * language, propagates W3C Trace Context and Baggage; `x-trace-id` is the spec's custom
 * correlation header, carried next to them, never instead of them.
 */
export const PROPAGATION_HEADERS = {
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  baggage: 'baggage',
  /** The trace id (32 lower-case hex) of the request: on every response and outgoing request. */
  traceId: 'x-trace-id',
} as const;

/** Request headers from which the SDK reads business context. */
export const BUSINESS_HEADERS = {
  userId: 'x-user-id',
  tenantId: 'x-tenant-id',
  /** Only ever hashed (HMAC-SHA256) before it becomes telemetry. */
  apiKey: 'x-api-key',
} as const;

export type PropagationHeader = (typeof PROPAGATION_HEADERS)[keyof typeof PROPAGATION_HEADERS];
export type BusinessHeader = (typeof BUSINESS_HEADERS)[keyof typeof BUSINESS_HEADERS];

/** W3C trace id: 32 lower-case hex digits, not all zero. */
export const TRACE_ID_PATTERN = /^(?!0{32})[0-9a-f]{32}$/;
/** W3C span (parent) id: 16 lower-case hex digits, not all zero. */
export const SPAN_ID_PATTERN = /^(?!0{16})[0-9a-f]{16}$/;
