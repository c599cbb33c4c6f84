/**
 * The install order as data: operators first (their CRDs), then the Secrets the stack reads,
 * then the stack. `obs up --mode kubernetes` runs these steps; the README prints them as the
 * commands a person would type. A Secret's values come from the environment at install and
 * reach kubectl on its standard input, never on a command line or in a file.
 */
import { STACK_SECRETS } from '../../secrets.js';
import type { KubernetesContext } from './context.js';
import { EXPORTER_SECRET_ENTRIES } from './workloads.js';
import {
  ECK_OPERATOR_NAMESPACE,
  ECK_SECRETS,
  HELM_CHARTS,
  KUBERNETES_SECRETS,
  ELASTIC_USER_SECRETS,
  SSO_CLIENT_SECRET_KEY,
  elasticClients,
} from './names.js';
import { ELASTIC_SERVICE_USERS } from '../elastic.js';
import { SSO_VARIABLES } from '../../sso.js';
import { tlsVariable } from '../../tls/layout.js';
import { CA_CERTIFICATE } from '../../tls/web-config.js';
import { TLS_CA_SECRET, TLS_SECRET, kubernetesTlsFiles } from './tls.js';
import type { HelmChart } from './names.js';

export interface SecretEntry {
  readonly key: string;
  /** Read from the environment at install. */
  readonly variable?: string;
  /** A fixed, non-secret value (the admin's user name). */
  readonly value?: string;
}

export type InstallStep =
  | {
      readonly kind: 'command';
      readonly why: string;
      readonly program: 'helm' | 'kubectl';
      readonly args: readonly string[];
    }
  | {
      readonly kind: 'secret';
      readonly why: string;
      readonly name: string;
      readonly namespace: string;
      readonly entries: readonly SecretEntry[];
      /** Entries whose variable is unset are left out (the consumer treats the key as optional). */
      readonly optionalEntries: boolean;
      /** The Secret's type when it is not Opaque (ECK's file realm reads `kubernetes.io/basic-auth`). */
      readonly type?: string;
    };

const KUBE_PROMETHEUS_VALUES = 'values/kube-prometheus-stack.yaml';
export const ELASTIC_MANIFESTS = 'manifests/40-elastic.yaml';
const ISTIO_MESH_VALUES = 'values/istiod-mesh.yaml';

const helmInstall = (chart: HelmChart, namespace: string, extra: readonly string[]): string[] => [
  'upgrade',
  '--install',
  chart.release,
  `${chart.repositoryName}/${chart.chart}`,
  '--version',
  chart.version,
  '--namespace',
  namespace,
  ...extra,
];

export function installSteps(
  context: KubernetesContext,
  channelSecrets: readonly { key: string; variable: string }[],
): InstallStep[] {
  const has = (component: (typeof context.model.components)[number]): boolean =>
    context.model.components.includes(component);
  const elastic = has('elasticsearch');
  const charts = elastic
    ? [HELM_CHARTS.eckOperator, HELM_CHARTS.kubePrometheusStack]
    : [HELM_CHARTS.kubePrometheusStack];
  const steps: InstallStep[] = [
    ...charts.map((chart): InstallStep => ({
      kind: 'command',
      why: `the ${chart.chart} chart's repository`,
      program: 'helm',
      args: ['repo', 'add', '--force-update', chart.repositoryName, chart.repositoryUrl],
    })),
    { kind: 'command', why: 'current chart indexes', program: 'helm', args: ['repo', 'update'] },
  ];
  if (elastic)
    steps.push({
      kind: 'command',
      why: "Elastic's operator and its CRDs (Elasticsearch, Kibana, Logstash, Beat)",
      program: 'helm',
      args: helmInstall(HELM_CHARTS.eckOperator, ECK_OPERATOR_NAMESPACE, ['--create-namespace', '--wait']),
    });
  steps.push(
    {
      kind: 'command',
      why: 'the stack namespace',
      program: 'kubectl',
      args: ['apply', '--server-side', '-f', 'manifests/00-namespace.yaml'],
    },
    {
      kind: 'secret',
      why: "Grafana's admin",
      name: KUBERNETES_SECRETS.grafanaAdmin,
      namespace: context.namespace,
      entries: [
        { key: 'admin-user', value: 'admin' },
        { key: 'admin-password', variable: STACK_SECRETS.grafanaAdminPassword.variable },
      ],
      optionalEntries: false,
    },
  );
  if (context.model.tls)
    steps.push(
      {
        kind: 'secret',
        why: 'the CA and each component’s certificate and key (obs certs), keyed by file name',
        name: TLS_SECRET,
        namespace: context.namespace,
        entries: kubernetesTlsFiles(context.model.components).map((file) => ({
          key: file,
          variable: tlsVariable(file),
        })),
        optionalEntries: false,
      },
      {
        kind: 'secret',
        why: 'the CA in the application’s namespace: services check the collector agent against it',
        name: TLS_CA_SECRET,
        namespace: context.applicationNamespace,
        entries: [{ key: CA_CERTIFICATE, variable: tlsVariable(CA_CERTIFICATE) }],
        optionalEntries: false,
      },
    );
  if (context.sso !== undefined)
    steps.push({
      kind: 'secret',
      why: "Grafana's single sign-on client secret",
      name: KUBERNETES_SECRETS.grafanaSso,
      namespace: context.namespace,
      entries: [{ key: SSO_CLIENT_SECRET_KEY, variable: SSO_VARIABLES.clientSecret }],
      optionalEntries: false,
    });
  if (channelSecrets.length > 0)
    steps.push({
      kind: 'secret',
      why: "Alertmanager's channel credentials",
      name: KUBERNETES_SECRETS.alertmanagerChannels,
      namespace: context.namespace,
      entries: channelSecrets,
      optionalEntries: false,
    });
  for (const client of elasticClients(context.model)) {
    const user = ELASTIC_SERVICE_USERS[client];
    steps.push({
      kind: 'secret',
      why: `${client}'s own Elasticsearch user (ECK's file realm), role ${user.role}`,
      name: ELASTIC_USER_SECRETS[client],
      namespace: context.namespace,
      type: 'kubernetes.io/basic-auth',
      entries: [
        { key: 'username', value: user.username },
        { key: 'password', variable: user.secret.variable },
        { key: 'roles', value: user.role },
      ],
      optionalEntries: false,
    });
  }
  if (has('redis-exporter') || has('postgres-exporter'))
    steps.push({
      kind: 'secret',
      why: "the exporters' database credentials (each optional: an unset variable is left out)",
      name: KUBERNETES_SECRETS.exporters,
      namespace: context.namespace,
      entries: EXPORTER_SECRET_ENTRIES,
      optionalEntries: true,
    });
  if (has('elasticsearch'))
    // Grafana mounts the operator's Elasticsearch CA: it must exist before Helm waits for Grafana.
    steps.push(
      {
        kind: 'command',
        why: 'Elasticsearch, Kibana, Logstash and Filebeat, for the operator to create their Secrets',
        program: 'kubectl',
        args: ['apply', '--server-side', '-f', ELASTIC_MANIFESTS],
      },
      {
        kind: 'command',
        why: "the operator's Elasticsearch CA",
        program: 'kubectl',
        args: [
          'wait',
          '--namespace',
          context.namespace,
          '--for=create',
          `secret/${ECK_SECRETS.elasticsearchCa}`,
          '--timeout=10m',
        ],
      },
    );
  steps.push(
    {
      kind: 'command',
      why: 'Prometheus, Alertmanager, Grafana, node exporter and their operator with its CRDs',
      program: 'helm',
      args: helmInstall(HELM_CHARTS.kubePrometheusStack, context.namespace, [
        '--values',
        KUBE_PROMETHEUS_VALUES,
        '--wait',
        '--timeout',
        '15m',
      ]),
    },
    {
      kind: 'command',
      why: 'the rules, monitors, dashboards, collector, Jaeger, the Elastic resources and the policies',
      program: 'kubectl',
      args: ['apply', '--server-side', '--recursive', '-f', 'manifests/'],
    },
  );
  if (context.istio)
    steps.push({
      kind: 'command',
      why: "istiod's mesh config: the collector agent as the tracing provider",
      program: 'helm',
      args: [
        'upgrade',
        'istiod',
        'istio/istiod',
        '--namespace',
        'istio-system',
        '--reuse-values',
        '--values',
        ISTIO_MESH_VALUES,
      ],
    });
  return steps;
}

/** The shell a person types for a step (a Secret through `kubectl create --dry-run | apply`). */
export function stepCommand(step: InstallStep): string {
  if (step.kind === 'command') return [step.program, ...step.args].join(' ');
  // An optional entry is left out when its variable is unset: `${VAR:+...}` expands to nothing.
  const literals = step.entries.map((entry) =>
    entry.variable === undefined
      ? `--from-literal=${entry.key}=${entry.value ?? ''}`
      : step.optionalEntries
        ? `\${${entry.variable}:+"--from-literal=${entry.key}=$${entry.variable}"}`
        : `--from-literal=${entry.key}="$${entry.variable}"`,
  );
  return [
    `kubectl create secret generic ${step.name} --namespace ${step.namespace}${step.type === undefined ? '' : ` --type=${step.type}`}`,
    ...literals,
    '--dry-run=client -o yaml | kubectl apply -f -',
  ].join(' \\\n    ');
}
