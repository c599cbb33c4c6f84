/**
 * Logs on Elastic's operator (ECK): Elasticsearch and Kibana as its resources, Filebeat as a
 * `Beat` DaemonSet reading every node's container logs, Logstash as a `Logstash` resource with
 * the contract's pipeline and masking script (the Compose files, unchanged but for where
 * Elasticsearch is), and the setup script Compose runs, as a Job and an hourly CronJob.
 * ECK has no typed models on npm: packages/stack/reference/eck-crds-subset.json judges these.
 */
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Secret } from 'kubernetes-models/v1/Secret';
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import { COMPONENTS } from '../../components.js';
import { ELASTIC_VERSION, IMAGES } from '../../images.js';
import { STACK_SECRETS } from '../../secrets.js';
import {
  ECK_CLUSTER,
  ELASTIC_PATHS,
  LOGSTASH_USER_VARIABLES,
  elasticsearchRoles,
  LOGSTASH_PIPELINE_ID,
  LOGSTASH_SETTINGS,
  SERVICE_LABEL_FIELD,
  filebeatTls,
  logstashPipeline,
  renderElasticFiles,
} from '../elastic.js';
import { jaegerUsesElasticsearch } from '../jaeger.js';
import { renderPiiRubyScript } from '../pii-ruby.js';
import type { KubernetesContext } from './context.js';
import { replicas } from './context.js';
import {
  ECK_SECRETS,
  ELASTIC_USER_SECRETS,
  KUBERNETES_SECRETS,
  LOGSTASH_USER,
  elasticClients,
  MOUNTS,
  POD_IDENTITY_LABELS,
  labelsFor,
  resourcesFor,
} from './names.js';
import type { Manifest } from './workloads.js';
import { TLS_MOUNT, tlsVolume } from './tls.js';
import { SECURE_CONTAINER, configMap } from './workloads.js';
import { IDENTITY_LABELS } from '@pyairtable/conventions';

/** A custom resource without a typed model: validated against the CRD schema in the tests. */
export class CustomResource {
  constructor(readonly document: Readonly<Record<string, unknown>>) {}
  toJSON(): unknown {
    return this.document;
  }
}

const FILEBEAT = 'filebeat';
const ELASTIC_SETUP = 'elastic-setup';
const PII_SCRIPT_DIR = ELASTIC_PATHS.piiScript.slice(0, ELASTIC_PATHS.piiScript.lastIndexOf('/'));
const PII_SCRIPT_FILE = ELASTIC_PATHS.piiScript.slice(ELASTIC_PATHS.piiScript.lastIndexOf('/') + 1);

/** The resource's name, and the part it plays as its label (the three share the cluster's name). */
const metadata = (context: KubernetesContext, name: string, role = name): Record<string, unknown> => ({
  name,
  namespace: context.namespace,
  labels: labelsFor(role),
});

/** One main container's size in an operator's pod template. */
const sized = (
  container: string,
  component: Parameters<typeof resourcesFor>[0],
  extra: object = {},
): object => ({
  spec: { containers: [{ name: container, resources: resourcesFor(component), ...extra }] },
});

function rolesSecret(context: KubernetesContext): Secret {
  return new Secret({
    metadata: {
      name: KUBERNETES_SECRETS.elasticsearchRoles,
      namespace: context.namespace,
      labels: labelsFor('elasticsearch'),
    },
    stringData: { 'roles.yml': stringify(elasticsearchRoles()) },
  });
}

function elasticsearch(context: KubernetesContext): CustomResource {
  return new CustomResource({
    apiVersion: 'elasticsearch.k8s.elastic.co/v1',
    kind: 'Elasticsearch',
    metadata: metadata(context, ECK_CLUSTER, 'elasticsearch'),
    spec: {
      version: ELASTIC_VERSION,
      ...(elasticClients(context.model).length > 0
        ? {
            auth: {
              roles: [{ secretName: KUBERNETES_SECRETS.elasticsearchRoles }],
              fileRealm: elasticClients(context.model).map((client) => ({
                secretName: ELASTIC_USER_SECRETS[client],
              })),
            },
          }
        : {}),
      nodeSets: [
        {
          name: 'default',
          count: context.highAvailability ? 3 : 1,
          // Without it every node needs vm.max_map_count raised on its host.
          config: { 'node.store.allow_mmap': false },
          // The heap is sized from the memory limit: half of it.
          podTemplate: sized('elasticsearch', 'elasticsearch'),
          volumeClaimTemplates: [
            {
              metadata: { name: 'elasticsearch-data' },
              spec: {
                accessModes: ['ReadWriteOnce'],
                ...(context.storageClass === undefined ? {} : { storageClassName: context.storageClass }),
                resources: { requests: { storage: context.highAvailability ? '100Gi' : '20Gi' } },
              },
            },
          ],
        },
      ],
    },
  });
}

function kibana(context: KubernetesContext): CustomResource {
  return new CustomResource({
    apiVersion: 'kibana.k8s.elastic.co/v1',
    kind: 'Kibana',
    metadata: metadata(context, ECK_CLUSTER, 'kibana'),
    spec: {
      version: ELASTIC_VERSION,
      count: replicas(context),
      elasticsearchRef: { name: ECK_CLUSTER },
      podTemplate: sized('kibana', 'kibana'),
    },
  });
}

function logstash(context: KubernetesContext): Manifest[] {
  const scripts = `${ECK_CLUSTER}-logstash-scripts`;
  return [
    configMap(context, scripts, { [PII_SCRIPT_FILE]: renderPiiRubyScript() }),
    new CustomResource({
      apiVersion: 'logstash.k8s.elastic.co/v1alpha1',
      kind: 'Logstash',
      metadata: metadata(context, ECK_CLUSTER, 'logstash'),
      spec: {
        version: ELASTIC_VERSION,
        count: replicas(context),
        // The operator gives Logstash a user and Elasticsearch's CA, as PYAIRTABLE_ES_* variables.
        elasticsearchRefs: [{ name: ECK_CLUSTER, clusterName: ECK_CLUSTER }],
        config: LOGSTASH_SETTINGS,
        pipelines: [
          { 'pipeline.id': LOGSTASH_PIPELINE_ID, 'config.string': logstashPipeline(context.model) },
        ],
        services: [
          {
            name: 'beats',
            service: {
              spec: {
                type: 'ClusterIP',
                ports: [
                  {
                    name: 'beats',
                    port: COMPONENTS.logstash.port,
                    targetPort: COMPONENTS.logstash.port,
                    protocol: 'TCP',
                  },
                ],
              },
            },
          },
        ],
        podTemplate: sized('logstash', 'logstash', {
          env: [
            { name: 'LS_JAVA_OPTS', value: '-Xms512m -Xmx512m' },
            { name: LOGSTASH_USER_VARIABLES.user, value: LOGSTASH_USER.name },
            {
              name: LOGSTASH_USER_VARIABLES.password,
              valueFrom: { secretKeyRef: { name: KUBERNETES_SECRETS.logstashUser, key: 'password' } },
            },
          ],
          volumeMounts: [
            { name: 'scripts', mountPath: PII_SCRIPT_DIR, readOnly: true },
            ...(context.model.tls ? [TLS_MOUNT] : []),
          ],
        }) as { spec: object },
      },
    }),
  ].map((manifest) =>
    manifest instanceof CustomResource
      ? withVolumes(manifest, [
          { name: 'scripts', configMap: { name: scripts } },
          ...(context.model.tls ? [tlsVolume('logstash')] : []),
        ])
      : manifest,
  );
}

function withVolumes(resource: CustomResource, volumes: IVolume[]): CustomResource {
  const document = resource.document as { spec: { podTemplate: { spec: Record<string, unknown> } } };
  return new CustomResource({
    ...document,
    spec: { ...document.spec, podTemplate: { spec: { ...document.spec.podTemplate.spec, volumes } } },
  });
}

/** Filebeat on every node: container logs of the application namespace, to Logstash. */
export function filebeatConfig(context: KubernetesContext): object {
  const podLabel = (name: string): string => `kubernetes.labels.${name.replace(/[./]/g, '_')}`;
  return {
    'filebeat.inputs': [
      {
        type: 'filestream',
        id: 'kubernetes-containers',
        paths: ['/var/log/containers/*.log'],
        'prospector.scanner.symlinks': true,
        parsers: [{ container: { stream: 'all', format: 'auto' } }],
      },
    ],
    processors: [
      {
        add_kubernetes_metadata: {
          host: '${NODE_NAME}',
          matchers: [{ logs_path: { logs_path: '/var/log/containers/' } }],
        },
      },
      { drop_event: { when: { not: { equals: { 'kubernetes.namespace': context.applicationNamespace } } } } },
      // The pod's service label where the Logstash pipeline reads Docker's under Compose.
      {
        copy_fields: {
          fields: [{ from: podLabel(POD_IDENTITY_LABELS[IDENTITY_LABELS.service]), to: SERVICE_LABEL_FIELD }],
          fail_on_error: false,
          ignore_missing: true,
        },
      },
      { drop_event: { when: { not: { has_fields: [SERVICE_LABEL_FIELD] } } } },
      { drop_fields: { fields: ['kubernetes'], ignore_missing: true } },
    ],
    'output.logstash': { hosts: [context.model.address('logstash')], ...filebeatTls(context.model) },
  };
}

function filebeat(context: KubernetesContext): Manifest[] {
  const subject = [{ kind: 'ServiceAccount', name: FILEBEAT, namespace: context.namespace }];
  const hostPath = (name: string, path: string): IVolume => ({ name, hostPath: { path } });
  const podSpec: IPodSpec = {
    serviceAccountName: FILEBEAT,
    automountServiceAccountToken: true,
    // Every node's logs, tainted nodes' too.
    tolerations: [{ operator: 'Exists' }],
    // Reading other containers' log files on the host needs root; nothing else is granted.
    securityContext: { runAsUser: 0 },
    containers: [
      {
        name: 'filebeat',
        resources: resourcesFor('filebeat'),
        env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
        volumeMounts: [
          { name: 'varlogcontainers', mountPath: '/var/log/containers', readOnly: true },
          { name: 'varlogpods', mountPath: '/var/log/pods', readOnly: true },
          ...(context.model.tls ? [TLS_MOUNT] : []),
        ],
      },
    ],
    volumes: [
      hostPath('varlogcontainers', '/var/log/containers'),
      hostPath('varlogpods', '/var/log/pods'),
      ...(context.model.tls ? [tlsVolume('filebeat')] : []),
    ],
  };
  return [
    new ServiceAccount({
      metadata: { name: FILEBEAT, namespace: context.namespace, labels: labelsFor(FILEBEAT) },
    }),
    new ClusterRole({
      metadata: { name: `pyairtable-${FILEBEAT}`, labels: labelsFor(FILEBEAT) },
      rules: [
        { apiGroups: [''], resources: ['pods', 'namespaces', 'nodes'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['get', 'list', 'watch'] },
      ],
    }),
    new ClusterRoleBinding({
      metadata: { name: `pyairtable-${FILEBEAT}`, labels: labelsFor(FILEBEAT) },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `pyairtable-${FILEBEAT}` },
      subjects: subject,
    }),
    new CustomResource({
      apiVersion: 'beat.k8s.elastic.co/v1beta1',
      kind: 'Beat',
      metadata: metadata(context, FILEBEAT),
      spec: {
        type: 'filebeat',
        version: ELASTIC_VERSION,
        config: filebeatConfig(context),
        daemonSet: { podTemplate: { spec: podSpec } },
      },
    }),
  ];
}

/** ConfigMap keys cannot hold `/`: each setup file gets a flat key and its path back at mount. */
const flatKey = (path: string): string => path.replace(/\//g, '__');

function setup(context: KubernetesContext): Manifest[] {
  const files = renderElasticFiles(context.model).filter((file) => file.path.startsWith(`${ELASTIC_SETUP}/`));
  const relative = (path: string): string => path.slice(ELASTIC_SETUP.length + 1);
  const volumes: IVolume[] = [
    {
      name: 'setup',
      configMap: {
        name: ELASTIC_SETUP,
        defaultMode: 0o555,
        items: files.map((file) => ({ key: flatKey(relative(file.path)), path: relative(file.path) })),
      },
    },
    {
      name: 'elastic-password',
      secret: {
        secretName: ECK_SECRETS.elasticUser,
        items: [{ key: 'elastic', path: STACK_SECRETS.elasticPassword.secretName }],
      },
    },
    { name: 'elasticsearch-ca', secret: { secretName: ECK_SECRETS.elasticsearchCa } },
    { name: 'kibana-ca', secret: { secretName: ECK_SECRETS.kibanaCa } },
    { name: 'tmp', emptyDir: {} },
  ];
  const pod = (mode: string): IPodSpec => ({
    restartPolicy: 'OnFailure',
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 },
    containers: [
      {
        ...SECURE_CONTAINER,
        name: ELASTIC_SETUP,
        image: IMAGES.elasticsearch,
        command: ['bash', '-c'],
        // curl trusts the operator's two CAs (Elasticsearch's and Kibana's), and nothing else.
        args: [
          `cat ${MOUNTS.elasticsearchCa}/ca.crt ${MOUNTS.kibanaCa}/ca.crt > /tmp/ca.pem && ` +
            `export CURL_CA_BUNDLE=/tmp/ca.pem && ${mode}`,
        ],
        resources: resourcesFor('elastic-setup'),
        volumeMounts: [
          { name: 'setup', mountPath: ELASTIC_PATHS.setupDir, readOnly: true },
          { name: 'elastic-password', mountPath: MOUNTS.secrets, readOnly: true },
          { name: 'elasticsearch-ca', mountPath: MOUNTS.elasticsearchCa, readOnly: true },
          { name: 'kibana-ca', mountPath: MOUNTS.kibanaCa, readOnly: true },
          { name: 'tmp', mountPath: '/tmp' },
        ],
      },
    ],
    volumes,
  });
  const script = `${ELASTIC_PATHS.setupDir}/setup.sh`;
  const hasKibana = context.model.components.includes('kibana');
  const manifests: Manifest[] = [
    configMap(
      context,
      ELASTIC_SETUP,
      Object.fromEntries(files.map((file) => [flatKey(relative(file.path)), file.content])),
    ),
    new Job({
      // A Job's pod cannot change: a new render of the setup is a new Job, the old one expires.
      metadata: {
        name: `${ELASTIC_SETUP}-${createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 8)}`,
        namespace: context.namespace,
        labels: labelsFor(ELASTIC_SETUP),
      },
      spec: {
        backoffLimit: 10,
        ttlSecondsAfterFinished: 86_400,
        template: {
          metadata: { labels: labelsFor(ELASTIC_SETUP) },
          spec: pod(`${script} elasticsearch${hasKibana ? ` && ${script} kibana` : ''}`),
        },
      },
    }),
  ];
  if (jaegerUsesElasticsearch(context.model))
    manifests.push(
      new CronJob({
        metadata: {
          name: 'trace-retention',
          namespace: context.namespace,
          labels: labelsFor('trace-retention'),
        },
        spec: {
          schedule: '17 * * * *',
          concurrencyPolicy: 'Forbid',
          jobTemplate: {
            spec: {
              backoffLimit: 2,
              template: {
                metadata: { labels: labelsFor('trace-retention') },
                spec: pod(`${script} trace-retention-once`),
              },
            },
          },
        },
      }),
    );
  return manifests;
}

export function elasticManifests(context: KubernetesContext): Manifest[] {
  const has = (component: (typeof context.model.components)[number]): boolean =>
    context.model.components.includes(component);
  if (!has('elasticsearch')) return [];
  return [
    ...(elasticClients(context.model).length > 0 ? [rolesSecret(context)] : []),
    elasticsearch(context),
    ...(has('kibana') ? [kibana(context)] : []),
    ...(has('logstash') ? logstash(context) : []),
    ...(has('filebeat') && has('logstash') ? filebeat(context) : []),
    ...setup(context),
  ];
}
