/**
 * A private certificate authority and one certificate per component, for TLS between every
 * part of a staging or production stack (`obs certs`). ECDSA P-256 keys through WebCrypto;
 * certificates built by @peculiar/x509. Each component's certificate serves and also
 * authenticates it as a client (Prometheus presents its own to the exporters it scrapes).
 *
 * Loaded only by the commands that make certificates: @peculiar/x509 needs the Reflect
 * metadata polyfill, which this module installs for its process.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import type { webcrypto as WebCrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = WebCrypto.CryptoKey;
type CryptoKeyPair = WebCrypto.CryptoKeyPair;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface KeyPairPem {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

export interface CertificateRequest {
  readonly commonName: string;
  /** Subject alternative names: every name clients reach the component by. */
  readonly dnsNames: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly validDays: number;
}

function serialNumber(): string {
  // Positive, 16 random bytes, as RFC 5280 asks.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

async function exportPrivateKey(key: CryptoKey): Promise<string> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key)).toString('base64');
  const lines = pkcs8.match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

async function importPrivateKey(pem: string): Promise<CryptoKey> {
  const body = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '').replace(/\s+/g, '');
  return webcrypto.subtle.importKey('pkcs8', Buffer.from(body, 'base64'), ALGORITHM, false, ['sign']);
}

const newKeys = (): Promise<CryptoKeyPair> =>
  webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);

/** A self-signed CA that may sign leaf certificates only (path length 0). */
export async function createAuthority(
  commonName: string,
  validDays: number,
  now = new Date(),
): Promise<KeyPairPem> {
  const keys = await newKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${commonName}`,
    notBefore: now,
    notAfter: new Date(now.getTime() + validDays * DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certificatePem: certificate.toString('pem'),
    privateKeyPem: await exportPrivateKey(keys.privateKey),
  };
}

/** A leaf certificate signed by the authority, for server and client use. */
export async function issueCertificate(
  authority: KeyPairPem,
  request: CertificateRequest,
  now = new Date(),
): Promise<KeyPairPem> {
  const issuer = new x509.X509Certificate(authority.certificatePem);
  const keys = await newKeys();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${request.commonName}`,
    issuer: issuer.subject,
    notBefore: now,
    notAfter: new Date(now.getTime() + request.validDays * DAY_MS),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: await importPrivateKey(authority.privateKeyPem),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
      new x509.SubjectAlternativeNameExtension([
        ...request.dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...(request.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(issuer),
    ],
  });
  return {
    certificatePem: certificate.toString('pem'),
    privateKeyPem: await exportPrivateKey(keys.privateKey),
  };
}
