/**
 * The OpenTelemetry Collector (contrib 0.159.0) configuration. Tail sampling and redaction are
 * rendered from the contract's sampling policy and PII rules, so the collector keeps and masks
 * exactly what the hub and the SDK do (the collector cannot run the Luhn check, so it masks
 * every card-shaped number: stricter, never looser). Component type names are those of 0.159:
 * the OTLP gRPC exporter is `otlp_grpc` since core 0.144 (`otlp` is a deprecated alias).
 */
import type { SamplingPolicy } from '@pyairtable/conventions';
import {
  PII_RULES,
  RESOURCE_ATTRIBUTES,
  SAMPLING_POLICIES,
  SERVICE_NAMESPACE,
  re2Pattern,
  SPEC_PORTS,
} from '@pyairtable/conventions';
import { COLLECTOR_PROMETHEUS_EXPORTER_PORT, COMPONENTS } from '../components.js';
import type { StackModel } from '../model.js';
import { otelServerTls } from '../tls/otel.js';
import { clientTls } from '../tls/web-config.js';
import { renderYaml } from './yaml.js';

/** The collector-contrib version whose component names and options this renderer uses. */
export const COLLECTOR_VERSION = '0.159.0';
export const COLLECTOR_HEALTH_PORT = 13133;
const OTLP_GRPC_PORT = SPEC_PORTS.otlpGrpc;
const OTLP_HTTP_PORT = SPEC_PORTS.otlpHttp;

/** The `tail_sampling` section implied by a sampling policy (policies are OR-ed by the collector). */
export function tailSamplingSection(policy: SamplingPolicy): Record<string, unknown> {
  const policies: Record<string, unknown>[] = [];
  if (policy.keepErrors)
    policies.push({ name: 'keep-errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } });
  if (policy.keepSlowerThanMs !== undefined)
    policies.push({ name: 'keep-slow', type: 'latency', latency: { threshold_ms: policy.keepSlowerThanMs } });
  if (policy.keepServices.length > 0)
    policies.push({
      name: 'keep-critical-services',
      type: 'string_attribute',
      string_attribute: { key: RESOURCE_ATTRIBUTES.serviceName, values: [...policy.keepServices] },
    });
  policies.push({
    name: 'probabilistic',
    type: 'probabilistic',
    probabilistic: { sampling_percentage: policy.probabilisticPercent },
  });
  return {
    decision_wait: `${String(policy.decisionWaitSeconds)}s`,
    num_traces: 50_000,
    expected_new_traces_per_sec: 1_000,
    policies,
  };
}

/** The `redaction` section implied by the contract's PII rules. */
export function redactionSection(): Record<string, unknown> {
  return {
    allow_all_keys: true,
    ignored_keys: [...PII_RULES.neverMaskedKeys],
    blocked_key_patterns: PII_RULES.keyRules.map(re2Pattern),
    blocked_values: PII_RULES.valueRules.map(re2Pattern),
    summary: 'silent',
  };
}

/** The OTLP receiver: under TLS, services reach it with our CA (`OTEL_EXPORTER_OTLP_CERTIFICATE`). */
export function otlpReceiver(model: StackModel, component: 'otel-collector' | 'jaeger'): object {
  const listen = (port: number): string => `0.0.0.0:${String(port)}`;
  // Only the collector sends to Jaeger: there a client certificate from our CA is required.
  const tls = model.tls
    ? { tls: otelServerTls(component, { requireClientCertificates: component === 'jaeger' }) }
    : {};
  return {
    protocols: {
      grpc: { endpoint: listen(OTLP_GRPC_PORT), ...tls },
      http: { endpoint: listen(OTLP_HTTP_PORT), ...tls },
    },
  };
}

/** The exporter that hands kept spans to Jaeger (its sent-spans counter is what the tail policy kept). */
export const JAEGER_TRACE_EXPORTER = 'otlp_grpc/jaeger';

export function collectorConfig(model: StackModel): object {
  const listen = (port: number): string => `0.0.0.0:${String(port)}`;
  const jaeger = model.components.includes('jaeger');
  const traceExporters = jaeger ? [JAEGER_TRACE_EXPORTER] : ['debug'];
  const collectorMetrics = COMPONENTS['otel-collector'].metrics;
  return {
    extensions: { health_check: { endpoint: listen(COLLECTOR_HEALTH_PORT) } },
    receivers: { otlp: otlpReceiver(model, 'otel-collector') },
    processors: {
      // First in every pipeline: refuse data before memory runs out, instead of crashing.
      memory_limiter: { check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 20 },
      resource: {
        attributes: [
          { key: RESOURCE_ATTRIBUTES.deploymentEnvironment, value: model.profile, action: 'insert' },
          { key: RESOURCE_ATTRIBUTES.serviceNamespace, value: SERVICE_NAMESPACE, action: 'insert' },
        ],
      },
      redaction: redactionSection(),
      tail_sampling: tailSamplingSection(SAMPLING_POLICIES[model.profile]),
      batch: { send_batch_size: 1024, timeout: '5s' },
    },
    exporters: {
      ...(jaeger
        ? {
            [JAEGER_TRACE_EXPORTER]: {
              endpoint: model.address('jaeger', OTLP_GRPC_PORT),
              tls: model.tls ? clientTls('otel-collector') : { insecure: true },
            },
          }
        : { debug: { verbosity: 'basic' } }),
      // Only Prometheus scrapes it: under TLS it shows its client certificate.
      prometheus: {
        endpoint: listen(COLLECTOR_PROMETHEUS_EXPORTER_PORT),
        ...(model.tls ? { tls: otelServerTls('otel-collector', { requireClientCertificates: true }) } : {}),
      },
    },
    service: {
      extensions: ['health_check'],
      telemetry: {
        metrics: {
          readers: [
            { pull: { exporter: { prometheus: { host: '0.0.0.0', port: collectorMetrics?.port ?? 8888 } } } },
          ],
        },
      },
      pipelines: {
        // Redaction before the sampling wait, so no unmasked attribute sits in its buffer.
        traces: {
          receivers: ['otlp'],
          processors: ['memory_limiter', 'resource', 'redaction', 'tail_sampling', 'batch'],
          exporters: traceExporters,
        },
        metrics: {
          receivers: ['otlp'],
          processors: ['memory_limiter', 'resource', 'redaction', 'batch'],
          exporters: ['prometheus'],
        },
      },
    },
  };
}

export function renderCollectorConfig(model: StackModel): string {
  return renderYaml(
    collectorConfig(model),
    `OpenTelemetry Collector Contrib ${COLLECTOR_VERSION} configuration, profile ${model.profile}`,
  );
}
