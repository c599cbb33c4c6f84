/**
 * The metric catalog: every metric a PyAirtable service emits, by name, type, unit, labels and
 * buckets. Alerts, recording rules and dashboards are written against this catalog only.
 *
 * Naming: each metric is defined by its OpenTelemetry instrument (`otelName`, UCUM `unit`) and
 * its Prometheus name is the one OpenTelemetry's Prometheus translation gives (dots to
 * underscores, the unit as a suffix, `_total` on counters), so a series reads the same whether
 * it was scraped from the SDK's `/metrics` or arrived over OTLP through the collector. Label
 * names are likewise the translated attribute keys. `naming.ts` holds the translation and the
 * tests hold every entry to it.
 */
import { SPAN_ATTRIBUTES as A } from './attributes.js';
import { COST_CENTERS } from './platform.js';
import { SLOW_QUERY_SECONDS, SLOW_REQUEST_SECONDS } from './thresholds.js';

/** The spec's four dimensions (data split out of application), plus the SDK's own health. */
export const METRIC_DIMENSIONS = [
  'application',
  'business',
  'cost',
  'security',
  'data',
  'telemetry',
] as const;
export type MetricDimension = (typeof METRIC_DIMENSIONS)[number];

/** Prometheus metric types used by the catalog. */
export type MetricType = 'counter' | 'gauge' | 'histogram';
/** The OpenTelemetry instrument that produces the metric. */
export type OtelInstrument = 'counter' | 'updowncounter' | 'histogram' | 'gauge';

export interface LabelDefinition {
  /** Prometheus label name: the attribute key translated (see `prometheusLabelName`). */
  readonly name: string;
  /** The span/metric attribute key that carries the same value. */
  readonly attribute: string;
  readonly description: string;
  /** The allowed values where the set is bounded. */
  readonly values?: readonly string[];
  /** A pattern every value matches, where the set is open but shaped. */
  readonly pattern?: string;
  /** Set on some series only (an error's type, absent on success): not every series has it. */
  readonly conditional?: true;
}

export interface MetricDefinition {
  /** Prometheus name, as it appears in `/metrics`, rules and dashboards. */
  readonly name: string;
  readonly otelName: string;
  readonly type: MetricType;
  readonly instrument: OtelInstrument;
  /** UCUM unit as OpenTelemetry writes it (`s`, `By`, `{request}`). */
  readonly unit: string;
  readonly help: string;
  readonly dimension: MetricDimension;
  readonly labels: readonly LabelDefinition[];
  /** Histogram bucket upper bounds, strictly increasing. */
  readonly buckets?: readonly number[];
  /** True when `otelName` is an OpenTelemetry semantic-convention metric. */
  readonly semconv: boolean;
}

/**
 * Labels every series of a PyAirtable service carries, set by the SDK as default labels and by
 * the scrape configuration from container labels (`service`, `tier`, `version`); both read the
 * values from the same resource attributes.
 */
export const IDENTITY_LABELS = {
  service: 'service',
  tier: 'tier',
  version: 'version',
} as const;
export type IdentityLabel = (typeof IDENTITY_LABELS)[keyof typeof IDENTITY_LABELS];

/** OpenTelemetry's advised boundaries for HTTP durations, plus the spec's 2 s threshold. */
const HTTP_DURATION_BUCKETS = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.075,
  0.1,
  0.25,
  0.5,
  0.75,
  1,
  SLOW_REQUEST_SECONDS,
  2.5,
  5,
  7.5,
  10,
] as const;
/** OpenTelemetry's advised boundaries for `db.client.operation.duration` (1 s included). */
const DB_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, SLOW_QUERY_SECONDS, 5, 10] as const;
/** OpenTelemetry's advised boundaries for `gen_ai.client.operation.duration`. */
const GEN_AI_DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
] as const;
/** OpenTelemetry's advised boundaries for `gen_ai.client.token.usage`. */
const GEN_AI_TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
] as const;
/** Workflows run from sub-second lookups to half-hour imports. */
const WORKFLOW_DURATION_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800] as const;

/** HTTP methods as OpenTelemetry records them; anything else is `_OTHER`. */
export const HTTP_METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  '_OTHER',
] as const;

export const AUTH_EVENTS = [
  'login',
  'logout',
  'token_validation',
  'token_refresh',
  'api_key_validation',
  'password_reset',
  'mfa_challenge',
] as const;
export const AUTH_RESULTS = ['success', 'failure'] as const;
/** Why an authentication event failed; `none` on success. */
export const AUTH_REASONS = [
  'none',
  'invalid_credentials',
  'unknown_user',
  'missing_credentials',
  'expired_token',
  'invalid_token',
  'revoked_token',
  'invalid_api_key',
  'account_locked',
  'mfa_failed',
  'insufficient_scope',
] as const;
export const AUTH_METHODS = ['password', 'oauth', 'sso', 'api_key', 'magic_link'] as const;
export const RATE_LIMIT_SCOPES = ['ip', 'user', 'tenant', 'api_key', 'global'] as const;
export const SUSPICIOUS_ACTIVITY_TYPES = [
  'brute_force',
  'credential_stuffing',
  'token_replay',
  'injection_attempt',
  'path_traversal',
  'privilege_escalation',
  'anomalous_access',
] as const;
export const SECURITY_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const WORKFLOW_STATUSES = ['success', 'failure', 'cancelled', 'timeout'] as const;
export const AIRTABLE_OPERATIONS = [
  'list_records',
  'get_record',
  'create_records',
  'update_records',
  'delete_records',
  'list_bases',
  'get_base_schema',
  'webhook',
] as const;
export const AIRTABLE_RESULTS = [
  'success',
  'client_error',
  'rate_limited',
  'server_error',
  'network_error',
] as const;
/** `gen_ai.operation.name` values of the semantic conventions. */
export const GEN_AI_OPERATIONS = [
  'chat',
  'text_completion',
  'generate_content',
  'embeddings',
  'execute_tool',
  'create_agent',
  'invoke_agent',
] as const;
/** `gen_ai.provider.name` values of the semantic conventions; anything else is `_OTHER`. */
export const GEN_AI_PROVIDERS = [
  'openai',
  'anthropic',
  'gcp.gemini',
  'gcp.vertex_ai',
  'aws.bedrock',
  'azure.ai.openai',
  'mistral_ai',
  'cohere',
  'groq',
  'deepseek',
  'x_ai',
  '_OTHER',
] as const;
export const GEN_AI_TOKEN_TYPES = ['input', 'output'] as const;
export const CACHE_RESULTS = ['hit', 'miss'] as const;
/** What became of a span the service ended. */
export const SPAN_OUTCOMES = ['exported', 'export_failed', 'dropped'] as const;
export const DB_CONNECTION_STATES = ['idle', 'used'] as const;

// Label definitions, each once; metrics below pick from these.
const L = {
  httpRequestMethod: {
    name: 'http_request_method',
    attribute: A.httpRequestMethod,
    description: 'HTTP method; methods outside the standard set are recorded as _OTHER.',
    values: HTTP_METHODS,
  },
  httpRoute: {
    name: 'http_route',
    attribute: A.httpRoute,
    description:
      'Route template (`/api/bases/:baseId`), never the raw path; unmatched requests are `unmatched`.',
  },
  httpResponseStatusCode: {
    name: 'http_response_status_code',
    attribute: A.httpResponseStatusCode,
    description: 'HTTP status code sent.',
    pattern: '^[1-5][0-9][0-9]$',
  },
  serverAddress: {
    name: 'server_address',
    attribute: A.serverAddress,
    description: 'Host name of the called server (api.airtable.com).',
  },
  errorType: {
    name: 'error_type',
    attribute: A.errorType,
    description: 'Error class or status code when the operation failed; absent on success.',
    conditional: true,
  },
  authEvent: {
    name: 'pyairtable_auth_event',
    attribute: A.authEvent,
    description: 'Kind of authentication event.',
    values: AUTH_EVENTS,
  },
  authResult: {
    name: 'pyairtable_auth_result',
    attribute: A.authResult,
    description: 'Outcome of the event.',
    values: AUTH_RESULTS,
  },
  authReason: {
    name: 'pyairtable_auth_reason',
    attribute: A.authReason,
    description: 'Why it failed; `none` on success.',
    values: AUTH_REASONS,
  },
  authMethod: {
    name: 'pyairtable_auth_method',
    attribute: A.authMethod,
    description: 'How the user authenticated.',
    values: AUTH_METHODS,
  },
  rateLimitScope: {
    name: 'pyairtable_rate_limit_scope',
    attribute: A.rateLimitScope,
    description: 'What the exhausted limit is keyed by.',
    values: RATE_LIMIT_SCOPES,
  },
  suspiciousActivityType: {
    name: 'pyairtable_security_activity_type',
    attribute: A.suspiciousActivityType,
    description: 'Detected pattern.',
    values: SUSPICIOUS_ACTIVITY_TYPES,
  },
  securitySeverity: {
    name: 'pyairtable_security_severity',
    attribute: A.securitySeverity,
    description: 'Severity assigned by the detector.',
    values: SECURITY_SEVERITIES,
  },
  workflowName: {
    name: 'pyairtable_workflow_name',
    attribute: A.workflowName,
    description: 'Workflow definition name (a template, never an execution id).',
  },
  workflowStatus: {
    name: 'pyairtable_workflow_status',
    attribute: A.workflowStatus,
    description: 'How the execution ended.',
    values: WORKFLOW_STATUSES,
  },
  airtableOperation: {
    name: 'pyairtable_airtable_operation',
    attribute: A.airtableOperation,
    description: 'Airtable REST API operation.',
    values: AIRTABLE_OPERATIONS,
  },
  airtableResult: {
    name: 'pyairtable_airtable_result',
    attribute: A.airtableResult,
    description: 'Outcome class of the call (429 is `rate_limited`).',
    values: AIRTABLE_RESULTS,
  },
  genAiOperationName: {
    name: 'gen_ai_operation_name',
    attribute: A.genAiOperationName,
    description: 'Generative AI operation.',
    values: GEN_AI_OPERATIONS,
  },
  genAiProviderName: {
    name: 'gen_ai_provider_name',
    attribute: A.genAiProviderName,
    description: 'Model provider.',
    values: GEN_AI_PROVIDERS,
  },
  genAiRequestModel: {
    name: 'gen_ai_request_model',
    attribute: A.genAiRequestModel,
    description: 'Model name as requested (gpt-4o-mini, claude-sonnet-4-5).',
  },
  genAiTokenType: {
    name: 'gen_ai_token_type',
    attribute: A.genAiTokenType,
    description: 'Input (prompt) or output (completion) tokens.',
    values: GEN_AI_TOKEN_TYPES,
  },
  costCenter: {
    name: 'pyairtable_cost_center',
    attribute: A.costCenter,
    description: 'Cost center the spend is attributed to.',
    values: COST_CENTERS,
  },
  dbSystemName: {
    name: 'db_system_name',
    attribute: A.dbSystemName,
    description: 'Database system (postgresql, redis).',
  },
  dbOperationName: {
    name: 'db_operation_name',
    attribute: A.dbOperationName,
    description: 'Operation or command (SELECT, INSERT, GET); never the query text.',
  },
  dbConnectionState: {
    name: 'db_client_connection_state',
    attribute: A.dbClientConnectionState,
    description: 'Whether the pooled connection is idle or in use.',
    values: DB_CONNECTION_STATES,
  },
  dbConnectionPoolName: {
    name: 'db_client_connection_pool_name',
    attribute: A.dbClientConnectionPoolName,
    description: 'Name of the connection pool.',
  },
  cacheName: {
    name: 'pyairtable_cache_name',
    attribute: A.cacheName,
    description: 'Logical cache (records, schemas, sessions).',
  },
  spanOutcome: {
    name: 'pyairtable_telemetry_outcome',
    attribute: A.telemetryOutcome,
    description:
      'exported; export_failed (the receiver refused or was unreachable); dropped (the export queue was full).',
    values: SPAN_OUTCOMES,
  },
  cacheResult: {
    name: 'pyairtable_cache_result',
    attribute: A.cacheResult,
    description: 'Hit or miss.',
    values: CACHE_RESULTS,
  },
} as const satisfies Record<string, LabelDefinition>;

/** Every label definition of the catalog, keyed for reuse. */
export const METRIC_LABELS = L;

export const METRICS = {
  // --- Application: RED metrics of every HTTP service -------------------------------------
  httpServerRequestDuration: {
    name: 'http_server_request_duration_seconds',
    otelName: 'http.server.request.duration',
    type: 'histogram',
    instrument: 'histogram',
    unit: 's',
    help: 'Duration of HTTP server requests, by route template, method and status code.',
    dimension: 'application',
    labels: [L.httpRequestMethod, L.httpRoute, L.httpResponseStatusCode],
    buckets: HTTP_DURATION_BUCKETS,
    semconv: true,
  },
  httpServerActiveRequests: {
    name: 'http_server_active_requests',
    otelName: 'http.server.active_requests',
    type: 'gauge',
    instrument: 'updowncounter',
    unit: '{request}',
    help: 'HTTP server requests currently in flight.',
    dimension: 'application',
    labels: [L.httpRequestMethod],
    semconv: true,
  },
  httpClientRequestDuration: {
    name: 'http_client_request_duration_seconds',
    otelName: 'http.client.request.duration',
    type: 'histogram',
    instrument: 'histogram',
    unit: 's',
    help: 'Duration of outgoing HTTP requests, by called host, method and status code.',
    dimension: 'application',
    labels: [L.httpRequestMethod, L.serverAddress, L.httpResponseStatusCode],
    buckets: HTTP_DURATION_BUCKETS,
    semconv: true,
  },

  // --- Business ---------------------------------------------------------------------------
  userSessionsStarted: {
    name: 'pyairtable_user_sessions_started_total',
    otelName: 'pyairtable.user.sessions.started',
    type: 'counter',
    instrument: 'counter',
    unit: '{session}',
    help: 'User sessions started.',
    dimension: 'business',
    labels: [],
    semconv: false,
  },
  userSessionsActive: {
    name: 'pyairtable_user_sessions_active',
    otelName: 'pyairtable.user.sessions.active',
    type: 'gauge',
    instrument: 'updowncounter',
    unit: '{session}',
    help: 'User sessions currently active.',
    dimension: 'business',
    labels: [],
    semconv: false,
  },
  userLogins: {
    name: 'pyairtable_user_logins_total',
    otelName: 'pyairtable.user.logins',
    type: 'counter',
    instrument: 'counter',
    unit: '{login}',
    help: 'Successful user logins, by authentication method.',
    dimension: 'business',
    labels: [L.authMethod],
    semconv: false,
  },
  workflowExecutions: {
    name: 'pyairtable_workflow_executions_total',
    otelName: 'pyairtable.workflow.executions',
    type: 'counter',
    instrument: 'counter',
    unit: '{execution}',
    help: 'Workflow executions finished, by workflow and final status.',
    dimension: 'business',
    labels: [L.workflowName, L.workflowStatus],
    semconv: false,
  },
  workflowExecutionDuration: {
    name: 'pyairtable_workflow_execution_duration_seconds',
    otelName: 'pyairtable.workflow.execution.duration',
    type: 'histogram',
    instrument: 'histogram',
    unit: 's',
    help: 'Duration of workflow executions, by workflow and final status.',
    dimension: 'business',
    labels: [L.workflowName, L.workflowStatus],
    buckets: WORKFLOW_DURATION_BUCKETS,
    semconv: false,
  },
  airtableApiCalls: {
    name: 'pyairtable_airtable_api_calls_total',
    otelName: 'pyairtable.airtable.api.calls',
    type: 'counter',
    instrument: 'counter',
    unit: '{call}',
    help: 'Calls to the Airtable REST API, by operation and outcome.',
    dimension: 'business',
    labels: [L.airtableOperation, L.airtableResult],
    semconv: false,
  },

  // --- Cost -------------------------------------------------------------------------------
  genAiTokenUsage: {
    name: 'gen_ai_client_token_usage',
    otelName: 'gen_ai.client.token.usage',
    type: 'histogram',
    instrument: 'histogram',
    unit: '{token}',
    help: 'Tokens used per model call, by provider, model and token type; _sum is the token total.',
    dimension: 'cost',
    labels: [L.genAiOperationName, L.genAiProviderName, L.genAiRequestModel, L.genAiTokenType],
    buckets: GEN_AI_TOKEN_BUCKETS,
    semconv: true,
  },
  genAiOperationDuration: {
    name: 'gen_ai_client_operation_duration_seconds',
    otelName: 'gen_ai.client.operation.duration',
    type: 'histogram',
    instrument: 'histogram',
    unit: 's',
    help: 'Duration of model calls, by provider and model.',
    dimension: 'cost',
    labels: [L.genAiOperationName, L.genAiProviderName, L.genAiRequestModel, L.errorType],
    buckets: GEN_AI_DURATION_BUCKETS,
    semconv: true,
  },
  aiCost: {
    name: 'pyairtable_ai_cost_usd_total',
    otelName: 'pyairtable.ai.cost.usd',
    type: 'counter',
    instrument: 'counter',
    unit: '{USD}',
    help: 'Model spend in US dollars, computed from token usage and the price table.',
    dimension: 'cost',
    labels: [L.genAiProviderName, L.genAiRequestModel, L.costCenter],
    semconv: false,
  },
  costUnits: {
    name: 'pyairtable_cost_units_total',
    otelName: 'pyairtable.cost.units',
    type: 'counter',
    instrument: 'counter',
    unit: '{unit}',
    help: 'Weighted cost units (each request adds its cost weight), by cost center.',
    dimension: 'cost',
    labels: [L.costCenter],
    semconv: false,
  },

  // --- Security ---------------------------------------------------------------------------
  authEvents: {
    name: 'pyairtable_auth_events_total',
    otelName: 'pyairtable.auth.events',
    type: 'counter',
    instrument: 'counter',
    unit: '{event}',
    help: 'Authentication events, by kind, result and failure reason.',
    dimension: 'security',
    labels: [L.authEvent, L.authResult, L.authReason],
    semconv: false,
  },
  rateLimitRejections: {
    name: 'pyairtable_rate_limit_rejections_total',
    otelName: 'pyairtable.rate_limit.rejections',
    type: 'counter',
    instrument: 'counter',
    unit: '{request}',
    help: 'Requests rejected by a rate limiter, by limiter scope.',
    dimension: 'security',
    labels: [L.rateLimitScope],
    semconv: false,
  },
  suspiciousActivity: {
    name: 'pyairtable_security_suspicious_activity_total',
    otelName: 'pyairtable.security.suspicious_activity',
    type: 'counter',
    instrument: 'counter',
    unit: '{event}',
    help: 'Suspicious activity detected, by pattern and severity.',
    dimension: 'security',
    labels: [L.suspiciousActivityType, L.securitySeverity],
    semconv: false,
  },

  // --- Data: databases and caches ---------------------------------------------------------
  dbClientOperationDuration: {
    name: 'db_client_operation_duration_seconds',
    otelName: 'db.client.operation.duration',
    type: 'histogram',
    instrument: 'histogram',
    unit: 's',
    help: 'Duration of database operations, by system and operation.',
    dimension: 'data',
    labels: [L.dbSystemName, L.dbOperationName, L.errorType],
    buckets: DB_DURATION_BUCKETS,
    semconv: true,
  },
  // The semantic convention's db.client.connection.count translates to a name ending in
  // _count, which Prometheus reserves for histogram and summary series (promtool rejects it).
  dbClientConnections: {
    name: 'pyairtable_db_client_connections',
    otelName: 'pyairtable.db.client.connections',
    type: 'gauge',
    instrument: 'updowncounter',
    unit: '{connection}',
    help: 'Connections in the client pool, by state (the semantic convention db.client.connection.count).',
    dimension: 'data',
    labels: [L.dbConnectionPoolName, L.dbConnectionState],
    semconv: false,
  },
  cacheLookups: {
    name: 'pyairtable_cache_lookups_total',
    otelName: 'pyairtable.cache.lookups',
    type: 'counter',
    instrument: 'counter',
    unit: '{lookup}',
    help: 'Cache lookups, by cache and result (hit or miss).',
    dimension: 'data',
    labels: [L.cacheName, L.cacheResult],
    semconv: false,
  },

  // --- Telemetry: the SDK's own health ---------------------------------------------------
  telemetrySpans: {
    name: 'pyairtable_telemetry_spans_total',
    otelName: 'pyairtable.telemetry.spans',
    type: 'counter',
    instrument: 'counter',
    unit: '{span}',
    help: 'Sampled spans the SDK ended, by what became of them.',
    dimension: 'telemetry',
    labels: [L.spanOutcome],
    semconv: false,
  },
  telemetryLogRecordsDropped: {
    name: 'pyairtable_telemetry_log_records_dropped_total',
    otelName: 'pyairtable.telemetry.log_records.dropped',
    type: 'counter',
    instrument: 'counter',
    unit: '{record}',
    help: 'Log records dropped because stdout could not keep up and the write buffer was full.',
    dimension: 'telemetry',
    labels: [],
    semconv: false,
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricId = keyof typeof METRICS;

export type AuthEventName = (typeof AUTH_EVENTS)[number];
export type AuthResult = (typeof AUTH_RESULTS)[number];
export type AuthReason = (typeof AUTH_REASONS)[number];
export type AuthMethod = (typeof AUTH_METHODS)[number];
export type RateLimitScope = (typeof RATE_LIMIT_SCOPES)[number];
export type SuspiciousActivityType = (typeof SUSPICIOUS_ACTIVITY_TYPES)[number];
export type SecuritySeverity = (typeof SECURITY_SEVERITIES)[number];
export type WorkflowStatus = (typeof WORKFLOW_STATUSES)[number];
export type AirtableOperation = (typeof AIRTABLE_OPERATIONS)[number];
export type AirtableResult = (typeof AIRTABLE_RESULTS)[number];
export type GenAiOperation = (typeof GEN_AI_OPERATIONS)[number];
export type HttpMethod = (typeof HTTP_METHODS)[number];
export type MetricName = (typeof METRICS)[MetricId]['name'];

/** The catalog as a list, in declaration order. */
export const METRIC_CATALOG: readonly MetricDefinition[] = Object.values(METRICS);

/**
 * The label set of a catalog metric, typed: bounded labels accept only their listed values.
 * `MetricLabels<typeof METRICS.authEvents>` is
 * `{ pyairtable_auth_event: 'login' | ...; pyairtable_auth_result: 'success' | 'failure'; ... }`.
 */
export type MetricLabels<M extends MetricDefinition> = {
  [Label in M['labels'][number] as Label['name']]: Label extends { values: readonly (infer V)[] }
    ? V
    : string;
};
