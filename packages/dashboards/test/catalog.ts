/**
 * The whole catalog the dashboards are linted against: the contract, the recorded exporter
 * catalogs, and the two whose names live in code here: prom-client's Node runtime metrics (as the
 * SDK serves them) and the hub's own counters.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';
import { HubCounters } from '@pyairtable/hub';
import type { Exporter, MetricCatalog, MetricFacts, MetricType } from '@pyairtable/dashboards';
import {
  EXPORTER_CATALOG_FILES,
  contractCatalog,
  mergeCatalogs,
  readExporterCatalog,
} from '@pyairtable/dashboards';

function registryCatalog(registry: Registry, source: Exporter): Map<string, MetricFacts> {
  return new Map(
    registry
      .getMetricsAsArray()
      .map((metric) => [metric.name, { type: String(metric.type) as MetricType, source }]),
  );
}

export function fullCatalog(): MetricCatalog {
  const runtime = new Registry();
  collectDefaultMetrics({ register: runtime });
  return mergeCatalogs(
    contractCatalog(),
    // Before the exporters: Go exporters publish process_* too, and the services' own come first.
    registryCatalog(runtime, 'runtime'),
    registryCatalog(new HubCounters().registry, 'hub'),
    ...(Object.keys(EXPORTER_CATALOG_FILES) as Exporter[]).map(readExporterCatalog),
  );
}
