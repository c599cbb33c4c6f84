/**
 * @pyairtable/stack/tls: certificates and the TLS directory `obs certs` keeps. Apart from the
 * main entry because @peculiar/x509 installs the Reflect metadata polyfill in its process.
 */
export { createAuthority, issueCertificate } from './certificates.js';
export type { CertificateRequest, KeyPairPem } from './certificates.js';
export { tlsMaterial } from './material.js';
export type { MaterialOptions, TlsFile } from './material.js';
