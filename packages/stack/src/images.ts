/**
 * Pinned images, one place. Versions were looked up for this release (see
 * docs/research/stack-versions-and-syntax.md, section 6): Jaeger v2, one Elastic version for
 * Elasticsearch, Logstash, Filebeat and Kibana, and the collector-contrib version whose
 * manifest the collector config is checked against. Bumping one is a change here and a
 * re-render of deploy/.
 */
import type { ComponentName } from './components.js';
import { COLLECTOR_VERSION } from './render/collector.js';

/** Elasticsearch, Logstash, Filebeat and Kibana move together. */
export const ELASTIC_VERSION = '9.5.3';
/** 2.20.0 is the newest release whose source was read for the configuration keys used here. */
export const JAEGER_VERSION = '2.20.0';

export const IMAGES: Readonly<Record<ComponentName, string>> = {
  prometheus: 'prom/prometheus:v3.14.0',
  alertmanager: 'prom/alertmanager:v0.34.0',
  grafana: 'grafana/grafana:13.2.1',
  'otel-collector': `otel/opentelemetry-collector-contrib:${COLLECTOR_VERSION}`,
  jaeger: `jaegertracing/jaeger:${JAEGER_VERSION}`,
  elasticsearch: `docker.elastic.co/elasticsearch/elasticsearch:${ELASTIC_VERSION}`,
  logstash: `docker.elastic.co/logstash/logstash:${ELASTIC_VERSION}`,
  kibana: `docker.elastic.co/kibana/kibana:${ELASTIC_VERSION}`,
  filebeat: `docker.elastic.co/beats/filebeat:${ELASTIC_VERSION}`,
  'node-exporter': 'prom/node-exporter:v1.12.1',
  cadvisor: 'ghcr.io/google/cadvisor:0.60.5',
  // The -alpine variant: the default one is FROM scratch and cannot run a health check.
  'redis-exporter': 'oliver006/redis_exporter:v1.88.0-alpine',
  'postgres-exporter': 'prometheuscommunity/postgres-exporter:v0.20.1',
};

/**
 * The user each image runs as: the owner of the secret and TLS files mounted into it. Compose
 * runs Prometheus and Filebeat as root instead (the Docker socket, other containers' logs).
 */
export const IMAGE_USERS: Readonly<Record<ComponentName, number>> = {
  prometheus: 65534,
  alertmanager: 65534,
  grafana: 472,
  'otel-collector': 10001,
  jaeger: 10001,
  elasticsearch: 1000,
  logstash: 1000,
  kibana: 1000,
  filebeat: 1000,
  'node-exporter': 65534,
  cadvisor: 0,
  'redis-exporter': 59000,
  'postgres-exporter': 65534,
};
