/**
 * obs down: stops a running `obs up` (SIGTERM: it stops its children in order and removes its
 * state) and then anything a killed or crashed one left behind, by the process ids and start
 * times in its state file, where each child is recorded as soon as it is spawned.
 */
import type { CliIo } from '../io.js';
import { dockerDown, readDockerDeployment } from '../local/docker.js';
import { pollUntil } from '../local/probe.js';
import {
  DEFAULT_DATA_DIR,
  processAlive,
  readState,
  removeState,
  sameProcess,
  signalProcess,
  stopLeftovers,
} from '../local/state.js';
import { dataDirArgs } from './status.js';

export const DOWN_HELP = `Usage: obs down [--data-dir <dir>]

Stops what obs up started from this data directory: every engine, the demo and the hub, and
what an obs up that was killed (kill -9, a crash) had started, even mid-start.
The data stays (traces, logs, metrics); delete the directory to start afresh. As root,
PostgreSQL's cluster may live in the postgres user's home (obs up and obs down say where);
delete it too to reclaim its space.

Options:
  --data-dir <dir>   the data directory obs up was started with (default: ./${DEFAULT_DATA_DIR})
  -h, --help         this help
`;

const waitGone = (pid: number, timeoutMs: number): Promise<boolean> =>
  pollUntil(() => !processAlive(pid), timeoutMs, 100);

export async function downCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = dataDirArgs(args, DOWN_HELP, io);
  if (parsed === undefined) return 0;
  const deployment = readDockerDeployment(parsed.dataDir);
  if (deployment !== undefined) return dockerDown(deployment, parsed.dataDir, io);
  const state = readState(parsed.dataDir);
  if (state === undefined) {
    io.stdout(`nothing runs from ${parsed.dataDir}; nothing to stop.`);
    return 0;
  }
  if (sameProcess(state.pid, state.startTicks)) {
    io.stderr(`obs down: stopping obs up (pid ${String(state.pid)})`);
    signalProcess(state.pid, 'SIGTERM');
    if (!(await waitGone(state.pid, 30_000))) {
      io.stderr('obs down: obs up did not stop within 30 s; killing it');
      signalProcess(state.pid, 'SIGKILL');
    }
  }
  // Whatever a dead supervisor left running (its own stop removes the state once everything has
  // stopped): every child it recorded, from the moment each was spawned. Only those processes,
  // by pid and start time: a pid reused since is left alone.
  const left = readState(parsed.dataDir);
  const stopped = left === undefined ? [] : await stopLeftovers(left);
  for (const child of stopped)
    io.stderr(
      `obs down: stopped ${child.name} (pid ${String(child.pid)}), left by an obs up that was killed`,
    );
  removeState(parsed.dataDir);
  const names = [
    ...new Set([
      ...state.components.map((component) => component.name),
      ...(state.processes ?? []).map((child) => child.name),
      ...stopped.map((child) => child.name),
    ]),
  ];
  io.stdout(`stopped: ${names.join(', ')}`);
  const elsewhere = [...(left ?? state).components, ...((left ?? state).processes ?? [])].flatMap((entry) =>
    entry.dataLocation !== undefined && !entry.dataLocation.startsWith(`${parsed.dataDir}/`)
      ? [`${entry.name}'s in ${entry.dataLocation}`]
      : [],
  );
  if (elsewhere.length > 0)
    io.stdout(`The data stays in ${parsed.dataDir}, and ${[...new Set(elsewhere)].join(', ')}.`);
  return 0;
}
