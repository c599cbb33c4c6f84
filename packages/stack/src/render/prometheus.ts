/**
 * prometheus.yml. Stays within syntax that Debian's promtool 2.42 (which the tests run) and the
 * pinned Prometheus both accept: docker_sd_configs, static_configs, relabel_configs,
 * alertmanagers with static targets; nothing newer.
 */
import type { ServiceTier } from '@pyairtable/conventions';
import { IDENTITY_LABELS, SERVICES_JOB } from '@pyairtable/conventions';
import type { ComponentName } from '../components.js';
import { COLLECTOR_PROMETHEUS_EXPORTER_PORT, COMPONENTS, speaksTls } from '../components.js';
import type { StackModel } from '../model.js';
import { SCRAPE_LABELS } from '../model.js';
import { renderYaml } from './yaml.js';
import { UI_PASSWORDS, UI_USER } from '../tls/layout.js';
import { CA_CERTIFICATE, TLS_DIRECTORY, clientTls } from '../tls/web-config.js';
import { CADVISOR_SERVICE_LABEL } from '@pyairtable/dashboards';

/** Docker SD exposes container label `a.b` as `__meta_docker_container_label_a_b`. */
const dockerLabel = (label: string): string =>
  `__meta_docker_container_label_${label.replace(/[^a-zA-Z0-9_]/g, '_')}`;

/** Name of the external network the PyAirtable services run on (joined by name). */
export const DEFAULT_APPLICATION_NETWORK = 'pyairtable-network';

const OBSERVABILITY_TIER: ServiceTier = 'observability';

/**
 * How Prometheus reaches a component under TLS: the exporters with its own certificate (they
 * require one from our CA), the UIs with the admin's password.
 */
function tlsScrape(model: StackModel, component: ComponentName, port?: number): object {
  if (!model.tls || !speaksTls(component, port)) return {};
  const password = UI_PASSWORDS[component as keyof typeof UI_PASSWORDS] as { file: string } | undefined;
  return {
    scheme: 'https',
    ...(password === undefined
      ? { tls_config: clientTls('prometheus') }
      : {
          tls_config: { ca_file: `${TLS_DIRECTORY}/${CA_CERTIFICATE}` },
          basic_auth: { username: UI_USER, password_file: `${TLS_DIRECTORY}/${password.file}` },
        }),
  };
}

function componentJob(
  model: StackModel,
  component: ComponentName,
  port: number,
  path: string,
  jobName: string,
): object {
  return {
    job_name: jobName,
    metrics_path: path,
    ...tlsScrape(model, component, port),
    static_configs: [
      {
        targets: [model.address(component, port)],
        labels: { [IDENTITY_LABELS.service]: component, [IDENTITY_LABELS.tier]: OBSERVABILITY_TIER },
      },
    ],
  };
}

function servicesJob(model: StackModel, applicationNetwork: string): object {
  if (model.target === 'local')
    return {
      job_name: SERVICES_JOB,
      // The SDK sets service/tier/version on every series from the same values as these labels.
      honor_labels: true,
      static_configs: model.services.map((service) => ({
        targets: [service.address],
        labels: {
          [IDENTITY_LABELS.service]: service.service,
          [IDENTITY_LABELS.tier]: service.tier,
          [IDENTITY_LABELS.version]: service.version,
          __metrics_path__: service.path,
        },
      })),
    };
  return {
    job_name: SERVICES_JOB,
    honor_labels: true,
    docker_sd_configs: [
      {
        host: 'unix:///var/run/docker.sock',
        refresh_interval: '30s',
        filters: [{ name: 'label', values: [`${SCRAPE_LABELS.scrape}=true`] }],
      },
    ],
    relabel_configs: [
      { source_labels: [dockerLabel(SCRAPE_LABELS.scrape)], regex: 'true', action: 'keep' },
      // One target per container: the address on the application network.
      { source_labels: ['__meta_docker_network_name'], regex: applicationNetwork, action: 'keep' },
      {
        source_labels: ['__meta_docker_network_ip', dockerLabel(SCRAPE_LABELS.port)],
        regex: '(.+);(.+)',
        target_label: '__address__',
        replacement: '$1:$2',
      },
      { source_labels: [dockerLabel(SCRAPE_LABELS.path)], regex: '(.+)', target_label: '__metrics_path__' },
      {
        source_labels: [dockerLabel(SCRAPE_LABELS.service)],
        regex: '(.+)',
        target_label: IDENTITY_LABELS.service,
      },
      { source_labels: [dockerLabel(SCRAPE_LABELS.tier)], regex: '(.+)', target_label: IDENTITY_LABELS.tier },
      {
        source_labels: [dockerLabel(SCRAPE_LABELS.version)],
        regex: '(.+)',
        target_label: IDENTITY_LABELS.version,
      },
      { source_labels: ['__meta_docker_container_name'], regex: '/?(.+)', target_label: 'container' },
    ],
  };
}

export interface PrometheusRenderOptions {
  readonly applicationNetwork?: string;
}

/** The Prometheus configuration as a document (for tests) and as text. */
export function prometheusConfig(model: StackModel, options: PrometheusRenderOptions = {}): object {
  const scrape = model.intervalsOverride?.scrapeSeconds ?? model.settings.scrapeIntervalSeconds;
  const evaluation = model.intervalsOverride?.evaluationSeconds ?? model.settings.evaluationIntervalSeconds;
  const has = (component: ComponentName): boolean => model.components.includes(component);
  const jobs: object[] = [];
  for (const component of model.components) {
    const metrics = COMPONENTS[component].metrics;
    if (metrics === undefined) continue;
    const job = componentJob(model, component, metrics.port, metrics.path, component);
    jobs.push(
      component === 'cadvisor'
        ? {
            ...job,
            // A PyAirtable container's series carry its service, not cAdvisor's.
            metric_relabel_configs: [
              {
                source_labels: [CADVISOR_SERVICE_LABEL],
                regex: '(.+)',
                target_label: IDENTITY_LABELS.service,
              },
            ],
          }
        : job,
    );
  }
  if (has('otel-collector'))
    jobs.push(
      // OTLP metrics pushed to the collector, re-exposed for Prometheus; their own labels win.
      {
        ...componentJob(
          model,
          'otel-collector',
          COLLECTOR_PROMETHEUS_EXPORTER_PORT,
          '/metrics',
          'otel-collector-exporter',
        ),
        honor_labels: true,
      },
    );
  if (model.localHub !== undefined) {
    const hubJob = (jobName: string, address: string): object => ({
      job_name: jobName,
      static_configs: [
        {
          targets: [address],
          labels: { [IDENTITY_LABELS.service]: 'hub', [IDENTITY_LABELS.tier]: OBSERVABILITY_TIER },
        },
      ],
    });
    jobs.push(hubJob('hub', model.localHub.countersAddress), {
      ...hubJob('hub-otlp-metrics', model.localHub.exporterAddress),
      honor_labels: true,
    });
  }
  jobs.push(servicesJob(model, options.applicationNetwork ?? DEFAULT_APPLICATION_NETWORK));
  return {
    global: {
      scrape_interval: `${String(scrape)}s`,
      // Prometheus refuses a timeout longer than the interval (its default is 10s).
      ...(scrape < 10 ? { scrape_timeout: `${String(scrape)}s` } : {}),
      evaluation_interval: `${String(evaluation)}s`,
      external_labels: { environment: model.profile },
    },
    rule_files: [model.ruleFilesGlob],
    ...(has('alertmanager')
      ? {
          alerting: {
            alertmanagers: [
              {
                ...tlsScrape(model, 'alertmanager'),
                static_configs: [{ targets: [model.address('alertmanager')] }],
              },
            ],
          },
        }
      : {}),
    scrape_configs: jobs,
  };
}

export function renderPrometheusConfig(model: StackModel, options: PrometheusRenderOptions = {}): string {
  return renderYaml(
    prometheusConfig(model, options),
    `Prometheus configuration, profile ${model.profile}, target ${model.target}`,
  );
}

/** Command-line flags carrying retention: 15 days by age (the contract) and the profile's size cap. */
export function prometheusRetentionFlags(model: StackModel): string[] {
  return [
    `--storage.tsdb.retention.time=${String(model.metricsRetentionDays)}d`,
    `--storage.tsdb.retention.size=${model.settings.metricsRetentionSize}`,
  ];
}
