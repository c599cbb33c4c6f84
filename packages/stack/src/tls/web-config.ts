/**
 * The Prometheus exporter toolkit's web configuration (`--web.config.file`), which Prometheus,
 * Alertmanager and the node and PostgreSQL exporters read: TLS on their listener, client
 * certificates from our CA where only the stack calls (the exporters), basic auth with bcrypt
 * hashes where people log in (Prometheus's and Alertmanager's UIs). The Redis exporter takes
 * the same settings as flags (`redisExporterTlsFlags`).
 */
import bcrypt from 'bcryptjs';

/** Where every container finds its certificate, its key and the CA (Compose and Kubernetes alike). */
export const TLS_DIRECTORY = '/etc/pyairtable/tls';
export const CA_CERTIFICATE = 'ca.crt';
export const CA_KEY = 'ca.key';
export const certificateFile = (name: string): string => `${name}.crt`;
export const keyFile = (name: string): string => `${name}.key`;

export interface WebConfigOptions {
  /** Directory the files are read from inside the engine's container (or on this host in tests). */
  readonly directory?: string;
  /** Require a client certificate signed by our CA: for endpoints only the stack calls. */
  readonly requireClientCertificates: boolean;
  /** User → bcrypt hash, for endpoints people open. */
  readonly users?: Readonly<Record<string, string>>;
}

export function webConfig(component: string, options: WebConfigOptions): Record<string, unknown> {
  const directory = options.directory ?? TLS_DIRECTORY;
  return {
    tls_server_config: {
      cert_file: `${directory}/${certificateFile(component)}`,
      key_file: `${directory}/${keyFile(component)}`,
      min_version: 'TLS12',
      ...(options.requireClientCertificates
        ? { client_auth_type: 'RequireAndVerifyClientCert', client_ca_file: `${directory}/${CA_CERTIFICATE}` }
        : {}),
    },
    ...(options.users === undefined ? {} : { basic_auth_users: { ...options.users } }),
  };
}

/** The same for the Redis exporter, whose version in use takes flags rather than a web config. */
export function redisExporterTlsFlags(directory = TLS_DIRECTORY, component = 'redis-exporter'): string[] {
  return [
    `-tls-server-cert-file=${directory}/${certificateFile(component)}`,
    `-tls-server-key-file=${directory}/${keyFile(component)}`,
    `-tls-server-ca-cert-file=${directory}/${CA_CERTIFICATE}`,
    '-tls-server-min-version=TLS1.2',
  ];
}

/** How a client (Prometheus) reaches such an endpoint: our CA, and its own certificate. */
export function clientTls(client: string, directory = TLS_DIRECTORY): Record<string, string> {
  return {
    ca_file: `${directory}/${CA_CERTIFICATE}`,
    cert_file: `${directory}/${certificateFile(client)}`,
    key_file: `${directory}/${keyFile(client)}`,
  };
}

/** bcrypt at cost 10: what the exporter toolkit checks, and it caches each checked password. */
export function bcryptHash(password: string): string {
  return bcrypt.hashSync(password, 10);
}
