/**
 * Metrics, alerts and dashboards on kube-prometheus-stack: the chart's values, the rules as a
 * `PrometheusRule` (the same document Compose's Prometheus loads), the scrape targets as
 * `ServiceMonitor`/`PodMonitor`, and the dashboards as ConfigMaps for Grafana's sidecar.
 */
import { IDENTITY_LABELS, SERVICES_JOB } from '@pyairtable/conventions';
import { CADVISOR_SERVICE_LABEL, DASHBOARD_FOLDERS, grafanaDashboard } from '@pyairtable/dashboards';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import type { IPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { IRelabelConfig } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/RelabelConfig';
import { ALERTMANAGER_SECRET_FILES, CHANNEL_VARIABLES } from '../../alerting.js';
import { COLLECTOR_PROMETHEUS_EXPORTER_PORT, COMPONENTS, speaksTls } from '../../components.js';
import { TLS_DIRECTORY, certificateFile, keyFile } from '../../tls/web-config.js';
import type { ISafeTLSConfig } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/SafeTLSConfig';
import { TLS_SECRET, operatorWebTls, podTlsFiles, prometheusClientTls } from './tls.js';
import type { ComponentName } from '../../components.js';
import { modelDashboards } from '../../dashboards.js';
import { alertmanagerConfig } from '../alertmanager.js';
import { grafanaDatasources } from '../grafana.js';
import { rulesDocument } from '../rules.js';
import type { KubernetesContext } from './context.js';
import {
  ECK_SECRETS,
  ELASTIC_USER_SECRETS,
  KUBERNETES_SECRETS,
  METRICS_PORT_NAME,
  MOUNTS,
  POD_IDENTITY_LABELS,
  SCRAPE_POD_LABEL,
  SSO_CLIENT_SECRET_KEY,
  STACK_FULLNAME,
  labelsFor,
  resourcesFor,
  selectorFor,
} from './names.js';
import { secretPath } from '../../secrets.js';
import { ELASTIC_SERVICE_USERS } from '../elastic.js';
import { SSO_CLIENT_SECRET, grafanaSsoEnvironment } from '../../sso.js';

/** Where the Prometheus operator mounts `alertmanagerSpec.secrets`: `<dir>/<secret>/<key>`. */
const ALERTMANAGER_SECRETS_DIR = '/etc/alertmanager/secrets';
const GRAFANA_DASHBOARD_LABEL = 'grafana_dashboard';
const GRAFANA_FOLDER_ANNOTATION = 'grafana_folder';

/** The keys of the channel Secret: the Compose secret files' names. */
export const channelSecretKey = (file: string): string => file.slice(file.lastIndexOf('/') + 1);

/** Channel secrets whose variables are set: each becomes a key of the channel Secret. */
export function channelSecretEntries(context: KubernetesContext): { key: string; variable: string }[] {
  const entries: { key: string; variable: string }[] = [];
  const { channels } = context;
  if (channels.slack)
    entries.push({
      key: channelSecretKey(ALERTMANAGER_SECRET_FILES.slackWebhookUrl),
      variable: CHANNEL_VARIABLES.slackWebhookUrl,
    });
  if (channels.pagerduty)
    entries.push({
      key: channelSecretKey(ALERTMANAGER_SECRET_FILES.pagerdutyServiceKey),
      variable: CHANNEL_VARIABLES.pagerdutyServiceKey,
    });
  if (channels.smtp?.password === true)
    entries.push({
      key: channelSecretKey(ALERTMANAGER_SECRET_FILES.smtpPassword),
      variable: CHANNEL_VARIABLES.smtpPassword,
    });
  return entries;
}

function alertmanagerValues(context: KubernetesContext): Record<string, unknown> {
  const mounted = (file: string): string =>
    `${ALERTMANAGER_SECRETS_DIR}/${KUBERNETES_SECRETS.alertmanagerChannels}/${channelSecretKey(file)}`;
  const { document } = alertmanagerConfig(context.channels, {
    timeScale: context.model.timeScale,
    secretFiles: {
      slackWebhookUrl: mounted(ALERTMANAGER_SECRET_FILES.slackWebhookUrl),
      pagerdutyServiceKey: mounted(ALERTMANAGER_SECRET_FILES.pagerdutyServiceKey),
      smtpPassword: mounted(ALERTMANAGER_SECRET_FILES.smtpPassword),
    },
  });
  const secrets = channelSecretEntries(context).length > 0 ? [KUBERNETES_SECRETS.alertmanagerChannels] : [];
  return {
    config: document,
    alertmanagerSpec: {
      replicas: context.highAvailability ? 3 : 1,
      secrets,
      resources: resourcesFor('alertmanager'),
      storage: volumeClaim(context, '2Gi'),
      // Its listener on our certificate; the scheme and TLS settings are how Prometheus reaches it.
      ...(context.model.tls
        ? { web: { tlsConfig: operatorWebTls('alertmanager') }, ...selfScrapeTls('alertmanager') }
        : {}),
    },
    ...(context.model.tls ? { serviceMonitor: selfScrapeTls('alertmanager') } : {}),
    podDisruptionBudget: { enabled: context.highAvailability, minAvailable: 1 },
  };
}

function volumeClaim(context: KubernetesContext, size: string): Record<string, unknown> {
  return {
    volumeClaimTemplate: {
      spec: {
        ...(context.storageClass === undefined ? {} : { storageClassName: context.storageClass }),
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: size } },
      },
    },
  };
}

/** Prometheus's volume: the retention size cap plus a fifth for the write-ahead log and compaction. */
function prometheusVolumeSize(retentionSize: string): string {
  const gigabytes = Number(/^(\d+)GB$/.exec(retentionSize)?.[1] ?? '10');
  return `${String(Math.ceil(gigabytes * 1.2))}Gi`;
}

function prometheusValues(context: KubernetesContext): Record<string, unknown> {
  const { model } = context;
  const scrape = model.intervalsOverride?.scrapeSeconds ?? model.settings.scrapeIntervalSeconds;
  const evaluation = model.intervalsOverride?.evaluationSeconds ?? model.settings.evaluationIntervalSeconds;
  return {
    prometheusSpec: {
      // Our ServiceMonitors, PodMonitors and rules carry no Helm release label.
      serviceMonitorSelectorNilUsesHelmValues: false,
      podMonitorSelectorNilUsesHelmValues: false,
      ruleSelectorNilUsesHelmValues: false,
      probeSelectorNilUsesHelmValues: false,
      scrapeInterval: `${String(scrape)}s`,
      evaluationInterval: `${String(evaluation)}s`,
      externalLabels: { environment: model.profile },
      retention: `${String(model.metricsRetentionDays)}d`,
      retentionSize: model.settings.metricsRetentionSize,
      enableFeatures: ['exemplar-storage'],
      replicas: context.highAvailability ? 2 : 1,
      resources: resourcesFor('prometheus'),
      storageSpec: volumeClaim(context, prometheusVolumeSize(model.settings.metricsRetentionSize)),
      ...(model.tls ? { web: { tlsConfig: operatorWebTls('prometheus') } } : {}),
    },
    ...(model.tls ? { serviceMonitor: selfScrapeTls('prometheus') } : {}),
    podDisruptionBudget: { enabled: context.highAvailability, minAvailable: 1 },
  };
}

/**
 * The node exporter runs on each node's network: the chart's kube-rbac-proxy serves it on our
 * certificate and lets in only callers Kubernetes authorises for /metrics (Prometheus, by its
 * service account's token).
 */
function nodeExporterTls(): Record<string, unknown> {
  return {
    kubeRBACProxy: { enabled: true, tls: { enabled: true, tlsClientAuth: false } },
    tlsSecret: {
      enabled: true,
      secretName: TLS_SECRET,
      certItem: certificateFile('node-exporter'),
      keyItem: keyFile('node-exporter'),
    },
    prometheus: {
      monitor: {
        scheme: 'https',
        tlsConfig: prometheusClientTls('node-exporter', false),
        bearerTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      },
    },
  };
}

/** How Prometheus scrapes a listener of the operator's (itself, Alertmanager): https, our CA. */
function selfScrapeTls(component: 'prometheus' | 'alertmanager'): {
  scheme: 'https';
  tlsConfig: ISafeTLSConfig;
} {
  return { scheme: 'https', tlsConfig: prometheusClientTls(component, false) };
}

function grafanaValues(context: KubernetesContext): Record<string, unknown> {
  const { model } = context;
  const scrape = model.intervalsOverride?.scrapeSeconds ?? model.settings.scrapeIntervalSeconds;
  const datasources = grafanaDatasources(model, `${String(scrape)}s`) as { datasources: unknown[] };
  const usesElasticsearch = model.components.includes('elasticsearch');
  return {
    fullnameOverride: `${STACK_FULLNAME}-grafana`,
    admin: {
      existingSecret: KUBERNETES_SECRETS.grafanaAdmin,
      userKey: 'admin-user',
      passwordKey: 'admin-password',
    },
    service: { port: COMPONENTS.grafana.port },
    'grafana.ini': {
      server: { root_url: model.grafanaUrl },
      auth: { disable_login_form: false },
      'auth.anonymous': { enabled: false },
      analytics: { reporting_enabled: false, check_for_updates: false },
    },
    // One pod owns the volume (and SQLite): the old one stops before the new one starts.
    deploymentStrategy: { type: 'Recreate' },
    persistence: {
      enabled: true,
      size: '2Gi',
      ...(context.storageClass === undefined ? {} : { storageClassName: context.storageClass }),
    },
    resources: resourcesFor('grafana'),
    sidecar: {
      dashboards: {
        enabled: true,
        label: GRAFANA_DASHBOARD_LABEL,
        labelValue: '1',
        folderAnnotation: GRAFANA_FOLDER_ANNOTATION,
        provider: { foldersFromFilesStructure: true, allowUiUpdates: false, disableDelete: true },
      },
      // Every datasource below has the fixed UID the dashboards name.
      datasources: { enabled: true, defaultDatasourceEnabled: false, alertmanager: { enabled: false } },
    },
    additionalDataSources: datasources.datasources,
    ...(context.sso === undefined
      ? {}
      : { env: grafanaSsoEnvironment(context.sso, `${MOUNTS.secrets}/${SSO_CLIENT_SECRET}`) }),
    extraSecretMounts: [
      ...(usesElasticsearch
        ? [
            {
              // Its own user's password, from its file-realm Secret: it may only read the logs.
              name: 'elastic-password',
              secretName: ELASTIC_USER_SECRETS.grafana,
              mountPath: secretPath(ELASTIC_SERVICE_USERS.grafana.secret),
              subPath: 'password',
              readOnly: true,
            },
            {
              name: 'elasticsearch-ca',
              secretName: ECK_SECRETS.elasticsearchCa,
              mountPath: MOUNTS.elasticsearchCa,
              readOnly: true,
            },
          ]
        : []),
      ...(model.tls
        ? [
            {
              // Our CA, which its datasources check Prometheus, Alertmanager and Jaeger against.
              name: 'tls',
              secretName: TLS_SECRET,
              defaultMode: 0o440,
              items: podTlsFiles('grafana').map((file) => ({ key: file, path: file })),
              mountPath: TLS_DIRECTORY,
              readOnly: true,
            },
          ]
        : []),
      ...(context.sso === undefined
        ? []
        : [
            {
              name: 'sso-client-secret',
              secretName: KUBERNETES_SECRETS.grafanaSso,
              mountPath: `${MOUNTS.secrets}/${SSO_CLIENT_SECRET}`,
              subPath: SSO_CLIENT_SECRET_KEY,
              readOnly: true,
            },
          ]),
    ],
  };
}

/** Values for kube-prometheus-stack (`helm upgrade --install ... -f`). */
export function kubePrometheusStackValues(context: KubernetesContext): Record<string, unknown> {
  const has = (component: ComponentName): boolean => context.model.components.includes(component);
  return {
    fullnameOverride: STACK_FULLNAME,
    crds: { enabled: true },
    // One alert source: the 13 alerts of the contract; the chart's own would route through our
    // receivers unreviewed (turn them on with --set defaultRules.create=true).
    defaultRules: { create: false },
    alertmanager: {
      enabled: has('alertmanager'),
      ...(has('alertmanager') ? alertmanagerValues(context) : {}),
    },
    prometheus: prometheusValues(context),
    grafana: { enabled: has('grafana'), ...(has('grafana') ? grafanaValues(context) : {}) },
    nodeExporter: { enabled: has('node-exporter') },
    'prometheus-node-exporter': {
      resources: resourcesFor('node-exporter'),
      ...(context.model.tls ? nodeExporterTls() : {}),
    },
    kubeStateMetrics: { enabled: true },
    kubelet: {
      serviceMonitor: {
        cAdvisor: has('cadvisor'),
        // A PyAirtable container's series carry its service, as cAdvisor's Docker label does in Compose.
        cAdvisorMetricRelabelings: cadvisorServiceRelabelings(context.applicationNamespace),
      },
    },
    prometheusOperator: { resources: resourcesFor('prometheus-operator') },
  };
}

/** The container named after its service, in the application namespace, is that service. */
function cadvisorServiceRelabelings(applicationNamespace: string): IRelabelConfig[] {
  const fromContainer = (target: string): IRelabelConfig => ({
    sourceLabels: ['namespace', 'container'],
    regex: `${applicationNamespace};([a-z0-9]([-a-z0-9]*[a-z0-9])?)`,
    targetLabel: target,
    replacement: '$1',
    action: 'replace',
  });
  return [fromContainer(CADVISOR_SERVICE_LABEL), fromContainer(IDENTITY_LABELS.service)];
}

export function prometheusRule(context: KubernetesContext): PrometheusRule {
  // The document Compose's Prometheus loads, unchanged: promtool checks both as one.
  const document = rulesDocument(context.model) as IPrometheusRule['spec'];
  return new PrometheusRule({
    metadata: { name: 'pyairtable', namespace: context.namespace, labels: labelsFor('prometheus-rules') },
    spec: document,
  });
}

/** A component's own metrics: the job and `service` label are the component's name, as in Compose. */
const metricsPort = (component: ComponentName): number =>
  COMPONENTS[component].metrics?.port ?? COMPONENTS[component].port;

function componentMonitor(
  context: KubernetesContext,
  component: ComponentName,
  endpoints: { port: string; number: number; honorLabels?: boolean; job?: string }[],
  selectorName: string,
): ServiceMonitor {
  return new ServiceMonitor({
    metadata: { name: component, namespace: context.namespace, labels: labelsFor(component) },
    spec: {
      selector: { matchLabels: selectorFor(selectorName) },
      endpoints: endpoints.map((endpoint) => ({
        port: endpoint.port,
        path: COMPONENTS[component].metrics?.path ?? '/metrics',
        ...(endpoint.honorLabels === true ? { honorLabels: true } : {}),
        ...(context.model.tls && speaksTls(component, endpoint.number)
          ? { scheme: 'https' as const, tlsConfig: prometheusClientTls(component) }
          : {}),
        relabelings: [
          { targetLabel: 'job', replacement: endpoint.job ?? component, action: 'replace' },
          { targetLabel: IDENTITY_LABELS.service, replacement: component, action: 'replace' },
          { targetLabel: IDENTITY_LABELS.tier, replacement: 'observability', action: 'replace' },
        ],
      })),
    },
  });
}

/** The PyAirtable services: pods labelled for scraping in the application namespace. */
function servicesMonitor(context: KubernetesContext): PodMonitor {
  const podLabel = (label: string): string =>
    `__meta_kubernetes_pod_label_${label.replace(/[^a-zA-Z0-9_]/g, '_')}`;
  return new PodMonitor({
    metadata: { name: SERVICES_JOB, namespace: context.namespace, labels: labelsFor(SERVICES_JOB) },
    spec: {
      namespaceSelector: { matchNames: [context.applicationNamespace] },
      selector: { matchLabels: { [SCRAPE_POD_LABEL]: 'true' } },
      podMetricsEndpoints: [
        {
          port: METRICS_PORT_NAME,
          path: '/metrics',
          // The SDK sets service/tier/version on every series from the same values as these labels.
          honorLabels: true,
          relabelings: [
            { targetLabel: 'job', replacement: SERVICES_JOB, action: 'replace' },
            ...Object.entries(POD_IDENTITY_LABELS).map(([label, podLabelName]) => ({
              sourceLabels: [podLabel(podLabelName)],
              regex: '(.+)',
              targetLabel: label,
              replacement: '$1',
              action: 'replace' as const,
            })),
          ],
        },
      ],
    },
  });
}

export function monitors(context: KubernetesContext): (ServiceMonitor | PodMonitor)[] {
  const has = (component: ComponentName): boolean => context.model.components.includes(component);
  const list: (ServiceMonitor | PodMonitor)[] = [];
  if (has('otel-collector'))
    list.push(
      componentMonitor(
        context,
        'otel-collector',
        [
          { port: METRICS_PORT_NAME, number: metricsPort('otel-collector') },
          // OTLP metrics pushed by services, re-exposed; their own labels win.
          {
            port: 'otlp-metrics',
            number: COLLECTOR_PROMETHEUS_EXPORTER_PORT,
            honorLabels: true,
            job: 'otel-collector-exporter',
          },
        ],
        'otel-gateway',
      ),
    );
  if (has('jaeger'))
    list.push(
      componentMonitor(
        context,
        'jaeger',
        [{ port: METRICS_PORT_NAME, number: metricsPort('jaeger') }],
        'jaeger',
      ),
    );
  for (const exporter of ['redis-exporter', 'postgres-exporter'] as const)
    if (has(exporter))
      list.push(
        componentMonitor(
          context,
          exporter,
          [{ port: METRICS_PORT_NAME, number: metricsPort(exporter) }],
          exporter,
        ),
      );
  list.push(servicesMonitor(context));
  return list;
}

/** One ConfigMap per dashboard, in its folder (Grafana's sidecar reads the annotation). */
export function dashboardConfigMaps(context: KubernetesContext): ConfigMap[] {
  return modelDashboards(context.model).map(
    (dashboard) =>
      new ConfigMap({
        metadata: {
          name: `dashboard-${dashboard.uid}`,
          namespace: context.namespace,
          labels: { ...labelsFor('grafana-dashboards'), [GRAFANA_DASHBOARD_LABEL]: '1' },
          annotations: { [GRAFANA_FOLDER_ANNOTATION]: DASHBOARD_FOLDERS[dashboard.folder].title },
        },
        data: { [`${dashboard.uid}.json`]: `${JSON.stringify(grafanaDashboard(dashboard), null, 2)}\n` },
      }),
  );
}
