/**
 * The OpenTelemetry Collector's TLS settings (`configtls`), which Jaeger v2 shares. A server
 * presents its certificate and, where only the stack calls it, requires a client certificate
 * from our CA; a client checks the server against our CA and presents its own certificate
 * (`clientTls`: the same three keys as Prometheus's `tls_config`).
 */
import type { ComponentName } from '../components.js';
import { tlsPath } from './layout.js';
import { CA_CERTIFICATE, certificateFile, keyFile } from './web-config.js';

export function otelServerTls(
  component: ComponentName,
  options: { readonly requireClientCertificates: boolean },
): Record<string, string> {
  return {
    cert_file: tlsPath(component, certificateFile(component)),
    key_file: tlsPath(component, keyFile(component)),
    ...(options.requireClientCertificates ? { client_ca_file: tlsPath(component, CA_CERTIFICATE) } : {}),
  };
}
