/**
 * @pyairtable/telemetry: traces, the contract's metrics and structured logs for a Node service.
 * Framework adapters live in subpath exports: `/express`, `/fastify`, `/hono`.
 */
export { initTelemetry } from './telemetry.js';
export type { Telemetry, InitOptions, AiUsage, AuthEvent, BusinessAttributes } from './telemetry.js';
export {
  resolveConfig,
  OTLP_PROTOCOLS,
  DEFAULT_OTLP_HTTP_ENDPOINT,
  DEFAULT_OTLP_GRPC_ENDPOINT,
} from './config.js';
export type { TelemetryOptions, ResolvedConfig, OtlpProtocol } from './config.js';
export { TelemetryConfigError, TELEMETRY_ERROR_CODES } from './errors.js';
export type { TelemetryErrorCode } from './errors.js';
export { ContractMetrics, MAX_LABEL_VALUES, startMetricsServer } from './metrics.js';
export type { MetricsServerOptions, CounterId, GaugeId, HistogramId, LabelsOf } from './metrics.js';
export type { TelemetryLogger } from './logger.js';
export { DEFAULT_IGNORED_PATHS, UNMATCHED_ROUTE, routeFromPath } from './http-server.js';
export type { HttpServerOptions, ServerRequestScope } from './http-server.js';
export { instrumentRequestListener } from './adapters/node-http.js';
export type { NodeHttpOptions } from './adapters/node-http.js';
export { setWarningSink } from './warnings.js';
export { LineDestination } from './line-destination.js';
export type { LineDestinationOptions } from './line-destination.js';
