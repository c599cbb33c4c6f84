/**
 * Metrics of the exporters the stack deploys that the alert rules read. They are the
 * exporters' names, not the contract's: each is documented by its exporter.
 */
export const EXPORTER_METRICS = {
  /** postgres_exporter: 1 when the last scrape reached PostgreSQL. */
  postgresUp: 'pg_up',
  /** redis_exporter: 1 when the last scrape reached Redis. */
  redisUp: 'redis_up',
  /** cAdvisor: cumulative CPU time of a container, seconds. */
  containerCpuSeconds: 'container_cpu_usage_seconds_total',
  /** cAdvisor: CPU quota and period of the container's limit (quota / period = cores). */
  containerCpuQuota: 'container_spec_cpu_quota',
  containerCpuPeriod: 'container_spec_cpu_period',
  /** cAdvisor: memory the kernel will not reclaim, bytes; what the OOM killer compares with the limit. */
  containerMemoryWorkingSet: 'container_memory_working_set_bytes',
  /** cAdvisor: the container's memory limit, bytes (0 when unlimited). */
  containerMemoryLimit: 'container_spec_memory_limit_bytes',
  /** Prometheus itself: 1 when the target answered the last scrape. */
  up: 'up',
} as const;

/** cAdvisor turns the Docker label `service` into this metric label (allow-listed in the Compose file). */
export const CADVISOR_SERVICE_LABEL = 'container_label_service';
