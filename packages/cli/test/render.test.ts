import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { tempDir } from '@pyairtable/test-support';
import {
  COMPOSE_FILE,
  STACK_SECRETS,
  TLS_COMPONENT_FILES,
  parseDotEnv,
  tlsVariable,
} from '@pyairtable/stack';
import type { CliIo } from '@pyairtable/cli';
import { EXIT_CODES, main } from '@pyairtable/cli';

const SECRETS: Record<string, string> = Object.fromEntries<string>([
  ...Object.values(STACK_SECRETS).map((secret): [string, string] => [
    secret.variable,
    `${secret.secretName}-value-1234`,
  ]),
  // Production's single sign-on for Grafana.
  ['GRAFANA_SSO_PROVIDER', 'github'],
  ['GRAFANA_SSO_CLIENT_ID', 'client-id'],
  ['GRAFANA_SSO_CLIENT_SECRET', 'client-secret-value-9012'],
  ['GRAFANA_SSO_ALLOWED_ORGANIZATIONS', 'pyairtable'],
  // TLS files as Compose reads them; the render checks their presence only.
  ...[...new Set(Object.values(TLS_COMPONENT_FILES).flat())].map((file): [string, string] => [
    tlsVariable(file),
    `tls-${file}-content-5678`,
  ]),
]);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
async function obs(args: string[], env: Record<string, string> = {}, cwd = process.cwd()): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (line) => out.push(line), stderr: (line) => err.push(line), env, cwd };
  const code = await main(args, io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

const dirs: { cleanup: () => void }[] = [];
const freshDir = (): string => {
  const dir = tempDir('obs-render');
  dirs.push(dir);
  return dir.path;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.cleanup();
});

const render = (out: string, profile: string, ...extra: string[]): string[] => [
  'render',
  '--target',
  'compose',
  '--profile',
  profile,
  '--out',
  out,
  ...extra,
];

describe('obs', () => {
  it('prints help, and usage errors exit 2 naming the problem', async () => {
    expect((await obs(['--help'])).code).toBe(EXIT_CODES.ok);
    expect((await obs([])).code).toBe(EXIT_CODES.usage);
    const unknown = await obs(['deploy']);
    expect(unknown.code).toBe(EXIT_CODES.usage);
    expect(unknown.stderr).toContain('unknown command "deploy"');
    const help = await obs(['render', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--profile');
  });

  it('reports every problem with the render options at once', async () => {
    const run = await obs(['render', '--target', 'swarm', '--profile', 'prod']);
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.stderr).toContain('--target "swarm" is unknown; use --target compose or --target kubernetes.');
    expect(run.stderr).toContain('--profile "prod" is unknown; use one of development, staging, production');
    expect(run.stderr).toContain('--out <dir> is required');
    expect((await obs(['render', '--target', 'compose', '--bogus'])).stderr).toContain(
      "Unknown option '--bogus'",
    );
    const address = await obs(render(freshDir(), 'staging', '--publish-address', 'localhost'), SECRETS);
    expect(address.code).toBe(EXIT_CODES.usage);
    expect(address.stderr).toContain('is not an IPv4 address');
  });
});

describe('obs render', () => {
  it.each(['staging', 'production'])(
    'refuses %s without its secrets, naming each variable, writing nothing',
    async (profile) => {
      const out = join(freshDir(), 'deploy');
      const run = await obs(render(out, profile), {
        [STACK_SECRETS.grafanaAdminPassword.variable]: 'admin123',
      });
      expect(run.code).toBe(EXIT_CODES.configuration);
      expect(run.stderr).toContain('GRAFANA_ADMIN_PASSWORD is a well-known default password');
      expect(run.stderr).toContain('ELASTIC_PASSWORD is not set');
      expect(run.stderr).toContain('KIBANA_SYSTEM_PASSWORD is not set');
      expect(existsSync(out)).toBe(false);
    },
  );

  it('writes a production render with the secrets in the environment, and no .env', async () => {
    const out = freshDir();
    const run = await obs(render(out, 'production'), SECRETS);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Rendered`);
    expect(existsSync(join(out, COMPOSE_FILE))).toBe(true);
    expect(existsSync(join(out, '.env'))).toBe(false);
    expect(statSync(join(out, 'elastic-setup/setup.sh')).mode & 0o777).toBe(0o755);
    // Alert channels left out are reported, not silently dropped.
    expect(run.stderr).toContain('SLACK_WEBHOOK_URL is not set');
  });

  it('generates development passwords once into .env (0600), prints them once, and reuses them', async () => {
    const out = freshDir();
    const first = await obs(render(out, 'development'));
    expect(first.code).toBe(0);
    const envFile = join(out, '.env');
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    const kept = parseDotEnv(readFileSync(envFile, 'utf8'));
    for (const secret of Object.values(STACK_SECRETS)) {
      expect(kept[secret.variable]?.length).toBeGreaterThanOrEqual(20);
      expect(first.stdout).toContain(`${secret.variable}=${kept[secret.variable] ?? ''}`);
    }
    const second = await obs(render(out, 'development'));
    expect(second.code).toBe(0);
    expect(second.stdout).not.toContain('Generated');
    expect(parseDotEnv(readFileSync(envFile, 'utf8'))).toEqual(kept);
    // Never in a rendered file.
    const compose = readFileSync(join(out, COMPOSE_FILE), 'utf8');
    for (const value of Object.values(kept)) expect(compose).not.toContain(value);
  });

  it('refuses a non-empty directory that is not a render, leaving it untouched', async () => {
    const out = freshDir();
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const run = await obs(render(out, 'production'), SECRETS);
    expect(run.code).toBe(EXIT_CODES.filesystem);
    expect(run.stderr).toContain('is not empty and holds no earlier render');
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine');
    expect(existsSync(join(out, COMPOSE_FILE))).toBe(false);
  });

  it('re-renders over an earlier render: removes what it no longer writes, keeps files it never wrote', async () => {
    const out = freshDir();
    expect((await obs(render(out, 'production'), SECRETS)).code).toBe(0);
    const manifest = join(out, '.pyairtable-render.json');
    const stale = 'grafana/dashboards/platform/retired.json';
    mkdirSync(join(out, 'grafana/dashboards/platform'), { recursive: true });
    writeFileSync(join(out, stale), '{}');
    const listed = JSON.parse(readFileSync(manifest, 'utf8')) as { files: string[] };
    writeFileSync(manifest, JSON.stringify({ files: [...listed.files, stale] }));
    writeFileSync(join(out, 'my-notes.md'), 'mine');
    const run = await obs(render(out, 'production'), SECRETS);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('removed 1 from the earlier render');
    expect(existsSync(join(out, stale))).toBe(false);
    expect(readFileSync(join(out, 'my-notes.md'), 'utf8')).toBe('mine');
  });

  it('takes the network, the publish address and variables from --env-file (the environment wins)', async () => {
    const dir = freshDir();
    const out = join(dir, 'out');
    writeFileSync(
      join(dir, 'render.env'),
      'ONCALL_EMAIL=file@example.com\nCRITICAL_EMAIL=file@example.com\n',
    );
    const run = await obs(
      render(
        'out',
        'staging',
        '--env-file',
        'render.env',
        '--network',
        'apps',
        '--publish-address',
        '0.0.0.0',
      ),
      {
        ...SECRETS,
        CRITICAL_EMAIL: 'env@example.com',
        SMTP_SMARTHOST: 'smtp.example.com:25',
        SMTP_FROM: 'am@example.com',
      },
      dir,
    );
    expect(run.code).toBe(0);
    const compose = parse(readFileSync(join(out, COMPOSE_FILE), 'utf8')) as {
      networks: Record<string, { name?: string }>;
      services: Record<string, { ports?: string[] }>;
    };
    expect(compose.networks['application']?.name).toBe('apps');
    expect(compose.services['grafana']?.ports).toEqual(['0.0.0.0:3001:3000']);
    const alertmanager = readFileSync(join(out, 'alertmanager/alertmanager.yml'), 'utf8');
    expect(alertmanager).toContain('file@example.com');
    expect(alertmanager).toContain('env@example.com');
  });
});

describe('the obs executable', () => {
  it('runs on plain Node from the build', () => {
    const bin = fileURLToPath(new URL('../bin/obs.js', import.meta.url));
    const result = spawnSync(process.execPath, [bin, 'render', '--help'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: obs render');
    const failing = spawnSync(process.execPath, [bin, 'render'], { encoding: 'utf8' });
    expect(failing.status).toBe(EXIT_CODES.usage);
    const hub = spawnSync(process.execPath, [bin, 'hub', '--help'], { encoding: 'utf8' });
    expect(hub.status).toBe(0);
    expect(hub.stdout).toContain('--data-dir');
    const badHub = spawnSync(process.execPath, [bin, 'hub', '--profile', 'prod'], { encoding: 'utf8' });
    expect(badHub.status).toBe(EXIT_CODES.usage);
    expect(badHub.stderr).toContain('--profile "prod" is unknown');
  });
});

describe('obs render with TLS', () => {
  it('renders production from a TLS directory obs certs made, writing none of its content', async () => {
    const tls = join(freshDir(), 'tls');
    expect((await obs(['certs', '--out', tls])).code).toBe(0);
    const out = join(freshDir(), 'deploy');
    // Everything but the TLS files, which come from the directory.
    const secrets = Object.fromEntries(
      Object.entries(SECRETS).filter(([variable]) => !variable.startsWith('PYAIRTABLE_TLS_')),
    );
    const run = await obs(render(out, 'production', '--tls-dir', tls), secrets);
    expect(run.code, run.stderr).toBe(0);
    const compose = readFileSync(join(out, COMPOSE_FILE), 'utf8');
    expect(compose).toContain(tlsVariable('prometheus.key'));
    const key = readFileSync(join(tls, 'prometheus.key'), 'utf8').split('\n')[1] ?? 'missing';
    for (const file of ['prometheus/prometheus.yml', COMPOSE_FILE, 'README.md'])
      expect(readFileSync(join(out, file), 'utf8')).not.toContain(key);
  });

  it('refuses a TLS directory without a CA, and --tls-dir beside --insecure-no-tls', async () => {
    const empty = freshDir();
    const run = await obs(
      render(join(freshDir(), 'a'), 'production', '--tls-dir', empty, '--insecure-no-tls'),
      SECRETS,
    );
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.stderr).toContain(
      `--tls-dir ${empty} holds no ca.crt: make it with obs certs --out ${empty}.`,
    );
    expect(run.stderr).toContain('--tls-dir and --insecure-no-tls contradict each other: give one.');
  });
});
