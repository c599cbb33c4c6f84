/**
 * OTLP log requests to the contract's log records. The SDK's OTLP log export sends a record as
 * body = message and attributes = the record's other fields by dotted path; other senders' logs
 * become records the same way (service from the resource, level from the severity, category
 * `application` unless an attribute says otherwise). Each record is validated against the
 * contract; one that fails is rejected alone (partial success).
 */
import type { LogLevel, LogRecord } from '@pyairtable/conventions';
import {
  LOG_FIELDS,
  RESOURCE_ATTRIBUTES,
  UNKNOWN_SERVICE_NAME,
  setDottedPath,
  setOwn,
  validateLogRecord,
} from '@pyairtable/conventions';
import { ExportLogsServiceRequest } from './proto.js';
import type { Loose } from './shape.js';
import { MAX_VALUE_DEPTH, TooDeep, hexId, isObject, list, unixNanos } from './shape.js';
import { PayloadError, decodeRequest } from './request.js';

export interface DecodedLogs {
  readonly records: LogRecord[];
  readonly rejected: number;
  readonly rejectReason?: string;
}

/** An OTLP AnyValue as plain JSON; throws TooDeep past MAX_VALUE_DEPTH rather than recursing on. */
function plain(value: unknown, depth = 0): unknown {
  if (!isObject(value)) return undefined;
  if (depth > MAX_VALUE_DEPTH) throw new TooDeep();
  if (typeof value['stringValue'] === 'string') return value['stringValue'];
  if (typeof value['boolValue'] === 'boolean') return value['boolValue'];
  const int = value['intValue'];
  if (typeof int === 'string' || typeof int === 'number') return Number(int);
  if (typeof value['doubleValue'] === 'number') return value['doubleValue'];
  if (isObject(value['arrayValue']))
    return list(value['arrayValue']['values']).map((item) => plain(item, depth + 1));
  if (isObject(value['kvlistValue'])) {
    const object: Record<string, unknown> = {};
    for (const entry of list(value['kvlistValue']['values']).filter(isObject))
      setOwn(object, String(entry['key']), plain(entry['value'], depth + 1));
    return object;
  }
  return undefined;
}

/** When the record happened, in Unix milliseconds; a string naming the problem if it cannot be stored. */
function recordTime(log: Loose, now: () => number): number | string {
  const time = unixNanos(log['timeUnixNano']);
  if (typeof time === 'string') return `timeUnixNano: ${time}`;
  const observed = time === undefined ? unixNanos(log['observedTimeUnixNano']) : undefined;
  if (typeof observed === 'string') return `observedTimeUnixNano: ${observed}`;
  const nanos = time ?? observed;
  return nanos === undefined ? now() : Number(nanos / 1_000_000n);
}

/** OTLP severity numbers (1-24) to the contract's levels. */
function level(severityText: unknown, severityNumber: unknown): LogLevel {
  const text = typeof severityText === 'string' ? severityText.toUpperCase() : '';
  if (['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].includes(text)) return text as LogLevel;
  const number = typeof severityNumber === 'number' ? severityNumber : 9;
  return number >= 21
    ? 'FATAL'
    : number >= 17
      ? 'ERROR'
      : number >= 13
        ? 'WARN'
        : number >= 9
          ? 'INFO'
          : number >= 5
            ? 'DEBUG'
            : 'TRACE';
}

/** Fields whose dotted paths nest into the record; everything else stays a flat attribute. */
const NESTED_PREFIXES = [
  'trace.',
  'http.',
  'cost.',
  'error.',
  'user.',
  'tenant.',
  'api_key.',
  'event.',
  'service.',
];

/** One OTLP log record as a contract record, or the reason it is refused. */
function logRecord(
  log: Loose,
  resource: Readonly<Record<string, unknown>>,
  now: () => number,
): Loose | string {
  const record: Loose = {};
  const attributes: Record<string, unknown> = {};
  const context: Record<string, unknown> = {};
  for (const entry of list(log['attributes']).filter(isObject)) {
    const key = String(entry['key']);
    const value = plain(entry['value']);
    if (value === undefined) continue;
    // Keys are the sender's: written as own properties, never through a prototype.
    if (key === LOG_FIELDS.category) record[key] = value;
    else if (key.startsWith('attributes.')) setOwn(attributes, key.slice('attributes.'.length), value);
    else if (key.startsWith('context.')) setOwn(context, key.slice('context.'.length), value);
    else if (!NESTED_PREFIXES.some((prefix) => key.startsWith(prefix)) || !setDottedPath(record, key, value))
      setOwn(attributes, key, value);
  }
  const millis = recordTime(log, now);
  if (typeof millis === 'string') return millis;
  const service = isObject(record['service']) ? record['service'] : {};
  record['service'] = {
    ...service,
    name: service['name'] ?? resource[RESOURCE_ATTRIBUTES.serviceName] ?? UNKNOWN_SERVICE_NAME,
  };
  record[LOG_FIELDS.timestamp] = new Date(millis).toISOString();
  record[LOG_FIELDS.level] = level(log['severityText'], log['severityNumber']);
  const body = plain(log['body']);
  record[LOG_FIELDS.message] = typeof body === 'string' ? body : JSON.stringify(body ?? '');
  const traceId = hexId(log['traceId']);
  const spanId = hexId(log['spanId']);
  if (traceId !== '' && !isObject(record['trace']))
    record['trace'] = { id: traceId, ...(spanId === '' ? {} : { span_id: spanId }) };
  if (Object.keys(attributes).length > 0) record[LOG_FIELDS.attributes] = attributes;
  if (Object.keys(context).length > 0) record[LOG_FIELDS.context] = context;
  return record;
}

export function logsFromRequest(request: unknown, now: () => number = Date.now): DecodedLogs {
  if (!isObject(request)) throw new PayloadError('the body is not an ExportLogsServiceRequest object');
  const records: LogRecord[] = [];
  let rejected = 0;
  let rejectReason: string | undefined;
  const reject = (reason: string): void => {
    rejected++;
    rejectReason ??= reason;
  };
  for (const resourceEntry of list(request['resourceLogs']).filter(isObject)) {
    let resource: Record<string, unknown>;
    try {
      resource = Object.fromEntries(
        list(isObject(resourceEntry['resource']) ? resourceEntry['resource']['attributes'] : undefined)
          .filter(isObject)
          .map((entry) => [String(entry['key']), plain(entry['value'])]),
      );
    } catch (error) {
      if (!(error instanceof TooDeep)) throw error;
      throw new PayloadError(`resource: ${error.message}`);
    }
    for (const scopeEntry of list(resourceEntry['scopeLogs']).filter(isObject))
      for (const log of list(scopeEntry['logRecords'])) {
        if (!isObject(log)) {
          reject('a log record is not an object');
          continue;
        }
        let record: Loose | string;
        try {
          record = logRecord(log, resource, now);
        } catch (error) {
          if (!(error instanceof TooDeep)) throw error;
          record = error.message;
        }
        if (typeof record === 'string') {
          reject(record);
          continue;
        }
        const validation = validateLogRecord(record);
        if (validation.ok) records.push(validation.value);
        else reject(validation.problems.map((problem) => `${problem.path}: ${problem.message}`).join('; '));
      }
  }
  return { records, rejected, ...(rejectReason === undefined ? {} : { rejectReason }) };
}

export const decodeLogs = (body: Uint8Array, json: boolean): DecodedLogs =>
  logsFromRequest(decodeRequest(body, json, ExportLogsServiceRequest));
