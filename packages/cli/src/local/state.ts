/**
 * What a running `obs up` leaves for `obs status`, `obs down`, `obs verify`, `obs traffic` and
 * `obs doctor`: one JSON file in the data directory, written when everything has started and
 * removed when it stops. A file whose supervisor is gone is stale (a crash or `kill -9`); the
 * commands say so and `obs down` cleans up what it lists.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Health, LocalRole } from './engines.js';

export const DEFAULT_DATA_DIR = '.pyairtable-obs';
export const STATE_FILE = 'state.json';

export interface RunningComponent {
  /** A local role or a demo service's name. */
  readonly name: string;
  readonly role: LocalRole | 'demo';
  readonly purpose: string;
  /** What serves the role in this mode (the program, or "embedded hub"). */
  readonly servedBy: string;
  readonly url: string;
  readonly port: number;
  readonly health: Health;
  /** The process group leader (children run in their own group; signals go to the group). */
  readonly pid?: number;
  /** When that process started (`/proc/<pid>/stat`), so a reused pid is never signalled. */
  readonly startTicks?: string;
  readonly credentials?: string;
}

export interface NotRunning {
  readonly name: string;
  readonly purpose: string;
  readonly port: number;
  readonly reason: string;
  /** The one command that fixes it, when installing is the fix. */
  readonly fix?: string;
}

export interface LocalState {
  readonly version: 1;
  /** The supervising `obs up` process. */
  readonly pid: number;
  readonly startTicks?: string;
  /** False while obs up is still starting (the state is written as each part starts). */
  readonly ready: boolean;
  readonly startedAt: string;
  readonly profile: string;
  readonly dataDir: string;
  readonly portOffset: number;
  readonly otlpHttpUrl: string;
  readonly otlpGrpcAddress: string;
  readonly hubQueryUrl: string;
  readonly hubExporterUrl: string;
  readonly gatewayUrl?: string;
  readonly components: readonly RunningComponent[];
  readonly missing: readonly NotRunning[];
}

export const resolveDataDir = (cwd: string, dataDir: string | undefined): string =>
  resolve(cwd, dataDir ?? DEFAULT_DATA_DIR);

export function writeState(state: LocalState): void {
  const path = join(state.dataDir, STATE_FILE);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

export function readState(dataDir: string): LocalState | undefined {
  const path = join(dataDir, STATE_FILE);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LocalState;
  } catch {
    return undefined;
  }
}

export function removeState(dataDir: string): void {
  rmSync(join(dataDir, STATE_FILE), { force: true });
}

/** The signals that mean "stop" to a long-running command (Ctrl-C, obs down, a closed terminal). */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Calls `handler` on each stop signal until the returned function removes it. */
export function onStopSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  for (const signal of STOP_SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of STOP_SIGNALS) process.removeListener(signal, handler);
  };
}

/** A process's start time in clock ticks since boot (Linux), or undefined where unknown. */
export function processStartTicks(pid: number): string | undefined {
  try {
    // Field 22 of /proc/<pid>/stat; the name in field 2 may hold spaces, so count after ')'.
    return readFileSync(`/proc/${String(pid)}/stat`, 'utf8')
      .split(') ')[1]
      ?.split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The same process as recorded: alive, and not a later one that was given the same pid. */
export function sameProcess(pid: number | undefined, startTicks: string | undefined): boolean {
  if (!processAlive(pid) || pid === undefined) return false;
  return startTicks === undefined || processStartTicks(pid) === startTicks;
}

/** Sends a signal, to the whole group when asked; false when the process is already gone. */
export function signalProcess(pid: number, signal: NodeJS.Signals, group = false): boolean {
  try {
    process.kill(group ? -pid : pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

export function processAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
