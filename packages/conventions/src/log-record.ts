/**
 * The structured log record: one JSON object per line on stdout, exactly the shape of the
 * spec's example plus a `category`. Filebeat, Logstash, Elasticsearch mappings, Kibana data
 * views, the hub's log search and Grafana's trace-to-logs link all read these field names.
 */
import { z } from 'zod';
import { HTTP_METHODS } from './metrics.js';
import type { Validation } from './validation.js';
import { validateWith } from './validation.js';
import { COST_CENTERS, ENVIRONMENTS, SERVICE_TIERS } from './platform.js';
import type { LOG_FIELDS } from './log-fields.js';
import { DEFAULT_LOG_CATEGORY, LOG_CATEGORIES, LOG_LEVELS } from './log-fields.js';

export { LOG_CATEGORIES, LOG_FIELDS, LOG_LEVELS, DEFAULT_LOG_CATEGORY } from './log-fields.js';
export type { LogCategory, LogLevel } from './log-fields.js';

export const EVENT_OUTCOMES = ['success', 'failure', 'unknown'] as const;

export type LogField = (typeof LOG_FIELDS)[keyof typeof LOG_FIELDS];

const SERVICE_NAME = /^[a-z0-9][a-z0-9._-]*$/;
const HEX_TRACE_ID = /^[0-9a-f]{32}$/;
const HEX_SPAN_ID = /^[0-9a-f]{16}$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/;

const ServiceSchema = z.strictObject({
  name: z.string().regex(SERVICE_NAME, 'lower-case service name like "api-gateway"'),
  tier: z.enum(SERVICE_TIERS),
  version: z.string().min(1).optional(),
  environment: z.enum(ENVIRONMENTS).optional(),
});

const TraceSchema = z.strictObject({
  id: z.string().regex(HEX_TRACE_ID, '32 lower-case hex digits (W3C trace id)'),
  span_id: z.string().regex(HEX_SPAN_ID, '16 lower-case hex digits (W3C span id)').optional(),
});

const HttpSchema = z.strictObject({
  method: z.enum(HTTP_METHODS),
  route: z.string().min(1).optional(),
  status_code: z.number().int().min(100).max(599).optional(),
  response_time_ms: z.number().nonnegative().optional(),
});

const CostSchema = z.strictObject({
  center: z.enum(COST_CENTERS),
  weight: z.number().nonnegative(),
});

const ErrorSchema = z.strictObject({
  type: z.string().min(1),
  message: z.string(),
  stack: z.string().optional(),
});

const IdSchema = z.strictObject({ id: z.string().min(1) });

const EventSchema = z.strictObject({
  action: z.string().regex(/^[a-z][a-z0-9_.]*$/, 'snake_case action like "user.login"'),
  outcome: z.enum(EVENT_OUTCOMES),
  reason: z.string().min(1).optional(),
});

const AttributeValue = z.union([z.string(), z.number(), z.boolean()]);
const AttributeKey = z.string().regex(/^[a-z][a-z0-9_.]*$/, 'snake_case key like "request_id"');

const LogRecordObject = z.strictObject({
  '@timestamp': z.iso.datetime({ message: 'ISO 8601 UTC timestamp like 2024-01-15T10:30:00.000Z' }),
  service: ServiceSchema,
  log_level: z.enum(LOG_LEVELS),
  message: z.string(),
  category: z.enum(LOG_CATEGORIES).default(DEFAULT_LOG_CATEGORY),
  trace: TraceSchema.optional(),
  http: HttpSchema.optional(),
  cost: CostSchema.optional(),
  error: ErrorSchema.optional(),
  user: IdSchema.optional(),
  tenant: IdSchema.optional(),
  api_key: z.strictObject({ hash: z.string().regex(HEX_SHA256, 'hex HMAC-SHA256 of the key') }).optional(),
  event: EventSchema.optional(),
  /** Free-form fields of the record, flat and scalar so that they index predictably. */
  attributes: z.record(AttributeKey, AttributeValue).optional(),
  /** Free-form fields bound to a child logger (request id, job id), same shape. */
  context: z.record(AttributeKey, AttributeValue).optional(),
});

/**
 * The record's optional parts by field, each with its own schema: a producer assembling a
 * record checks a part before writing it (the SDK's logger moves an ill-shaped part under
 * `attributes` instead of writing an invalid record).
 */
export const LOG_RECORD_PARTS = {
  trace: TraceSchema,
  http: HttpSchema,
  cost: CostSchema,
  error: ErrorSchema,
  user: IdSchema,
  tenant: IdSchema,
  api_key: LogRecordObject.shape.api_key.unwrap(),
  event: EventSchema,
  attributes: LogRecordObject.shape.attributes.unwrap(),
  context: LogRecordObject.shape.context.unwrap(),
} as const;
export type LogRecordPart = keyof typeof LOG_RECORD_PARTS;

/** What each category needs beyond the common fields. */
export const LogRecordSchema = LogRecordObject.superRefine((record, ctx) => {
  if (record.category === 'access') {
    for (const field of ['status_code', 'response_time_ms'] as const) {
      if (record.http?.[field] === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['http', field],
          message: `access records carry http.method, http.status_code and http.response_time_ms`,
        });
    }
    if (record.http === undefined)
      ctx.addIssue({ code: 'custom', path: ['http', 'method'], message: 'access records carry http.method' });
  }
  if ((record.category === 'security' || record.category === 'audit') && record.event === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['event'],
      message: `${record.category} records carry event.action and event.outcome`,
    });
  if (record.category === 'error' && record.log_level !== 'ERROR' && record.log_level !== 'FATAL')
    ctx.addIssue({
      code: 'custom',
      path: ['log_level'],
      message: 'error records are logged at ERROR or FATAL',
    });
  if (record.trace?.span_id !== undefined && /^0+$/.test(record.trace.span_id))
    ctx.addIssue({ code: 'custom', path: ['trace', 'span_id'], message: 'the all-zero span id is invalid' });
  if (record.trace !== undefined && /^0+$/.test(record.trace.id))
    ctx.addIssue({ code: 'custom', path: ['trace', 'id'], message: 'the all-zero trace id is invalid' });
});

/** A valid record as it is written (category filled in). */
export type LogRecord = z.output<typeof LogRecordSchema>;
/** A record as a producer may write it (category optional). */
export type LogRecordInput = z.input<typeof LogRecordSchema>;

/** Validates a parsed log line, reporting every problem with the path of its field. */
export function validateLogRecord(input: unknown): Validation<LogRecord> {
  return validateWith(LogRecordSchema, input);
}

/** The log record schema as JSON Schema (draft 2020-12), for producers in other languages. */
export function logRecordJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(LogRecordObject, { io: 'input' });
}

/**
 * Each record part as JSON Schema (draft 2020-12), for validators compiled ahead of time: the
 * SDK checks caller-supplied parts on its hot path with these.
 */
export function logRecordPartJsonSchemas(): Record<LogRecordPart, Record<string, unknown>> {
  const schemas = {} as Record<LogRecordPart, Record<string, unknown>>;
  for (const part of Object.keys(LOG_RECORD_PARTS) as LogRecordPart[])
    schemas[part] = z.toJSONSchema(LOG_RECORD_PARTS[part], { io: 'input' });
  return schemas;
}
