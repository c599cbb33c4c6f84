/**
 * The stack's components: what each one is, the port it serves on inside the observability
 * network (the spec's ports), and where Prometheus scrapes its own metrics. Renderers for
 * Compose, Kubernetes and local mode read addresses from here, never spell them.
 */

export const COMPONENT_NAMES = [
  'prometheus',
  'alertmanager',
  'grafana',
  'otel-collector',
  'jaeger',
  'elasticsearch',
  'logstash',
  'kibana',
  'filebeat',
  'node-exporter',
  'cadvisor',
  'redis-exporter',
  'postgres-exporter',
] as const;
export type ComponentName = (typeof COMPONENT_NAMES)[number];

export interface Component {
  readonly name: ComponentName;
  readonly purpose: string;
  /** Main port inside the network (the spec's port for the role). */
  readonly port: number;
  /** Where its own metrics are scraped, when it exposes Prometheus metrics. */
  readonly metrics?: { readonly port: number; readonly path: string };
}

export const COMPONENTS: Readonly<Record<ComponentName, Component>> = {
  prometheus: {
    name: 'prometheus',
    purpose: 'Metrics collection and querying',
    port: 9090,
    metrics: { port: 9090, path: '/metrics' },
  },
  alertmanager: {
    name: 'alertmanager',
    purpose: 'Alert management and routing',
    port: 9093,
    metrics: { port: 9093, path: '/metrics' },
  },
  grafana: {
    name: 'grafana',
    purpose: 'Metrics visualization and dashboards',
    port: 3000,
    metrics: { port: 3000, path: '/metrics' },
  },
  'otel-collector': {
    name: 'otel-collector',
    purpose: 'OTLP receiver, tail sampling, redaction, export',
    port: 4318,
    // 8888: the collector's own telemetry. Its Prometheus exporter (8889) is a separate job.
    metrics: { port: 8888, path: '/metrics' },
  },
  jaeger: {
    name: 'jaeger',
    purpose: 'Distributed tracing analysis',
    port: 16686,
    metrics: { port: 8888, path: '/metrics' },
  },
  elasticsearch: { name: 'elasticsearch', purpose: 'Log storage and search', port: 9200 },
  logstash: { name: 'logstash', purpose: 'Log parsing, masking and routing', port: 5044 },
  kibana: { name: 'kibana', purpose: 'Log analysis and visualization', port: 5601 },
  filebeat: { name: 'filebeat', purpose: 'Container log collection', port: 5066 },
  'node-exporter': {
    name: 'node-exporter',
    purpose: 'Host metrics',
    port: 9100,
    metrics: { port: 9100, path: '/metrics' },
  },
  cadvisor: {
    name: 'cadvisor',
    purpose: 'Container metrics',
    port: 8080,
    metrics: { port: 8080, path: '/metrics' },
  },
  'redis-exporter': {
    name: 'redis-exporter',
    purpose: 'Redis metrics',
    port: 9121,
    metrics: { port: 9121, path: '/metrics' },
  },
  'postgres-exporter': {
    name: 'postgres-exporter',
    purpose: 'PostgreSQL metrics',
    port: 9187,
    metrics: { port: 9187, path: '/metrics' },
  },
};

/** The collector's Prometheus exporter: OTLP metrics that services push, for Prometheus to scrape. */
export const COLLECTOR_PROMETHEUS_EXPORTER_PORT = 8889;
