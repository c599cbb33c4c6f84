/**
 * The log record's levels, categories and field paths: plain data, apart from the record's
 * schema (`log-record.ts`), so a browser bundle can read them without the validator.
 */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Log categories from the spec's "Log Categories", each with its own index and retention. A
 * record without a category is an application record, so that the spec's own example (which
 * has none) stays valid.
 */
export const LOG_CATEGORIES = ['application', 'access', 'security', 'error', 'audit'] as const;
export type LogCategory = (typeof LOG_CATEGORIES)[number];
export const DEFAULT_LOG_CATEGORY: LogCategory = 'application';

/** Dotted paths of the record's fields, as Elasticsearch, Logstash and Kibana address them. */
export const LOG_FIELDS = {
  timestamp: '@timestamp',
  serviceName: 'service.name',
  serviceTier: 'service.tier',
  serviceVersion: 'service.version',
  serviceEnvironment: 'service.environment',
  level: 'log_level',
  message: 'message',
  category: 'category',
  traceId: 'trace.id',
  spanId: 'trace.span_id',
  httpMethod: 'http.method',
  httpRoute: 'http.route',
  httpStatusCode: 'http.status_code',
  httpResponseTimeMs: 'http.response_time_ms',
  costCenter: 'cost.center',
  costWeight: 'cost.weight',
  errorType: 'error.type',
  errorMessage: 'error.message',
  errorStack: 'error.stack',
  userId: 'user.id',
  tenantId: 'tenant.id',
  apiKeyHash: 'api_key.hash',
  eventAction: 'event.action',
  eventOutcome: 'event.outcome',
  eventReason: 'event.reason',
  attributes: 'attributes',
  context: 'context',
} as const;
