/**
 * Metrics of the engines the stack deploys, by exporter, that the alert rules and dashboards
 * read. They are the exporters' names, not the contract's: each exporter documents its own, and
 * `reference/exporter-metrics/` holds every name each one publishes (with version and source),
 * against which the dashboard linter checks every query.
 */

export const EXPORTER_METRICS = {
  /** Prometheus itself, and the series it writes for every scrape and alert. */
  prometheus: {
    /** 1 when the target answered the last scrape. */
    up: 'up',
    scrapeDuration: 'scrape_duration_seconds',
    /** One series per pending or firing alert, `alertstate` saying which. */
    alerts: 'ALERTS',
    headSeries: 'prometheus_tsdb_head_series',
    samplesAppended: 'prometheus_tsdb_head_samples_appended_total',
    ruleEvaluationFailures: 'prometheus_rule_evaluation_failures_total',
    notificationsDropped: 'prometheus_notifications_dropped_total',
    storageBytes: 'prometheus_tsdb_storage_blocks_bytes',
    /** Histograms of the chunks compaction wrote: their `_sum`s give bytes per sample on disk. */
    chunkBytes: 'prometheus_tsdb_compaction_chunk_size_bytes',
    chunkSamples: 'prometheus_tsdb_compaction_chunk_samples',
    /** The oldest sample the TSDB still holds (retention by age or size cut the rest). */
    lowestTimestamp: 'prometheus_tsdb_lowest_timestamp_seconds',
  },
  alertmanager: {
    alerts: 'alertmanager_alerts',
    notifications: 'alertmanager_notifications_total',
    notificationsFailed: 'alertmanager_notifications_failed_total',
  },
  node: {
    cpuSeconds: 'node_cpu_seconds_total',
    memoryTotal: 'node_memory_MemTotal_bytes',
    memoryAvailable: 'node_memory_MemAvailable_bytes',
    load1: 'node_load1',
    load5: 'node_load5',
    load15: 'node_load15',
    filesystemSize: 'node_filesystem_size_bytes',
    filesystemAvailable: 'node_filesystem_avail_bytes',
    networkReceived: 'node_network_receive_bytes_total',
    networkTransmitted: 'node_network_transmit_bytes_total',
    diskRead: 'node_disk_read_bytes_total',
    diskWritten: 'node_disk_written_bytes_total',
  },
  cadvisor: {
    /** Cumulative CPU time of a container, seconds. */
    cpuSeconds: 'container_cpu_usage_seconds_total',
    /** CPU quota and period of the container's limit (quota / period = cores). */
    cpuQuota: 'container_spec_cpu_quota',
    cpuPeriod: 'container_spec_cpu_period',
    /** Memory the kernel will not reclaim, bytes; what the OOM killer compares with the limit. */
    memoryWorkingSet: 'container_memory_working_set_bytes',
    /** The container's memory limit, bytes (0 when unlimited). */
    memoryLimit: 'container_spec_memory_limit_bytes',
    networkReceived: 'container_network_receive_bytes_total',
    networkTransmitted: 'container_network_transmit_bytes_total',
  },
  postgres: {
    /** 1 when the last scrape reached PostgreSQL. */
    up: 'pg_up',
    backends: 'pg_stat_database_numbackends',
    maxConnections: 'pg_settings_max_connections',
    commits: 'pg_stat_database_xact_commit',
    rollbacks: 'pg_stat_database_xact_rollback',
    blocksHit: 'pg_stat_database_blks_hit',
    blocksRead: 'pg_stat_database_blks_read',
    deadlocks: 'pg_stat_database_deadlocks',
  },
  redis: {
    /** 1 when the last scrape reached Redis. */
    up: 'redis_up',
    commands: 'redis_commands_processed_total',
    keyspaceHits: 'redis_keyspace_hits_total',
    keyspaceMisses: 'redis_keyspace_misses_total',
    memoryUsed: 'redis_memory_used_bytes',
    memoryMax: 'redis_memory_max_bytes',
    evictedKeys: 'redis_evicted_keys_total',
    clients: 'redis_connected_clients',
  },
  /**
   * The OpenTelemetry Collector's own telemetry (Compose and Kubernetes). Since 0.159.0 its
   * Prometheus reader keeps instrument names as they are: counters carry no `_total`.
   */
  otelcol: {
    acceptedSpans: 'otelcol_receiver_accepted_spans',
    refusedSpans: 'otelcol_receiver_refused_spans',
    sentSpans: 'otelcol_exporter_sent_spans',
    failedSpans: 'otelcol_exporter_send_failed_spans',
    queueSize: 'otelcol_exporter_queue_size',
    queueCapacity: 'otelcol_exporter_queue_capacity',
  },
  /** prom-client's Node runtime metrics, which the SDK serves beside the contract's. */
  runtime: {
    eventLoopLagP99: 'nodejs_eventloop_lag_p99_seconds',
    heapUsed: 'nodejs_heap_size_used_bytes',
    heapTotal: 'nodejs_heap_size_total_bytes',
    gcDuration: 'nodejs_gc_duration_seconds',
    cpuSeconds: 'process_cpu_seconds_total',
    residentMemory: 'process_resident_memory_bytes',
  },
  /** The hub's own counters (local mode: it plays the collector's and Jaeger's roles). */
  hub: {
    spansReceived: 'pyairtable_hub_spans_received_total',
    spansStored: 'pyairtable_hub_spans_stored_total',
    spansSampledOut: 'pyairtable_hub_spans_sampled_out_total',
    spansEvicted: 'pyairtable_hub_spans_evicted_total',
    requestsRefused: 'pyairtable_hub_requests_refused_total',
    logRecordsStored: 'pyairtable_hub_log_records_stored_total',
    logBytesStored: 'pyairtable_hub_log_bytes_stored_total',
    spanBytesStored: 'pyairtable_hub_span_bytes_stored_total',
    memoryHeld: 'pyairtable_hub_memory_held_bytes',
    memoryBudget: 'pyairtable_hub_memory_budget_bytes',
  },
} as const;

export type Exporter = keyof typeof EXPORTER_METRICS;

/** The exporters that run on a machine without Docker (local mode), so their panels are proven live. */
export const LOCAL_EXPORTERS: readonly Exporter[] = [
  'prometheus',
  'alertmanager',
  'node',
  'postgres',
  'redis',
  'runtime',
  'hub',
];

/** cAdvisor turns the Docker label `service` into this metric label (allow-listed in the Compose file). */
export const CADVISOR_SERVICE_LABEL = 'container_label_service';
