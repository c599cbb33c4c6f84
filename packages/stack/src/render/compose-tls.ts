/**
 * TLS in the Compose render: each component under TLS gets the files it reads from the TLS
 * directory as secrets from the environment (`obs certs --print-env`), mounted under
 * `TLS_DIRECTORY` with its image's user as owner (Compose honours owner and mode only for
 * secrets from the environment), and the flags that turn its listener to TLS.
 */
import type { ComponentName } from '../components.js';
import { COMPONENTS } from '../components.js';
import type { StackModel } from '../model.js';
import { TLS_COMPONENT_FILES, isPrivateTlsFile, tlsVariable, webConfigFile } from '../tls/layout.js';
import type { WebConfigComponent } from '../tls/layout.js';
import { TLS_DIRECTORY, redisExporterTlsFlags } from '../tls/web-config.js';

type Service = Record<string, unknown>;

/** The user each image runs as (Prometheus runs as root under Compose, for the Docker socket). */
const TLS_FILE_OWNERS: Readonly<Partial<Record<ComponentName, string>>> = {
  prometheus: '0',
  alertmanager: '65534',
  'node-exporter': '65534',
  'postgres-exporter': '65534',
  'redis-exporter': '59000',
  grafana: '472',
};

export const tlsSecretName = (file: string): string => `tls_${file.replace(/[^a-zA-Z0-9]/g, '_')}`;

/** A Go TLS listener answers plain HTTP with 400: it is up, and it speaks only TLS. */
const tlsListenerAnswers = (port: number): object => ({
  test: ['CMD-SHELL', `wget -q -O /dev/null http://127.0.0.1:${String(port)}/ 2>&1 | grep -q 400`],
  interval: '15s',
  timeout: '5s',
  retries: 5,
  start_period: '30s',
});

function tlsFlags(component: ComponentName): string[] {
  if (component === 'redis-exporter') return redisExporterTlsFlags();
  const web: readonly string[] = ['prometheus', 'alertmanager', 'node-exporter', 'postgres-exporter'];
  return web.includes(component)
    ? [`--web.config.file=${TLS_DIRECTORY}/${webConfigFile(component as WebConfigComponent)}`]
    : [];
}

/** Mounts the TLS files, adds the flags and the TLS health check; returns the secrets to declare. */
export function applyComposeTls(
  model: StackModel,
  services: Record<string, Service>,
): Record<string, object> {
  const declared: Record<string, object> = {};
  if (!model.tls) return declared;
  for (const [component, files] of Object.entries(TLS_COMPONENT_FILES) as [
    ComponentName,
    readonly string[],
  ][]) {
    const service = services[component];
    if (service === undefined) continue;
    const owner = TLS_FILE_OWNERS[component] ?? '0';
    const mounts = files.map((file) => {
      declared[tlsSecretName(file)] = { environment: tlsVariable(file) };
      return {
        source: tlsSecretName(file),
        target: `${TLS_DIRECTORY}/${file}`,
        uid: owner,
        gid: '0',
        mode: isPrivateTlsFile(file) ? '0400' : '0444',
      };
    });
    service['secrets'] = [...((service['secrets'] as object[] | undefined) ?? []), ...mounts];
    const flags = tlsFlags(component);
    if (flags.length > 0) {
      service['command'] = [...((service['command'] as string[] | undefined) ?? []), ...flags];
      service['healthcheck'] = tlsListenerAnswers(COMPONENTS[component].port);
    }
  }
  return declared;
}
