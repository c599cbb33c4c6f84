/**
 * The specification's ports, one place: the Compose render, local mode, the hub and the SDK's
 * default endpoints all read them here. Each is the port the role answers on for a user
 * (Grafana's is the host port; inside its container Grafana keeps its own 3000).
 */
export const SPEC_PORTS = {
  prometheus: 9090,
  grafana: 3001,
  alertmanager: 9093,
  /** OTLP/gRPC, the collector's receiver (the hub's in local mode). */
  otlpGrpc: 4317,
  /** OTLP/HTTP, likewise. */
  otlpHttp: 4318,
  /** Jaeger's UI and query API (the hub's in local mode). */
  jaeger: 16686,
  elasticsearch: 9200,
  /** Logstash's Beats input, where Filebeat ships. */
  logstash: 5044,
  kibana: 5601,
  nodeExporter: 9100,
  cadvisor: 8080,
  redisExporter: 9121,
  postgresExporter: 9187,
  /** The collector's Prometheus exporter: OTLP metrics for Prometheus to scrape (the hub's in local mode). */
  otlpMetricsExporter: 8889,
  /** The engines local mode runs for the exporters to watch (their own well-known ports). */
  redis: 6379,
  postgres: 5432,
} as const;

export type SpecPort = keyof typeof SPEC_PORTS;
