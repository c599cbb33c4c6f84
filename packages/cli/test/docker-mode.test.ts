/**
 * Docker mode's orchestration. No Docker engine runs here, so `docker` is a script on PATH that
 * records what it is asked and answers as the Compose CLI does; the deployment it is handed is
 * the real render.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '@pyairtable/test-support';
import { COMPOSE_FILE } from '@pyairtable/stack';
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
});
