/** What `obs up` passes on to the render it makes in docker and kubernetes modes. */
export interface RenderSecurity {
  /** The TLS directory `obs certs` made. */
  readonly tlsDir?: string;
  readonly insecureNoTls: boolean;
  readonly noSso: boolean;
}

export const NO_SECURITY_OPTIONS: RenderSecurity = { insecureNoTls: false, noSso: false };

/** The same choices as `obs render` options. */
export function securityArgs(security: RenderSecurity): string[] {
  return [
    ...(security.tlsDir === undefined ? [] : ['--tls-dir', security.tlsDir]),
    ...(security.insecureNoTls ? ['--insecure-no-tls'] : []),
    ...(security.noSso ? ['--no-sso'] : []),
  ];
}
