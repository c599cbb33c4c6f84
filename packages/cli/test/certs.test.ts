/** obs certs: a TLS directory made once, kept on the next run, renewed where it expires. */
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { tempDir } from '@pyairtable/test-support';
import { COMPONENT_NAMES, requiredTlsFiles, webConfigFile } from '@pyairtable/stack';
import { tlsMaterial } from '@pyairtable/stack/tls';
import { EXIT_CODES } from '@pyairtable/cli';
import { obs } from './obs-process.js';

const dir = tempDir('obs-certs');
afterAll(() => {
  dir.cleanup();
});

const read = (out: string, name: string): string => readFileSync(join(out, name), 'utf8');
const mode = (path: string): number => statSync(path).mode & 0o777;

describe('obs certs', () => {
  const out = join(dir.path, 'tls');

  it('makes a CA and a certificate per component that it signed, for every name the component has', async () => {
    const run = await obs(['certs', '--out', out], { PROMETHEUS_WEB_PASSWORD: 'prometheus-Password-1' });
    expect(run.code, run.output).toBe(0);
    expect(mode(out)).toBe(0o700);
    const ca = new X509Certificate(read(out, 'ca.crt'));
    expect(mode(join(out, 'ca.key'))).toBe(0o600);
    for (const component of COMPONENT_NAMES) {
      const certificate = new X509Certificate(read(out, `${component}.crt`));
      expect(certificate.verify(ca.publicKey), `${component} is signed by the CA`).toBe(true);
      expect(certificate.checkIssued(ca)).toBe(true);
      expect(certificate.checkHost(component), component).toBe(component);
      expect(certificate.checkHost('localhost')).toBe('localhost');
      expect(certificate.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(mode(join(out, `${component}.key`)), `${component}.key`).toBe(0o600);
    }
    expect(new X509Certificate(read(out, 'jaeger.crt')).checkHost('jaeger.observability.svc')).toBe(
      'jaeger.observability.svc',
    );
    expect(new X509Certificate(read(out, 'grafana.crt')).checkHost('someone-else.example')).toBeUndefined();
  });

  it('puts the UI password it was given into the web config as a bcrypt hash, and the password itself nowhere else', () => {
    const web = parse(read(out, webConfigFile('prometheus'))) as { basic_auth_users: Record<string, string> };
    expect(bcrypt.compareSync('prometheus-Password-1', web.basic_auth_users['admin'] ?? '')).toBe(true);
    expect(read(out, 'prometheus.password').trim()).toBe('prometheus-Password-1');
    expect(mode(join(out, 'prometheus.password'))).toBe(0o600);
    // Alertmanager's was not given: generated, long, kept private.
    expect(read(out, 'alertmanager.password').trim().length).toBeGreaterThanOrEqual(20);
    const exporter = parse(read(out, webConfigFile('node-exporter'))) as {
      tls_server_config: Record<string, string>;
    };
    expect(exporter.tls_server_config['client_auth_type']).toBe('RequireAndVerifyClientCert');
  });

  it('keeps everything on the next run, byte for byte', async () => {
    const before = requiredTlsFiles().map((name) => read(out, name));
    const run = await obs(['certs', '--out', out], { PROMETHEUS_WEB_PASSWORD: 'prometheus-Password-1' });
    expect(run.code).toBe(0);
    expect(run.output).toContain('0 new, 0 renewed, 0 updated');
    expect(requiredTlsFiles().map((name) => read(out, name))).toEqual(before);
  });

  it('renews the certificates that expire soon, under the same CA', async () => {
    const existing = Object.fromEntries(
      [...requiredTlsFiles(), 'ca.key'].map((name) => [name, read(out, name)]),
    );
    const later = new Date(Date.now() + 380 * 86_400_000);
    const files = await tlsMaterial({
      existing,
      env: {},
      namespace: 'observability',
      validDays: 397,
      renewWithinDays: 30,
      now: later,
    });
    const renewed = files.filter((file) => file.reason === 'renewed').map((file) => file.path);
    expect(renewed).toContain('prometheus.crt');
    expect(files.map((file) => file.path)).not.toContain('ca.crt');
    const ca = new X509Certificate(existing['ca.crt'] ?? '');
    const fresh = new X509Certificate(files.find((file) => file.path === 'prometheus.crt')?.content ?? '');
    expect(fresh.verify(ca.publicKey)).toBe(true);
    expect(new Date(fresh.validTo).getTime()).toBeGreaterThan(later.getTime() + 300 * 86_400_000);
  });

  it('refuses options that cannot work, naming each', async () => {
    const run = await obs(['certs', '--days', '10', '--renew-within', '30'], {});
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.stderr).toContain('--out <dir> is required.');
    expect(run.stderr).toContain('--renew-within (30) must be shorter than --days (10).');
  });
});
