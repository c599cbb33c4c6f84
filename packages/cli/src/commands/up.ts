/**
 * obs up [--mode docker|local] [--profile ...] [--demo] ...
 *
 * Docker mode where a Docker engine answers; local mode otherwise. Local mode runs in the
 * foreground until Ctrl-C (or `obs down` from another terminal) and stops everything it started.
 */
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Environment } from '@pyairtable/conventions';
import { ENVIRONMENTS } from '@pyairtable/conventions';
import { UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { demoLaunches, demoPorts, loadDemo, startDemoTraffic } from '../local/demo.js';
import { dockerAnswers, dockerUp } from '../local/docker.js';
import { kubernetesUp } from '../local/kubernetes.js';
import { renderCommand } from './render.js';
import { SPEC_PORTS } from '../local/engines.js';
import { privateUmask } from '../local/files.js';
import type { LocalState } from '../local/state.js';
import {
  DEFAULT_DATA_DIR,
  onStopSignals,
  readState,
  removeState,
  resolveDataDir,
  sameProcess,
  stopLeftovers,
} from '../local/state.js';
import { StartAborted, startLocal } from '../local/supervisor.js';
import { table } from '../local/table.js';
import type { RenderSecurity } from '../local/render-security.js';
import { securityArgs } from '../local/render-security.js';

export const UP_HELP = `Usage: obs up [options]

Brings up the observability stack. Docker mode (the default where a Docker engine answers)
renders the Compose deployment into <data-dir>/compose, starts it with docker compose up --wait
and leaves it running; local mode (the default without one) runs the embedded hub and
every engine installed on this machine natively, on loopback, and stays in the foreground:
Ctrl-C, or obs down from another terminal, stops everything it started.

Options:
  --mode <mode>          local | docker | kubernetes (default: docker when a Docker engine
                         answers, else local). kubernetes renders the Kubernetes deployment into
                         <data-dir>/kubernetes and installs it with helm and kubectl (current
                         context), or prints the commands where they are not installed
  --profile <profile>    ${ENVIRONMENTS.join(' | ')} (default: development)
  --demo                 also run the demo platform (four instrumented services, mock Airtable
                         and LLM provider) with light background traffic
  --no-traffic           with --demo: no background traffic (drive it with obs traffic)
  --data-dir <dir>       where every component keeps its state (default: ./${DEFAULT_DATA_DIR})
  --port-offset <n>      add n to every port, to run beside another stack (default: 0)
  --time-scale <1/n>     run alert windows and waits n times faster (default: 1; demos and
                         tests use 1/60 so minutes become seconds)
  --tls-dir <dir>        docker and kubernetes modes: TLS files from obs certs (staging and
                         production need them)
  --insecure-no-tls      staging or production without TLS, with a warning
  --no-sso               production Grafana without single sign-on, with a warning
  -h, --help             this help

Engines local mode runs when installed (Debian packages): prometheus, prometheus-alertmanager,
prometheus-node-exporter, prometheus-redis-exporter, prometheus-postgres-exporter, redis-server,
postgresql. Alert channels come from the same variables as obs render (see obs render --help).
`;

export function parseTimeScale(value: string): number {
  const fraction = /^1\/(\d+)$/.exec(value);
  const scale = fraction === null ? Number(value) : 1 / Number(fraction[1]);
  if (!(scale > 0 && scale <= 1))
    throw new UsageError(
      `--time-scale "${value}" must be 1 or a fraction like 1/60 (minutes become seconds)`,
    );
  return scale;
}

export function parsePortOffset(value: string | undefined): number {
  if (value === undefined) return 0;
  const offset = Number(value);
  const highest = Math.max(...Object.values(SPEC_PORTS));
  if (!Number.isInteger(offset) || offset < 0 || highest + offset > 65_535)
    throw new UsageError(
      `--port-offset "${value}" must be a whole number from 0 to ${String(65_535 - highest)}`,
    );
  return offset;
}

/** The spec's access table for what runs, and what does not with the command that fixes it. */
export function accessTable(state: LocalState): string {
  const rows = state.components.map((component) => [
    component.name,
    component.url,
    component.purpose,
    component.credentials ?? '-',
    component.servedBy,
  ]);
  rows.push(
    [
      'hub (OTLP/HTTP)',
      state.otlpHttpUrl,
      'Send traces, logs and metrics here (OTEL_EXPORTER_OTLP_ENDPOINT)',
      '-',
      'embedded hub',
    ],
    ['hub (OTLP/gRPC)', `http://${state.otlpGrpcAddress}`, 'The same over gRPC', '-', 'embedded hub'],
    [
      'hub (metrics)',
      `${state.hubExporterUrl}/metrics`,
      'OTLP metrics for Prometheus to scrape',
      '-',
      'embedded hub',
    ],
  );
  const lines = [table(['SERVICE', 'URL', 'PURPOSE', 'CREDENTIALS', 'SERVED BY'], rows)];
  lines.push(
    '',
    "The spec's other roles in local mode: Jaeger, Elasticsearch/Kibana and the collector are the hub",
    `(trace search ${state.hubQueryUrl}/api/v3/traces, log search ${state.hubQueryUrl}/api/logs, RED ${state.hubQueryUrl}/api/red);`,
    'Grafana has no Debian package: graph in Prometheus, or run the full stack with obs up --mode docker.',
  );
  if (state.missing.length > 0) {
    lines.push('', 'Not running:');
    lines.push(
      table(
        ['SERVICE', 'PORT', 'WHY', 'FIX'],
        state.missing.map((entry) => [entry.name, String(entry.port), entry.reason, entry.fix ?? '-']),
      ),
    );
  }
  return lines.join('\n');
}

export async function upCommand(args: readonly string[], io: CliIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        mode: { type: 'string' },
        profile: { type: 'string', default: 'development' },
        demo: { type: 'boolean', default: false },
        'no-traffic': { type: 'boolean', default: false },
        'data-dir': { type: 'string' },
        'port-offset': { type: 'string' },
        'time-scale': { type: 'string', default: '1' },
        'tls-dir': { type: 'string' },
        'insecure-no-tls': { type: 'boolean', default: false },
        'no-sso': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${UP_HELP}`);
  }
  if (values.help === true) {
    io.stdout(UP_HELP);
    return 0;
  }
  if (!(ENVIRONMENTS as readonly string[]).includes(values.profile))
    throw new UsageError(`--profile "${values.profile}" is unknown; use one of ${ENVIRONMENTS.join(', ')}`);
  if (values.mode !== undefined && !['local', 'docker', 'kubernetes'].includes(values.mode))
    throw new UsageError(`--mode "${values.mode}" is unknown; use local, docker or kubernetes`);
  const timeScale = parseTimeScale(values['time-scale']);
  const portOffset = parsePortOffset(values['port-offset']);
  const mode = values.mode ?? (dockerAnswers(io.env) ? 'docker' : 'local');
  if (mode === 'docker' && !dockerAnswers(io.env))
    throw new UsageError(
      'no Docker engine answers here (docker info failed). Start Docker, or run obs up --mode local to use the engines installed on this machine.',
    );
  const security: RenderSecurity = {
    ...(values['tls-dir'] === undefined ? {} : { tlsDir: values['tls-dir'] }),
    insecureNoTls: values['insecure-no-tls'],
    noSso: values['no-sso'],
  };
  const given = securityArgs(security).filter((option) => option.startsWith('--'));
  if (mode === 'local' && given.length > 0)
    throw new UsageError(
      `${given.join(', ')}: for docker and kubernetes mode, whose rendered stack they secure; local mode listens on loopback only`,
    );
  const dataDir = resolveDataDir(io.cwd, values['data-dir']);
  if (mode === 'kubernetes') {
    if (values.demo) io.stderr('obs up: --demo runs in local mode only; installing the stack without it');
    mkdirSync(dataDir, { recursive: true });
    return kubernetesUp(dataDir, values.profile, io, renderCommand, security);
  }
  if (mode === 'docker') {
    if (values.demo) io.stderr('obs up: --demo runs in local mode only; starting the stack without it');
    mkdirSync(dataDir, { recursive: true });
    return dockerUp(dataDir, values.profile, io, renderCommand, security);
  }
  // Everything local mode writes, and what its engines and in-process hub write, is the user's
  // alone: the data directory holds everyone's telemetry.
  const restoreUmask = privateUmask();
  try {
    return await upLocal(values, { dataDir, portOffset, timeScale }, io);
  } finally {
    restoreUmask();
  }
}

async function upLocal(
  values: { profile: string; demo: boolean; 'no-traffic': boolean },
  run: { dataDir: string; portOffset: number; timeScale: number },
  io: CliIo,
): Promise<number> {
  const { dataDir, portOffset, timeScale } = run;
  const earlier = readState(dataDir);
  if (earlier !== undefined && sameProcess(earlier.pid, earlier.startTicks))
    throw new UsageError(
      `obs up already runs for ${dataDir} (pid ${String(earlier.pid)}). See it with obs status; stop it with obs down.`,
    );
  if (earlier !== undefined) {
    // Its supervisor was killed (kill -9, a crash): what it had spawned may still hold ports.
    const stopped = await stopLeftovers(earlier);
    removeState(dataDir);
    io.stderr(
      `obs up: an earlier obs up (pid ${String(earlier.pid)}) for ${dataDir} was killed before it could stop; ${
        stopped.length === 0
          ? 'it left nothing running'
          : `stopped what it left running: ${stopped.map((child) => `${child.name} (pid ${String(child.pid)})`).join(', ')}`
      }`,
    );
  }

  // Signals from here on: during the start they abort it (what started is stopped), after it
  // they stop everything; a second Ctrl-C while stopping is ignored rather than cutting it short.
  const interrupted = new AbortController();
  let reason = '';
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted.signal.aborted) {
      io.stderr(`obs up: already stopping (${signal} ignored)`);
      return;
    }
    reason = signal;
    interrupted.abort();
  };
  // Loaded only when asked for: the CLI runs without the example platform.
  const demo = values.demo ? await loadDemo() : undefined;
  const removeSignalHandlers = onStopSignals(onSignal);
  try {
    const started = Date.now();
    let stack;
    try {
      stack = await startLocal({
        dataDir,
        profile: values.profile as Environment,
        portOffset,
        timeScale,
        env: io.env,
        demo: demo === undefined ? () => [] : (context) => demoLaunches(demo, { ...context, portOffset }),
        demoPorts: demo === undefined ? [] : demoPorts(demo, portOffset),
        signal: interrupted.signal,
        progress: (line) => {
          io.stderr(`obs up: ${line}`);
        },
        onUnexpectedExit: (name, detail) => {
          io.stderr(`obs up: ${name} stopped by itself (${detail}); the rest keeps running`);
        },
      });
    } catch (error) {
      if (error instanceof StartAborted) {
        io.stderr(`obs up: stopped while starting (${reason}); everything it had started is stopped`);
        return 0;
      }
      throw error;
    }
    io.stdout(
      `\nPyAirtable observability, local mode (profile ${values.profile}), up in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    io.stdout(accessTable(stack.state));
    const elsewhere = stack.state.components.flatMap((component) =>
      component.dataLocation !== undefined && !component.dataLocation.startsWith(`${dataDir}/`)
        ? [`${component.name} keeps its data in ${component.dataLocation}`]
        : [],
    );
    io.stdout(
      `\nState and logs: ${dataDir}${elsewhere.length > 0 ? ` (${elsewhere.join('; ')})` : ''}. Check it with obs verify; Ctrl-C or obs down stops everything.${values.demo ? '' : '\nRun obs up --demo to see a PyAirtable-shaped platform being observed.'}`,
    );
    io.stdout(`ready ${JSON.stringify({ dataDir, pid: process.pid })}`);

    const traffic =
      demo !== undefined && !values['no-traffic'] && stack.state.gatewayUrl !== undefined
        ? startDemoTraffic(demo, stack.state)
        : undefined;
    if (!interrupted.signal.aborted)
      await new Promise((resolve) => {
        interrupted.signal.addEventListener('abort', resolve, { once: true });
      });
    io.stderr(`obs up: stopping (${reason})`);
    traffic?.abort();
    await stack.stop();
    io.stderr('obs up: everything stopped');
    return 0;
  } finally {
    removeSignalHandlers();
  }
}
