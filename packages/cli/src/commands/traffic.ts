/**
 * obs traffic: load against the running demo, bounded in rate and time, with switches for each
 * incident the spec's alerts watch for. `--stop` freezes a service's process (SIGSTOP) for the
 * run, so Prometheus's scrapes of it fail as they would for a dead one, and thaws it at the end.
 */
import type { BackendService, InstrumentedServiceName, TrafficFault } from '@pyairtable/demo';
import type { DemoModule } from '../local/demo.js';
import { loadDemo } from '../local/demo.js';
import { StartError, UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { DEFAULT_DATA_DIR, onStopSignals, sameProcess, signalProcess } from '../local/state.js';

import { dataDirArgs, runningState } from './status.js';

/** Command-line names of the incidents, and the alert each one is sized to fire. */
export const TRAFFIC_SWITCHES: Readonly<Record<string, { fault: TrafficFault; alert: string }>> = {
  errors: { fault: 'errors', alert: 'HighErrorRate' },
  latency: { fault: 'latency', alert: 'HighResponseTime' },
  'auth-failures': { fault: 'authFailures', alert: 'SecurityIncident' },
  'ai-cost-spike': { fault: 'aiCostSpike', alert: 'HighAICosts' },
  'workflow-failures': { fault: 'workflowFailures', alert: 'HighWorkflowFailures' },
};

/** The help, with the demo's own limits and services. */
export const trafficHelp = ({
  BACKEND_SERVICES,
  TRAFFIC_LIMITS,
}: DemoModule): string => `Usage: obs traffic [options]

Sends requests through the demo's api-gateway (obs up --demo must run), optionally with an
incident switched on for the run; everything is switched back off at its end or on Ctrl-C.

Options:
  --rate <n>            requests per second, at most ${String(TRAFFIC_LIMITS.ratePerSecond.max)} (default: ${String(TRAFFIC_LIMITS.ratePerSecond.default)})
  --duration <seconds>  how long, at most ${String(TRAFFIC_LIMITS.durationMs.max / 1000)} (default: ${String(TRAFFIC_LIMITS.durationMs.default / 1000)})
  --fault <name>        an incident, repeatable:
${Object.entries(TRAFFIC_SWITCHES)
  .map(([name, entry]) => `                          ${name.padEnd(18)} (fires ${entry.alert})`)
  .join('\n')}
  --stop <service>      freeze one service's process for the run (fires ServiceDown)
  --idle <service>      send that service nothing (UnusedService): ${BACKEND_SERVICES.join(', ')}
  --data-dir <dir>      the data directory obs up was started with (default: ./${DEFAULT_DATA_DIR})
  -h, --help            this help

Alerts need their "for" duration to pass before they fire: minutes in real time, seconds when
obs up ran with --time-scale 1/60.
`;

export async function trafficCommand(args: readonly string[], io: CliIo): Promise<number> {
  const demo = await loadDemo();
  const { BACKEND_SERVICES, INSTRUMENTED_SERVICE_NAMES, TRAFFIC_LIMITS, runTraffic } = demo;
  const parsed = dataDirArgs(args, trafficHelp(demo), io, {
    rate: { type: 'string' },
    duration: { type: 'string' },
    fault: { type: 'string', multiple: true },
    stop: { type: 'string' },
    idle: { type: 'string' },
  });
  if (parsed === undefined) return 0;
  const { values } = parsed;
  const number = (name: string, max: number): number | undefined => {
    const raw = values[name];
    if (typeof raw !== 'string') return undefined;
    const value = Number(raw);
    if (!(value > 0 && value <= max))
      throw new UsageError(`--${name} "${raw}" must be a number above 0 and at most ${String(max)}`);
    return value;
  };
  const rate = number('rate', TRAFFIC_LIMITS.ratePerSecond.max);
  const durationSeconds = number('duration', TRAFFIC_LIMITS.durationMs.max / 1000);
  const faults = ((values['fault'] ?? []) as string[]).map((name) => {
    const entry = TRAFFIC_SWITCHES[name];
    if (entry === undefined)
      throw new UsageError(
        `--fault "${name}" is unknown; use one of ${Object.keys(TRAFFIC_SWITCHES).join(', ')}`,
      );
    return entry.fault;
  });
  const idle = typeof values['idle'] === 'string' ? values['idle'] : undefined;
  if (idle !== undefined && !(BACKEND_SERVICES as readonly string[]).includes(idle))
    throw new UsageError(`--idle "${idle}" is unknown; use one of ${BACKEND_SERVICES.join(', ')}`);
  const stopName = typeof values['stop'] === 'string' ? values['stop'] : undefined;
  if (stopName !== undefined && !(INSTRUMENTED_SERVICE_NAMES as readonly string[]).includes(stopName))
    throw new UsageError(
      `--stop "${stopName}" is unknown; use one of ${INSTRUMENTED_SERVICE_NAMES.join(', ')}`,
    );

  const state = runningState(parsed.dataDir);
  if (state.gatewayUrl === undefined)
    throw new UsageError('the demo is not running: start it with obs up --demo, then run obs traffic');
  const serviceUrls = Object.fromEntries(
    state.components
      .filter((component) => (INSTRUMENTED_SERVICE_NAMES as readonly string[]).includes(component.name))
      .map((component) => [component.name, component.url]),
  ) as Partial<Record<InstrumentedServiceName, string>>;
  const frozen =
    stopName === undefined ? undefined : state.components.find((component) => component.name === stopName);
  if (frozen !== undefined && !sameProcess(frozen.pid, frozen.startTicks))
    throw new StartError(
      `${frozen.name} is not running (its recorded process is gone); obs status shows what runs`,
    );
  const controller = new AbortController();
  const onSignal = (): void => {
    controller.abort();
  };
  // Every way of being stopped ends the run the same way: faults off, the frozen service thawed.
  const removeSignalHandlers = onStopSignals(onSignal);
  try {
    if (frozen?.pid !== undefined) {
      signalProcess(frozen.pid, 'SIGSTOP', true);
      io.stderr(`obs traffic: ${frozen.name} frozen (pid ${String(frozen.pid)}) for the run`);
    }
    io.stderr(
      `obs traffic: ${String(rate ?? TRAFFIC_LIMITS.ratePerSecond.default)} requests/s for ${String(durationSeconds ?? TRAFFIC_LIMITS.durationMs.default / 1000)} s${faults.length > 0 ? ` with ${faults.join(', ')}` : ''}${idle === undefined ? '' : `, ${idle} idle`}`,
    );
    const result = await runTraffic({
      gatewayUrl: state.gatewayUrl,
      serviceUrls,
      ...(rate === undefined ? {} : { ratePerSecond: rate }),
      ...(durationSeconds === undefined ? {} : { durationMs: durationSeconds * 1000 }),
      faults,
      ...(idle === undefined ? {} : { idle: idle as BackendService }),
      signal: controller.signal,
      onProgress: (progress) => {
        io.stderr(
          `obs traffic: ${(progress.elapsedMs / 1000).toFixed(0)} s, ${String(progress.sent)} sent, ${Object.entries(
            progress.byStatus,
          )
            .map(([status, count]) => `${status}: ${String(count)}`)
            .join(', ')}`,
        );
      },
    });
    io.stdout(
      `sent ${String(result.sent)} in ${(result.elapsedMs / 1000).toFixed(1)} s; answers ${JSON.stringify(result.byStatus)}; no answer ${String(result.failed)}${result.aborted ? ' (stopped early)' : ''}`,
    );
    for (const warning of result.warnings) io.stderr(`obs traffic: ${warning}`);
    return 0;
  } finally {
    removeSignalHandlers();
    if (frozen?.pid !== undefined) {
      signalProcess(frozen.pid, 'SIGCONT', true);
      io.stderr(`obs traffic: ${frozen.name} running again`);
    }
  }
}
