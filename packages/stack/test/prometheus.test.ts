import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENVIRONMENTS } from '@pyairtable/conventions';
import { ENGINES, engineAvailable, runEngine, tempDir } from '@pyairtable/test-support';
import {
  COMPONENT_NAMES,
  ModelError,
  buildModel,
  prometheusConfig,
  prometheusRetentionFlags,
  renderPrometheusConfig,
} from '@pyairtable/stack';

interface Job {
  job_name: string;
  honor_labels?: boolean;
  static_configs?: { targets: string[]; labels: Record<string, string> }[];
  relabel_configs?: { source_labels: string[]; regex?: string; target_label?: string; action?: string }[];
}

const jobsOf = (text: string): Job[] => (parse(text) as { scrape_configs: Job[] }).scrape_configs;

describe('Prometheus configuration', () => {
  it.each(ENVIRONMENTS)('renders the %s profile deterministically', (profile) => {
    const first = renderPrometheusConfig(buildModel({ profile }));
    expect(renderPrometheusConfig(buildModel({ profile }))).toBe(first);
    expect(first).toContain(`environment: ${profile}`);
  });

  it('scrapes every component that exposes metrics, the collector exporter, and the services', () => {
    const jobs = jobsOf(renderPrometheusConfig(buildModel({ profile: 'production' })));
    expect(jobs.map((job) => job.job_name)).toEqual([
      'prometheus',
      'alertmanager',
      'grafana',
      'otel-collector',
      'jaeger',
      'node-exporter',
      'cadvisor',
      'redis-exporter',
      'postgres-exporter',
      'otel-collector-exporter',
      'pyairtable-services',
    ]);
    const collector = jobs.find((job) => job.job_name === 'otel-collector-exporter');
    expect(collector?.static_configs?.[0]?.targets).toEqual(['otel-collector:8889']);
    expect(collector?.honor_labels).toBe(true);
  });

  it('discovers PyAirtable services by their Docker labels on the application network', () => {
    const services = jobsOf(
      renderPrometheusConfig(buildModel({ profile: 'production' }), { applicationNetwork: 'pyairtable-net' }),
    ).find((job) => job.job_name === 'pyairtable-services');
    const relabel = services?.relabel_configs ?? [];
    expect(relabel[0]).toEqual({
      source_labels: ['__meta_docker_container_label_prometheus_scrape'],
      regex: 'true',
      action: 'keep',
    });
    expect(relabel).toContainEqual({
      source_labels: ['__meta_docker_network_name'],
      regex: 'pyairtable-net',
      action: 'keep',
    });
    for (const label of ['service', 'tier', 'version'])
      expect(relabel).toContainEqual({
        source_labels: [`__meta_docker_container_label_${label}`],
        regex: '(.+)',
        target_label: label,
      });
    expect(relabel.find((rule) => rule.target_label === '__metrics_path__')?.source_labels).toEqual([
      '__meta_docker_container_label_prometheus_path',
    ]);
  });

  it('scrapes fixed loopback services in local mode, with their identity labels', () => {
    const model = buildModel({
      profile: 'development',
      target: 'local',
      components: ['prometheus', 'alertmanager'],
      services: [
        {
          service: 'api-gateway',
          tier: 'gateway',
          version: '1.0.0',
          address: '127.0.0.1:8001',
          path: '/metrics',
        },
      ],
    });
    const document = prometheusConfig(model) as { alerting: unknown; scrape_configs: Job[] };
    expect(document.alerting).toEqual({
      alertmanagers: [{ static_configs: [{ targets: ['127.0.0.1:9093'] }] }],
    });
    const services = document.scrape_configs.find((job) => job.job_name === 'pyairtable-services');
    expect(services?.static_configs).toEqual([
      {
        targets: ['127.0.0.1:8001'],
        labels: { service: 'api-gateway', tier: 'gateway', version: '1.0.0', __metrics_path__: '/metrics' },
      },
    ]);
  });

  it('in local mode, scrapes each component on its moved port and the hub in place of the collector', () => {
    const model = buildModel({
      profile: 'development',
      target: 'local',
      components: ['prometheus', 'node-exporter'],
      ports: { prometheus: 19090, 'node-exporter': 19100 },
      localHub: { countersAddress: '127.0.0.1:16686', exporterAddress: '127.0.0.1:8889' },
    });
    const jobs = (prometheusConfig(model) as { scrape_configs: Job[] }).scrape_configs;
    const targets = (name: string): unknown =>
      jobs.find((job) => job.job_name === name)?.static_configs?.[0]?.targets;
    expect(targets('prometheus')).toEqual(['127.0.0.1:19090']);
    expect(targets('node-exporter')).toEqual(['127.0.0.1:19100']);
    expect(targets('hub')).toEqual(['127.0.0.1:16686']);
    expect(targets('hub-otlp-metrics')).toEqual(['127.0.0.1:8889']);
    expect(jobs.find((job) => job.job_name === 'hub-otlp-metrics')).toMatchObject({ honor_labels: true });
  });

  it('keeps metrics 15 days, capped by size per profile', () => {
    expect(prometheusRetentionFlags(buildModel({ profile: 'production' }))).toEqual([
      '--storage.tsdb.retention.time=15d',
      '--storage.tsdb.retention.size=40GB',
    ]);
  });

  it('names the profiles when given an unknown one', () => {
    expect(() => buildModel({ profile: 'prod' as never })).toThrow(ModelError);
    expect(() => buildModel({ profile: 'prod' as never })).toThrow(/development, staging, production/);
  });

  it('knows every component of the spec', () => {
    expect([...COMPONENT_NAMES].sort()).toEqual(
      [
        'alertmanager',
        'cadvisor',
        'elasticsearch',
        'filebeat',
        'grafana',
        'jaeger',
        'kibana',
        'logstash',
        'node-exporter',
        'otel-collector',
        'postgres-exporter',
        'prometheus',
        'redis-exporter',
      ].sort(),
    );
  });
});

describe.runIf(engineAvailable(ENGINES.promtool))('promtool check config (real Prometheus)', () => {
  function check(text: string): { status: number | null; output: string } {
    const dir = tempDir('prometheus-config');
    try {
      mkdirSync(join(dir.path, 'rules'));
      writeFileSync(join(dir.path, 'rules', 'empty.yml'), 'groups: []\n');
      writeFileSync(join(dir.path, 'prometheus.yml'), text);
      const result = runEngine(ENGINES.promtool, ['check', 'config', 'prometheus.yml'], { cwd: dir.path });
      return { status: result.status, output: result.stdout + result.stderr };
    } finally {
      dir.cleanup();
    }
  }

  it.each(ENVIRONMENTS)('accepts the compose render of %s', (profile) => {
    const model = buildModel({ profile, ruleFilesGlob: 'rules/*.yml' });
    const result = check(renderPrometheusConfig(model));
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('accepts the local render', () => {
    const model = buildModel({
      profile: 'development',
      target: 'local',
      localHub: { countersAddress: '127.0.0.1:16686', exporterAddress: '127.0.0.1:8889' },
      services: [
        {
          service: 'api-gateway',
          tier: 'gateway',
          version: '1.0.0',
          address: '127.0.0.1:8001',
          path: '/metrics',
        },
      ],
    });
    const result = check(renderPrometheusConfig(model));
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('rejects a broken configuration, so the checks above can fail', () => {
    const broken = renderPrometheusConfig(
      buildModel({ profile: 'production', ruleFilesGlob: 'rules/*.yml' }),
    ).replace('regex: (.+);(.+)', 'regex: (.+;(.+)');
    expect(check(broken).status).not.toBe(0);
  });
});
