/**
 * @pyairtable/hub: the Docker-free backend for traces, logs and metrics: OTLP in (HTTP and
 * gRPC), a durable DuckDB store, Jaeger's query API out, metrics for Prometheus to scrape.
 */
export { startHub, HUB_DEFAULTS, duckDbMemoryBytes, memoryBudget } from './hub.js';
export { IMPORT_PATH, LOG_LINES_PATH } from './otlp-http.js';
export { ERASE_PATH, HUB_SERVICE_NAME, erasureAuditRecord, parseErasureRequest } from './erasure.js';
export type { ErasureOutcome, ErasureRequest } from './erasure.js';
export { bearerAllowed } from './receiver.js';
export { Overloaded, DECODED_BYTES_PER_BODY_BYTE, CHECKPOINT_EVERY_BYTES } from './ingest.js';
export { IMPORT_GROUP_SPANS } from './import.js';
export { MetricStore, METRIC_STORE_DEFAULTS } from './metric-store.js';
export { decodeMetrics, metricsFromRequest, prometheusName } from './otlp/metrics.js';
export { decodeLogs, logsFromRequest } from './otlp/logs.js';
export type { MetricPoint, DecodedMetrics, MetricKind } from './otlp/metrics.js';
export type { Hub, HubOptions } from './hub.js';
export type { UiConfig, Upstreams } from './upstreams.js';
export { SpanStore, STORE_FILE } from './store.js';
export type {
  TraceQuery,
  LogQuery,
  SpanReader,
  SpanWriter,
  LogReader,
  LogWriter,
  StoreReaders,
  StoreWriters,
  ErasureSubject,
  ErasureCounts,
} from './store-api.js';
export { LogStore } from './log-store.js';
export { decodeTraceJson, decodeTraceProtobuf, spansFromRequest, toOtlpJson } from './otlp/spans.js';
export { PayloadError } from './otlp/request.js';
export type { SpanRecord, KeyValue, AnyValue, DecodedTraces } from './span-record.js';
export { QueryError, parseDuration, parseTime } from './query-params.js';
export { runHubCli, HUB_HELP, hubHelp } from './cli.js';
export type { HubCliOutput } from './cli.js';
export { TailSampler, maskSpan, maskKeyValues, MAX_PENDING_TRACES } from './pipeline.js';
export type { Decision } from './pipeline.js';
export { HubCounters, REFUSAL_REASONS } from './counters.js';
export { jaegerTrace, handleLegacyQuery } from './legacy-api.js';
