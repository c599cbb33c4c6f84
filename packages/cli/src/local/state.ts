/**
 * What a running `obs up` leaves for `obs status`, `obs down`, `obs verify`, `obs traffic` and
 * `obs doctor`: one JSON file in the data directory, rewritten as each part starts (every child
 * is recorded the moment it is spawned, before it is healthy) and removed when it stops. A file
 * whose supervisor is gone is stale (a crash or `kill -9`); `obs down` and the next `obs up`
 * stop what it lists, by process id and start time, never a process that merely reuses a pid.
 */
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Health, LocalRole } from './engines.js';
import { pollUntil } from './probe.js';

export const DEFAULT_DATA_DIR = '.pyairtable-obs';
export const STATE_FILE = 'state.json';
/** The running hub's bearer token for erasures, minted by each obs up (mode 0600): what obs erase sends. */
export const HUB_ADMIN_TOKEN_FILE = 'hub-admin.token';

/** The admin token of the hub obs up runs from `dataDir`, or undefined when there is none. */
export function readHubAdminToken(dataDir: string): string | undefined {
  try {
    return readFileSync(join(dataDir, HUB_ADMIN_TOKEN_FILE), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

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
  /** Where it keeps its data, when that is not simply `<data dir>/<name>` (PostgreSQL's cluster). */
  readonly dataLocation?: string;
}

/** A child process as recorded the moment it was spawned, healthy or not. */
export interface ChildRecord {
  /** The role or demo service it serves. */
  readonly name: string;
  readonly pid: number;
  /** When it started (`/proc/<pid>/stat`), so a reused pid is never signalled. */
  readonly startTicks?: string;
  /** Its process group (its own: spawned detached, so the group id is its pid). */
  readonly group: number;
  /** How it is asked to stop (default SIGTERM). */
  readonly stopSignal?: NodeJS.Signals;
  /** Where it keeps its data, when not in the data directory (PostgreSQL's cluster). */
  readonly dataLocation?: string;
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
  /** Every child running, in the order spawned, from the moment each was spawned. */
  readonly processes?: readonly ChildRecord[];
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

/** Fields 3 on of `/proc/<pid>/stat` (Linux), or undefined where there is no such process. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    // The name in field 2 may hold spaces and parentheses: count after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

const procAvailable = (): boolean => existsSync('/proc/self/stat');

/** A process's start time in clock ticks since boot (Linux), or undefined where unknown. */
export function processStartTicks(pid: number): string | undefined {
  return procStat(pid)?.[19];
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

/**
 * Alive and not a zombie. An orphan (its obs up was killed) that exits stays a zombie where no
 * init reaps orphans (some containers), and signal 0 still reaches a zombie.
 */
export function processAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return procStat(pid)?.[0] !== 'Z';
}

/** Whether any process of the group still runs (zombies aside). */
export function groupRuns(group: number): boolean {
  if (!procAvailable())
    try {
      process.kill(-group, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat !== undefined && stat[0] !== 'Z' && Number(stat[2]) === group) return true;
  }
  return false;
}

/**
 * Whether a recorded child, or what it started in its group, still runs. Its pid now naming a
 * later process means it is gone: the kernel gives out no pid still in use as a group id, so
 * while any member of its group lives, its pid is not reused.
 */
export function recordedChildRuns(record: ChildRecord): boolean {
  if (!procAvailable()) return sameProcess(record.pid, record.startTicks);
  const stat = procStat(record.pid);
  if (stat !== undefined && record.startTicks !== undefined && stat[19] !== record.startTicks) return false;
  if (stat !== undefined && stat[0] !== 'Z') return true;
  return groupRuns(record.group);
}

/** Every child a state records: the spawn records, and the components of older state files. */
function recordedChildren(state: LocalState): ChildRecord[] {
  const records = [...(state.processes ?? [])];
  for (const component of state.components)
    if (component.pid !== undefined && !records.some((record) => record.pid === component.pid))
      records.push({
        name: component.name,
        pid: component.pid,
        group: component.pid,
        ...(component.startTicks === undefined ? {} : { startTicks: component.startTicks }),
      });
  return records;
}

/**
 * Stops what a dead supervisor left running (a crash, `kill -9`), in reverse order of start:
 * each child's whole process group (a wrapper such as runuser and what it started), asked first,
 * killed after 10 s. Only the processes it recorded; a pid reused since is left alone. Returns
 * what it stopped.
 */
export async function stopLeftovers(state: LocalState): Promise<ChildRecord[]> {
  const stopped: ChildRecord[] = [];
  for (const record of recordedChildren(state).reverse()) {
    if (!recordedChildRuns(record)) continue;
    // A service `obs traffic --stop` froze must run again to act on the signal.
    signalProcess(record.group, 'SIGCONT', true);
    signalProcess(record.group, record.stopSignal ?? 'SIGTERM', true);
    if (!(await pollUntil(() => !groupRuns(record.group), 10_000, 100)))
      signalProcess(record.group, 'SIGKILL', true);
    stopped.push(record);
  }
  return stopped;
}
