/**
 * The contract's metrics on prom-client, served in Prometheus text format.
 *
 * prom-client rather than the OpenTelemetry Prometheus exporter: `bench/metrics-backend.mjs`
 * measures both recording the same histogram and rendering `/metrics`, side by side (numbers
 * in the README). Every catalog metric is registered up front, so `/metrics` always shows the
 * whole contract, and the identity labels are default labels on every series.
 */
import type { MetricDefinition, MetricId, MetricLabels } from '@pyairtable/conventions';
import { IDENTITY_LABELS, METRICS } from '@pyairtable/conventions';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ServiceIdentity } from './identity.js';
import { warnOnce } from './warnings.js';
import { errorMessage } from './errors.js';

type Definition<Id extends MetricId> = (typeof METRICS)[Id];
type IdsOfType<T extends MetricDefinition['type']> = {
  [Id in MetricId]: Definition<Id>['type'] extends T ? Id : never;
}[MetricId];

export type CounterId = IdsOfType<'counter'>;
export type GaugeId = IdsOfType<'gauge'>;
export type HistogramId = IdsOfType<'histogram'>;
/** The label set of a catalog metric; bounded labels accept only their listed values. */
export type LabelsOf<Id extends MetricId> = Partial<MetricLabels<Definition<Id>>>;

/** The part of the process's identity every series carries as labels (`service`, `tier`, `version`). */
export type MetricsIdentity = Pick<ServiceIdentity, 'name' | 'tier' | 'version'>;

/** Distinct values kept per open label of a metric (route templates, models, hosts). */
export const MAX_LABEL_VALUES = 500;

/** Records the contract's metrics. Never throws: a bad call is reported once and ignored. */
export class ContractMetrics {
  readonly registry = new Registry();
  private readonly counters = new Map<string, Counter>();
  private readonly gauges = new Map<string, Gauge>();
  private readonly histograms = new Map<string, Histogram>();
  /** Values seen per open (unbounded) label, per metric: the label set cannot grow without limit. */
  private readonly openLabels = new Map<string, { readonly name: string; readonly seen: Set<string> }[]>();

  constructor(identity: MetricsIdentity, options: { runtimeMetrics?: boolean } = {}) {
    this.registry.setDefaultLabels({
      [IDENTITY_LABELS.service]: identity.name,
      [IDENTITY_LABELS.tier]: identity.tier,
      [IDENTITY_LABELS.version]: identity.version,
    });
    for (const [id, definition] of Object.entries(METRICS) as [MetricId, MetricDefinition][]) {
      const common = {
        name: definition.name,
        help: definition.help,
        labelNames: definition.labels.map((label) => label.name),
        registers: [this.registry],
      };
      this.openLabels.set(
        id,
        definition.labels
          .filter((label) => label.values === undefined && label.pattern === undefined)
          .map((label) => ({ name: label.name, seen: new Set<string>() })),
      );
      if (definition.type === 'counter') this.counters.set(id, new Counter(common));
      else if (definition.type === 'gauge') this.gauges.set(id, new Gauge(common));
      else this.histograms.set(id, new Histogram({ ...common, buckets: [...(definition.buckets ?? [])] }));
    }
    if (options.runtimeMetrics ?? true) {
      const contract = new Set(this.registry.getMetricsAsArray().map((metric) => metric.name));
      collectDefaultMetrics({ register: this.registry });
      // prom-client's nodejs_active_{handles,requests,resources}_total are gauges named like
      // counters, which Prometheus' linter (`promtool check metrics`) rejects. They are left out:
      // summing the by-type sibling gives the same count (`sum(nodejs_active_handles)`).
      for (const metric of this.registry.getMetricsAsArray())
        if (!contract.has(metric.name) && metric instanceof Gauge && metric.name.endsWith('_total'))
          this.registry.removeSingleMetric(metric.name);
    }
  }

  inc<Id extends CounterId>(id: Id, labels: LabelsOf<Id>, value = 1): void {
    this.guarded(id, () => this.counters.get(id)?.inc(this.bounded(id, labels), value));
  }

  observe<Id extends HistogramId>(id: Id, labels: LabelsOf<Id>, value: number): void {
    this.guarded(id, () => this.histograms.get(id)?.observe(this.bounded(id, labels), value));
  }

  add<Id extends GaugeId>(id: Id, labels: LabelsOf<Id>, delta: number): void {
    this.guarded(id, () => this.gauges.get(id)?.inc(this.bounded(id, labels), delta));
  }

  set<Id extends GaugeId>(id: Id, labels: LabelsOf<Id>, value: number): void {
    this.guarded(id, () => this.gauges.get(id)?.set(this.bounded(id, labels), value));
  }

  /** Labels with every open label's value kept to the first MAX_LABEL_VALUES seen, then `_OTHER`. */
  private bounded(id: MetricId, labels: object): Record<string, string> {
    const result = labels as Record<string, string>;
    const open = this.openLabels.get(id);
    if (open === undefined || open.length === 0) return result;
    let copy: Record<string, string> | undefined;
    for (const { name, seen } of open) {
      const value = result[name];
      if (value === undefined || seen.has(value)) continue;
      if (seen.size < MAX_LABEL_VALUES) {
        seen.add(value);
        continue;
      }
      warnOnce(
        `label-overflow:${id}`,
        `${METRICS[id].name}: more than ${String(MAX_LABEL_VALUES)} values of ${name}; further ones are recorded as _OTHER.`,
      );
      (copy ??= { ...result })[name] = '_OTHER';
    }
    return copy ?? result;
  }

  /** prom-client throws on unknown labels or bad values; the host must never see that. */
  private guarded(id: MetricId, record: () => void): void {
    try {
      record();
    } catch (error) {
      warnOnce(`metric:${id}`, `metric ${METRICS[id].name} not recorded: ${errorMessage(error)}`);
    }
  }

  /** The exposition and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** A `(req, res)` handler serving the exposition; mount it on the service's own router. */
  readonly handler = (_request: IncomingMessage, response: ServerResponse): void => {
    this.render().then(
      ({ contentType, body }) => {
        response.writeHead(200, { 'content-type': contentType });
        response.end(body);
      },
      (error: unknown) => {
        warnOnce('metrics-render', `rendering /metrics failed: ${errorMessage(error)}`);
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end('metrics unavailable\n');
      },
    );
  };
}

export interface MetricsServerOptions {
  /** Port to listen on (0 picks a free one). */
  readonly port: number;
  /** Interface to bind; loopback unless a scraper elsewhere needs it. */
  readonly host?: string;
  readonly path?: string;
}

/** A standalone listener serving only the metrics path, for services without a router of their own. */
export async function startMetricsServer(
  metrics: ContractMetrics,
  options: MetricsServerOptions,
): Promise<Server> {
  const path = options.path ?? '/metrics';
  const server = createServer((request, response) => {
    if (
      (request.url ?? '').split('?')[0] === path &&
      (request.method === 'GET' || request.method === 'HEAD')
    ) {
      metrics.handler(request, response);
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end(`not found; metrics are at ${path}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
