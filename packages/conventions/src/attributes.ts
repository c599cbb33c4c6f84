/**
 * Resource and span attribute keys. OpenTelemetry semantic-convention keys are used where one
 * exists (semconv 1.37 names); keys of our own live under `pyairtable.` so that they never
 * collide with a future semantic convention.
 */

/** Resource attributes: who emitted the telemetry. */
export const RESOURCE_ATTRIBUTES = {
  serviceName: 'service.name',
  serviceVersion: 'service.version',
  serviceNamespace: 'service.namespace',
  serviceInstanceId: 'service.instance.id',
  deploymentEnvironment: 'deployment.environment.name',
  serviceTier: 'pyairtable.service.tier',
  costCenter: 'pyairtable.cost.center',
} as const;

/** `service.namespace` of every PyAirtable service. */
export const SERVICE_NAMESPACE = 'pyairtable';

/**
 * `service.name` of telemetry whose sender named no service: the OpenTelemetry resource
 * conventions' `unknown_service`. Their `unknown_service:<process.executable.name>` form is not
 * used: the hub cannot know a sender's executable, and a path would not be a valid service name.
 */
export const UNKNOWN_SERVICE_NAME = 'unknown_service';

/** Span attributes. Grouped by subject; values are the attribute keys. */
export const SPAN_ATTRIBUTES = {
  // HTTP (stable semantic conventions)
  httpRequestMethod: 'http.request.method',
  httpRoute: 'http.route',
  httpResponseStatusCode: 'http.response.status_code',
  urlPath: 'url.path',
  urlScheme: 'url.scheme',
  urlFull: 'url.full',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  clientAddress: 'client.address',
  userAgentOriginal: 'user_agent.original',
  errorType: 'error.type',

  // Business identity
  userId: 'user.id',
  tenantId: 'pyairtable.tenant.id',
  /** HMAC-SHA256 of the API key, hex. Never the key or any slice of it. */
  apiKeyHash: 'pyairtable.api_key.hash',
  costCenter: 'pyairtable.cost.center',
  costWeight: 'pyairtable.cost.weight',

  // Workflows (automation-services)
  workflowName: 'pyairtable.workflow.name',
  workflowExecutionId: 'pyairtable.workflow.execution.id',
  workflowStatus: 'pyairtable.workflow.status',

  // Airtable API calls (airtable-gateway)
  airtableOperation: 'pyairtable.airtable.operation',
  airtableBaseId: 'pyairtable.airtable.base.id',
  airtableResult: 'pyairtable.airtable.result',

  // Generative AI (semantic conventions, gen_ai namespace)
  genAiProviderName: 'gen_ai.provider.name',
  genAiOperationName: 'gen_ai.operation.name',
  genAiRequestModel: 'gen_ai.request.model',
  genAiResponseModel: 'gen_ai.response.model',
  genAiTokenType: 'gen_ai.token.type',
  genAiUsageInputTokens: 'gen_ai.usage.input_tokens',
  genAiUsageOutputTokens: 'gen_ai.usage.output_tokens',
  /** Cost of the call in USD, computed locally from the contract's price table. */
  genAiCostUsd: 'pyairtable.gen_ai.cost.usd',
  /** Where the cost figure came from: `price_table` (computed here) or `provider` (reported). */
  genAiCostSource: 'pyairtable.gen_ai.cost.source',

  // Databases and caches
  dbSystemName: 'db.system.name',
  dbOperationName: 'db.operation.name',
  dbCollectionName: 'db.collection.name',
  dbClientConnectionState: 'db.client.connection.state',
  dbClientConnectionPoolName: 'db.client.connection.pool.name',
  cacheName: 'pyairtable.cache.name',
  cacheResult: 'pyairtable.cache.result',

  // Security
  authEvent: 'pyairtable.auth.event',
  authResult: 'pyairtable.auth.result',
  authReason: 'pyairtable.auth.reason',
  authMethod: 'pyairtable.auth.method',
  rateLimitScope: 'pyairtable.rate_limit.scope',
  suspiciousActivityType: 'pyairtable.security.activity_type',
  securitySeverity: 'pyairtable.security.severity',

  // The SDK's own health
  telemetryOutcome: 'pyairtable.telemetry.outcome',

  // Correlation
  correlationId: 'pyairtable.correlation.id',
} as const;

export type ResourceAttributeKey = (typeof RESOURCE_ATTRIBUTES)[keyof typeof RESOURCE_ATTRIBUTES];
export type SpanAttributeKey = (typeof SPAN_ATTRIBUTES)[keyof typeof SPAN_ATTRIBUTES];

/** Values of `pyairtable.gen_ai.cost.source`. */
export const AI_COST_SOURCES = ['price_table', 'provider'] as const;
export type AiCostSource = (typeof AI_COST_SOURCES)[number];
