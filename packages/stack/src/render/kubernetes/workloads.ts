/**
 * The workloads the stack runs itself: the OpenTelemetry Collector in two tiers, Jaeger v2 and
 * the Redis and PostgreSQL exporters. Each one's configuration is the file Compose mounts,
 * rendered from the same model; only the addresses differ.
 *
 *   pod ─OTLP─ otel-agent (DaemonSet, node-local Service) ─ spans by trace id ─ otel-gateway
 *   (tail sampling needs every span of a trace on one instance; redaction) ─ Jaeger ─ Elasticsearch
 */
import { SPEC_PORTS } from '@pyairtable/conventions';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { COLLECTOR_PROMETHEUS_EXPORTER_PORT, COMPONENTS } from '../../components.js';
import type { ComponentName } from '../../components.js';
import { IMAGES, IMAGE_USERS } from '../../images.js';
import { KUBERNETES_EXTRA_SERVICES, KUBERNETES_SERVICES } from '../../model.js';
import { COLLECTOR_HEALTH_PORT, collectorConfig, otlpReceiver } from '../collector.js';
import { clientTls, webConfig, redisExporterTlsFlags } from '../../tls/web-config.js';
import { TLS_MOUNT, tlsVolume } from './tls.js';
import {
  JAEGER_BADGER_DIR,
  JAEGER_HEALTH_PORT,
  jaegerUsesElasticsearch,
  renderJaegerConfig,
} from '../jaeger.js';
import { ELASTIC_SERVICE_USERS } from '../elastic.js';
import { renderYaml } from '../yaml.js';
import type { KubernetesContext } from './context.js';
import { replicas } from './context.js';
import {
  ECK_SECRETS,
  ELASTIC_USER_SECRETS,
  KUBERNETES_SECRETS,
  METRICS_PORT_NAME,
  MOUNTS,
  labelsFor,
  resourcesFor,
  selectorFor,
} from './names.js';

/** Typed models validate themselves; custom resources are checked against their CRD schema. */
export type Manifest = { toJSON(): unknown };

export const COLLECTOR_AGENT = KUBERNETES_EXTRA_SERVICES['otel-collector']?.[0] ?? 'otel-agent';
export const COLLECTOR_GATEWAY = 'otel-gateway';
/** The agents' trace exporter: spans it sends are accepted again by a gateway (count them once). */
export const AGENT_TRACE_EXPORTER = 'loadbalancing';
const GATEWAY_EXPORTER = 'otlp_grpc/gateway';
const OTLP_GRPC = SPEC_PORTS.otlpGrpc;
const OTLP_HTTP = SPEC_PORTS.otlpHttp;
const CONFIG_DIR = '/etc/pyairtable';

/** Least privilege for every container of ours: no root, no capabilities, a read-only root. */
const SECURE_CONTAINER: Pick<IContainer, 'securityContext'> = {
  securityContext: {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  },
};

interface PodParts {
  readonly name: string;
  readonly container: IContainer;
  readonly volumes?: IVolume[];
  readonly serviceAccountName?: string;
  readonly user?: number;
}

function podTemplate(parts: PodParts): { metadata: object; spec: IPodSpec } {
  return {
    metadata: { labels: labelsFor(parts.name) },
    spec: {
      ...(parts.serviceAccountName === undefined
        ? { automountServiceAccountToken: false }
        : { serviceAccountName: parts.serviceAccountName }),
      securityContext: {
        runAsNonRoot: true,
        ...(parts.user === undefined
          ? {}
          : { runAsUser: parts.user, runAsGroup: parts.user, fsGroup: parts.user }),
      },
      containers: [{ ...SECURE_CONTAINER, ...parts.container }],
      ...(parts.volumes === undefined || parts.volumes.length === 0 ? {} : { volumes: parts.volumes }),
    },
  };
}

/** On every node, tainted ones too: a pod whose node has no agent would lose its telemetry. */
function withTolerations(template: { metadata: object; spec: IPodSpec }): {
  metadata: object;
  spec: IPodSpec;
} {
  return { ...template, spec: { ...template.spec, tolerations: [{ operator: 'Exists' }] } };
}

function deployment(context: KubernetesContext, parts: PodParts, count = replicas(context)): Deployment {
  return new Deployment({
    metadata: { name: parts.name, namespace: context.namespace, labels: labelsFor(parts.name) },
    spec: {
      replicas: count,
      selector: { matchLabels: selectorFor(parts.name) },
      template: podTemplate(parts),
    },
  });
}

function service(
  context: KubernetesContext,
  name: string,
  ports: Record<string, number>,
  extra: { internalTrafficPolicy?: 'Local' } = {},
): Service {
  return new Service({
    metadata: { name, namespace: context.namespace, labels: labelsFor(name) },
    spec: {
      selector: selectorFor(name),
      ...extra,
      ports: Object.entries(ports).map(([portName, port]) => ({
        name: portName,
        port,
        targetPort: port,
        protocol: 'TCP',
      })),
    },
  });
}

function configMap(context: KubernetesContext, name: string, data: Record<string, string>): ConfigMap {
  return new ConfigMap({ metadata: { name, namespace: context.namespace, labels: labelsFor(name) }, data });
}

/** Production keeps one of each replicated component up through node drains. */
export function disruptionBudget(context: KubernetesContext, name: string): PodDisruptionBudget[] {
  if (!context.highAvailability) return [];
  return [
    new PodDisruptionBudget({
      metadata: { name, namespace: context.namespace, labels: labelsFor(name) },
      spec: { minAvailable: 1, selector: { matchLabels: selectorFor(name) } },
    }),
  ];
}

const configVolume = (name: string): IVolume => ({ name: 'config', configMap: { name } });
/** A component's TLS files, in a TLS render. */
const tlsVolumes = (context: KubernetesContext, component: ComponentName): IVolume[] =>
  context.model.tls ? [tlsVolume(component)] : [];
const configMount = { name: 'config', mountPath: CONFIG_DIR, readOnly: true };
const httpProbe = (port: number, path: string): Pick<IContainer, 'readinessProbe' | 'livenessProbe'> => ({
  readinessProbe: { httpGet: { path, port }, periodSeconds: 10 },
  livenessProbe: { httpGet: { path, port }, periodSeconds: 30, failureThreshold: 5 },
});
const containerPorts = (ports: Record<string, number>): NonNullable<IContainer['ports']> =>
  Object.entries(ports).map(([name, containerPort]) => ({ name, containerPort, protocol: 'TCP' }));

// ── OpenTelemetry Collector ─────────────────────────────────────────────────────────────────

/** The agent: pods' OTLP in, Kubernetes metadata added, spans to the gateway by trace id. */
export function agentConfig(context: KubernetesContext): object {
  const listen = (port: number): string => `0.0.0.0:${String(port)}`;
  const gateway = `${COLLECTOR_GATEWAY}.${context.namespace}`;
  const tls = context.model.tls ? clientTls('otel-collector') : undefined;
  return {
    extensions: { health_check: { endpoint: listen(COLLECTOR_HEALTH_PORT) } },
    receivers: { otlp: otlpReceiver(context.model, 'otel-collector') },
    processors: {
      memory_limiter: { check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 20 },
      k8sattributes: {
        auth_type: 'serviceAccount',
        passthrough: false,
        // Each agent sees only its node's pods (its Service is node-local): no cluster-wide cache.
        filter: { node_from_env_var: NODE_NAME_VARIABLE },
        extract: { metadata: ['k8s.namespace.name', 'k8s.pod.name', 'k8s.deployment.name', 'k8s.node.name'] },
        pod_association: [{ sources: [{ from: 'connection' }] }],
      },
      batch: { send_batch_size: 1024, timeout: '1s' },
    },
    exporters: {
      // Every span of a trace reaches the same gateway, where tail sampling decides on the whole trace.
      [AGENT_TRACE_EXPORTER]: {
        routing_key: 'traceID',
        // It sends to the gateways' pod addresses: their certificate is checked under the Service's name.
        protocol: {
          otlp: {
            tls: tls
              ? { ...tls, server_name_override: KUBERNETES_SERVICES['otel-collector'] }
              : { insecure: true },
            timeout: '5s',
          },
        },
        resolver: { k8s: { service: gateway, ports: [OTLP_GRPC] } },
      },
      // Metrics are not routed by trace id: any gateway serves them.
      [GATEWAY_EXPORTER]: { endpoint: `${gateway}:${String(OTLP_GRPC)}`, tls: tls ?? { insecure: true } },
    },
    service: {
      extensions: ['health_check'],
      telemetry: {
        metrics: {
          readers: [
            { pull: { exporter: { prometheus: { host: '0.0.0.0', port: COLLECTOR_METRICS_PORT } } } },
          ],
        },
      },
      pipelines: {
        traces: {
          receivers: ['otlp'],
          processors: ['memory_limiter', 'k8sattributes', 'batch'],
          exporters: [AGENT_TRACE_EXPORTER],
        },
        metrics: {
          receivers: ['otlp'],
          processors: ['memory_limiter', 'k8sattributes', 'batch'],
          exporters: [GATEWAY_EXPORTER],
        },
      },
    },
  };
}

const COLLECTOR_METRICS_PORT = COMPONENTS['otel-collector'].metrics?.port ?? 8888;
const NODE_NAME_VARIABLE = 'K8S_NODE_NAME';

function collectorContainer(context: KubernetesContext, name: string): IContainer {
  return {
    name,
    image: IMAGES['otel-collector'],
    args: [`--config=${CONFIG_DIR}/config.yaml`],
    ports: containerPorts({
      'otlp-grpc': OTLP_GRPC,
      'otlp-http': OTLP_HTTP,
      [METRICS_PORT_NAME]: COLLECTOR_METRICS_PORT,
      ...(name === COLLECTOR_GATEWAY ? { 'otlp-metrics': COLLECTOR_PROMETHEUS_EXPORTER_PORT } : {}),
    }),
    env: [
      { name: 'GOMEMLIMIT', value: '400MiB' },
      ...(name === COLLECTOR_AGENT
        ? [{ name: NODE_NAME_VARIABLE, valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }]
        : []),
    ],
    resources: resourcesFor('otel-collector'),
    volumeMounts: [configMount, ...(context.model.tls ? [TLS_MOUNT] : [])],
    ...httpProbe(COLLECTOR_HEALTH_PORT, '/'),
  };
}

export function collectorManifests(context: KubernetesContext): Manifest[] {
  const ns = context.namespace;
  const agentAccount = new ServiceAccount({
    metadata: { name: COLLECTOR_AGENT, namespace: ns, labels: labelsFor(COLLECTOR_AGENT) },
  });
  const subject = [{ kind: 'ServiceAccount', name: COLLECTOR_AGENT, namespace: ns }];
  return [
    agentAccount,
    // The load-balancing exporter watches the gateway's endpoints in our namespace only.
    new Role({
      metadata: { name: `${COLLECTOR_AGENT}-resolver`, namespace: ns, labels: labelsFor(COLLECTOR_AGENT) },
      rules: [
        { apiGroups: [''], resources: ['endpoints'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
      ],
    }),
    new RoleBinding({
      metadata: { name: `${COLLECTOR_AGENT}-resolver`, namespace: ns, labels: labelsFor(COLLECTOR_AGENT) },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${COLLECTOR_AGENT}-resolver` },
      subjects: subject,
    }),
    // k8sattributes reads pods cluster-wide (services run in their own namespace), nothing else.
    new ClusterRole({
      metadata: { name: `pyairtable-${COLLECTOR_AGENT}`, labels: labelsFor(COLLECTOR_AGENT) },
      rules: [
        { apiGroups: [''], resources: ['pods', 'namespaces'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['get', 'list', 'watch'] },
      ],
    }),
    new ClusterRoleBinding({
      metadata: { name: `pyairtable-${COLLECTOR_AGENT}`, labels: labelsFor(COLLECTOR_AGENT) },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: `pyairtable-${COLLECTOR_AGENT}`,
      },
      subjects: subject,
    }),
    configMap(context, COLLECTOR_AGENT, {
      'config.yaml': renderYaml(
        agentConfig(context),
        `OpenTelemetry Collector agent, profile ${context.model.profile}`,
      ),
    }),
    new DaemonSet({
      metadata: { name: COLLECTOR_AGENT, namespace: ns, labels: labelsFor(COLLECTOR_AGENT) },
      spec: {
        selector: { matchLabels: selectorFor(COLLECTOR_AGENT) },
        template: withTolerations(
          podTemplate({
            name: COLLECTOR_AGENT,
            container: collectorContainer(context, COLLECTOR_AGENT),
            volumes: [configVolume(COLLECTOR_AGENT), ...tlsVolumes(context, 'otel-collector')],
            serviceAccountName: COLLECTOR_AGENT,
            user: IMAGE_USERS['otel-collector'],
          }),
        ),
      },
    }),
    // A pod's spans stay on its node: the Service routes to the agent beside it.
    service(
      context,
      COLLECTOR_AGENT,
      { 'otlp-grpc': OTLP_GRPC, 'otlp-http': OTLP_HTTP },
      { internalTrafficPolicy: 'Local' },
    ),
    configMap(context, COLLECTOR_GATEWAY, {
      'config.yaml': renderYaml(
        collectorConfig(context.model),
        `OpenTelemetry Collector gateway, profile ${context.model.profile}`,
      ),
    }),
    deployment(context, {
      name: COLLECTOR_GATEWAY,
      container: collectorContainer(context, COLLECTOR_GATEWAY),
      volumes: [configVolume(COLLECTOR_GATEWAY), ...tlsVolumes(context, 'otel-collector')],
      user: IMAGE_USERS['otel-collector'],
    }),
    service(context, COLLECTOR_GATEWAY, {
      'otlp-grpc': OTLP_GRPC,
      'otlp-http': OTLP_HTTP,
      [METRICS_PORT_NAME]: COLLECTOR_METRICS_PORT,
      'otlp-metrics': COLLECTOR_PROMETHEUS_EXPORTER_PORT,
    }),
    ...disruptionBudget(context, COLLECTOR_GATEWAY),
  ];
}

// ── Jaeger ──────────────────────────────────────────────────────────────────────────────────

export function jaegerManifests(context: KubernetesContext): Manifest[] {
  const name = 'jaeger';
  const elasticsearch = jaegerUsesElasticsearch(context.model);
  const volumes: IVolume[] = [configVolume(name), ...tlsVolumes(context, 'jaeger')];
  const mounts = [configMount, ...(context.model.tls ? [TLS_MOUNT] : [])];
  if (elasticsearch) {
    volumes.push(
      {
        // Its own user's password, from its file-realm Secret.
        name: 'elastic-password',
        secret: {
          secretName: ELASTIC_USER_SECRETS.jaeger,
          items: [{ key: 'password', path: ELASTIC_SERVICE_USERS.jaeger.secret.secretName }],
        },
      },
      { name: 'elasticsearch-ca', secret: { secretName: ECK_SECRETS.elasticsearchCa } },
    );
    mounts.push(
      { name: 'elastic-password', mountPath: MOUNTS.secrets, readOnly: true },
      { name: 'elasticsearch-ca', mountPath: MOUNTS.elasticsearchCa, readOnly: true },
    );
  } else {
    volumes.push({ name: 'badger', persistentVolumeClaim: { claimName: 'jaeger-badger' } });
    mounts.push({ name: 'badger', mountPath: JAEGER_BADGER_DIR, readOnly: false });
  }
  const ports = {
    query: COMPONENTS.jaeger.port,
    'otlp-grpc': OTLP_GRPC,
    [METRICS_PORT_NAME]: COMPONENTS.jaeger.metrics?.port ?? 8888,
  };
  return [
    configMap(context, name, { 'config.yaml': renderJaegerConfig(context.model) }),
    ...(elasticsearch
      ? []
      : [
          new PersistentVolumeClaim({
            metadata: { name: 'jaeger-badger', namespace: context.namespace, labels: labelsFor(name) },
            spec: {
              accessModes: ['ReadWriteOnce'],
              ...(context.storageClass === undefined ? {} : { storageClassName: context.storageClass }),
              resources: { requests: { storage: '10Gi' } },
            },
          }),
        ]),
    deployment(
      context,
      {
        name,
        container: {
          name,
          image: IMAGES.jaeger,
          args: [`--config=${CONFIG_DIR}/config.yaml`],
          ports: containerPorts(ports),
          resources: resourcesFor('jaeger'),
          volumeMounts: mounts,
          ...httpProbe(JAEGER_HEALTH_PORT, '/status'),
        },
        volumes,
        user: IMAGE_USERS.jaeger,
      },
      // Badger is one writer on one volume; with Elasticsearch, Jaeger is stateless.
      elasticsearch ? replicas(context) : 1,
    ),
    service(context, name, ports),
    ...(elasticsearch ? disruptionBudget(context, name) : []),
  ];
}

// ── Exporters ───────────────────────────────────────────────────────────────────────────────

export interface ExporterTargets {
  /** `redis://host:port` of the application's Redis. */
  readonly redisAddress: string;
  /** `host:port/db?sslmode=...` of the application's PostgreSQL. */
  readonly postgresAddress: string;
}

const optionalSecret = (variable: string, key: string): NonNullable<IContainer['env']>[number] => ({
  name: variable,
  valueFrom: { secretKeyRef: { name: KUBERNETES_SECRETS.exporters, key, optional: true } },
});

/** Keys of the exporters' Secret: only those whose variable is set at install. */
export const EXPORTER_SECRET_ENTRIES = [
  { key: 'redis-password', variable: 'REDIS_PASSWORD' },
  { key: 'postgres-user', variable: 'POSTGRES_EXPORTER_USER' },
  { key: 'postgres-password', variable: 'POSTGRES_EXPORTER_PASSWORD' },
] as const;

/** An exporter's listener under TLS: the Redis exporter's flags, or the toolkit's web config. */
function exporterTls(component: ComponentName): { args: string[]; webConfig?: string } {
  if (component === 'redis-exporter') return { args: redisExporterTlsFlags() };
  return {
    args: [`--web.config.file=${CONFIG_DIR}/web-config.yml`],
    webConfig: renderYaml(
      webConfig(component, { requireClientCertificates: true }),
      `${component}'s TLS listener: only a client certificate of our CA may scrape it`,
    ),
  };
}

/** A TLS listener that requires client certificates refuses the kubelet's probe: a TCP check instead. */
const tcpProbe = (port: number): Pick<IContainer, 'readinessProbe' | 'livenessProbe'> => ({
  readinessProbe: { tcpSocket: { port }, periodSeconds: 10 },
  livenessProbe: { tcpSocket: { port }, periodSeconds: 30, failureThreshold: 5 },
});

export function exporterManifests(context: KubernetesContext, targets: ExporterTargets): Manifest[] {
  const manifests: Manifest[] = [];
  const exporter = (name: ComponentName, env: NonNullable<IContainer['env']>): void => {
    const port = COMPONENTS[name].port;
    const tls = context.model.tls ? exporterTls(name) : undefined;
    if (tls?.webConfig !== undefined)
      manifests.push(configMap(context, `${name}-web`, { 'web-config.yml': tls.webConfig }));
    manifests.push(
      deployment(
        context,
        {
          name,
          container: {
            name,
            image: IMAGES[name],
            ...(tls === undefined ? {} : { args: tls.args }),
            env,
            ports: containerPorts({ [METRICS_PORT_NAME]: port }),
            resources: resourcesFor(name),
            ...(tls === undefined ? httpProbe(port, '/') : tcpProbe(port)),
            ...(tls === undefined
              ? {}
              : { volumeMounts: [TLS_MOUNT, ...(tls.webConfig === undefined ? [] : [configMount])] }),
          },
          // nobody, whichever user the exporter's image names.
          user: IMAGE_USERS['postgres-exporter'],
          volumes: [
            ...tlsVolumes(context, name),
            ...(tls?.webConfig === undefined ? [] : [configVolume(`${name}-web`)]),
          ],
        },
        1,
      ),
      service(context, name, { [METRICS_PORT_NAME]: port }),
    );
  };
  const has = (component: ComponentName): boolean => context.model.components.includes(component);
  if (has('redis-exporter'))
    exporter('redis-exporter', [
      { name: 'REDIS_ADDR', value: targets.redisAddress },
      optionalSecret('REDIS_PASSWORD', 'redis-password'),
    ]);
  if (has('postgres-exporter'))
    exporter('postgres-exporter', [
      { name: 'DATA_SOURCE_URI', value: targets.postgresAddress },
      optionalSecret('DATA_SOURCE_USER', 'postgres-user'),
      optionalSecret('DATA_SOURCE_PASS', 'postgres-password'),
    ]);
  return manifests;
}

export { configMap, deployment, podTemplate, service, SECURE_CONTAINER, CONFIG_DIR };
