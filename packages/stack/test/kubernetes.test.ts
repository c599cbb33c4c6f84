/**
 * The Kubernetes render, judged offline by what the engines' publishers ship: every manifest
 * against its kind's schema (kubernetes-models and its prometheus-operator and Istio packages;
 * ECK's CRD schema kept as reference data), the kube-prometheus-stack values against the keys
 * its values.yaml documents, the rules under promtool, Alertmanager's config under amtool, the
 * collector's components against the pinned release, and the wiring between the objects.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import type { Environment } from '@pyairtable/conventions';
import { ENVIRONMENTS, SPEC_PORTS } from '@pyairtable/conventions';
import { ENGINES, engineAvailable, runEngine, tempDir } from '@pyairtable/test-support';
import {
  COLLECTOR_VERSION,
  HELM_CHARTS,
  KUBERNETES_SECRETS,
  SecretsError,
  buildModel,
  renderKubernetesStack,
  requiredTlsFiles,
  rulesDocument,
  stepCommand,
  tlsVariable,
} from '@pyairtable/stack';
import type { KubernetesRender } from '@pyairtable/stack';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ResourceRequirements } from 'kubernetes-models/v1/ResourceRequirements';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PeerAuthentication } from '@kubernetes-models/istio/security.istio.io/v1/PeerAuthentication';
import { Telemetry } from '@kubernetes-models/istio/telemetry.istio.io/v1/Telemetry';
import { COLLECTOR_COMPONENTS, COLLECTOR_MODULES, readReference } from './reference.js';

type Doc = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
} & Record<string, unknown>;

/** The typed model of each kind the render may use: an unknown kind fails the test. */
const MODELS: Readonly<Record<string, new (data: never) => { validate(): void }>> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'apps/v1/DaemonSet': DaemonSet,
  'batch/v1/Job': Job,
  'batch/v1/CronJob': CronJob,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor,
  'security.istio.io/v1/PeerAuthentication': PeerAuthentication,
  'telemetry.istio.io/v1/Telemetry': Telemetry,
};

const ECK = JSON.parse(readReference('eck-crds-subset.json')) as {
  definitions: Record<string, { properties: { apiVersion: { const: string }; kind: { const: string } } }>;
};
const ajv = new Ajv({ strict: false, allErrors: true });
const ECK_VALIDATORS = Object.fromEntries(
  Object.values(ECK.definitions).map((schema) => [
    `${schema.properties.apiVersion.const}/${schema.properties.kind.const}`,
    ajv.compile({ ...schema, definitions: ECK.definitions }),
  ]),
);

function schemaProblems(doc: Doc): string[] {
  const key = `${doc.apiVersion}/${doc.kind}`;
  const Model = MODELS[key];
  if (Model !== undefined) {
    try {
      new Model(doc as never).validate();
      return [];
    } catch (error) {
      return [`${key} ${doc.metadata.name}: ${(error as Error).message}`];
    }
  }
  const validate = ECK_VALIDATORS[key];
  if (validate === undefined) return [`${key} ${doc.metadata.name}: no schema judges this kind`];
  const name = doc.metadata.name;
  return validate(doc) ? [] : [`${key} ${name}: ${ajv.errorsText(validate.errors)}`];
}

/** Every TLS file as its variable, with a distinctive stand-in content. */
const TLS_ENV: Record<string, string> = Object.fromEntries(
  requiredTlsFiles().map((file) => [tlsVariable(file), `tls-Secret-${file.replace(/[^a-z0-9]/g, '')}-0009`]),
);

const SECRETS_SET = {
  GRAFANA_ADMIN_PASSWORD: 'grafana-Secret-Value-0001',
  LOGSTASH_ES_PASSWORD: 'logstash-Secret-Value-0005',
  JAEGER_ES_PASSWORD: 'jaeger-Secret-Value-0007',
  GRAFANA_ES_PASSWORD: 'grafana-es-Secret-Value-0008',
  SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/slack-secret-value-0002',
  PAGERDUTY_SERVICE_KEY: 'pagerduty-secret-value-0003',
  SMTP_SMARTHOST: 'smtp.example.com:587',
  SMTP_FROM: 'alertmanager@example.com',
  SMTP_AUTH_USERNAME: 'alertmanager',
  SMTP_AUTH_PASSWORD: 'smtp-secret-value-0004',
  ONCALL_EMAIL: 'oncall@example.com',
  CRITICAL_EMAIL: 'critical@example.com',
  GRAFANA_SSO_PROVIDER: 'github',
  GRAFANA_SSO_CLIENT_ID: 'Iv1.example-client-id',
  GRAFANA_SSO_CLIENT_SECRET: 'sso-Secret-Value-0006',
  GRAFANA_SSO_ALLOWED_ORGANIZATIONS: 'pyairtable',
  ...TLS_ENV,
};

const render = (profile: Environment, istio = false): KubernetesRender =>
  renderKubernetesStack({ profile, env: SECRETS_SET, istio });

function documents(result: KubernetesRender): Doc[] {
  return result.files
    .filter((file) => file.path.startsWith('manifests/'))
    .flatMap((file) => parseAllDocuments(file.content).map((doc) => doc.toJS() as Doc));
}

const valuesOf = (result: KubernetesRender): Record<string, unknown> =>
  parse(
    result.files.find((file) => file.path === 'values/kube-prometheus-stack.yaml')?.content ?? '',
  ) as Record<string, unknown>;

const CASES = ENVIRONMENTS.flatMap((profile) => [
  { profile, istio: false },
  { profile, istio: true },
]);

describe.each(CASES)('Kubernetes render: $profile, istio $istio', ({ profile, istio }) => {
  const result = render(profile, istio);
  const docs = documents(result);

  it('validates every manifest against its kind schema', () => {
    expect(docs.length).toBeGreaterThan(40);
    expect(docs.flatMap(schemaProblems)).toEqual([]);
  });

  it('puts every namespaced object in a namespace of the render', () => {
    for (const doc of docs)
      if (!['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(doc.kind))
        expect(['observability', 'pyairtable'], `${doc.kind} ${doc.metadata.name}`).toContain(
          doc.metadata.namespace,
        );
  });

  it('gives every container requests and limits', () => {
    for (const doc of docs) {
      const template = (doc.spec?.['template'] ??
        (doc.spec?.['jobTemplate'] as { spec?: { template?: unknown } } | undefined)?.spec?.template) as
        | { spec: { containers: { name: string; resources?: { requests?: object; limits?: object } }[] } }
        | undefined;
      for (const container of template?.spec.containers ?? []) {
        expect(container.resources?.requests, `${doc.kind} ${doc.metadata.name} requests`).toBeDefined();
        expect(container.resources?.limits, `${doc.kind} ${doc.metadata.name} limits`).toBeDefined();
      }
    }
  });

  it('runs each replicated workload with a disruption budget in production only', () => {
    const replicated = docs.filter(
      (doc) => doc.kind === 'Deployment' && (doc.spec?.['replicas'] as number) > 1,
    );
    const budgets = docs.filter((doc) => doc.kind === 'PodDisruptionBudget').map((doc) => doc.metadata.name);
    if (profile === 'production') {
      expect(replicated.map((doc) => doc.metadata.name).sort()).toEqual(['jaeger', 'otel-gateway']);
      for (const doc of replicated) expect(budgets).toContain(doc.metadata.name);
      const elasticsearch = docs.find((doc) => doc.kind === 'Elasticsearch');
      expect((elasticsearch?.spec?.['nodeSets'] as { count: number }[])[0]?.count).toBe(3);
    } else {
      expect(replicated).toEqual([]);
      expect(budgets).toEqual([]);
    }
  });

  it('wires Services to pods, monitors to Services, and volumes to objects that exist', () => {
    const byKind = (kind: string): Doc[] => docs.filter((doc) => doc.kind === kind);
    const podLabels = [...byKind('Deployment'), ...byKind('DaemonSet')].map(
      (doc) => (doc.spec?.['template'] as { metadata: { labels: Record<string, string> } }).metadata.labels,
    );
    const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
      Object.entries(selector).every(([key, value]) => labels[key] === value);
    for (const service of byKind('Service')) {
      const selector = service.spec?.['selector'] as Record<string, string>;
      expect(
        podLabels.some((labels) => matches(selector, labels)),
        `Service ${service.metadata.name} selects pods`,
      ).toBe(true);
    }
    for (const monitor of byKind('ServiceMonitor')) {
      const spec = monitor.spec as {
        selector: { matchLabels: Record<string, string> };
        endpoints: { port: string }[];
      };
      const target = byKind('Service').find((service) =>
        matches(spec.selector.matchLabels, service.metadata.labels ?? {}),
      );
      expect(target, `ServiceMonitor ${monitor.metadata.name} selects a Service`).toBeDefined();
      const ports = (target?.spec?.['ports'] as { name: string }[]).map((port) => port.name);
      for (const endpoint of spec.endpoints)
        expect(ports, `${monitor.metadata.name} port`).toContain(endpoint.port);
    }
    const configMaps = new Set(byKind('ConfigMap').map((doc) => doc.metadata.name));
    const claims = new Set(byKind('PersistentVolumeClaim').map((doc) => doc.metadata.name));
    const knownSecrets = new Set([
      ...Object.values(KUBERNETES_SECRETS),
      'pyairtable-es-elastic-user',
      'pyairtable-es-http-certs-public',
      'pyairtable-kb-http-certs-public',
    ]);
    const volumesOf = (
      doc: Doc,
    ): {
      configMap?: { name: string; items?: { key: string }[] };
      secret?: { secretName: string };
      persistentVolumeClaim?: { claimName: string };
    }[] => {
      const spec = JSON.stringify(doc.spec ?? {});
      return [...spec.matchAll(/"volumes":(\[.*?\])(?=,"|\})/g)].flatMap((match) => {
        try {
          return JSON.parse(match[1] ?? '[]') as never[];
        } catch {
          return [];
        }
      });
    };
    for (const doc of docs)
      for (const volume of volumesOf(doc)) {
        if (volume.configMap !== undefined) {
          expect(
            configMaps,
            `${doc.kind} ${doc.metadata.name} mounts ConfigMap ${volume.configMap.name}`,
          ).toContain(volume.configMap.name);
          const data =
            docs.find((other) => other.kind === 'ConfigMap' && other.metadata.name === volume.configMap?.name)
              ?.data ?? {};
          for (const item of volume.configMap.items ?? []) expect(Object.keys(data)).toContain(item.key);
        }
        if (volume.secret !== undefined) expect(knownSecrets).toContain(volume.secret.secretName);
        if (volume.persistentVolumeClaim !== undefined)
          expect(claims).toContain(volume.persistentVolumeClaim.claimName);
      }
  });

  it('uses only keys the charts document in the kube-prometheus-stack values', () => {
    expect(undocumentedValueKeys(valuesOf(result))).toEqual([]);
  });

  it("gives the charts' pods valid resource requirements", () => {
    const found: unknown[] = [];
    const walk = (node: unknown, key: string): void => {
      if (key === 'resources') found.push(node);
      // A volume claim's `resources` is its size, not a pod's.
      else if (key === 'volumeClaimTemplate') return;
      else if (node !== null && typeof node === 'object' && !Array.isArray(node))
        for (const [child, value] of Object.entries(node)) walk(value, child);
    };
    walk(valuesOf(result), '');
    expect(found.length).toBeGreaterThanOrEqual(4);
    for (const resources of found) {
      new ResourceRequirements(resources as never).validate();
      expect(Object.keys(resources as object).sort()).toEqual(['limits', 'requests']);
    }
  });

  it('routes spans by trace id to the gateway, whose pods hold the contract processors', () => {
    const config = (name: string): Record<string, Record<string, unknown>> =>
      parse(
        docs.find((doc) => doc.kind === 'ConfigMap' && doc.metadata.name === name)?.data?.['config.yaml'] ??
          '',
      ) as never;
    const agent = config('otel-agent');
    const gateway = config('otel-gateway');
    for (const collector of [agent, gateway])
      for (const section of ['receivers', 'processors', 'exporters', 'extensions'])
        for (const id of Object.keys(collector[section] ?? {})) {
          const module = COLLECTOR_MODULES[`${section}/${id.split('/')[0] ?? id}`];
          expect(COLLECTOR_COMPONENTS.components[section], `${section}/${id}`).toContain(
            `${module ?? 'missing'}@v${COLLECTOR_VERSION}`,
          );
        }
    const balancing = agent['exporters']?.['loadbalancing'] as {
      routing_key: string;
      resolver: { k8s: { service: string; ports: number[] } };
    };
    expect(balancing.routing_key).toBe('traceID');
    expect(balancing.resolver.k8s).toEqual({
      service: 'otel-gateway.observability',
      ports: [SPEC_PORTS.otlpGrpc],
    });
    const pipelines = (agent['service'] as { pipelines: Record<string, { exporters: string[] }> }).pipelines;
    expect(pipelines['traces']?.exporters).toEqual(['loadbalancing']);
    expect(pipelines['metrics']?.exporters).not.toContain('loadbalancing');
    const gatewayService = docs.find((doc) => doc.kind === 'Service' && doc.metadata.name === 'otel-gateway');
    expect((gatewayService?.spec?.['ports'] as { port: number }[]).map((port) => port.port)).toContain(
      SPEC_PORTS.otlpGrpc,
    );
    expect(Object.keys(gateway['processors'] ?? {})).toEqual(
      expect.arrayContaining(['redaction', 'tail_sampling']),
    );
    // The resolver watches the gateway's endpoints: the agent's account may.
    const role = docs.find(
      (doc) => doc.kind === 'Role' && doc.metadata.name === 'otel-agent-resolver',
    ) as unknown as {
      rules: { resources: string[]; verbs: string[] }[];
    };
    expect(role.rules.flatMap((rule) => rule.resources)).toEqual(
      expect.arrayContaining(['endpoints', 'endpointslices']),
    );
    expect(role.rules.every((rule) => rule.verbs.includes('watch'))).toBe(true);
  });

  it('loads the same rule document as Compose into a PrometheusRule', () => {
    const rule = docs.find((doc) => doc.kind === 'PrometheusRule');
    expect(rule?.spec).toEqual(
      JSON.parse(JSON.stringify(rulesDocument(buildModel({ profile, target: 'kubernetes' })))),
    );
  });

  it('keeps secret values out of every file', () => {
    const secrets = Object.entries(SECRETS_SET)
      .filter(([variable]) => /PASSWORD|SECRET|_KEY|WEBHOOK|^PYAIRTABLE_TLS_/.test(variable))
      .map(([, value]) => value);
    expect(secrets.length).toBeGreaterThan(20);
    for (const file of result.files)
      for (const value of secrets) expect(file.content, file.path).not.toContain(value);
  });
});

/** Key paths of our values the chart documents; a key the chart documents as a leaf is free-form below. */
const KPS = JSON.parse(readReference('kube-prometheus-stack-values-keys.json')) as {
  version: string;
  keys: string[];
};
/** Keys the charts' templates honour that their values.yaml does not list (source in the reference README). */
const HONOURED_UNLISTED = new Set(['grafana.fullnameOverride']);
/**
 * Subtrees the chart passes through whole, where values.yaml shows only an example: each is
 * judged by its own engine or schema instead (amtool, Kubernetes' ResourceRequirements, Grafana).
 */
const PASSED_THROUGH = [/^alertmanager\.config$/, /\.resources$/, /^grafana\.grafana\.ini$/];
function undocumentedValueKeys(values: Record<string, unknown>): string[] {
  const documented = new Set(KPS.keys);
  const hasChildren = (path: string): boolean => KPS.keys.some((key) => key.startsWith(`${path}.`));
  const problems: string[] = [];
  const walk = (node: unknown, prefix: string): void => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
    for (const [key, value] of Object.entries(node)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      if (HONOURED_UNLISTED.has(path)) continue;
      if (!documented.has(path)) problems.push(path);
      else if (PASSED_THROUGH.some((pattern) => pattern.test(path))) continue;
      else if (hasChildren(path)) walk(value, path);
    }
  };
  walk(values, '');
  return problems;
}

describe('the Kubernetes render as a whole', () => {
  it.each(ENVIRONMENTS)(
    '%s with --istio: STRICT mTLS, and the mesh traced to the collector agent',
    (profile) => {
      const result = render(profile, true);
      const docs = documents(result);
      const strict = docs.filter((doc) => doc.kind === 'PeerAuthentication');
      expect(strict.map((doc) => doc.metadata.namespace).sort()).toEqual(['observability', 'pyairtable']);
      for (const doc of strict) expect(doc.spec?.['mtls']).toEqual({ mode: 'STRICT' });
      const telemetry = docs.find((doc) => doc.kind === 'Telemetry');
      const provider = (telemetry?.spec?.['tracing'] as { providers: { name: string }[] }[])[0]?.providers[0]
        ?.name;
      const mesh = parse(
        result.files.find((file) => file.path === 'values/istiod-mesh.yaml')?.content ?? '',
      ) as {
        meshConfig: {
          extensionProviders: { name: string; opentelemetry: { service: string; port: number } }[];
        };
      };
      expect(mesh.meshConfig.extensionProviders).toEqual([
        {
          name: provider,
          opentelemetry: { service: 'otel-agent.observability.svc.cluster.local', port: SPEC_PORTS.otlpGrpc },
        },
      ]);
    },
  );

  it('without --istio, renders no Istio resource and leaves the namespace out of the mesh', () => {
    const docs = documents(render('production'));
    expect(docs.filter((doc) => doc.apiVersion.includes('istio.io'))).toEqual([]);
    expect(docs.find((doc) => doc.kind === 'Namespace')?.metadata.labels).not.toHaveProperty(
      'istio-injection',
    );
  });

  it('pins the chart the key list was read from', () => {
    expect(KPS.version).toBe(HELM_CHARTS.kubePrometheusStack.version);
  });

  it('judges: a wrong value fails the kind schema, and an unknown key fails the key check', () => {
    const service = documents(render('development')).find((doc) => doc.kind === 'Service') as Doc;
    const broken = { ...service, spec: { ...service.spec, ports: [{ port: 'not-a-number' }] } };
    expect(schemaProblems(broken as Doc)).toHaveLength(1);
    const elasticsearch = documents(render('development')).find((doc) => doc.kind === 'Elasticsearch') as Doc;
    expect(schemaProblems({ ...elasticsearch, spec: { ...elasticsearch.spec, nodeSet: [] } })).toHaveLength(
      1,
    );
    expect(undocumentedValueKeys({ prometheus: { prometheusSpec: { retentionSise: '1GB' } } })).toEqual([
      'prometheus.prometheusSpec.retentionSise',
    ]);
  });

  it('refuses a production render without its passwords, naming each', () => {
    expect(() => renderKubernetesStack({ profile: 'production', env: {} })).toThrow(SecretsError);
    expect(() => renderKubernetesStack({ profile: 'production', env: {} })).toThrow(
      /GRAFANA_ADMIN_PASSWORD is not set[\s\S]*LOGSTASH_ES_PASSWORD is not set/,
    );
  });

  it('signs people in to production Grafana through single sign-on, its secret from a Secret', () => {
    const result = render('production');
    const grafana = valuesOf(result)['grafana'] as {
      env: Record<string, string>;
      extraSecretMounts: { secretName: string; mountPath: string; subPath?: string }[];
    };
    expect(grafana.env).toMatchObject({
      GF_AUTH_GITHUB_ENABLED: 'true',
      GF_AUTH_GITHUB_CLIENT_ID: SECRETS_SET.GRAFANA_SSO_CLIENT_ID,
      GF_AUTH_GITHUB_ALLOWED_ORGANIZATIONS: 'pyairtable',
      GF_AUTH_GITHUB_CLIENT_SECRET__FILE: '/run/secrets/grafana_sso_client_secret',
    });
    expect(grafana.extraSecretMounts).toContainEqual(
      expect.objectContaining({
        secretName: 'pyairtable-grafana-sso',
        mountPath: '/run/secrets/grafana_sso_client_secret',
        subPath: 'client-secret',
      }),
    );
    const step = result.steps.find(
      (candidate) => candidate.kind === 'secret' && candidate.name === 'pyairtable-grafana-sso',
    );
    expect(step).toMatchObject({
      entries: [{ key: 'client-secret', variable: 'GRAFANA_SSO_CLIENT_SECRET' }],
    });
    for (const file of result.files)
      expect(file.content, file.path).not.toContain(SECRETS_SET.GRAFANA_SSO_CLIENT_SECRET);
  });

  it('refuses production without single sign-on unless told, and then warns', () => {
    const { GRAFANA_SSO_PROVIDER: _provider, ...withoutSso } = SECRETS_SET;
    expect(() => renderKubernetesStack({ profile: 'production', env: withoutSso })).toThrow(
      /GRAFANA_SSO_PROVIDER is not set[\s\S]*--no-sso/,
    );
    const result = renderKubernetesStack({ profile: 'production', env: withoutSso, noSso: true });
    expect(result.warnings[0]).toMatch(/^single sign-on is off \(--no-sso\)/);
    expect(valuesOf(result)['grafana']).not.toHaveProperty('env');
    expect(
      result.steps.some((step) => step.kind === 'secret' && step.name === 'pyairtable-grafana-sso'),
    ).toBe(false);
  });

  it('gives Logstash a user of its own that may write the log streams and nothing more', () => {
    const docs = documents(render('production'));
    const roles = parse(
      (
        docs.find((doc) => doc.kind === 'Secret' && doc.metadata.name === 'pyairtable-es-roles')?.[
          'stringData'
        ] as Record<string, string>
      )['roles.yml'] ?? '',
    ) as Record<string, { indices: { names: string[]; privileges: string[] }[] }>;
    const steps = render('production').steps;
    const user = steps.find((step) => step.kind === 'secret' && step.name === 'pyairtable-logstash-user');
    expect(user?.kind === 'secret' && user.type).toBe('kubernetes.io/basic-auth');
    const roleName =
      user?.kind === 'secret' ? user.entries.find((entry) => entry.key === 'roles')?.value : undefined;
    const role = roles[roleName ?? ''];
    expect(role?.indices).toEqual([
      {
        names: ['pyairtable-logs-*'],
        privileges: ['create_doc', 'auto_configure', 'create_index', 'view_index_metadata'],
      },
    ]);
    // Every data stream Logstash writes falls under the role's pattern.
    const logstash = docs.find((doc) => doc.kind === 'Logstash');
    const pipeline = (logstash?.spec?.['pipelines'] as Record<string, string>[])[0]?.['config.string'] ?? '';
    expect(pipeline).toContain('index => "%{[@metadata][data_stream]}"');
    expect(pipeline).toMatch(/"\[@metadata\]\[data_stream\]" => "pyairtable-logs-%/);
    expect(pipeline).toContain('user => "${PYAIRTABLE_LOGS_USER}"');
    const elasticsearch = docs.find((doc) => doc.kind === 'Elasticsearch');
    expect(elasticsearch?.spec?.['auth']).toEqual({
      roles: [{ secretName: 'pyairtable-es-roles' }],
      fileRealm: ['logstash', 'jaeger', 'grafana'].map((client) => ({
        secretName: `pyairtable-${client}-user`,
      })),
    });
  });

  it('gives Jaeger and Grafana users of their own, never the operator’s elastic superuser', () => {
    const result = render('production');
    const docs = documents(result);
    const jaegerConfig = parse(
      (
        docs.find((doc) => doc.kind === 'ConfigMap' && doc.metadata.name === 'jaeger')?.['data'] as Record<
          string,
          string
        >
      )['config.yaml'] ?? '',
    ) as {
      extensions: { jaeger_storage: { backends: Record<string, { elasticsearch: { auth: unknown } }> } };
    };
    const auth = Object.values(jaegerConfig.extensions.jaeger_storage.backends)[0]?.elasticsearch.auth;
    expect(auth).toEqual({
      basic: { username: 'pyairtable-jaeger', password_file: '/run/secrets/jaeger_es_password' },
    });
    const jaeger = docs.find((doc) => doc.kind === 'Deployment' && doc.metadata.name === 'jaeger');
    expect(JSON.stringify(jaeger)).toContain('"secretName":"pyairtable-jaeger-user"');
    expect(JSON.stringify(jaeger)).not.toContain('pyairtable-es-elastic-user');
    const grafana = valuesOf(result)['grafana'] as {
      additionalDataSources: { type: string; basicAuthUser?: string }[];
      extraSecretMounts: { secretName: string; subPath?: string; mountPath: string }[];
    };
    expect(
      grafana.additionalDataSources.find((source) => source.type === 'elasticsearch')?.basicAuthUser,
    ).toBe('pyairtable-grafana');
    expect(grafana.extraSecretMounts).toContainEqual(
      expect.objectContaining({
        secretName: 'pyairtable-grafana-user',
        subPath: 'password',
        mountPath: '/run/secrets/grafana_es_password',
      }),
    );
    expect(JSON.stringify(grafana)).not.toContain('pyairtable-es-elastic-user');
  });

  it("applies the Elastic resources and waits for the operator's CA before Helm waits on Grafana", () => {
    const commands = render('production').steps.map(stepCommand);
    const at = (needle: string): number => commands.findIndex((command) => command.includes(needle));
    expect(at('apply --server-side -f manifests/40-elastic.yaml')).toBeGreaterThan(
      at('helm upgrade --install elastic-operator'),
    );
    expect(
      at('wait --namespace observability --for=create secret/pyairtable-es-http-certs-public'),
    ).toBeGreaterThan(at('manifests/40-elastic.yaml'));
    expect(at('helm upgrade --install pyairtable')).toBeGreaterThan(at('--for=create'));
  });

  it('installs operators, then Secrets, then the stack; Secret values only from variables', () => {
    const steps = render('production').steps;
    const order = steps.map((step) =>
      step.kind === 'secret' ? `secret ${step.name}` : `${step.program} ${step.args.slice(0, 3).join(' ')}`,
    );
    const at = (prefix: string): number => order.findIndex((line) => line.startsWith(prefix));
    expect(at('helm upgrade --install elastic-operator')).toBeLessThan(at('secret'));
    expect(at('secret')).toBeLessThan(at('helm upgrade --install pyairtable'));
    expect(at('helm upgrade --install pyairtable')).toBeLessThan(
      at('kubectl apply --server-side --recursive'),
    );
    for (const step of steps) expect(stepCommand(step)).not.toMatch(/secret-value/);
  });

  it('rejects a namespace that is not a Kubernetes name', () => {
    expect(() =>
      renderKubernetesStack({ profile: 'development', env: {}, namespace: 'Observability_1' }),
    ).toThrow(/namespace "Observability_1" is not a Kubernetes name/);
  });
});

describe.runIf(engineAvailable(ENGINES.promtool))('the PrometheusRule under promtool', () => {
  it.each(ENVIRONMENTS)('%s: promtool check rules accepts its groups', (profile) => {
    const rule = documents(render(profile)).find((doc) => doc.kind === 'PrometheusRule');
    const dir = tempDir('k8s-rules');
    try {
      const file = join(dir.path, 'rules.yml');
      writeFileSync(file, stringify(rule?.spec));
      const result = runEngine(ENGINES.promtool, ['check', 'rules', file]);
      expect(result.stdout + result.stderr).toContain('SUCCESS');
      expect(result.status).toBe(0);
    } finally {
      dir.cleanup();
    }
  });
});

describe.runIf(engineAvailable(ENGINES.amtool))(
  "Alertmanager's config from the chart values under amtool",
  () => {
    it.each(ENVIRONMENTS)('%s: amtool check-config accepts it', (profile) => {
      const config = (valuesOf(render(profile))['alertmanager'] as { config: object }).config;
      const dir = tempDir('k8s-alertmanager');
      try {
        const file = join(dir.path, 'alertmanager.yml');
        writeFileSync(file, stringify(config));
        const result = runEngine(ENGINES.amtool, ['check-config', file]);
        expect(result.stdout + result.stderr).toContain('SUCCESS');
        expect(result.status).toBe(0);
      } finally {
        dir.cleanup();
      }
    });
  },
);
