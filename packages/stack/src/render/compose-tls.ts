/**
 * TLS in the Compose render: each component gets the files it reads from the TLS directory as
 * secrets from the environment (`obs certs --print-env`), mounted under its TLS directory with
 * its image's user as owner (Compose honours owner and mode only for secrets from the
 * environment), and the flags or settings that turn its listeners to TLS. The engines configured
 * by file (collector, Jaeger, Logstash, Filebeat, Prometheus, Grafana's datasources) get theirs
 * from their renderers.
 */
import type { ComponentName } from '../components.js';
import { COMPONENTS } from '../components.js';
import { IMAGE_USERS } from '../images.js';
import type { StackModel } from '../model.js';
import {
  TLS_COMPONENT_FILES,
  WEB_CONFIG_COMPONENTS,
  isPrivateTlsFile,
  tlsDirectoryOf,
  tlsPath,
  tlsVariable,
  webConfigFile,
} from '../tls/layout.js';
import type { WebConfigComponent } from '../tls/layout.js';
import {
  CA_CERTIFICATE,
  TLS_DIRECTORY,
  certificateFile,
  keyFile,
  redisExporterTlsFlags,
} from '../tls/web-config.js';

type Service = Record<string, unknown>;

/** Who reads a service's files: root where Compose runs it as root, else its image's user. */
const fileOwner = (service: Service, component: ComponentName): string =>
  service['user'] === 'root' ? '0' : String(IMAGE_USERS[component]);

export const tlsSecretName = (file: string): string => `tls_${file.replace(/[^a-zA-Z0-9]/g, '_')}`;

/** A Go TLS listener answers plain HTTP with 400: it is up, and it speaks only TLS. */
const tlsListenerAnswers = (port: number): object => ({
  test: ['CMD-SHELL', `wget -q -O /dev/null http://127.0.0.1:${String(port)}/ 2>&1 | grep -q 400`],
  interval: '15s',
  timeout: '5s',
  retries: 5,
  start_period: '30s',
});

/** `curl` over TLS to the component's own listener, checking it against our CA. */
const curlOwnListener = (component: ComponentName, path: string): string =>
  `curl -s --cacert ${tlsPath(component, CA_CERTIFICATE)} https://localhost:${String(COMPONENTS[component].port)}${path}`;

function tlsFlags(component: ComponentName): string[] {
  if (component === 'redis-exporter') return redisExporterTlsFlags();
  return component in WEB_CONFIG_COMPONENTS
    ? [`--web.config.file=${TLS_DIRECTORY}/${webConfigFile(component as WebConfigComponent)}`]
    : [];
}

/** The settings that turn the listeners of the engines configured by environment to TLS. */
function tlsEnvironment(component: ComponentName): Record<string, string> {
  const file = (name: string): string => tlsPath(component, name);
  switch (component) {
    case 'grafana':
      return {
        GF_SERVER_PROTOCOL: 'https',
        GF_SERVER_CERT_FILE: file(certificateFile('grafana')),
        GF_SERVER_CERT_KEY: file(keyFile('grafana')),
      };
    case 'elasticsearch': {
      const layer = (name: 'http' | 'transport'): Record<string, string> => ({
        [`xpack.security.${name}.ssl.enabled`]: 'true',
        [`xpack.security.${name}.ssl.certificate`]: file(certificateFile('elasticsearch')),
        [`xpack.security.${name}.ssl.key`]: file(keyFile('elasticsearch')),
        [`xpack.security.${name}.ssl.certificate_authorities`]: file(CA_CERTIFICATE),
      });
      return {
        ...layer('http'),
        ...layer('transport'),
        // Nodes check each other's certificate against our CA, not their names.
        'xpack.security.transport.ssl.verification_mode': 'certificate',
      };
    }
    case 'kibana':
      return {
        SERVER_SSL_ENABLED: 'true',
        SERVER_SSL_CERTIFICATE: file(certificateFile('kibana')),
        SERVER_SSL_KEY: file(keyFile('kibana')),
        ELASTICSEARCH_SSL_CERTIFICATEAUTHORITIES: file(CA_CERTIFICATE),
      };
    default:
      return {};
  }
}

/** The health check's command under TLS, where the component's listener is probed. */
function tlsHealthTest(component: ComponentName): string[] | undefined {
  switch (component) {
    case 'grafana':
      return ['CMD-SHELL', `${curlOwnListener('grafana', '/api/health')} -f -o /dev/null`];
    case 'kibana':
      return ['CMD-SHELL', `${curlOwnListener('kibana', '/api/status')} -f -o /dev/null`];
    case 'elasticsearch':
      // Security is on: an unauthenticated request answers 401, which proves the node serves.
      return [
        'CMD-SHELL',
        `${curlOwnListener('elasticsearch', '')} | grep -q 'missing authentication credentials'`,
      ];
    default:
      return undefined;
  }
}

function mountTlsFiles(
  service: Service,
  declared: Record<string, object>,
  files: readonly string[],
  owner: string,
  directory: string,
): void {
  const mounts = files.map((file) => {
    declared[tlsSecretName(file)] = { environment: tlsVariable(file) };
    return {
      source: tlsSecretName(file),
      target: `${directory}/${file}`,
      uid: owner,
      gid: '0',
      mode: isPrivateTlsFile(file) ? '0400' : '0444',
    };
  });
  service['secrets'] = [...((service['secrets'] as object[] | undefined) ?? []), ...mounts];
}

/**
 * Mounts the TLS files, adds the flags and settings and the TLS health checks; the setup jobs
 * get the CA for their calls to Elasticsearch and Kibana. Returns the secrets to declare.
 */
export function applyComposeTls(
  model: StackModel,
  services: Record<string, Service>,
  setupJobs: readonly string[],
): Record<string, object> {
  const declared: Record<string, object> = {};
  if (!model.tls) return declared;
  for (const [component, files] of Object.entries(TLS_COMPONENT_FILES) as [
    ComponentName,
    readonly string[],
  ][]) {
    const service = services[component];
    if (service === undefined) continue;
    mountTlsFiles(service, declared, files, fileOwner(service, component), tlsDirectoryOf(component));
    const flags = tlsFlags(component);
    if (flags.length > 0) {
      service['command'] = [...((service['command'] as string[] | undefined) ?? []), ...flags];
      service['healthcheck'] = tlsListenerAnswers(COMPONENTS[component].port);
    }
    const environment = tlsEnvironment(component);
    if (Object.keys(environment).length > 0)
      service['environment'] = { ...(service['environment'] as object | undefined), ...environment };
    const test = tlsHealthTest(component);
    if (test !== undefined) service['healthcheck'] = { ...(service['healthcheck'] as object), test };
  }
  for (const job of setupJobs) {
    const service = services[job];
    if (service === undefined) continue;
    // The setup jobs run the Elasticsearch image.
    mountTlsFiles(service, declared, [CA_CERTIFICATE], fileOwner(service, 'elasticsearch'), TLS_DIRECTORY);
    // curl checks Elasticsearch's and Kibana's certificates against our CA.
    service['environment'] = {
      ...(service['environment'] as object | undefined),
      CURL_CA_BUNDLE: `${TLS_DIRECTORY}/${CA_CERTIFICATE}`,
    };
  }
  return declared;
}
