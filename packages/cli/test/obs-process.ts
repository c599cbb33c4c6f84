/**
 * Running `obs` from the local-mode tests: a command in this process through `main`, or `obs up`
 * as its own process (the built `bin/obs.js`: it owns signals and children) waited for until it
 * prints "ready". Every run uses a `--port-offset` of its own, never the spec's ports.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CliIo, LocalState } from '@pyairtable/cli';
import * as demo from '@pyairtable/demo';
import { HUB_PORTS, SPEC_PORTS, demoPorts, main, readState } from '@pyairtable/cli';
import { relocatedCluster } from '../src/local/engines.js';

export const OBS_BIN = fileURLToPath(new URL('../bin/obs.js', import.meta.url));

/**
 * Each local-mode test's port offset. Vitest runs test files in parallel, so no two tests' port
 * sets may overlap: offsets 1000 apart would (8090 + 1000 is 9090), these do not
 * (`local-commands.test.ts` checks it), and every port stays below the ephemeral range (32768)
 * that outgoing connections take theirs from.
 */
export const PORT_OFFSETS = {
  localMode: 10_000,
  bare: 10_050,
  commands: 10_100,
  crash: 10_150,
  private: 10_200,
  dashboardsLive: 10_250,
  uiBrowser: 10_600,
} as const;

/** Waits until `check` holds (a failing check counts as not yet), or throws naming `what`. */
export async function until(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  intervalMs = 500,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`${what} did not happen within ${String(timeoutMs / 1000)} s`);
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** Both streams, interleaved as written. */
  output: string;
}

/** Runs an obs command in this process. */
export async function obs(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const both: string[] = [];
  const io: CliIo = {
    stdout: (line) => {
      out.push(line);
      both.push(line);
    },
    stderr: (line) => {
      err.push(line);
      both.push(line);
    },
    env,
    cwd: process.cwd(),
  };
  const code = await main(args, io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n'), output: both.join('\n') };
}

export interface Spawned {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
}

/** Starts `obs up` as its own process, collecting its output line by line. */
export function spawnUp(args: string[], env: NodeJS.ProcessEnv): Spawned {
  const child = spawn(process.execPath, [OBS_BIN, 'up', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => stdout.push(line));
  createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
  return { child, stdout, stderr };
}

/** `obs up`'s arguments for local mode with the demo at sped-up time (traffic is the test's to send). */
export function demoUpArgs(dataDir: string, portOffset: number): string[] {
  return [
    ...['--mode', 'local', '--demo', '--no-traffic'],
    ...['--data-dir', dataDir, '--port-offset', String(portOffset), '--time-scale', '1/60'],
  ];
}

/** The URL of a running component, or an error naming what is missing and why. */
export function componentUrl(up: Up | undefined, role: string): string {
  const component = up?.state.components.find((entry) => entry.name === role);
  if (component === undefined)
    throw new Error(`${role} is not running: ${JSON.stringify(up?.state.missing)}`);
  return component.url;
}

export interface Up extends Spawned {
  state: LocalState;
}

/** Starts `obs up` as its own process and waits (90 s at most) for its "ready" line. */
export async function startUp(args: string[], env: NodeJS.ProcessEnv): Promise<Up> {
  const spawned = spawnUp(args, env);
  const { child, stdout, stderr } = spawned;
  // A start that fails or times out must not leave obs up (and what it started) behind.
  const giveUp = (error: Error): never => {
    child.kill('SIGTERM');
    throw error;
  };
  const dataDir = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`obs up did not get ready within 90 s:\n${stderr.join('\n')}`));
    }, 90_000);
    const poll = setInterval(() => {
      const line = stdout.find((entry) => entry.startsWith('ready '));
      if (line === undefined) return;
      clearTimeout(timer);
      clearInterval(poll);
      resolve((JSON.parse(line.slice('ready '.length)) as { dataDir: string }).dataDir);
    }, 50);
    child.once('exit', (code) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`obs up exited with ${String(code)}:\n${stderr.join('\n')}`));
    });
  }).catch(giveUp);
  const state = readState(dataDir);
  if (state === undefined) return giveUp(new Error('obs up is ready but wrote no state'));
  return { ...spawned, state };
}

/** Stops an `obs up` a failed test left running (the tests stop it with obs down). */
export async function stopUp(up: Spawned | undefined): Promise<void> {
  if (up === undefined || !alive(up.child.pid) || up.child.exitCode !== null) return;
  const exited = new Promise((resolve) => up.child.once('exit', resolve));
  up.child.kill('SIGTERM');
  await exited;
}

/** A process's state letter and start time from /proc (Linux), or undefined when there is none. */
export function procStat(pid: number): { state: string; ppid: number; startTicks: string } | undefined {
  try {
    const fields =
      readFileSync(`/proc/${String(pid)}/stat`, 'utf8')
        .split(') ')[1]
        ?.split(' ') ?? [];
    return { state: fields[0] ?? '', ppid: Number(fields[1]), startTicks: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** Alive, and not a zombie nobody reaped (where no init reaps orphans, a killed one stays one). */
export function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return procStat(pid)?.state !== 'Z';
}

/** Every port a run with this offset may use (hub, every engine, the demo's listeners). */
export function portsOf(portOffset: number, options: { demo?: boolean } = {}): number[] {
  return [
    ...Object.values(SPEC_PORTS).map((port) => port + portOffset),
    ...Object.values(HUB_PORTS).map((port) => port + portOffset),
    ...(options.demo === true ? demoPorts(demo, portOffset) : []),
  ];
}

/** Removes the PostgreSQL cluster a root obs up kept for `dataDir` in the postgres user's home. */
export function removeRelocatedCluster(dataDir: string): void {
  const cluster = process.getuid?.() === 0 ? relocatedCluster(dataDir) : undefined;
  if (cluster === undefined) return;
  for (const path of [cluster, `${cluster}.data-dir`, `${cluster}.password`])
    rmSync(path, { recursive: true, force: true });
}
