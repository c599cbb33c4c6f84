/**
 * The deployment model: everything the renderers need, decided once from the profile, the
 * target and the environment. Renderers are pure functions of this model, so the same model
 * gives byte-identical files.
 */
import type { Environment } from '@pyairtable/conventions';
import { ENVIRONMENTS, IDENTITY_LABELS, METRICS_RETENTION, SPEC_PORTS } from '@pyairtable/conventions';
import type { AlertThresholds } from '@pyairtable/conventions';
import type { ComponentName } from './components.js';
import { COMPONENTS, KUBERNETES_TLS_COMPONENTS, speaksTls } from './components.js';

export const TARGETS = ['compose', 'kubernetes', 'local'] as const;
export type Target = (typeof TARGETS)[number];

/**
 * The Service each component answers at in Kubernetes (its namespace's short name). Where a
 * chart or an operator creates the Service, this is the name it gives it for our release names
 * (`KUBERNETES_RELEASES` in render/kubernetes/names.ts).
 */
export const KUBERNETES_SERVICES: Readonly<Record<ComponentName, string>> = {
  prometheus: 'pyairtable-prometheus',
  alertmanager: 'pyairtable-alertmanager',
  grafana: 'pyairtable-grafana',
  'otel-collector': 'otel-gateway',
  jaeger: 'jaeger',
  elasticsearch: 'pyairtable-es-http',
  logstash: 'pyairtable-ls-beats',
  kibana: 'pyairtable-kb-http',
  filebeat: 'filebeat',
  'node-exporter': 'pyairtable-prometheus-node-exporter',
  cadvisor: 'pyairtable-kubelet',
  'redis-exporter': 'redis-exporter',
  'postgres-exporter': 'postgres-exporter',
};

/** Further Services in front of a component in Kubernetes: the collector's node-local agent. */
export const KUBERNETES_EXTRA_SERVICES: Readonly<Partial<Record<ComponentName, readonly string[]>>> = {
  'otel-collector': ['otel-agent'],
};

/** Elastic's operator serves Elasticsearch and Kibana over TLS with its own CA by default. */
const KUBERNETES_TLS: ReadonlySet<ComponentName> = new Set(['elasticsearch', 'kibana']);

export interface ProfileSettings {
  readonly scrapeIntervalSeconds: number;
  readonly evaluationIntervalSeconds: number;
  /** Prometheus's size cap next to the 15-day age limit: whichever is hit first evicts. */
  readonly metricsRetentionSize: string;
  /** Staging and production refuse to render without their secrets. */
  readonly requireSecrets: boolean;
  /** The alert thresholds the spec leaves open (each justified in its runbook). */
  readonly alerts: AlertThresholds;
}

const BASE_ALERTS: AlertThresholds = {
  dbErrorRatio: 0.5,
  authFailuresPerMinute: 30,
  aiDailyBudgetUsd: 500,
  inefficientCpuRatio: 0.5,
  inefficientMaxRequestsPerSecond: 1,
  minSessionsPerHour: undefined,
  workflowMinExecutions: 5,
};

export const PROFILES: Readonly<Record<Environment, ProfileSettings>> = {
  development: {
    scrapeIntervalSeconds: 15,
    evaluationIntervalSeconds: 15,
    metricsRetentionSize: '2GB',
    requireSecrets: false,
    // Developers' own traffic: spend and failed logins are small, sessions meaningless.
    alerts: { ...BASE_ALERTS, aiDailyBudgetUsd: 20, authFailuresPerMinute: 60 },
  },
  staging: {
    scrapeIntervalSeconds: 15,
    evaluationIntervalSeconds: 15,
    metricsRetentionSize: '10GB',
    requireSecrets: true,
    alerts: { ...BASE_ALERTS, aiDailyBudgetUsd: 50 },
  },
  production: {
    scrapeIntervalSeconds: 15,
    evaluationIntervalSeconds: 15,
    metricsRetentionSize: '40GB',
    requireSecrets: true,
    alerts: { ...BASE_ALERTS, minSessionsPerHour: 10 },
  },
};

/** Docker labels a PyAirtable service sets to be scraped (the spec's troubleshooting section). */
export const SCRAPE_LABELS = {
  scrape: 'prometheus.scrape',
  port: 'prometheus.port',
  path: 'prometheus.path',
  service: IDENTITY_LABELS.service,
  tier: IDENTITY_LABELS.tier,
  version: IDENTITY_LABELS.version,
} as const;

/** A PyAirtable service scraped at a fixed address (local mode, where there is no Docker). */
export interface StaticService {
  readonly service: string;
  readonly tier: string;
  readonly version: string;
  readonly address: string;
  readonly path: string;
}

export interface StackModel {
  readonly profile: Environment;
  readonly target: Target;
  readonly settings: ProfileSettings;
  readonly metricsRetentionDays: number;
  /** `host:port` of a component as seen from inside the stack. */
  address(component: ComponentName, port?: number): string;
  /** `scheme://host:port`: https where the deployment serves the component over TLS. */
  url(component: ComponentName, port?: number): string;
  /** Components running in this deployment (local mode runs only what is installed). */
  readonly components: readonly ComponentName[];
  /** compose: Docker service discovery; local: these fixed services. */
  readonly services: readonly StaticService[];
  /** Directory Prometheus reads rule files from. */
  readonly ruleFilesGlob: string;
  /** Overrides for tests: fast intervals. */
  readonly intervalsOverride?: { readonly scrapeSeconds: number; readonly evaluationSeconds: number };
  /** Where alert annotations link runbooks (`<base>/<AlertName>.md`). */
  readonly runbookBaseUrl: string;
  /** Grafana as people open it: alert annotations link the panel that shows the alert's signal. */
  readonly grafanaUrl: string;
  /**
   * Multiplies every rule window, `for` and Alertmanager wait: 1 in a deployment; tests use
   * 1/60 so the real rules and routes run with minutes turned into seconds.
   */
  readonly timeScale: number;
  /** Local mode: the hub, in the collector's and Jaeger's place (scraped instead of them). */
  readonly localHub?: LocalHub;
  /** Kubernetes: where Elasticsearch's clients find the CA of its TLS certificate (the operator's). */
  readonly elasticsearchCaFile?: string;
  /** Copies of each log and trace shard: 0 on one node, 1 where production runs three. */
  readonly elasticsearchReplicas: number;
  /** TLS between the stack's parts (`TLS_PORTS`), files from `obs certs`. */
  readonly tls: boolean;
}

/** Where Prometheus finds the hub in local mode (`host:port` each). */
export interface LocalHub {
  /** The hub's own counters (`/metrics` on its query listener). */
  readonly countersAddress: string;
  /** Metrics received over OTLP, as the collector's Prometheus exporter serves them. */
  readonly exporterAddress: string;
}

export interface ModelOptions {
  readonly profile: Environment;
  readonly target?: Target;
  readonly components?: readonly ComponentName[];
  readonly services?: readonly StaticService[];
  readonly ruleFilesGlob?: string;
  readonly intervalsOverride?: { readonly scrapeSeconds: number; readonly evaluationSeconds: number };
  readonly runbookBaseUrl?: string;
  readonly grafanaUrl?: string;
  readonly timeScale?: number;
  /** Ports in place of the components' own (local mode and tests run several stacks on one host). */
  readonly ports?: Partial<Record<ComponentName, number>>;
  /** Profile thresholds replaced (tests; a deployment with its own numbers). */
  readonly alertThresholds?: Partial<AlertThresholds>;
  readonly localHub?: LocalHub;
  readonly elasticsearchCaFile?: string;
  readonly elasticsearchReplicas?: number;
  readonly tls?: boolean;
}

/**
 * The runbooks' place in this repository. A deployment points alerts at where it publishes
 * them (`obs render --runbook-base-url https://...`), so a notification's link opens.
 */
export const DEFAULT_RUNBOOK_BASE_URL = 'docs/runbooks';

/** Grafana on the spec's port of the machine running the stack; a deployment names its own. */
export const DEFAULT_GRAFANA_URL = `http://localhost:${String(SPEC_PORTS.grafana)}`;

export class ModelError extends Error {
  override readonly name = 'ModelError';
}

export function buildModel(options: ModelOptions): StackModel {
  if (!(ENVIRONMENTS as readonly string[]).includes(options.profile))
    throw new ModelError(`unknown profile "${options.profile}"; use one of ${ENVIRONMENTS.join(', ')}`);
  if (options.timeScale !== undefined && !(options.timeScale > 0 && options.timeScale <= 1))
    throw new ModelError(
      `timeScale ${String(options.timeScale)} is outside (0, 1]; 1 is real time, 1/60 turns minutes into seconds`,
    );
  const target = options.target ?? 'compose';
  const components = options.components ?? (Object.keys(COMPONENTS) as ComponentName[]);
  const host = (component: ComponentName): string =>
    target === 'compose' ? component : target === 'kubernetes' ? KUBERNETES_SERVICES[component] : '127.0.0.1';
  const address = (component: ComponentName, port?: number): string =>
    `${host(component)}:${String(
      port === undefined || port === COMPONENTS[component].port
        ? (options.ports?.[component] ?? COMPONENTS[component].port)
        : port,
    )}`;
  const secure = (component: ComponentName, port?: number): boolean =>
    target === 'kubernetes'
      ? KUBERNETES_TLS.has(component) ||
        (options.tls === true && KUBERNETES_TLS_COMPONENTS.includes(component) && speaksTls(component, port))
      : options.tls === true && speaksTls(component, port);
  return {
    profile: options.profile,
    target,
    settings: {
      ...PROFILES[options.profile],
      alerts: { ...PROFILES[options.profile].alerts, ...options.alertThresholds },
    },
    metricsRetentionDays: METRICS_RETENTION.deleteAfterDays,
    // A port override moves the component's own port wherever it is asked for (its metrics are
    // often served there too); other ports (a second listener) stay as given.
    address,
    url: (component, port) => `${secure(component, port) ? 'https' : 'http'}://${address(component, port)}`,
    components,
    services: options.services ?? [],
    ruleFilesGlob:
      options.ruleFilesGlob ?? (target === 'local' ? 'rules/*.yml' : '/etc/prometheus/rules/*.yml'),
    ...(options.intervalsOverride === undefined ? {} : { intervalsOverride: options.intervalsOverride }),
    runbookBaseUrl: options.runbookBaseUrl ?? DEFAULT_RUNBOOK_BASE_URL,
    grafanaUrl:
      options.grafanaUrl ??
      // Compose serves Grafana over TLS itself; in Kubernetes the ingress in front of it does.
      (options.tls === true && target === 'compose'
        ? DEFAULT_GRAFANA_URL.replace(/^http:/, 'https:')
        : DEFAULT_GRAFANA_URL),
    timeScale: options.timeScale ?? 1,
    ...(options.localHub === undefined ? {} : { localHub: options.localHub }),
    ...(options.elasticsearchCaFile === undefined
      ? {}
      : { elasticsearchCaFile: options.elasticsearchCaFile }),
    elasticsearchReplicas: options.elasticsearchReplicas ?? 0,
    tls: options.tls ?? false,
  };
}
