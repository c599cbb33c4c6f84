/**
 * docker-compose.observability.yml. Every component of the spec plus the one-shot setup jobs,
 * pinned images, health checks where the image can run one, the spec's resource limits (larger
 * where the engine cannot run in them, with the reason), restart policies and named volumes.
 *
 * Networks: `observability` is internal (no route out, nothing published); the UIs and
 * Alertmanager also join `edge`, which publishes them on the profile's address (127.0.0.1 by
 * default) and lets Alertmanager reach Slack, PagerDuty and SMTP; the PyAirtable application
 * network is joined by its explicit name by the parts that talk to the services.
 *
 * Secrets reach containers at `docker compose up`, from the environment: as Compose secrets
 * (files under /run/secrets) where the engine reads a file, as `${VAR}` that Compose expands
 * where it reads only an environment variable. Their values are never in this file.
 */
import type { ChannelResolution } from '../alerting.js';
import { ALERTMANAGER_SECRET_FILES, CHANNEL_VARIABLES } from '../alerting.js';
import type { ComponentName } from '../components.js';
import { COLLECTOR_PROMETHEUS_EXPORTER_PORT, COMPONENTS } from '../components.js';
import { IMAGES, IMAGE_USERS } from '../images.js';
import type { StackModel } from '../model.js';
import { SCRAPE_LABELS } from '../model.js';
import { STACK_SECRETS, secretPath } from '../secrets.js';
import { applyComposeTls } from './compose-tls.js';
import type { SsoSettings } from '../sso.js';
import { SSO_CLIENT_SECRET, SSO_VARIABLES, grafanaSsoEnvironment } from '../sso.js';
import type { StackSecret } from '../secrets.js';
import { COLLECTOR_HEALTH_PORT } from './collector.js';
import { ELASTIC_PATHS, ELASTIC_SERVICE_USERS } from './elastic.js';
import { GRAFANA_DASHBOARDS_DIR } from './grafana.js';
import { JAEGER_BADGER_DIR, JAEGER_HEALTH_PORT, jaegerUsesElasticsearch } from './jaeger.js';
import { prometheusRetentionFlags } from './prometheus.js';
import { renderYaml } from './yaml.js';
import { SPEC_PORTS } from '@pyairtable/conventions';

export const COMPOSE_FILE = 'docker-compose.observability.yml';
export const COMPOSE_PROJECT = 'pyairtable-observability';

/** Files the compose file mounts, relative to the output directory. */
export const RENDERED_PATHS = {
  prometheusConfig: 'prometheus/prometheus.yml',
  prometheusRules: 'prometheus/rules',
  alertmanagerConfig: 'alertmanager/alertmanager.yml',
  collectorConfig: 'otel-collector/config.yaml',
  jaegerConfig: 'jaeger/config.yaml',
  grafanaProvisioning: 'grafana/provisioning',
  grafanaDashboards: 'grafana/dashboards',
  filebeatConfig: 'filebeat/filebeat.yml',
  logstashSettings: 'logstash/config/logstash.yml',
  logstashPipelines: 'logstash/config/pipelines.yml',
  logstashPipelineDir: 'logstash/pipeline',
  logstashPiiScript: 'logstash/scripts/pii_mask.rb',
  elasticSetup: 'elastic-setup',
} as const;

export interface ComposeOptions {
  /** The PyAirtable application network, joined by this name (it must exist: the application creates it). */
  readonly applicationNetwork: string;
  /** Host address the UIs are published on. */
  readonly publishAddress: string;
  /** Redis and PostgreSQL the exporters watch, on the application network. */
  readonly redisAddress: string;
  readonly postgresAddress: string;
}

/** Published UI ports on the host (the spec's URLs: Grafana on 3001, the rest on their own). */
export const PUBLISHED_PORTS: Readonly<Partial<Record<ComponentName, number>>> = {
  grafana: SPEC_PORTS.grafana,
  prometheus: COMPONENTS.prometheus.port,
  alertmanager: COMPONENTS.alertmanager.port,
  jaeger: COMPONENTS.jaeger.port,
  kibana: COMPONENTS.kibana.port,
};

interface Resources {
  readonly limits: { readonly memory: string; readonly cpus: string };
  readonly reservations: { readonly memory: string; readonly cpus: string };
}
/** The spec's limits for every observability service. */
export const DEFAULT_RESOURCES: Resources = {
  limits: { memory: '512M', cpus: '0.5' },
  reservations: { memory: '256M', cpus: '0.25' },
};
const SETUP_SCRIPT_RESOURCES = {
  limits: { memory: '128M', cpus: '0.25' },
  reservations: { memory: '32M', cpus: '0.05' },
  reason: 'a shell script calling curl',
};
/** Where the spec's 512M cannot work: JVMs need heap plus off-heap room. Heaps are set to half. */
export const RESOURCE_OVERRIDES: Readonly<
  Partial<Record<ComponentName | SetupJob, Resources & { readonly reason: string }>>
> = {
  elasticsearch: {
    limits: { memory: '2G', cpus: '1.0' },
    reservations: { memory: '1G', cpus: '0.5' },
    reason: 'a 1 GB heap is the smallest Elastic supports for a node that indexes; the rest is page cache',
  },
  logstash: {
    limits: { memory: '1G', cpus: '0.5' },
    reservations: { memory: '512M', cpus: '0.25' },
    reason: 'a 512 MB JVM heap plus JRuby and the pipeline workers',
  },
  kibana: {
    limits: { memory: '1G', cpus: '0.5' },
    reservations: { memory: '512M', cpus: '0.25' },
    reason: "Kibana's Node.js server does not start its plugins in 512 MB",
  },
  'elastic-setup': SETUP_SCRIPT_RESOURCES,
  'kibana-setup': SETUP_SCRIPT_RESOURCES,
  'trace-retention': {
    limits: { memory: '64M', cpus: '0.1' },
    reservations: { memory: '16M', cpus: '0.01' },
    reason: 'one curl call an hour',
  },
};

export const SETUP_JOBS = ['elastic-setup', 'kibana-setup', 'trace-retention'] as const;
export type SetupJob = (typeof SETUP_JOBS)[number];

const ELASTIC_JAVA_HEAP = '1g';
const LOGSTASH_JAVA_HEAP = '512m';

/** `${VAR:?message}`: Compose refuses to start, naming the variable, when it is unset. */
const required = (variable: string): string =>
  `\${${variable}:?set ${variable} (see the README of this render)}`;
const optional = (variable: string): string => `\${${variable}:-}`;

const probe = (test: string[]): object => ({
  test,
  interval: '15s',
  timeout: '5s',
  retries: 5,
  start_period: '30s',
});
const wget = (url: string): object => probe(['CMD', 'wget', '-q', '-O', '/dev/null', url]);

function resources(name: ComponentName | SetupJob): object {
  const override = RESOURCE_OVERRIDES[name];
  const chosen = override ?? DEFAULT_RESOURCES;
  return { resources: { limits: { ...chosen.limits }, reservations: { ...chosen.reservations } } };
}

type Service = Record<string, unknown>;

interface SecretReference {
  readonly source: string;
  readonly uid: string;
  readonly gid: string;
  readonly mode: string;
}

export function composeDocument(
  model: StackModel,
  channels: ChannelResolution,
  options: ComposeOptions,
  sso?: SsoSettings,
): Record<string, unknown> {
  const has = (component: ComponentName): boolean => model.components.includes(component);
  const publish = (component: ComponentName): string[] => {
    const host = PUBLISHED_PORTS[component];
    return host === undefined
      ? []
      : [`${options.publishAddress}:${String(host)}:${String(COMPONENTS[component].port)}`];
  };
  const mount = (path: string, target: string): string => `./${path}:${target}:ro`;
  // Long form with the image's user as owner: Compose copies secrets from the environment in
  // as files whose default owner and mode vary between Compose releases.
  const secretRefs = (user: ComponentName, ...names: string[]): SecretReference[] =>
    names.map((source) => ({ source, uid: String(IMAGE_USERS[user]), gid: '0', mode: '0400' }));
  const base = (name: ComponentName | SetupJob, image: string, networks: string[]): Service => ({
    image,
    restart: 'unless-stopped',
    networks,
    deploy: resources(name),
  });
  const elasticsearchStore = jaegerUsesElasticsearch(model);

  const services: Record<string, Service> = {};
  const volumes: Record<string, object> = {};
  const secrets: Record<string, object> = {};
  const useSecret = (secret: StackSecret): void => {
    secrets[secret.secretName] = { environment: secret.variable };
  };

  if (has('prometheus')) {
    volumes['prometheus-data'] = {};
    services['prometheus'] = {
      ...base('prometheus', IMAGES.prometheus, ['observability', 'edge', 'application']),
      command: [
        '--config.file=/etc/prometheus/prometheus.yml',
        '--storage.tsdb.path=/prometheus',
        ...prometheusRetentionFlags(model),
      ],
      // Docker service discovery reads the Docker API, which only root may reach by default.
      user: 'root',
      volumes: [
        mount(RENDERED_PATHS.prometheusConfig, '/etc/prometheus/prometheus.yml'),
        mount(RENDERED_PATHS.prometheusRules, '/etc/prometheus/rules'),
        '/var/run/docker.sock:/var/run/docker.sock:ro',
        'prometheus-data:/prometheus',
      ],
      ports: publish('prometheus'),
      healthcheck: wget(`http://127.0.0.1:${String(COMPONENTS.prometheus.port)}/-/healthy`),
    };
  }

  if (has('alertmanager')) {
    volumes['alertmanager-data'] = {};
    const channelSecrets: string[] = [];
    const alertmanagerSecret = (variable: string, file: string): void => {
      if (!channels.secretVariables.includes(variable)) return;
      const name = file.replace('/run/secrets/', '');
      secrets[name] = { environment: variable };
      channelSecrets.push(name);
    };
    alertmanagerSecret(CHANNEL_VARIABLES.slackWebhookUrl, ALERTMANAGER_SECRET_FILES.slackWebhookUrl);
    alertmanagerSecret(CHANNEL_VARIABLES.pagerdutyServiceKey, ALERTMANAGER_SECRET_FILES.pagerdutyServiceKey);
    alertmanagerSecret(CHANNEL_VARIABLES.smtpPassword, ALERTMANAGER_SECRET_FILES.smtpPassword);
    services['alertmanager'] = {
      ...base('alertmanager', IMAGES.alertmanager, ['observability', 'edge']),
      command: ['--config.file=/etc/alertmanager/alertmanager.yml', '--storage.path=/alertmanager'],
      volumes: [
        mount(RENDERED_PATHS.alertmanagerConfig, '/etc/alertmanager/alertmanager.yml'),
        'alertmanager-data:/alertmanager',
      ],
      ...(channelSecrets.length > 0 ? { secrets: secretRefs('alertmanager', ...channelSecrets) } : {}),
      ports: publish('alertmanager'),
      healthcheck: wget(`http://127.0.0.1:${String(COMPONENTS.alertmanager.port)}/-/healthy`),
    };
  }

  if (has('grafana')) {
    volumes['grafana-data'] = {};
    useSecret(STACK_SECRETS.grafanaAdminPassword);
    useSecret(STACK_SECRETS.grafanaElasticPassword);
    if (sso !== undefined) secrets[SSO_CLIENT_SECRET] = { environment: SSO_VARIABLES.clientSecret };
    services['grafana'] = {
      ...base('grafana', IMAGES.grafana, ['observability', 'edge']),
      environment: {
        GF_SECURITY_ADMIN_USER: 'admin',
        GF_SECURITY_ADMIN_PASSWORD__FILE: secretPath(STACK_SECRETS.grafanaAdminPassword),
        GF_USERS_ALLOW_SIGN_UP: 'false',
        GF_AUTH_ANONYMOUS_ENABLED: 'false',
        GF_ANALYTICS_REPORTING_ENABLED: 'false',
        GF_ANALYTICS_CHECK_FOR_UPDATES: 'false',
        // Where people open it: sign-in redirects and the alerts' panel links go there.
        GF_SERVER_ROOT_URL: model.grafanaUrl,
        ...(sso === undefined ? {} : grafanaSsoEnvironment(sso, secretPath(SSO_CLIENT_SECRET))),
      },
      secrets: secretRefs(
        'grafana',
        STACK_SECRETS.grafanaAdminPassword.secretName,
        STACK_SECRETS.grafanaElasticPassword.secretName,
        ...(sso === undefined ? [] : [SSO_CLIENT_SECRET]),
      ),
      volumes: [
        mount(RENDERED_PATHS.grafanaProvisioning, '/etc/grafana/provisioning'),
        mount(RENDERED_PATHS.grafanaDashboards, GRAFANA_DASHBOARDS_DIR),
        'grafana-data:/var/lib/grafana',
      ],
      ports: publish('grafana'),
      // curl: Grafana's wget would try to save the response under the URL's name.
      healthcheck: probe([
        'CMD',
        'curl',
        '-sf',
        '-o',
        '/dev/null',
        `http://127.0.0.1:${String(COMPONENTS.grafana.port)}/api/health`,
      ]),
    };
  }

  if (has('otel-collector')) {
    services['otel-collector'] = {
      ...base(
        'otel-collector',
        IMAGES['otel-collector'],
        model.profile === 'development'
          ? ['observability', 'edge', 'application']
          : ['observability', 'application'],
      ),
      command: ['--config=/etc/otelcol-contrib/config.yaml'],
      volumes: [mount(RENDERED_PATHS.collectorConfig, '/etc/otelcol-contrib/config.yaml')],
      // Development: services started on the host send OTLP here too.
      ...(model.profile === 'development'
        ? {
            ports: [SPEC_PORTS.otlpGrpc, SPEC_PORTS.otlpHttp].map(
              (port) => `${options.publishAddress}:${String(port)}:${String(port)}`,
            ),
          }
        : {}),
      // The image has no shell or HTTP client; Prometheus watches `up` and the health_check
      // extension (port COLLECTOR_HEALTH_PORT) serves orchestrators that probe over HTTP.
      expose: [String(COLLECTOR_HEALTH_PORT), String(COLLECTOR_PROMETHEUS_EXPORTER_PORT)],
      ...(has('jaeger') ? { depends_on: { jaeger: { condition: 'service_started' } } } : {}),
    };
  }

  if (has('jaeger')) {
    if (!elasticsearchStore) volumes['jaeger-badger'] = {};
    if (elasticsearchStore) useSecret(STACK_SECRETS.jaegerElasticPassword);
    services['jaeger'] = {
      ...base('jaeger', IMAGES.jaeger, ['observability', 'edge']),
      command: ['--config=/etc/jaeger/config.yaml'],
      volumes: [
        mount(RENDERED_PATHS.jaegerConfig, '/etc/jaeger/config.yaml'),
        ...(elasticsearchStore ? [] : [`jaeger-badger:${JAEGER_BADGER_DIR}`]),
      ],
      ...(elasticsearchStore
        ? { secrets: secretRefs('jaeger', STACK_SECRETS.jaegerElasticPassword.secretName) }
        : {}),
      ...(elasticsearchStore
        ? { depends_on: { elasticsearch: { condition: 'service_healthy' } } }
        : // Badger's files are written by the image's user; the volume starts owned by root.
          { user: 'root' }),
      ports: publish('jaeger'),
      healthcheck: wget(`http://127.0.0.1:${String(JAEGER_HEALTH_PORT)}/status`),
    };
  }

  if (has('elasticsearch')) {
    volumes['elasticsearch-data'] = {};
    useSecret(STACK_SECRETS.elasticPassword);
    useSecret(STACK_SECRETS.kibanaSystemPassword);
    services['elasticsearch'] = {
      ...base('elasticsearch', IMAGES.elasticsearch, ['observability']),
      environment: {
        'cluster.name': COMPOSE_PROJECT,
        'discovery.type': 'single-node',
        'xpack.security.enabled': 'true',
        // Inside the internal network only; nothing outside reaches Elasticsearch.
        'xpack.security.http.ssl.enabled': 'false',
        'xpack.security.transport.ssl.enabled': 'false',
        'xpack.ml.enabled': 'false',
        // From the environment, as Elastic's own Compose example does: the image refuses a
        // password file that is not mode 400 or 600, which Compose does not guarantee.
        [STACK_SECRETS.elasticPassword.variable]: required(STACK_SECRETS.elasticPassword.variable),
        ES_JAVA_OPTS: `-Xms${ELASTIC_JAVA_HEAP} -Xmx${ELASTIC_JAVA_HEAP}`,
      },
      volumes: ['elasticsearch-data:/usr/share/elasticsearch/data'],
      ulimits: { nofile: { soft: 65536, hard: 65536 } },
      healthcheck: {
        // Security is on: an unauthenticated request answers 401, which proves the node serves.
        test: [
          'CMD-SHELL',
          `curl -s http://127.0.0.1:${String(COMPONENTS.elasticsearch.port)} | grep -q 'missing authentication credentials'`,
        ],
        interval: '15s',
        timeout: '10s',
        retries: 20,
        start_period: '60s',
      },
    };
    const setupJob = (name: SetupJob, mode: string, dependsOn: Record<string, object>): Service => ({
      ...base(name, IMAGES.elasticsearch, ['observability']),
      restart: name === 'trace-retention' ? 'unless-stopped' : 'no',
      entrypoint: ['bash', `${ELASTIC_PATHS.setupDir}/setup.sh`],
      command: [mode],
      // Only the first job sets the users' passwords; every job calls Elasticsearch as elastic,
      // the one place the superuser is used.
      secrets:
        name === 'elastic-setup'
          ? secretRefs(
              'elasticsearch',
              STACK_SECRETS.elasticPassword.secretName,
              STACK_SECRETS.kibanaSystemPassword.secretName,
              ...Object.values(ELASTIC_SERVICE_USERS).map((user) => user.secret.secretName),
            )
          : secretRefs('elasticsearch', STACK_SECRETS.elasticPassword.secretName),
      // bash is PID 1 here: an init process forwards SIGTERM so `down` does not wait.
      init: true,
      volumes: [mount(RENDERED_PATHS.elasticSetup, ELASTIC_PATHS.setupDir)],
      depends_on: dependsOn,
    });
    services['elastic-setup'] = setupJob('elastic-setup', 'elasticsearch', {
      elasticsearch: { condition: 'service_healthy' },
    });
    for (const user of Object.values(ELASTIC_SERVICE_USERS)) useSecret(user.secret);
    if (has('kibana'))
      services['kibana-setup'] = setupJob('kibana-setup', 'kibana', {
        kibana: { condition: 'service_healthy' },
      });
    if (has('jaeger') && elasticsearchStore)
      services['trace-retention'] = setupJob('trace-retention', 'trace-retention', {
        'elastic-setup': { condition: 'service_completed_successfully' },
      });
  }

  const afterSetup = has('elasticsearch')
    ? { 'elastic-setup': { condition: 'service_completed_successfully' } }
    : {};

  if (has('kibana')) {
    services['kibana'] = {
      ...base('kibana', IMAGES.kibana, ['observability', 'edge']),
      environment: {
        ELASTICSEARCH_HOSTS: `["${model.url('elasticsearch')}"]`,
        ELASTICSEARCH_USERNAME: 'kibana_system',
        // Kibana reads its password only from settings or the environment.
        ELASTICSEARCH_PASSWORD: required(STACK_SECRETS.kibanaSystemPassword.variable),
        SERVER_NAME: 'kibana',
        TELEMETRY_OPTIN: 'false',
      },
      ports: publish('kibana'),
      depends_on: afterSetup,
      // /api/status answers without credentials, 503 until Elasticsearch and saved objects are ready.
      healthcheck: {
        ...probe([
          'CMD',
          'curl',
          '-sf',
          '-o',
          '/dev/null',
          `http://127.0.0.1:${String(COMPONENTS.kibana.port)}/api/status`,
        ]),
        retries: 20,
        start_period: '90s',
      },
    };
  }

  if (has('logstash')) {
    services['logstash'] = {
      ...base('logstash', IMAGES.logstash, ['observability']),
      environment: {
        LS_JAVA_OPTS: `-Xms${LOGSTASH_JAVA_HEAP} -Xmx${LOGSTASH_JAVA_HEAP}`,
        // Logstash expands its user's password in its pipeline from its environment.
        [STACK_SECRETS.logstashElasticPassword.variable]: required(
          STACK_SECRETS.logstashElasticPassword.variable,
        ),
      },
      volumes: [
        mount(RENDERED_PATHS.logstashSettings, '/usr/share/logstash/config/logstash.yml'),
        mount(RENDERED_PATHS.logstashPipelines, '/usr/share/logstash/config/pipelines.yml'),
        mount(RENDERED_PATHS.logstashPipelineDir, '/usr/share/logstash/pipeline'),
        mount(RENDERED_PATHS.logstashPiiScript, ELASTIC_PATHS.piiScript),
      ],
      depends_on: afterSetup,
      healthcheck: {
        test: ['CMD-SHELL', 'curl -s -f http://127.0.0.1:9600/ > /dev/null'],
        interval: '15s',
        timeout: '5s',
        retries: 10,
        start_period: '60s',
      },
    };
  }

  if (has('filebeat')) {
    volumes['filebeat-data'] = {};
    services['filebeat'] = {
      ...base('filebeat', IMAGES.filebeat, ['observability']),
      // Reads every container's log file and the Docker API for labels: root only.
      user: 'root',
      command: [
        'filebeat',
        '-environment',
        'container',
        '-e',
        '--strict.perms=false',
        '-c',
        '/usr/share/filebeat/filebeat.yml',
      ],
      volumes: [
        mount(RENDERED_PATHS.filebeatConfig, '/usr/share/filebeat/filebeat.yml'),
        '/var/lib/docker/containers:/var/lib/docker/containers:ro',
        '/var/run/docker.sock:/var/run/docker.sock:ro',
        'filebeat-data:/usr/share/filebeat/data',
      ],
      ...(has('logstash') ? { depends_on: { logstash: { condition: 'service_started' } } } : {}),
    };
  }

  if (has('node-exporter'))
    services['node-exporter'] = {
      ...base('node-exporter', IMAGES['node-exporter'], ['observability']),
      command: ['--path.rootfs=/host'],
      pid: 'host',
      volumes: ['/:/host:ro,rslave'],
      healthcheck: wget(`http://127.0.0.1:${String(COMPONENTS['node-exporter'].port)}/`),
    };

  if (has('cadvisor'))
    services['cadvisor'] = {
      ...base('cadvisor', IMAGES.cadvisor, ['observability']),
      command: [
        '--docker_only=true',
        '--housekeeping_interval=30s',
        // Only the service label becomes a metric label (container_label_service): the alert
        // rules aggregate containers by service.
        '--store_container_labels=false',
        `--whitelisted_container_labels=${SCRAPE_LABELS.service}`,
      ],
      privileged: true,
      devices: ['/dev/kmsg:/dev/kmsg'],
      volumes: [
        '/:/rootfs:ro',
        '/var/run:/var/run:ro',
        '/sys:/sys:ro',
        '/var/lib/docker/:/var/lib/docker:ro',
        '/dev/disk/:/dev/disk:ro',
      ],
      healthcheck: wget(`http://127.0.0.1:${String(COMPONENTS.cadvisor.port)}/healthz`),
    };

  if (has('redis-exporter'))
    services['redis-exporter'] = {
      ...base('redis-exporter', IMAGES['redis-exporter'], ['observability', 'application']),
      environment: { REDIS_ADDR: options.redisAddress, REDIS_PASSWORD: optional('REDIS_PASSWORD') },
      healthcheck: wget(`http://127.0.0.1:${String(COMPONENTS['redis-exporter'].port)}/health`),
    };

  if (has('postgres-exporter'))
    services['postgres-exporter'] = {
      ...base('postgres-exporter', IMAGES['postgres-exporter'], ['observability', 'application']),
      environment: {
        DATA_SOURCE_URI: options.postgresAddress,
        DATA_SOURCE_USER: '${POSTGRES_EXPORTER_USER:-postgres_exporter}',
        DATA_SOURCE_PASS: optional('POSTGRES_EXPORTER_PASSWORD'),
      },
      healthcheck: wget(`http://127.0.0.1:${String(COMPONENTS['postgres-exporter'].port)}/`),
    };

  Object.assign(secrets, applyComposeTls(model, services, SETUP_JOBS));

  // Only the networks some service joins.
  const joined = new Set(Object.values(services).flatMap((service) => service['networks'] as string[]));
  const networks: Record<string, object> = {};
  if (joined.has('observability'))
    networks['observability'] = { name: `${COMPOSE_PROJECT}-internal`, internal: true };
  if (joined.has('edge')) networks['edge'] = { name: `${COMPOSE_PROJECT}-edge` };
  if (joined.has('application'))
    networks['application'] = { name: options.applicationNetwork, external: true };

  return {
    name: COMPOSE_PROJECT,
    services,
    networks,
    volumes,
    ...(Object.keys(secrets).length > 0 ? { secrets } : {}),
  };
}

export function renderCompose(
  model: StackModel,
  channels: ChannelResolution,
  options: ComposeOptions,
  sso?: SsoSettings,
): string {
  return renderYaml(
    composeDocument(model, channels, options, sso),
    `Docker Compose file of the PyAirtable observability stack, profile ${model.profile}`,
  );
}
