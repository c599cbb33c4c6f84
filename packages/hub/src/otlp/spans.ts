/**
 * OTLP trace requests (protobuf or JSON) to the hub's span records, and back to OTLP/JSON.
 * Both encodings meet in OTLP/JSON's own shapes (hex ids, camelCase, `intValue` as a decimal
 * string), which is also what the query API returns, as Jaeger v2's API does. A malformed
 * request is a `PayloadError` naming what is wrong; a span that cannot be kept (a bad id) is
 * rejected alone and counted in the partial-success answer.
 */
import { UNKNOWN_SERVICE_NAME } from '@pyairtable/conventions';
import type { AnyValue, DecodedTraces, KeyValue, SpanRecord } from '../span-record.js';
import { ExportTraceServiceRequest } from './proto.js';
import { PayloadError, decodeRequest } from './request.js';
import { MAX_TIME_NS, hexId, isObject, list, text } from './shape.js';

const HEX_TRACE_ID = /^[0-9a-f]{32}$/;
const HEX_SPAN_ID = /^[0-9a-f]{16}$/;

const count = (value: unknown): number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 0;

/** A time in nanoseconds; -1n when it is beyond what the store can hold (the span is rejected). */
function nanos(value: unknown): bigint {
  let result = 0n;
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) result = BigInt(value);
  else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) result = BigInt(value);
  else if (typeof value === 'bigint' && value >= 0n) result = value;
  return result > MAX_TIME_NS ? -1n : result;
}

function anyValue(value: unknown, depth = 0): AnyValue {
  if (!isObject(value) || depth > 16) return {};
  if (typeof value['stringValue'] === 'string') return { stringValue: value['stringValue'] };
  if (typeof value['boolValue'] === 'boolean') return { boolValue: value['boolValue'] };
  if (value['intValue'] !== undefined && value['intValue'] !== null) {
    const raw = value['intValue'];
    const int =
      typeof raw === 'number' && Number.isInteger(raw)
        ? String(raw)
        : typeof raw === 'string' && /^-?\d+$/.test(raw)
          ? raw
          : undefined;
    if (int !== undefined) return { intValue: int };
  }
  if (typeof value['doubleValue'] === 'number') return { doubleValue: value['doubleValue'] };
  if (isObject(value['arrayValue']))
    return {
      arrayValue: { values: list(value['arrayValue']['values']).map((item) => anyValue(item, depth + 1)) },
    };
  if (isObject(value['kvlistValue']))
    return { kvlistValue: { values: keyValues(value['kvlistValue']['values'], depth + 1) } };
  const bytes = value['bytesValue'];
  if (bytes instanceof Uint8Array) return { bytesValue: Buffer.from(bytes).toString('base64') };
  if (typeof bytes === 'string') return { bytesValue: bytes };
  return {};
}

function keyValues(value: unknown, depth = 0): KeyValue[] {
  return list(value)
    .filter(isObject)
    .filter((entry) => typeof entry['key'] === 'string')
    .map((entry) => ({ key: entry['key'] as string, value: anyValue(entry['value'], depth) }));
}

/** OTLP/JSON spells enums as integers; some senders use their names. */
function spanKind(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 5) return value;
  const names = [
    'SPAN_KIND_UNSPECIFIED',
    'SPAN_KIND_INTERNAL',
    'SPAN_KIND_SERVER',
    'SPAN_KIND_CLIENT',
    'SPAN_KIND_PRODUCER',
    'SPAN_KIND_CONSUMER',
  ];
  const index = typeof value === 'string' ? names.indexOf(value) : -1;
  return index >= 0 ? index : 0;
}
function statusCode(value: unknown): number {
  if (typeof value === 'number' && (value === 0 || value === 1 || value === 2)) return value;
  const index =
    typeof value === 'string'
      ? ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'].indexOf(value)
      : -1;
  return index >= 0 ? index : 0;
}

export function stringAttribute(attributes: readonly KeyValue[], key: string): string | undefined {
  return attributes.find((entry) => entry.key === key)?.value.stringValue;
}

/** Turns a decoded request (either encoding, as plain objects) into span records. */
export function spansFromRequest(request: unknown, serviceNameKey: string): DecodedTraces {
  if (!isObject(request)) throw new PayloadError('the body is not an ExportTraceServiceRequest object');
  const resourceSpans = request['resourceSpans'];
  if (resourceSpans !== undefined && !Array.isArray(resourceSpans))
    throw new PayloadError('resourceSpans must be a list');
  const spans: SpanRecord[] = [];
  let rejected = 0;
  let rejectReason: string | undefined;
  const reject = (reason: string): void => {
    rejected++;
    rejectReason ??= reason;
  };
  for (const resourceEntry of list(resourceSpans).filter(isObject)) {
    const resource = keyValues(
      isObject(resourceEntry['resource']) ? resourceEntry['resource']['attributes'] : undefined,
    );
    const serviceName = stringAttribute(resource, serviceNameKey) ?? UNKNOWN_SERVICE_NAME;
    for (const scopeEntry of list(resourceEntry['scopeSpans']).filter(isObject)) {
      const rawScope = isObject(scopeEntry['scope']) ? scopeEntry['scope'] : {};
      const scope = {
        name: text(rawScope['name']),
        version: text(rawScope['version']),
        attributes: keyValues(rawScope['attributes']),
      };
      for (const span of list(scopeEntry['spans'])) {
        if (!isObject(span)) {
          reject('a span is not an object');
          continue;
        }
        const traceId = hexId(span['traceId']);
        const spanId = hexId(span['spanId']);
        const parentSpanId = hexId(span['parentSpanId']);
        if (!HEX_TRACE_ID.test(traceId) || /^0+$/.test(traceId)) {
          reject('a span has no valid trace id (16 bytes, not all zero)');
          continue;
        }
        if (!HEX_SPAN_ID.test(spanId) || /^0+$/.test(spanId)) {
          reject('a span has no valid span id (8 bytes, not all zero)');
          continue;
        }
        if (parentSpanId !== '' && !HEX_SPAN_ID.test(parentSpanId)) {
          reject('a span has a malformed parent span id');
          continue;
        }
        const start = nanos(span['startTimeUnixNano']);
        const end = nanos(span['endTimeUnixNano']);
        if (start < 0n || end < 0n) {
          reject('a span has a time beyond 2^63-1 nanoseconds (the year 2262)');
          continue;
        }
        const status = isObject(span['status']) ? span['status'] : {};
        spans.push({
          traceId,
          spanId,
          parentSpanId,
          traceState: text(span['traceState']),
          flags: count(span['flags']),
          name: text(span['name']),
          kind: spanKind(span['kind']),
          startTimeUnixNano: start,
          endTimeUnixNano: end < start ? start : end,
          statusCode: statusCode(status['code']),
          statusMessage: text(status['message']),
          attributes: keyValues(span['attributes']),
          events: list(span['events'])
            .filter(isObject)
            .map((event) => ({
              timeUnixNano: (nanos(event['timeUnixNano']) < 0n
                ? 0n
                : nanos(event['timeUnixNano'])
              ).toString(),
              name: text(event['name']),
              attributes: keyValues(event['attributes']),
              ...(count(event['droppedAttributesCount']) > 0
                ? { droppedAttributesCount: count(event['droppedAttributesCount']) }
                : {}),
            })),
          links: list(span['links'])
            .filter(isObject)
            .map((link) => ({
              traceId: hexId(link['traceId']),
              spanId: hexId(link['spanId']),
              ...(text(link['traceState']) === '' ? {} : { traceState: text(link['traceState']) }),
              attributes: keyValues(link['attributes']),
              ...(count(link['flags']) > 0 ? { flags: count(link['flags']) } : {}),
            })),
          droppedAttributesCount: count(span['droppedAttributesCount']),
          droppedEventsCount: count(span['droppedEventsCount']),
          droppedLinksCount: count(span['droppedLinksCount']),
          serviceName,
          resource,
          scope,
        });
      }
    }
  }
  return { spans, rejected, ...(rejectReason === undefined ? {} : { rejectReason }) };
}

export const decodeTraceProtobuf = (body: Uint8Array, serviceNameKey: string): DecodedTraces =>
  spansFromRequest(decodeRequest(body, false, ExportTraceServiceRequest), serviceNameKey);

export const decodeTraceJson = (body: Uint8Array, serviceNameKey: string): DecodedTraces =>
  spansFromRequest(decodeRequest(body, true, ExportTraceServiceRequest), serviceNameKey);

/** Span records (of one trace or many) as an OTLP/JSON ExportTraceServiceRequest-shaped object. */
export function toOtlpJson(spans: readonly SpanRecord[]): { resourceSpans: unknown[] } {
  const byResource = new Map<
    string,
    { resource: KeyValue[]; scopes: Map<string, { scope: SpanRecord['scope']; spans: unknown[] }> }
  >();
  for (const span of spans) {
    const resourceKey = JSON.stringify(span.resource);
    let resource = byResource.get(resourceKey);
    if (resource === undefined) {
      resource = { resource: span.resource, scopes: new Map() };
      byResource.set(resourceKey, resource);
    }
    const scopeKey = JSON.stringify(span.scope);
    let scope = resource.scopes.get(scopeKey);
    if (scope === undefined) {
      scope = { scope: span.scope, spans: [] };
      resource.scopes.set(scopeKey, scope);
    }
    scope.spans.push({
      traceId: span.traceId,
      spanId: span.spanId,
      ...(span.parentSpanId === '' ? {} : { parentSpanId: span.parentSpanId }),
      ...(span.traceState === '' ? {} : { traceState: span.traceState }),
      ...(span.flags === 0 ? {} : { flags: span.flags }),
      name: span.name,
      kind: span.kind,
      startTimeUnixNano: span.startTimeUnixNano.toString(),
      endTimeUnixNano: span.endTimeUnixNano.toString(),
      attributes: span.attributes,
      ...(span.droppedAttributesCount === 0 ? {} : { droppedAttributesCount: span.droppedAttributesCount }),
      events: span.events,
      ...(span.droppedEventsCount === 0 ? {} : { droppedEventsCount: span.droppedEventsCount }),
      links: span.links,
      ...(span.droppedLinksCount === 0 ? {} : { droppedLinksCount: span.droppedLinksCount }),
      status: {
        code: span.statusCode,
        ...(span.statusMessage === '' ? {} : { message: span.statusMessage }),
      },
    });
  }
  return {
    resourceSpans: [...byResource.values()].map(({ resource, scopes }) => ({
      resource: { attributes: resource },
      scopeSpans: [...scopes.values()].map(({ scope, spans: scoped }) => ({ scope, spans: scoped })),
    })),
  };
}
