/**
 * TLS in the Compose render: staging and production refuse to render without the TLS files
 * unless told not to, development has TLS only when asked, and a TLS render mounts each
 * component's files and turns its listener to TLS, with a prometheus.yml promtool accepts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENGINES, engineAvailable, runEngine, tempDir } from '@pyairtable/test-support';
import {
  COMPOSE_FILE,
  SecretsError,
  TLS_COMPONENT_FILES,
  TLS_DIRECTORY,
  TLS_LISTENERS,
  UI_PASSWORDS,
  renderComposeStack,
  tlsVariable,
} from '@pyairtable/stack';
import { tlsMaterial } from '@pyairtable/stack/tls';
import { FULL_ENV, TLS_VALUES } from './render-fixture.js';

type Service = {
  command?: string[];
  secrets?: { source: string; target: string; mode: string }[];
  healthcheck?: { test: string[] };
};
const withoutTls = Object.fromEntries(
  Object.entries(FULL_ENV).filter(([variable]) => !(variable in TLS_VALUES)),
);
const composeOf = (
  files: readonly { path: string; content: string }[],
): { services: Record<string, Service>; secrets?: Record<string, unknown> } =>
  parse(files.find((file) => file.path === COMPOSE_FILE)?.content ?? '') as never;

describe('TLS in the Compose render', () => {
  it.each(['staging', 'production'] as const)(
    '%s refuses to render without the TLS files, naming them and the way out',
    (profile) => {
      const render = (): unknown => renderComposeStack({ profile, env: withoutTls });
      expect(render).toThrow(SecretsError);
      expect(render).toThrow(
        new RegExp(`${tlsVariable('ca.crt')}.*obs certs --out <dir>.*--insecure-no-tls`, 's'),
      );
    },
  );

  it('renders without TLS when told to, and says so', () => {
    const render = renderComposeStack({ profile: 'production', env: withoutTls, insecureNoTls: true });
    expect(render.warnings[0]).toMatch(/^TLS is off \(--insecure-no-tls\)/);
    expect(
      Object.keys(composeOf(render.files).secrets ?? {}).filter((name) => name.startsWith('tls_')),
    ).toEqual([]);
    expect(render.files.find((file) => file.path === 'prometheus/prometheus.yml')?.content).not.toContain(
      'https',
    );
  });

  it('keeps development plain unless TLS is asked for', () => {
    expect(renderComposeStack({ profile: 'development', env: FULL_ENV }).model.tls).toBe(false);
    expect(renderComposeStack({ profile: 'development', env: FULL_ENV, tls: true }).model.tls).toBe(true);
  });

  it('mounts each TLS listener its certificate, key and CA, and turns its listener to TLS', () => {
    const compose = composeOf(renderComposeStack({ profile: 'production', env: FULL_ENV }).files);
    for (const component of TLS_LISTENERS) {
      const service = compose.services[component];
      const mounted = Object.fromEntries(
        (service?.secrets ?? []).map((secret) => [secret.target, secret.mode]),
      );
      for (const file of TLS_COMPONENT_FILES[component] ?? [])
        expect(mounted, component).toHaveProperty([`${TLS_DIRECTORY}/${file}`]);
      expect(mounted[`${TLS_DIRECTORY}/${component}.key`], `${component}'s key`).toBe('0400');
      const flags = (service?.command ?? []).join(' ');
      expect(flags, component).toMatch(
        component === 'redis-exporter' ? /-tls-server-cert-file=/ : /--web\.config\.file=/,
      );
      expect(service?.healthcheck?.test.join(' '), component).toContain('grep -q 400');
    }
  });

  it.runIf(engineAvailable(ENGINES.promtool))(
    'renders a prometheus.yml that promtool accepts with the real TLS files',
    async () => {
      const dir = tempDir('tls-render');
      try {
        const material = await tlsMaterial({
          existing: {},
          env: { [UI_PASSWORDS.prometheus.variable]: 'a-Password-1' },
          namespace: 'observability',
          validDays: 2,
          renewWithinDays: 1,
        });
        for (const file of material) {
          const path = join(dir.path, 'tls', file.path);
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, file.content);
        }
        const render = renderComposeStack({ profile: 'production', env: FULL_ENV });
        for (const path of ['prometheus/prometheus.yml', 'prometheus/rules/pyairtable.yml']) {
          const target = join(dir.path, path);
          mkdirSync(dirname(target), { recursive: true });
          const content = render.files.find((file) => file.path === path)?.content ?? '';
          writeFileSync(
            target,
            content
              .replaceAll(TLS_DIRECTORY, join(dir.path, 'tls'))
              .replace('/etc/prometheus/rules/*.yml', join(dir.path, 'prometheus/rules/*.yml')),
          );
        }
        const result = runEngine(ENGINES.promtool, [
          'check',
          'config',
          join(dir.path, 'prometheus/prometheus.yml'),
        ]);
        expect(result.stdout + result.stderr).toContain('SUCCESS');
        expect(result.status).toBe(0);
      } finally {
        dir.cleanup();
      }
    },
  );
});
