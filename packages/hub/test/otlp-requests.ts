/** OTLP trace requests built by hand, for tests that need exact bytes rather than an SDK's output. */
import { RESOURCE_ATTRIBUTES } from '@pyairtable/conventions';
import { ExportTraceServiceRequest } from '../src/otlp/proto.js';

/** A span in OTLP/JSON's shape; `overrides` replace or add fields. */
export function jsonSpan(traceId: string, spanId: string, overrides: Record<string, unknown> = {}): object {
  return {
    traceId,
    spanId,
    name: 'op',
    kind: 1,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000100000000',
    ...overrides,
  };
}

/** An ExportTraceServiceRequest in OTLP/JSON's shape: one resource (the service), one scope. */
export function traceRequest(service: string, spans: readonly object[]): object {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: RESOURCE_ATTRIBUTES.serviceName, value: { stringValue: service } }] },
        scopeSpans: [{ spans }],
      },
    ],
  };
}

export const traceRequestJson = (service: string, spans: readonly object[]): string =>
  JSON.stringify(traceRequest(service, spans));

/** The same request as protobuf bytes (ids as bytes, as the wire format has them). */
export function traceRequestProtobuf(
  service: string,
  spans: readonly { traceId: string; spanId: string }[],
): Buffer {
  const message = traceRequest(
    service,
    spans.map((span) => ({
      ...span,
      traceId: Buffer.from(span.traceId, 'hex'),
      spanId: Buffer.from(span.spanId, 'hex'),
    })),
  );
  return Buffer.from(
    ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(message)).finish(),
  );
}
