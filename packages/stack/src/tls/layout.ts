/**
 * The layout of a TLS directory (`obs certs`): which files it holds and what each engine reads.
 * Shared by the certificate maker and the renders that mount these files by name.
 */
import { COMPONENT_NAMES, TLS_LISTENERS } from '../components.js';
export { TLS_LISTENERS };
import type { ComponentName } from '../components.js';
import { KUBERNETES_SERVICES } from '../model.js';
import { CA_CERTIFICATE, certificateFile, keyFile } from './web-config.js';

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
  const service = KUBERNETES_SERVICES[component];
  return [
    ...new Set([
      component,
      service,
      `${service}.${namespace}`,
      `${service}.${namespace}.svc`,
      `${service}.${namespace}.svc.cluster.local`,
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

/**
 * What each component under TLS in this release reads from the TLS directory: its listener's
 * certificate and key, the CA, its web config, and the UI passwords it logs in with.
 */
export const TLS_COMPONENT_FILES: Readonly<Partial<Record<ComponentName, readonly string[]>>> = {
  prometheus: [
    CA_CERTIFICATE,
    certificateFile('prometheus'),
    keyFile('prometheus'),
    webConfigFile('prometheus'),
    UI_PASSWORDS.prometheus.file,
    UI_PASSWORDS.alertmanager.file,
  ],
  alertmanager: [
    CA_CERTIFICATE,
    certificateFile('alertmanager'),
    keyFile('alertmanager'),
    webConfigFile('alertmanager'),
  ],
  'node-exporter': [
    CA_CERTIFICATE,
    certificateFile('node-exporter'),
    keyFile('node-exporter'),
    webConfigFile('node-exporter'),
  ],
  'postgres-exporter': [
    CA_CERTIFICATE,
    certificateFile('postgres-exporter'),
    keyFile('postgres-exporter'),
    webConfigFile('postgres-exporter'),
  ],
  'redis-exporter': [CA_CERTIFICATE, certificateFile('redis-exporter'), keyFile('redis-exporter')],
  grafana: [CA_CERTIFICATE, UI_PASSWORDS.prometheus.file, UI_PASSWORDS.alertmanager.file],
};

/** Whether a TLS file is private: keys and passwords are mounted 0400, the rest 0444. */
export const isPrivateTlsFile = (file: string): boolean =>
  file.endsWith('.key') || file.endsWith('.password');
