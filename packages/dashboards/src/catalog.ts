/**
 * The metric catalog the linter checks names and types against: the contract's metrics, and
 * every metric each deployed exporter publishes, as recorded in `reference/exporter-metrics/`
 * (one file an exporter, with its version and source).
 */
import { readFileSync } from 'node:fs';
import { METRICS } from '@pyairtable/conventions';
import type { Exporter } from './exporters.js';
import type { MetricCatalog, MetricFacts, MetricType } from './lint.js';

/** The recorded catalogs, by exporter; the Node runtime's and the hub's come from their code. */
export const EXPORTER_CATALOG_FILES: Readonly<Partial<Record<Exporter, string>>> = {
  prometheus: 'prometheus.json',
  alertmanager: 'alertmanager.json',
  node: 'node_exporter.json',
  postgres: 'postgres_exporter.json',
  redis: 'redis_exporter.json',
  cadvisor: 'cadvisor.json',
  otelcol: 'otelcol.json',
};

/**
 * Series Prometheus writes itself for every target and alerting rule (its "Jobs and instances"
 * and "Alerting rules" documentation), not found on any `/metrics` page.
 */
const PROMETHEUS_SYNTHETIC: Readonly<Record<string, MetricType>> = {
  up: 'gauge',
  scrape_duration_seconds: 'gauge',
  scrape_samples_scraped: 'gauge',
  scrape_series_added: 'gauge',
  ALERTS: 'gauge',
  ALERTS_FOR_STATE: 'gauge',
};

interface CatalogFile {
  readonly metrics: readonly { readonly name: string; readonly type: string }[];
}

const TYPES = new Set<string>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function readExporterCatalog(exporter: Exporter): Map<string, MetricFacts> {
  const file = EXPORTER_CATALOG_FILES[exporter];
  const catalog = new Map<string, MetricFacts>();
  if (file === undefined) return catalog;
  const url = new URL(`../reference/exporter-metrics/${file}`, import.meta.url);
  const parsed = JSON.parse(readFileSync(url, 'utf8')) as CatalogFile;
  for (const metric of parsed.metrics)
    catalog.set(metric.name, {
      type: TYPES.has(metric.type) ? (metric.type as MetricType) : 'untyped',
      source: exporter,
    });
  if (exporter === 'prometheus')
    for (const [name, type] of Object.entries(PROMETHEUS_SYNTHETIC))
      catalog.set(name, { type, source: exporter });
  return catalog;
}

export function contractCatalog(): Map<string, MetricFacts> {
  return new Map(
    Object.values(METRICS).map((metric) => [metric.name, { type: metric.type, source: 'contract' }]),
  );
}

/** Catalogs merged; the first to name a metric keeps it. */
export function mergeCatalogs(...catalogs: readonly MetricCatalog[]): MetricCatalog {
  const merged = new Map<string, MetricFacts>();
  for (const catalog of catalogs)
    for (const [name, facts] of catalog) if (!merged.has(name)) merged.set(name, facts);
  return merged;
}
