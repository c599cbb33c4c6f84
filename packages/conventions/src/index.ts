/**
 * @pyairtable/conventions: the telemetry contract. Every metric name, label, attribute key,
 * header and log field used anywhere in the repository is imported from here.
 */
export {
  ENVIRONMENTS,
  SERVICE_TIERS,
  COST_CENTERS,
  DEFAULT_COST_WEIGHT_BY_TIER,
  PLATFORM_SERVICES,
  CRITICAL_SERVICES,
} from './platform.js';
export type {
  Environment,
  ServiceTier,
  CostCenter,
  PlatformService,
  PlatformServiceName,
} from './platform.js';

export { RESOURCE_ATTRIBUTES, SERVICE_NAMESPACE, SPAN_ATTRIBUTES, AI_COST_SOURCES } from './attributes.js';
export { UNKNOWN_SERVICE_NAME } from './attributes.js';
export type { ResourceAttributeKey, SpanAttributeKey, AiCostSource } from './attributes.js';

export { PROPAGATION_HEADERS, BUSINESS_HEADERS, TRACE_ID_PATTERN, SPAN_ID_PATTERN } from './headers.js';
export type { PropagationHeader, BusinessHeader } from './headers.js';

export {
  SLOW_REQUEST_SECONDS,
  SLOW_QUERY_SECONDS,
  ALERT_NAMES,
  SPEC_THRESHOLDS,
  SERVICES_JOB,
} from './thresholds.js';
export type { AlertName, AlertThresholds } from './thresholds.js';

export {
  METRICS,
  METRIC_CATALOG,
  METRIC_LABELS,
  METRIC_DIMENSIONS,
  IDENTITY_LABELS,
  HTTP_METHODS,
  AUTH_EVENTS,
  AUTH_RESULTS,
  AUTH_REASONS,
  AUTH_METHODS,
  RATE_LIMIT_SCOPES,
  SUSPICIOUS_ACTIVITY_TYPES,
  SECURITY_SEVERITIES,
  WORKFLOW_STATUSES,
  AIRTABLE_OPERATIONS,
  AIRTABLE_RESULTS,
  GEN_AI_OPERATIONS,
  GEN_AI_PROVIDERS,
  GEN_AI_TOKEN_TYPES,
  CACHE_RESULTS,
  DB_CONNECTION_STATES,
  SPAN_OUTCOMES,
} from './metrics.js';
export type {
  MetricDefinition,
  LabelDefinition,
  MetricDimension,
  MetricType,
  OtelInstrument,
  MetricId,
  MetricName,
  MetricLabels,
  IdentityLabel,
  AuthEventName,
  AuthResult,
  AuthReason,
  AuthMethod,
  RateLimitScope,
  SuspiciousActivityType,
  SecuritySeverity,
  WorkflowStatus,
  AirtableOperation,
  AirtableResult,
  GenAiOperation,
  HttpMethod,
} from './metrics.js';

export {
  prometheusMetricName,
  prometheusLabelName,
  metricDefinitionProblems,
  catalogProblems,
  ALLOWED_UNITS,
} from './naming.js';

export {
  LOG_LEVELS,
  LOG_CATEGORIES,
  logRecordPartJsonSchemas,
  DEFAULT_LOG_CATEGORY,
  EVENT_OUTCOMES,
  LOG_FIELDS,
  LogRecordSchema,
  LOG_RECORD_PARTS,
  validateLogRecord,
  logRecordJsonSchema,
} from './log-record.js';
export type {
  LogLevel,
  LogCategory,
  LogField,
  LogRecord,
  LogRecordInput,
  LogRecordPart,
} from './log-record.js';

export { METRICS_RETENTION, TRACES_RETENTION, LOG_RETENTION, RETENTION } from './retention.js';
export type { RetentionRule, TierPhase, StorageTier, DataType } from './retention.js';

export {
  SAMPLING_POLICIES,
  SAMPLING_REASONS,
  DEFAULT_SAMPLING_HASH_SALT,
  tailSamplingDecision,
  inProbabilisticShare,
  fnv1a64,
} from './sampling.js';
export type { SamplingPolicy, SamplingReason, SamplingDecision, TraceSummary } from './sampling.js';

export {
  PII_MASK,
  PII_KEY_RULES,
  PII_VALUE_RULES,
  PII_NEVER_MASKED_KEYS,
  PII_RULES,
  luhnValid,
  re2Pattern,
  createPiiMasker,
} from './pii.js';
export type { PiiKeyRule, PiiValueRule, PiiRules, PiiMasker } from './pii.js';

export {
  AI_PRICE_TABLE,
  ModelPriceSchema,
  PriceTableSchema,
  parsePriceTable,
  mergePriceTables,
  findModelPrice,
  computeAiCostUsd,
} from './ai-pricing.js';
export type { GenAiProvider, ModelPrice, PriceTable, TokenUsage } from './ai-pricing.js';

export { validateWith, formatProblems, dottedPath } from './validation.js';
export { setOwn, getOwn, setDottedPath, isPrototypeKey } from './own-properties.js';
export { SPEC_PORTS } from './ports.js';
export type { SpecPort } from './ports.js';
export { contractReference } from './reference.js';
export type { Problem, Validation } from './validation.js';
