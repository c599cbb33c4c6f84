/**
 * Docker mode: the production stack under Docker Compose on this machine. `obs up` renders the
 * deployment into the data directory (as `obs render` does), starts it with `docker compose up
 * -d --wait` (the rendered healthchecks decide when it is up) and leaves it running; `obs down`
 * and `obs status` find it by the marker file it writes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACCESS_FILE, COMPOSE_FILE, COMPOSE_PROJECT } from '@pyairtable/stack';
import type { AccessSheet } from '@pyairtable/stack';
import { StartError } from '../errors.js';
import type { CliIo } from '../io.js';
import type { RenderSecurity } from './render-security.js';
import { NO_SECURITY_OPTIONS, securityArgs } from './render-security.js';
import { table } from './table.js';

export const DOCKER_MARKER = 'docker.json';
const WAIT_SECONDS = 600;

export interface DockerDeployment {
  readonly mode: 'docker';
  readonly composeDir: string;
  readonly profile: string;
  readonly startedAt: string;
}

export function dockerAnswers(env: Readonly<Record<string, string | undefined>>): boolean {
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
    timeout: 10_000,
    encoding: 'utf8',
    env: { ...env },
  });
  return info.status === 0 && info.stdout.trim() !== '';
}

const composeArgs = (composeDir: string): string[] => [
  'compose',
  '--project-directory',
  composeDir,
  '-f',
  join(composeDir, COMPOSE_FILE),
  '-p',
  COMPOSE_PROJECT,
];

function compose(composeDir: string, args: readonly string[], io: CliIo): { ok: boolean; output: string } {
  const result = spawnSync('docker', [...composeArgs(composeDir), ...args], {
    encoding: 'utf8',
    timeout: (WAIT_SECONDS + 60) * 1000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...io.env },
  });
  const output = `${result.stdout}${result.stderr}`.trim();
  for (const line of output.split('\n').filter(Boolean)) io.stderr(`docker: ${line}`);
  return { ok: result.status === 0, output };
}

export function readDockerDeployment(dataDir: string): DockerDeployment | undefined {
  const path = join(dataDir, DOCKER_MARKER);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as DockerDeployment;
}

/**
 * The access table of docker mode, from the render's access sheet: each UI's URL and how to sign
 * in, then the render's security warnings (TLS or single sign-on turned off).
 */
export function dockerAccessTable(composeDir: string): string {
  const sheet = JSON.parse(readFileSync(join(composeDir, ACCESS_FILE), 'utf8')) as AccessSheet;
  const rows = sheet.entries.map((entry) => [
    entry.component,
    entry.url,
    entry.purpose,
    entry.credentials,
    `container ${entry.component}`,
  ]);
  return [
    table(['SERVICE', 'URL', 'PURPOSE', 'CREDENTIALS', 'SERVED BY'], rows),
    ...(sheet.tls
      ? [`\nTLS on every hop: browsers and services trust the CA of the TLS directory (ca.crt).`]
      : []),
    ...sheet.warnings.map((warning) => `warning: ${warning}`),
  ].join('\n');
}

/** Renders into `<dataDir>/compose` with `render`, then starts it and waits for its healthchecks. */
export async function dockerUp(
  dataDir: string,
  profile: string,
  io: CliIo,
  render: (args: readonly string[], io: CliIo) => number | Promise<number>,
  security: RenderSecurity = NO_SECURITY_OPTIONS,
): Promise<number> {
  const composeDir = join(dataDir, 'compose');
  io.stderr(`obs up: rendering the ${profile} deployment into ${composeDir}`);
  const rendered = await render(
    ['--target', 'compose', '--profile', profile, '--out', composeDir, ...securityArgs(security)],
    io,
  );
  if (rendered !== 0) return rendered;
  io.stderr(`obs up: docker compose up, waiting up to ${String(WAIT_SECONDS)} s for every healthcheck`);
  const up = compose(composeDir, ['up', '-d', '--wait', '--wait-timeout', String(WAIT_SECONDS)], io);
  const marker: DockerDeployment = {
    mode: 'docker',
    composeDir,
    profile,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(join(dataDir, DOCKER_MARKER), `${JSON.stringify(marker, null, 2)}\n`);
  if (!up.ok)
    throw new StartError(
      `docker compose up did not get every service healthy. See which with obs status (docker compose ps) and why with docker compose -p ${COMPOSE_PROJECT} logs <service>; obs down stops it.`,
    );
  io.stdout(`\nPyAirtable observability, docker mode (profile ${profile})\n`);
  io.stdout(dockerAccessTable(composeDir));
  io.stdout(`\nDeployment files: ${composeDir}. It keeps running; obs status checks it, obs down stops it.`);
  return 0;
}

export function dockerDown(deployment: DockerDeployment, dataDir: string, io: CliIo): number {
  const down = compose(deployment.composeDir, ['down'], io);
  if (!down.ok) throw new StartError('docker compose down failed; see its output above');
  rmSync(join(dataDir, DOCKER_MARKER), { force: true });
  io.stdout(`stopped the docker deployment in ${deployment.composeDir} (volumes kept)`);
  return 0;
}

export function dockerStatus(deployment: DockerDeployment, io: CliIo): boolean {
  const result = spawnSync('docker', [...composeArgs(deployment.composeDir), 'ps', '--format', 'json'], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...io.env },
  });
  if (result.status !== 0) throw new StartError(`docker compose ps failed: ${result.stderr.trim()}`);
  // Compose prints one JSON object per line (newer) or one array (older).
  const text = result.stdout.trim();
  const entries = (
    text.startsWith('[')
      ? (JSON.parse(text) as unknown[])
      : text
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as unknown)
  ) as { Service?: string; State?: string; Health?: string; ExitCode?: number }[];
  const rows = entries.map((entry) => [entry.Service ?? '?', entry.State ?? '?', entry.Health || '-']);
  io.stdout(`docker deployment (profile ${deployment.profile}) in ${deployment.composeDir}\n`);
  io.stdout(table(['SERVICE', 'STATE', 'HEALTH'], rows));
  // One-shot setup jobs (index templates, data views) have exited 0 when all is well.
  return entries.every((entry) =>
    entry.State === 'exited'
      ? entry.ExitCode === 0
      : entry.State === 'running' && entry.Health !== 'unhealthy',
  );
}
