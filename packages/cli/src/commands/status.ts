/** obs status: what local mode runs and whether each part answers its health check. */
import { parseArgs } from 'node:util';
import { EXIT_CODES, NotRunningError, UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { dockerStatus, readDockerDeployment } from '../local/docker.js';
import { probe } from '../local/probe.js';
import type { LocalState } from '../local/state.js';
import { DEFAULT_DATA_DIR, readState, resolveDataDir, sameProcess } from '../local/state.js';
import { table } from '../local/table.js';

export const STATUS_HELP = `Usage: obs status [--data-dir <dir>]

Lists what obs up runs from this data directory and whether each part is healthy.
Exit code 0 when everything answers, 5 when something does not, 6 when nothing runs.

Options:
  --data-dir <dir>   the data directory obs up was started with (default: ./${DEFAULT_DATA_DIR})
  -h, --help         this help
`;

/** Parses `--data-dir` (and `--help`) for the commands that only need the data directory. */
export function dataDirArgs(
  args: readonly string[],
  help: string,
  io: CliIo,
  extra: NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']> = {},
): { dataDir: string; values: Readonly<Record<string, unknown>> } | undefined {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' }, ...extra },
      strict: true,
      allowPositionals: false,
    }) as { values: Record<string, unknown> });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${help}`);
  }
  if (values['help'] === true) {
    io.stdout(help);
    return undefined;
  }
  const dataDir = values['data-dir'];
  return { dataDir: resolveDataDir(io.cwd, typeof dataDir === 'string' ? dataDir : undefined), values };
}

/** The running stack's state, or a NotRunningError that says how to start one. */
export function runningState(dataDir: string): LocalState {
  const state = readState(dataDir);
  if (state === undefined)
    throw new NotRunningError(
      `nothing runs from ${dataDir} (no state file). Start it with obs up (--demo for the demo platform).`,
    );
  if (!sameProcess(state.pid, state.startTicks))
    throw new NotRunningError(
      `obs up (pid ${String(state.pid)}) for ${dataDir} is gone but left its state: it crashed or was killed. obs down stops what it left running.`,
    );
  return state;
}

export async function healthRows(state: LocalState): Promise<{ rows: string[][]; healthy: boolean }> {
  const results = await Promise.all(
    state.components.map((component) => probe(component.health, component.url, component.port)),
  );
  const rows = state.components.map((component, index) => {
    const result = results[index];
    return [
      component.name,
      component.pid === undefined ? '-' : String(component.pid),
      component.url,
      result?.healthy === true ? 'healthy' : 'UNHEALTHY',
      result?.detail ?? '',
    ];
  });
  return { rows, healthy: results.every((result) => result.healthy) };
}

export async function statusCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = dataDirArgs(args, STATUS_HELP, io);
  if (parsed === undefined) return 0;
  const deployment = readDockerDeployment(parsed.dataDir);
  if (deployment !== undefined) return dockerStatus(deployment, io) ? 0 : EXIT_CODES.unhealthy;
  const state = runningState(parsed.dataDir);
  const { rows, healthy } = await healthRows(state);
  io.stdout(
    `obs up (pid ${String(state.pid)}, profile ${state.profile}) since ${state.startedAt}, data in ${state.dataDir}${state.ready ? '' : ' (still starting)'}\n`,
  );
  io.stdout(table(['COMPONENT', 'PID', 'URL', 'HEALTH', 'DETAIL'], rows));
  for (const component of state.components)
    if (component.dataLocation !== undefined)
      io.stdout(`\n${component.name} keeps its data in ${component.dataLocation}`);
  if (state.missing.length > 0)
    io.stdout(`\nNot running: ${state.missing.map((entry) => `${entry.name} (${entry.reason})`).join(', ')}`);
  if (!healthy) io.stdout('\nSomething is unhealthy: obs doctor says why and what to do.');
  return healthy ? 0 : EXIT_CODES.unhealthy;
}
