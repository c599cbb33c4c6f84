/**
 * Names the Kubernetes render shares between its manifests, the chart values and the install
 * steps: namespaces, Helm releases and charts (pinned), Secrets, mount paths and labels.
 */
import { IDENTITY_LABELS } from '@pyairtable/conventions';
import { ELASTIC_SERVICE_USERS } from '../elastic.js';
import { COMPONENTS } from '../../components.js';
import type { ComponentName } from '../../components.js';
import { DEFAULT_RESOURCES, RESOURCE_OVERRIDES } from '../compose.js';
import type { SetupJob } from '../compose.js';
import { jaegerUsesElasticsearch } from '../jaeger.js';
import type { StackModel } from '../../model.js';

export const DEFAULT_NAMESPACE = 'observability';
/** Where the PyAirtable services run: their pods are scraped and their containers' logs kept. */
export const DEFAULT_APPLICATION_NAMESPACE = 'pyairtable';
export const ECK_OPERATOR_NAMESPACE = 'elastic-system';

export interface HelmChart {
  readonly repositoryName: string;
  readonly repositoryUrl: string;
  readonly chart: string;
  readonly version: string;
  readonly release: string;
}

/** The charts the stack installs, pinned (see packages/stack/reference/README.md for the sources). */
export const HELM_CHARTS = {
  eckOperator: {
    repositoryName: 'elastic',
    repositoryUrl: 'https://helm.elastic.co',
    chart: 'eck-operator',
    version: '3.5.0',
    release: 'elastic-operator',
  },
  kubePrometheusStack: {
    repositoryName: 'prometheus-community',
    repositoryUrl: 'https://prometheus-community.github.io/helm-charts',
    chart: 'kube-prometheus-stack',
    version: '88.5.3',
    release: 'pyairtable',
  },
} as const satisfies Record<string, HelmChart>;

/** kube-prometheus-stack's `fullnameOverride`: its Services are `<this>-prometheus` and so on. */
export const STACK_FULLNAME = 'pyairtable';

/** Secrets the stack reads by name; their values come from the environment at install. */
export const KUBERNETES_SECRETS = {
  grafanaAdmin: 'pyairtable-grafana-admin',
  /** Grafana's single sign-on client secret (key `client-secret`). */
  grafanaSso: 'pyairtable-grafana-sso',
  alertmanagerChannels: 'pyairtable-alertmanager-channels',
  exporters: 'pyairtable-exporter-credentials',
  /** Each Elasticsearch client's own user (ECK's file realm), with only its role's rights. */
  logstashUser: 'pyairtable-logstash-user',
  jaegerUser: 'pyairtable-jaeger-user',
  grafanaUser: 'pyairtable-grafana-user',
  /** The roles ECK adds to Elasticsearch (`roles.yml`; no secret value, but ECK reads a Secret). */
  elasticsearchRoles: 'pyairtable-es-roles',
} as const;

/** The key of the single sign-on client secret in its Secret. */
export const SSO_CLIENT_SECRET_KEY = 'client-secret';

/** Logstash's user, its role, and the variable its password comes from. */
export const LOGSTASH_USER = {
  name: ELASTIC_SERVICE_USERS.logstash.username,
  role: ELASTIC_SERVICE_USERS.logstash.role,
  secret: ELASTIC_SERVICE_USERS.logstash.secret,
} as const;

export type ElasticClient = keyof typeof ELASTIC_SERVICE_USERS;
/** The file-realm Secret (`kubernetes.io/basic-auth`: username, password, roles) of each client. */
export const ELASTIC_USER_SECRETS: Readonly<Record<ElasticClient, string>> = {
  logstash: KUBERNETES_SECRETS.logstashUser,
  jaeger: KUBERNETES_SECRETS.jaegerUser,
  grafana: KUBERNETES_SECRETS.grafanaUser,
};

/** The Elasticsearch clients this deployment runs, each with its own user. */
export function elasticClients(model: StackModel): ElasticClient[] {
  const has = (component: ComponentName): boolean => model.components.includes(component);
  if (!has('elasticsearch')) return [];
  return [
    ...(has('logstash') ? (['logstash'] as const) : []),
    ...(jaegerUsesElasticsearch(model) ? (['jaeger'] as const) : []),
    ...(has('grafana') ? (['grafana'] as const) : []),
  ];
}

/** Created by Elastic's operator for the `pyairtable` Elasticsearch resource. */
export const ECK_SECRETS = {
  elasticUser: 'pyairtable-es-elastic-user',
  elasticsearchCa: 'pyairtable-es-http-certs-public',
  kibanaCa: 'pyairtable-kb-http-certs-public',
} as const;

/** Where pods find Elasticsearch's CA and the Compose-named secret files (`/run/secrets/<name>`). */
export const MOUNTS = {
  elasticsearchCa: '/etc/pyairtable/elasticsearch-ca',
  kibanaCa: '/etc/pyairtable/kibana-ca',
  secrets: '/run/secrets',
} as const;
export const ELASTICSEARCH_CA_FILE = `${MOUNTS.elasticsearchCa}/ca.crt`;

/** The labels every object of ours carries (`kubectl get all -l app.kubernetes.io/part-of=...`). */
export const PART_OF = { 'app.kubernetes.io/part-of': 'pyairtable-observability' } as const;
export const labelsFor = (name: string): Record<string, string> => ({
  'app.kubernetes.io/name': name,
  ...PART_OF,
});
export const selectorFor = (name: string): Record<string, string> => ({ 'app.kubernetes.io/name': name });

/** A PyAirtable pod opts into scraping with this label and names its metrics port `metrics`. */
export const SCRAPE_POD_LABEL = 'observability.pyairtable.io/scrape';
export const METRICS_PORT_NAME = 'metrics';
/**
 * The pod labels a PyAirtable service's identity is read from (Kubernetes' recommended labels;
 * the tier has none, so it gets ours). They give `up` and every target its service, tier and
 * version, as Docker labels do under Compose.
 */
export const POD_IDENTITY_LABELS = {
  [IDENTITY_LABELS.service]: 'app.kubernetes.io/name',
  [IDENTITY_LABELS.tier]: 'observability.pyairtable.io/tier',
  [IDENTITY_LABELS.version]: 'app.kubernetes.io/version',
} as const;

export interface KubernetesResources {
  readonly requests: Readonly<Record<'cpu' | 'memory', string>>;
  readonly limits: Readonly<Record<'cpu' | 'memory', string>>;
}

/** The same sizes as Compose (one table), in Kubernetes' terms. */
export function resourcesFor(
  component: ComponentName | SetupJob | 'prometheus-operator',
): KubernetesResources {
  const chosen =
    component === 'prometheus-operator'
      ? DEFAULT_RESOURCES
      : (RESOURCE_OVERRIDES[component] ?? DEFAULT_RESOURCES);
  return {
    requests: { cpu: chosen.reservations.cpus, memory: chosen.reservations.memory },
    limits: { cpu: chosen.limits.cpus, memory: chosen.limits.memory },
  };
}

export const componentPort = (component: ComponentName): number => COMPONENTS[component].port;
