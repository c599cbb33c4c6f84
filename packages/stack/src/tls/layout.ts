/**
 * The layout of a TLS directory (`obs certs`): which files it holds and what each engine reads.
 * Shared by the certificate maker and the renders that mount these files by name.
 */
import { COMPONENT_NAMES, TLS_LISTENERS } from '../components.js';
export { TLS_LISTENERS };
import type { ComponentName } from '../components.js';
import { KUBERNETES_EXTRA_SERVICES, KUBERNETES_SERVICES } from '../model.js';
import { CA_CERTIFICATE, TLS_DIRECTORY, certificateFile, keyFile } from './web-config.js';

/** The engines that read the exporter toolkit's web config, and whether people log in to them. */
export const WEB_CONFIG_COMPONENTS = {
  prometheus: { users: true },
  alertmanager: { users: true },
  'node-exporter': { users: false },
  'postgres-exporter': { users: false },
} as const satisfies Partial<Record<ComponentName, { users: boolean }>>;
export type WebConfigComponent = keyof typeof WEB_CONFIG_COMPONENTS;

/** The UI users' password files and the variables that may set them. */
export const UI_PASSWORDS = {
  prometheus: { file: 'prometheus.password', variable: 'PROMETHEUS_WEB_PASSWORD' },
  alertmanager: { file: 'alertmanager.password', variable: 'ALERTMANAGER_WEB_PASSWORD' },
} as const;
export const UI_USER = 'admin';
export const webConfigFile = (component: WebConfigComponent): string => `web/${component}.yml`;

/** Every name a component is reached by, under Compose, in Kubernetes, and on this host. */
export function componentNames(component: ComponentName, namespace: string): string[] {
  const services = [KUBERNETES_SERVICES[component], ...(KUBERNETES_EXTRA_SERVICES[component] ?? [])];
  return [
    ...new Set([
      component,
      ...services.flatMap((service) => [
        service,
        `${service}.${namespace}`,
        `${service}.${namespace}.svc`,
        `${service}.${namespace}.svc.cluster.local`,
      ]),
      'localhost',
    ]),
  ];
}

/** Every file the stack's TLS needs, whatever is missing from a directory named. */
export function requiredTlsFiles(): string[] {
  return [
    CA_CERTIFICATE,
    ...COMPONENT_NAMES.flatMap((component) => [certificateFile(component), keyFile(component)]),
    ...Object.values(UI_PASSWORDS).map((password) => password.file),
    ...(Object.keys(WEB_CONFIG_COMPONENTS) as WebConfigComponent[]).map(webConfigFile),
  ];
}

/**
 * The variable a TLS file reaches Compose through. Compose gives a secret from the environment
 * the owner and mode we ask for; one bind-mounted from a file keeps the host's (a 0600 key the
 * container's user could not read). `obs certs --print-env` exports them all.
 */
export const tlsVariable = (file: string): string =>
  `PYAIRTABLE_TLS_${file.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

/** A listener's own certificate and key, and the CA its peers' certificates are checked against. */
const ownCertificate = (component: ComponentName): string[] => [
  CA_CERTIFICATE,
  certificateFile(component),
  keyFile(component),
];

/**
 * What each component reads from the TLS directory in a TLS render: its certificate and key
 * (server and client alike), the CA, its web config, and the UI passwords it logs in with.
 */
export const TLS_COMPONENT_FILES: Readonly<Partial<Record<ComponentName, readonly string[]>>> = {
  prometheus: [
    ...ownCertificate('prometheus'),
    webConfigFile('prometheus'),
    UI_PASSWORDS.prometheus.file,
    UI_PASSWORDS.alertmanager.file,
  ],
  alertmanager: [...ownCertificate('alertmanager'), webConfigFile('alertmanager')],
  grafana: [...ownCertificate('grafana'), UI_PASSWORDS.prometheus.file, UI_PASSWORDS.alertmanager.file],
  'otel-collector': ownCertificate('otel-collector'),
  jaeger: ownCertificate('jaeger'),
  elasticsearch: ownCertificate('elasticsearch'),
  logstash: ownCertificate('logstash'),
  kibana: ownCertificate('kibana'),
  filebeat: ownCertificate('filebeat'),
  'node-exporter': [...ownCertificate('node-exporter'), webConfigFile('node-exporter')],
  'postgres-exporter': [...ownCertificate('postgres-exporter'), webConfigFile('postgres-exporter')],
  'redis-exporter': ownCertificate('redis-exporter'),
};

/** Elasticsearch reads TLS files only from under its config directory. */
const ELASTICSEARCH_TLS_DIRECTORY = '/usr/share/elasticsearch/config/tls';

/** Where a component's container finds its TLS files. */
export const tlsDirectoryOf = (component: ComponentName): string =>
  component === 'elasticsearch' ? ELASTICSEARCH_TLS_DIRECTORY : TLS_DIRECTORY;

/** A TLS file's path inside a component's container. */
export const tlsPath = (component: ComponentName, file: string): string =>
  `${tlsDirectoryOf(component)}/${file}`;

/** Whether a TLS file is private: keys and passwords are mounted 0400, the rest 0444. */
export const isPrivateTlsFile = (file: string): boolean =>
  file.endsWith('.key') || file.endsWith('.password');
