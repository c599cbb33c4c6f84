/**
 * What `obs certs` keeps in a TLS directory, decided from what is there already: the CA (made
 * once, reused), a certificate and key per component (issued when missing or expiring), the
 * passwords of Prometheus's and Alertmanager's UIs and the web configs carrying their bcrypt
 * hashes. Private keys and passwords are written 0600; nothing here ever enters a render: the
 * deployment mounts these files (Compose secrets, Kubernetes Secrets).
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { stringify } from 'yaml';
import { COMPONENT_NAMES } from '../components.js';
import { createAuthority, issueCertificate } from './certificates.js';
import type { KeyPairPem } from './certificates.js';
import type { WebConfigComponent } from './layout.js';
import { UI_PASSWORDS, UI_USER, WEB_CONFIG_COMPONENTS, componentNames, webConfigFile } from './layout.js';
import { CA_CERTIFICATE, CA_KEY, bcryptHash, certificateFile, keyFile, webConfig } from './web-config.js';

export interface TlsFile {
  readonly path: string;
  readonly content: string;
  readonly mode: 0o600 | 0o644;
  /** Why it was written this time (for the summary). */
  readonly reason: 'new' | 'renewed' | 'updated';
}

export interface MaterialOptions {
  /** Files already in the directory (path → content). */
  readonly existing: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Kubernetes namespace the certificates' names include. */
  readonly namespace: string;
  readonly validDays: number;
  /** Certificates expiring sooner than this are issued again. */
  readonly renewWithinDays: number;
  readonly now?: Date;
}

const expiresWithin = (pem: string, days: number, now: Date): boolean =>
  new Date(new X509Certificate(pem).validTo).getTime() - now.getTime() < days * 86_400_000;

export async function tlsMaterial(options: MaterialOptions): Promise<TlsFile[]> {
  const now = options.now ?? new Date();
  const { existing } = options;
  const files: TlsFile[] = [];
  let authority: KeyPairPem;
  const caCertificate = existing[CA_CERTIFICATE];
  const caKey = existing[CA_KEY];
  if (caCertificate !== undefined && caKey !== undefined)
    authority = { certificatePem: caCertificate, privateKeyPem: caKey };
  else {
    authority = await createAuthority('PyAirtable observability CA', options.validDays * 2, now);
    files.push(
      { path: CA_CERTIFICATE, content: authority.certificatePem, mode: 0o644, reason: 'new' },
      { path: CA_KEY, content: authority.privateKeyPem, mode: 0o600, reason: 'new' },
    );
  }
  const caIsNew = files.length > 0;
  for (const component of COMPONENT_NAMES) {
    const current = existing[certificateFile(component)];
    const stale = current === undefined || caIsNew || expiresWithin(current, options.renewWithinDays, now);
    if (!stale && existing[keyFile(component)] !== undefined) continue;
    const issued = await issueCertificate(
      authority,
      {
        commonName: component,
        dnsNames: componentNames(component, options.namespace),
        ipAddresses: ['127.0.0.1'],
        validDays: options.validDays,
      },
      now,
    );
    const reason = current === undefined ? 'new' : 'renewed';
    files.push(
      { path: certificateFile(component), content: issued.certificatePem, mode: 0o644, reason },
      { path: keyFile(component), content: issued.privateKeyPem, mode: 0o600, reason },
    );
  }
  files.push(...uiPasswordsAndWebConfigs(existing, options.env));
  return files;
}

/** The UI passwords (from their variable, kept, or generated) and every web config to match them. */
function uiPasswordsAndWebConfigs(
  existing: Readonly<Record<string, string>>,
  env: MaterialOptions['env'],
): TlsFile[] {
  const files: TlsFile[] = [];
  const hashes: Partial<Record<WebConfigComponent, string>> = {};
  for (const [component, { file, variable }] of Object.entries(UI_PASSWORDS) as [
    keyof typeof UI_PASSWORDS,
    (typeof UI_PASSWORDS)[keyof typeof UI_PASSWORDS],
  ][]) {
    const kept = existing[file]?.trim();
    const password = env[variable] ?? kept ?? randomBytes(18).toString('base64url');
    if (password !== kept)
      files.push({
        path: file,
        content: `${password}\n`,
        mode: 0o600,
        reason: kept === undefined ? 'new' : 'updated',
      });
    // The kept hash while it still matches: a new salt each run would rewrite the file for nothing.
    const keptHash = new RegExp(`${UI_USER}: (\\S+)`).exec(existing[webConfigFile(component)] ?? '')?.[1];
    hashes[component] =
      keptHash !== undefined && bcrypt.compareSync(password, keptHash) ? keptHash : bcryptHash(password);
  }
  for (const [component, { users }] of Object.entries(WEB_CONFIG_COMPONENTS) as [
    WebConfigComponent,
    { users: boolean },
  ][]) {
    const hash = hashes[component];
    const content = stringify(
      webConfig(component, {
        requireClientCertificates: !users,
        ...(users && hash !== undefined ? { users: { [UI_USER]: hash } } : {}),
      }),
    );
    if (existing[webConfigFile(component)] !== content)
      files.push({
        path: webConfigFile(component),
        content,
        mode: 0o644,
        reason: existing[webConfigFile(component)] === undefined ? 'new' : 'updated',
      });
  }
  return files;
}
