/**
 * The hub's span record: one span as decoded from OTLP (either encoding), stored, queried and
 * answered. Attribute values keep OTLP/JSON's shapes (hex ids, `intValue` as a decimal string).
 */
/** OTLP/JSON AnyValue and KeyValue. */
export interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values: AnyValue[] };
  kvlistValue?: { values: KeyValue[] };
  bytesValue?: string;
}
export interface KeyValue {
  key: string;
  value: AnyValue;
}

export interface SpanRecord {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly traceState: string;
  readonly flags: number;
  readonly name: string;
  readonly kind: number;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly statusCode: number;
  readonly statusMessage: string;
  readonly attributes: KeyValue[];
  readonly events: {
    timeUnixNano: string;
    name: string;
    attributes: KeyValue[];
    droppedAttributesCount?: number;
  }[];
  readonly links: {
    traceId: string;
    spanId: string;
    traceState?: string;
    attributes: KeyValue[];
    flags?: number;
  }[];
  readonly droppedAttributesCount: number;
  readonly droppedEventsCount: number;
  readonly droppedLinksCount: number;
  readonly serviceName: string;
  readonly resource: KeyValue[];
  readonly scope: { name: string; version: string; attributes: KeyValue[] };
}

export interface DecodedTraces {
  readonly spans: SpanRecord[];
  readonly rejected: number;
  /** Why spans were rejected (the first reason), for the partial-success message. */
  readonly rejectReason?: string;
}
