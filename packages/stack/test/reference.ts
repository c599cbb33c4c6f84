/** Reference data kept in `packages/stack/reference/` (sources and licences in its README). */
import { readFileSync } from 'node:fs';

export function readReference(name: string): string {
  return readFileSync(new URL(`../reference/${name}`, import.meta.url), 'utf8');
}

export interface CollectorComponents {
  readonly version: string;
  readonly components: Readonly<Record<string, readonly string[]>>;
}

export const COLLECTOR_COMPONENTS = JSON.parse(
  readReference('otelcol-contrib-0.159.0-components.json'),
) as CollectorComponents;

/** The module that provides each component type in collector-contrib 0.159.0. */
export const COLLECTOR_MODULES: Readonly<Record<string, string>> = {
  'receivers/otlp': 'go.opentelemetry.io/collector/receiver/otlpreceiver',
  'processors/memory_limiter': 'go.opentelemetry.io/collector/processor/memorylimiterprocessor',
  'processors/batch': 'go.opentelemetry.io/collector/processor/batchprocessor',
  'processors/resource':
    'github.com/open-telemetry/opentelemetry-collector-contrib/processor/resourceprocessor',
  'processors/redaction':
    'github.com/open-telemetry/opentelemetry-collector-contrib/processor/redactionprocessor',
  'processors/tail_sampling':
    'github.com/open-telemetry/opentelemetry-collector-contrib/processor/tailsamplingprocessor',
  'exporters/otlp_grpc': 'go.opentelemetry.io/collector/exporter/otlpexporter',
  'exporters/debug': 'go.opentelemetry.io/collector/exporter/debugexporter',
  'exporters/prometheus':
    'github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter',
  'processors/k8sattributes':
    'github.com/open-telemetry/opentelemetry-collector-contrib/processor/k8sattributesprocessor',
  'exporters/loadbalancing':
    'github.com/open-telemetry/opentelemetry-collector-contrib/exporter/loadbalancingexporter',
  'extensions/health_check':
    'github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension',
};
