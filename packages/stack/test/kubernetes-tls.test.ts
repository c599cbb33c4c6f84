/**
 * TLS in the Kubernetes render, judged as data (no cluster runs here): the Prometheus operator's
 * own models judge Prometheus's and Alertmanager's listeners and every scrape's TLS settings, the
 * collector's configtls schema judges the collector's and Jaeger's, every TLS file a pod's
 * configuration names is mounted into that pod from the TLS Secret, and the Secret is made at
 * install from the variables `obs certs --print-env` sets, never written into a file.
 */
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { Alertmanager } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/Alertmanager';
import { Prometheus } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/Prometheus';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { SecretsError, renderKubernetesStack, requiredTlsFiles, tlsVariable } from '@pyairtable/stack';
import { expectConfigTls } from './configtls.js';

type Doc = { kind: string; metadata: { name: string; namespace?: string }; [key: string]: unknown };

const TLS_ENV = Object.fromEntries(
  requiredTlsFiles().map((file) => [tlsVariable(file), `tls-Content-${file.replace(/\W/g, '')}-k8s`]),
);
const ENV = {
  GRAFANA_ADMIN_PASSWORD: 'grafana-Admin-Secret-01',
  LOGSTASH_ES_PASSWORD: 'logstash-Es-Secret-02',
  JAEGER_ES_PASSWORD: 'jaeger-Es-Secret-03',
  GRAFANA_ES_PASSWORD: 'grafana-Es-Secret-04',
  GRAFANA_SSO_PROVIDER: 'github',
  GRAFANA_SSO_CLIENT_ID: 'Iv1.client',
  GRAFANA_SSO_CLIENT_SECRET: 'sso-Client-Secret-05',
  GRAFANA_SSO_ALLOWED_ORGANIZATIONS: 'pyairtable',
  ...TLS_ENV,
};

const result = renderKubernetesStack({ profile: 'production', env: ENV });
const docs = result.files
  .filter((file) => file.path.startsWith('manifests/'))
  .flatMap((file) => parseAllDocuments(file.content).map((doc) => doc.toJS() as Doc));
const values = parse(
  result.files.find((file) => file.path === 'values/kube-prometheus-stack.yaml')?.content ?? '',
) as Record<string, Record<string, unknown>>;
const find = (kind: string, name: string): Doc => {
  const doc = docs.find((candidate) => candidate.kind === kind && candidate.metadata.name === name);
  if (doc === undefined) throw new Error(`no ${kind} ${name} in the render`);
  return doc;
};
const configOf = (name: string, key = 'config.yaml'): string =>
  (find('ConfigMap', name)['data'] as Record<string, string>)[key] ?? '';
/** The value at a path of keys in a parsed document. */
const at = (value: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], value);

const TLS_FILE = /\/etc\/pyairtable\/tls\/[\w.-]+/g;
/** The TLS files a pod spec mounts from the TLS Secret (its items, at the TLS directory). */
function mountedTlsFiles(podSpec: unknown): string[] {
  const spec = podSpec as {
    volumes?: { name: string; secret?: { secretName: string; items?: { path: string }[] } }[];
    containers: { volumeMounts?: { name: string; mountPath: string }[] }[];
  };
  const volume = spec.volumes?.find((candidate) => candidate.secret?.secretName === 'pyairtable-tls');
  if (volume === undefined) return [];
  const mount = spec.containers[0]?.volumeMounts?.find((candidate) => candidate.name === volume.name);
  return (volume.secret?.items ?? []).map((item) => `${mount?.mountPath ?? '?'}/${item.path}`);
}
const podSpecOf = (doc: Doc): unknown =>
  at(doc, 'spec', 'template', 'spec') ??
  at(doc, 'spec', 'podTemplate', 'spec') ??
  at(doc, 'spec', 'daemonSet', 'podTemplate', 'spec');

describe('TLS in the Kubernetes render (production)', () => {
  it("serves Prometheus and Alertmanager on our certificates, as the operator's models accept", () => {
    const prometheusSpec = values['prometheus']?.['prometheusSpec'] as Record<string, unknown>;
    expect(at(prometheusSpec, 'web', 'tlsConfig')).toEqual({
      cert: { secret: { name: 'pyairtable-tls', key: 'prometheus.crt' } },
      keySecret: { name: 'pyairtable-tls', key: 'prometheus.key' },
    });
    // The web settings, judged by the operator's model (the chart renders the rest of the spec).
    new Prometheus({
      metadata: { name: 'pyairtable' },
      spec: { web: prometheusSpec['web'] } as never,
    }).validate();
    expect(() => {
      new Prometheus({
        metadata: { name: 'planted' },
        spec: { web: { tlsConfig: { cert: 'x' } } } as never,
      }).validate();
    }).toThrow();
    const { scheme, tlsConfig, ...alertmanagerSpec } = values['alertmanager']?.['alertmanagerSpec'] as Record<
      string,
      unknown
    >;
    new Alertmanager({
      metadata: { name: 'pyairtable' },
      spec: { web: alertmanagerSpec['web'] } as never,
    }).validate();
    expect(at(alertmanagerSpec, 'web', 'tlsConfig', 'keySecret')).toEqual({
      name: 'pyairtable-tls',
      key: 'alertmanager.key',
    });
    // How Prometheus reaches Alertmanager and scrapes both: https, our CA, the Service's name.
    const endpoints = [
      { port: 'http-web', scheme, tlsConfig },
      ...(['prometheus', 'alertmanager'] as const).map((component) => ({
        port: 'http-web',
        scheme: at(values[component], 'serviceMonitor', 'scheme') as string,
        tlsConfig: at(values[component], 'serviceMonitor', 'tlsConfig') as object,
      })),
    ];
    new ServiceMonitor({
      metadata: { name: 'check' },
      spec: { selector: {}, endpoints: endpoints as never },
    }).validate();
    for (const endpoint of endpoints) {
      expect(endpoint.scheme).toBe('https');
      expect(at(endpoint.tlsConfig, 'ca', 'secret')).toEqual({ name: 'pyairtable-tls', key: 'ca.crt' });
    }
    expect(at(tlsConfig, 'serverName')).toBe('pyairtable-alertmanager');
  });

  it("serves the node exporter through the chart's kube-rbac-proxy on our certificate", () => {
    const nodeExporter = values['prometheus-node-exporter'];
    expect(nodeExporter).toMatchObject({
      kubeRBACProxy: { enabled: true, tls: { enabled: true } },
      tlsSecret: {
        enabled: true,
        secretName: 'pyairtable-tls',
        certItem: 'node-exporter.crt',
        keyItem: 'node-exporter.key',
      },
    });
    const monitor = at(nodeExporter, 'prometheus', 'monitor') as Record<string, unknown>;
    new ServiceMonitor({
      metadata: { name: 'node-exporter' },
      spec: { selector: {}, endpoints: [{ port: 'http-metrics', ...monitor }] as never },
    }).validate();
    expect(monitor['scheme']).toBe('https');
    expect(at(monitor, 'tlsConfig', 'serverName')).toBe('pyairtable-prometheus-node-exporter');
    // kube-rbac-proxy lets in callers Kubernetes authorises: Prometheus shows its service account's token.
    expect(monitor['bearerTokenFile']).toBe('/var/run/secrets/kubernetes.io/serviceaccount/token');
  });

  it('scrapes over TLS with its own certificate where the listener has TLS, and plain where it has none', () => {
    const endpoints = docs
      .filter((doc) => doc.kind === 'ServiceMonitor')
      .flatMap((doc) =>
        (at(doc, 'spec', 'endpoints') as { port: string; scheme?: string; tlsConfig?: object }[]).map(
          (endpoint) => ({ monitor: doc.metadata.name, ...endpoint }),
        ),
      );
    const byPort = (monitor: string, port: string): { scheme?: string; tlsConfig?: object } | undefined =>
      endpoints.find((endpoint) => endpoint.monitor === monitor && endpoint.port === port);
    for (const [monitor, port] of [
      ['otel-collector', 'otlp-metrics'],
      ['redis-exporter', 'metrics'],
      ['postgres-exporter', 'metrics'],
    ] as const) {
      const endpoint = byPort(monitor, port);
      expect(endpoint?.scheme, monitor).toBe('https');
      expect(at(endpoint?.tlsConfig, 'keySecret'), monitor).toEqual({
        name: 'pyairtable-tls',
        key: 'prometheus.key',
      });
    }
    // The collector's and Jaeger's own telemetry has no TLS option: plain, inside the namespace.
    expect(byPort('otel-collector', 'metrics')?.scheme).toBeUndefined();
    expect(byPort('jaeger', 'metrics')?.scheme).toBeUndefined();
  });

  it("gives the collector's and Jaeger's tls blocks only what configtls defines", () => {
    const agent: unknown = parse(configOf('otel-agent'));
    const gateway: unknown = parse(configOf('otel-gateway'));
    const jaeger: unknown = parse(configOf('jaeger'));
    for (const [where, config] of [
      ['agent', agent],
      ['gateway', gateway],
      ['jaeger', jaeger],
    ] as const)
      for (const protocol of ['grpc', 'http'])
        expectConfigTls(
          at(config, 'receivers', 'otlp', 'protocols', protocol, 'tls'),
          'server_config',
          where,
        );
    const balanced = at(agent, 'exporters', 'loadbalancing', 'protocol', 'otlp', 'tls');
    expectConfigTls(balanced, 'client_config', 'agent → gateway pods');
    // It dials the gateways' pod addresses: the certificate is checked under the Service's name.
    expect(at(balanced, 'server_name_override')).toBe('otel-gateway');
    expectConfigTls(at(agent, 'exporters', 'otlp_grpc/gateway', 'tls'), 'client_config', 'agent metrics');
    expectConfigTls(at(gateway, 'exporters', 'otlp_grpc/jaeger', 'tls'), 'client_config', 'gateway → jaeger');
    expectConfigTls(at(jaeger, 'extensions', 'jaeger_query', 'http', 'tls'), 'server_config', 'query');
  });

  it('mounts into each pod every TLS file its configuration names, and only its own', () => {
    const readers: [Doc, string][] = [
      [find('DaemonSet', 'otel-agent'), configOf('otel-agent')],
      [find('Deployment', 'otel-gateway'), configOf('otel-gateway')],
      [find('Deployment', 'jaeger'), configOf('jaeger')],
      [find('Deployment', 'postgres-exporter'), configOf('postgres-exporter-web', 'web-config.yml')],
      [find('Deployment', 'redis-exporter'), JSON.stringify(find('Deployment', 'redis-exporter'))],
      [
        find('Logstash', 'pyairtable'),
        JSON.stringify(at(find('Logstash', 'pyairtable'), 'spec', 'pipelines')),
      ],
      [find('Beat', 'filebeat'), JSON.stringify(at(find('Beat', 'filebeat'), 'spec', 'config'))],
    ];
    for (const [doc, text] of readers) {
      const mounted = mountedTlsFiles(podSpecOf(doc));
      const named = [...new Set(text.match(TLS_FILE) ?? [])];
      expect(named.length, doc.metadata.name).toBeGreaterThan(0);
      for (const file of named) expect(mounted, `${doc.metadata.name} reads ${file}`).toContain(file);
      // Its own key alone: no pod mounts another component's.
      expect(
        mounted.filter((file) => file.endsWith('.key')),
        doc.metadata.name,
      ).toHaveLength(1);
    }
    const grafana = values['grafana']?.['extraSecretMounts'] as {
      secretName: string;
      items?: { key: string }[];
    }[];
    expect(grafana.find((mount) => mount.secretName === 'pyairtable-tls')?.items).toEqual([
      { key: 'ca.crt', path: 'ca.crt' },
    ]);
  });

  it('makes the TLS Secret at install from the obs certs variables, and writes no TLS content', () => {
    const step = result.steps.find(
      (candidate) => candidate.kind === 'secret' && candidate.name === 'pyairtable-tls',
    );
    expect(step?.kind === 'secret' && step.namespace).toBe('observability');
    const entries = step?.kind === 'secret' ? step.entries : [];
    for (const entry of entries) expect(entry.variable).toBe(tlsVariable(entry.key));
    expect(entries.map((entry) => entry.key)).toEqual(
      expect.arrayContaining(['ca.crt', 'prometheus.key', 'otel-collector.crt', 'filebeat.key']),
    );
    const ca = result.steps.find(
      (candidate) => candidate.kind === 'secret' && candidate.name === 'pyairtable-tls-ca',
    );
    expect(ca).toMatchObject({ namespace: 'pyairtable', entries: [{ key: 'ca.crt' }] });
    for (const file of result.files)
      for (const content of Object.values(TLS_ENV)) expect(file.content, file.path).not.toContain(content);
  });

  it('refuses production without the TLS files, naming them with every other problem, unless told', () => {
    const withoutTls = Object.fromEntries(Object.entries(ENV).filter(([variable]) => !(variable in TLS_ENV)));
    const { GRAFANA_ADMIN_PASSWORD: _admin, ...neither } = withoutTls;
    expect(() => renderKubernetesStack({ profile: 'production', env: neither })).toThrow(SecretsError);
    expect(() => renderKubernetesStack({ profile: 'production', env: neither })).toThrow(
      /PYAIRTABLE_TLS_CA_CRT[\s\S]*--insecure-no-tls[\s\S]*GRAFANA_ADMIN_PASSWORD is not set/,
    );
    const insecure = renderKubernetesStack({ profile: 'production', env: withoutTls, insecureNoTls: true });
    expect(insecure.warnings[0]).toMatch(/^TLS is off \(--insecure-no-tls\)/);
    expect(insecure.steps.some((step) => step.kind === 'secret' && step.name === 'pyairtable-tls')).toBe(
      false,
    );
    expect(insecure.files.map((file) => file.content).join('\n')).not.toContain('/etc/pyairtable/tls/');
  });
});
