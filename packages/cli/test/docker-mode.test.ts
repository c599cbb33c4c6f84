/**
 * Docker mode's orchestration. No Docker engine runs here, so `docker` is a script on PATH that
 * records what it is asked and answers as the Compose CLI does; the deployment it is handed is
 * the real render.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '@pyairtable/test-support';
import { COMPOSE_FILE, STACK_SECRETS, TLS_COMPONENT_FILES, tlsVariable } from '@pyairtable/stack';
import { EXIT_CODES } from '@pyairtable/cli';
import { obs } from './obs-process.js';

const dir = tempDir('obs-docker');
const bin = join(dir.path, 'bin');
const calls = join(dir.path, 'calls.log');

/** A `docker` whose `info` answers (or not) and whose compose commands succeed and are logged. */
function fakeDocker(engineAnswers: boolean): NodeJS.ProcessEnv {
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    join(bin, 'docker'),
    `#!/bin/sh
echo "$*" >> "${calls}"
case "$1" in
  info) ${engineAnswers ? 'echo 27.3.1' : 'echo "Cannot connect to the Docker daemon" >&2; exit 1'} ;;
  compose) case "$*" in
    *" ps "*) echo '{"Service":"prometheus","State":"running","Health":"healthy"}'
              echo '{"Service":"elastic-setup","State":"exited","Health":"","ExitCode":0}' ;;
  esac ;;
esac
`,
  );
  chmodSync(join(bin, 'docker'), 0o755);
  return { PATH: `${bin}:${process.env['PATH'] ?? ''}` };
}

afterAll(() => {
  dir.cleanup();
});

describe('obs up in docker mode', () => {
  it('refuses --mode docker where no Docker engine answers, and says how to go on', async () => {
    const run = await obs(
      ['up', '--mode', 'docker', '--data-dir', join(dir.path, 'none')],
      fakeDocker(false),
    );
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.output).toContain('obs up --mode local');
  });

  it('renders the deployment, starts it with compose up --wait, and is found by status and down', async () => {
    const env = fakeDocker(true);
    const dataDir = join(dir.path, 'stack');
    const up = await obs(['up', '--data-dir', dataDir], env);
    expect(up.code, up.output).toBe(0);
    const composeDir = join(dataDir, 'compose');
    expect(existsSync(join(composeDir, COMPOSE_FILE))).toBe(true);
    const log = (): string => readFileSync(calls, 'utf8');
    expect(log()).toContain(`compose --project-directory ${composeDir} -f ${join(composeDir, COMPOSE_FILE)}`);
    expect(log()).toMatch(/ up -d --wait --wait-timeout \d+/);
    expect(up.output).toMatch(/prometheus\s+http:\/\/127\.0\.0\.1:9090/);

    const status = await obs(['status', '--data-dir', dataDir], env);
    expect(status.code).toBe(0);
    expect(status.output).toMatch(/prometheus\s+running\s+healthy/);

    const verify = await obs(['verify', '--data-dir', dataDir], env);
    expect(verify.code).toBe(0);
    expect(verify.output).toContain('canaries run in local mode');

    const down = await obs(['down', '--data-dir', dataDir], env);
    expect(down.code).toBe(0);
    expect(log()).toMatch(/ down$/m);
    expect((await obs(['status', '--data-dir', dataDir], env)).code).toBe(EXIT_CODES.notRunning);
  });

  it('prints the production access table over https with how to sign in, from TLS files and SSO settings', async () => {
    const env = {
      ...fakeDocker(true),
      ...PRODUCTION_SECRETS,
      GRAFANA_SSO_PROVIDER: 'github',
      GRAFANA_SSO_CLIENT_ID: 'client-id',
      GRAFANA_SSO_CLIENT_SECRET: 'client-secret-value-9012',
      GRAFANA_SSO_ALLOWED_ORGANIZATIONS: 'pyairtable',
      ...TLS_FILES,
    };
    const up = await obs(
      ['up', '--mode', 'docker', '--profile', 'production', '--data-dir', join(dir.path, 'tls')],
      env,
    );
    expect(up.code, up.output).toBe(0);
    expect(up.output).toMatch(/grafana\s+https:\/\/127\.0\.0\.1:3001\s.*single sign-on \(github\)/);
    expect(up.output).toMatch(/prometheus\s+https:\/\/127\.0\.0\.1:9090\s.*admin \/ prometheus\.password/);
    const table = up.output.slice(up.output.search(/SERVICE\s+URL/));
    expect(table).toContain('TLS on every hop');
    // The render's channel warnings come before; nothing is turned off, so the table warns of nothing.
    expect(table).not.toContain('warning:');
  });

  it('warns under the access table when TLS and single sign-on are turned off on purpose', async () => {
    const up = await obs(
      [
        'up',
        '--mode',
        'docker',
        '--profile',
        'production',
        '--insecure-no-tls',
        '--no-sso',
        '--data-dir',
        join(dir.path, 'insecure'),
      ],
      { ...fakeDocker(true), ...PRODUCTION_SECRETS },
    );
    expect(up.code, up.output).toBe(0);
    expect(up.output).toMatch(/prometheus\s+http:\/\/127\.0\.0\.1:9090/);
    const table = up.output.slice(up.output.search(/SERVICE\s+URL/));
    expect(table).toContain('warning: TLS is off (--insecure-no-tls)');
    expect(table).toContain('warning: single sign-on is off (--no-sso)');
  });

  it('refuses the rendered stack’s security options in local mode, naming them', async () => {
    const run = await obs(['up', '--mode', 'local', '--no-sso', '--data-dir', join(dir.path, 'local')], {});
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.output).toContain('--no-sso: for docker and kubernetes mode');
  });
});

const PRODUCTION_SECRETS: Record<string, string> = Object.fromEntries(
  Object.values(STACK_SECRETS).map((secret) => [secret.variable, `${secret.secretName}-value-1234`]),
);
const TLS_FILES: Record<string, string> = Object.fromEntries(
  [...new Set(Object.values(TLS_COMPONENT_FILES).flat())].map((file) => [
    tlsVariable(file),
    `tls-${file}-content-5678`,
  ]),
);
