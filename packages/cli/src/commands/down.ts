/**
 * obs down: stops a running `obs up` (SIGTERM: it stops its children in order and removes its
 * state) and then anything a crashed one left behind, by the process ids in its state file.
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
} from '../local/state.js';
import { dataDirArgs } from './status.js';

export const DOWN_HELP = `Usage: obs down [--data-dir <dir>]

Stops what obs up started from this data directory: every engine, the demo and the hub.
The data stays (traces, logs, metrics); delete the directory to start afresh.

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
  // Whatever a crashed supervisor left running (its own stop removes the state first). Only
  // the processes recorded, by pid and start time: a pid reused since is left alone.
  for (const component of state.components) {
    const { pid } = component;
    if (pid === undefined || !sameProcess(pid, component.startTicks)) continue;
    signalProcess(pid, 'SIGCONT', true);
    signalProcess(pid, 'SIGTERM', true);
    if (!(await waitGone(pid, 10_000))) signalProcess(pid, 'SIGKILL', true);
    io.stderr(`obs down: stopped ${component.name} (pid ${String(pid)}), left by a crashed obs up`);
  }
  removeState(parsed.dataDir);
  io.stdout(`stopped: ${state.components.map((component) => component.name).join(', ')}`);
  return 0;
}
