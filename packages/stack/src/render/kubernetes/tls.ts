/**
 * TLS in the Kubernetes render: the certificates `obs certs` makes (their names include each
 * component's Services in the namespace), in one Secret created at install from the same
 * `PYAIRTABLE_TLS_*` variables Compose reads. Each pod mounts only its own certificate, key and
 * the CA; the Prometheus operator reads the Secret by key for Prometheus's and Alertmanager's
 * listeners and for every scrape. Elasticsearch and Kibana keep the certificates Elastic's
 * operator makes, which their clients already check.
 */
import type { ISafeTLSConfig } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/SafeTLSConfig';
import type { IWebTLSConfig } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/WebTLSConfig';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { ComponentName } from '../../components.js';
import { KUBERNETES_TLS_COMPONENTS } from '../../components.js';
import { KUBERNETES_SERVICES } from '../../model.js';
import { CA_CERTIFICATE, TLS_DIRECTORY, certificateFile, keyFile } from '../../tls/web-config.js';

/** The Secret holding the CA and each component's certificate and key, keyed by file name. */
export const TLS_SECRET = 'pyairtable-tls';
/** The CA alone, in the application's namespace: services check the agent against it. */
export const TLS_CA_SECRET = 'pyairtable-tls-ca';

const ownFiles = (component: ComponentName): string[] => [
  CA_CERTIFICATE,
  certificateFile(component),
  keyFile(component),
];

/** The TLS files a Kubernetes render needs, for the components it runs (Grafana: the CA). */
export function kubernetesTlsFiles(components: readonly ComponentName[]): string[] {
  return [
    CA_CERTIFICATE,
    ...KUBERNETES_TLS_COMPONENTS.filter((component) => components.includes(component)).flatMap(ownFiles),
  ].filter((file, index, files) => files.indexOf(file) === index);
}

/** The TLS files a component's pod mounts: its certificate and key, and the CA (Grafana: the CA). */
export const podTlsFiles = (component: ComponentName): string[] =>
  KUBERNETES_TLS_COMPONENTS.includes(component) ? ownFiles(component) : [CA_CERTIFICATE];

/** A pod's volume of its TLS files, readable by its user's group alone (the pod's fsGroup). */
export function tlsVolume(component: ComponentName): IVolume {
  return {
    name: 'tls',
    secret: {
      secretName: TLS_SECRET,
      defaultMode: 0o440,
      items: podTlsFiles(component).map((file) => ({ key: file, path: file })),
    },
  };
}
export const TLS_MOUNT = { name: 'tls', mountPath: TLS_DIRECTORY, readOnly: true } as const;

const fromSecret = (file: string): { name: string; key: string } => ({ name: TLS_SECRET, key: file });

/** A listener of the Prometheus operator's (Prometheus, Alertmanager) on its certificate. */
export function operatorWebTls(component: 'prometheus' | 'alertmanager'): IWebTLSConfig {
  return {
    cert: { secret: fromSecret(certificateFile(component)) },
    keySecret: fromSecret(keyFile(component)),
  };
}

/**
 * How Prometheus reaches a component on our certificate: it checks the server against our CA
 * under the Service's name (it scrapes pod addresses) and shows its own certificate, which the
 * exporters and the collector's metrics require.
 */
export function prometheusClientTls(server: ComponentName, showCertificate = true): ISafeTLSConfig {
  return {
    ca: { secret: fromSecret(CA_CERTIFICATE) },
    ...(showCertificate
      ? {
          cert: { secret: fromSecret(certificateFile('prometheus')) },
          keySecret: fromSecret(keyFile('prometheus')),
        }
      : {}),
    serverName: KUBERNETES_SERVICES[server],
  };
}
