/**
 * The stack's components: what each one is, the port it serves on inside the observability
 * network (the spec's ports), and where Prometheus scrapes its own metrics. Renderers for
 * Compose, Kubernetes and local mode read addresses from here, never spell them.
 */
import { SPEC_PORTS } from '@pyairtable/conventions';

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
    port: SPEC_PORTS.prometheus,
    metrics: { port: SPEC_PORTS.prometheus, path: '/metrics' },
  },
  alertmanager: {
    name: 'alertmanager',
    purpose: 'Alert management and routing',
    port: SPEC_PORTS.alertmanager,
    metrics: { port: SPEC_PORTS.alertmanager, path: '/metrics' },
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
    port: SPEC_PORTS.otlpHttp,
    // 8888: the collector's own telemetry. Its Prometheus exporter (8889) is a separate job.
    metrics: { port: 8888, path: '/metrics' },
  },
  jaeger: {
    name: 'jaeger',
    purpose: 'Distributed tracing analysis',
    port: SPEC_PORTS.jaeger,
    metrics: { port: 8888, path: '/metrics' },
  },
  elasticsearch: { name: 'elasticsearch', purpose: 'Log storage and search', port: SPEC_PORTS.elasticsearch },
  logstash: { name: 'logstash', purpose: 'Log parsing, masking and routing', port: SPEC_PORTS.logstash },
  kibana: { name: 'kibana', purpose: 'Log analysis and visualization', port: SPEC_PORTS.kibana },
  filebeat: { name: 'filebeat', purpose: 'Container log collection', port: 5066 },
  'node-exporter': {
    name: 'node-exporter',
    purpose: 'Host metrics',
    port: SPEC_PORTS.nodeExporter,
    metrics: { port: SPEC_PORTS.nodeExporter, path: '/metrics' },
  },
  cadvisor: {
    name: 'cadvisor',
    purpose: 'Container metrics',
    port: SPEC_PORTS.cadvisor,
    metrics: { port: SPEC_PORTS.cadvisor, path: '/metrics' },
  },
  'redis-exporter': {
    name: 'redis-exporter',
    purpose: 'Redis metrics',
    port: SPEC_PORTS.redisExporter,
    metrics: { port: SPEC_PORTS.redisExporter, path: '/metrics' },
  },
  'postgres-exporter': {
    name: 'postgres-exporter',
    purpose: 'PostgreSQL metrics',
    port: SPEC_PORTS.postgresExporter,
    metrics: { port: SPEC_PORTS.postgresExporter, path: '/metrics' },
  },
};

/** The collector's Prometheus exporter: OTLP metrics that services push, for Prometheus to scrape. */
export const COLLECTOR_PROMETHEUS_EXPORTER_PORT = SPEC_PORTS.otlpMetricsExporter;

/** The OTLP ports, the collector's and Jaeger's alike. */
const OTLP_PORTS = [SPEC_PORTS.otlpGrpc, SPEC_PORTS.otlpHttp] as const;
/** Jaeger's query API over gRPC, beside its UI and HTTP API on its main port. */
export const JAEGER_QUERY_GRPC_PORT = 16685;
/** Elasticsearch's transport port, between nodes. */
export const ELASTICSEARCH_TRANSPORT_PORT = 9300;

/**
 * The ports that speak TLS in a TLS render (`obs certs`). What is not here has no TLS in its
 * engine and stays on the internal network: cAdvisor's server, the collector's and Jaeger's own
 * telemetry (a pull reader without TLS settings, port 8888), the health endpoints Docker probes
 * from inside each container, Logstash's monitoring API and Filebeat's stats.
 */
export const TLS_PORTS: Readonly<Partial<Record<ComponentName, readonly number[]>>> = {
  prometheus: [COMPONENTS.prometheus.port],
  alertmanager: [COMPONENTS.alertmanager.port],
  grafana: [COMPONENTS.grafana.port],
  'otel-collector': [...OTLP_PORTS, COLLECTOR_PROMETHEUS_EXPORTER_PORT],
  jaeger: [COMPONENTS.jaeger.port, JAEGER_QUERY_GRPC_PORT, ...OTLP_PORTS],
  elasticsearch: [COMPONENTS.elasticsearch.port, ELASTICSEARCH_TRANSPORT_PORT],
  logstash: [COMPONENTS.logstash.port],
  kibana: [COMPONENTS.kibana.port],
  'node-exporter': [COMPONENTS['node-exporter'].port],
  'redis-exporter': [COMPONENTS['redis-exporter'].port],
  'postgres-exporter': [COMPONENTS['postgres-exporter'].port],
};

/** Components with at least one TLS listener in a TLS render. */
export const TLS_LISTENERS: readonly ComponentName[] = COMPONENT_NAMES.filter(
  (component) => TLS_PORTS[component] !== undefined,
);

/** Whether a component's port (its main one when not named) speaks TLS in a TLS render. */
export const speaksTls = (component: ComponentName, port = COMPONENTS[component].port): boolean =>
  TLS_PORTS[component]?.includes(port) ?? false;

/**
 * What Kubernetes runs on our certificates in a TLS render (the node exporter behind the
 * chart's kube-rbac-proxy). Elastic's operator serves Elasticsearch and Kibana on its own;
 * Grafana's listener stays plain behind the ingress that terminates TLS for people (its sidecars
 * and probes call it over loopback).
 */
export const KUBERNETES_TLS_COMPONENTS: readonly ComponentName[] = [
  'prometheus',
  'alertmanager',
  'node-exporter',
  'otel-collector',
  'jaeger',
  'logstash',
  'filebeat',
  'redis-exporter',
  'postgres-exporter',
];
