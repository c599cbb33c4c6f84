/**
 * obs doctor: the spec's troubleshooting section, automated. Each finding names what is wrong
 * and the fix: targets down and why, the hub unreachable, no data arriving, sampling variables
 * that drop everything, ports held by something else, engines not installed.
 */
import { join } from 'node:path';
import { SERVICES_JOB } from '@pyairtable/conventions';
import { EXIT_CODES } from '../errors.js';
import type { CliIo } from '../io.js';
import { HUB_PORTS, LOCAL_ENGINES, SPEC_PORTS, findExecutable } from '../local/engines.js';
import { portFree, probe } from '../local/probe.js';
import type { LocalState } from '../local/state.js';
import { DEFAULT_DATA_DIR, readState, sameProcess } from '../local/state.js';
import { dataDirArgs } from './status.js';
import { CANARY_SERVICE } from './verify.js';

export const DOCTOR_HELP = `Usage: obs doctor [--data-dir <dir>]

Looks for what keeps the stack from working and says how to fix each thing it finds.
Exit code 0 when it finds nothing wrong, 5 otherwise.

Options:
  --data-dir <dir>   the data directory obs up was started with (default: ./${DEFAULT_DATA_DIR})
  -h, --help         this help
`;

export interface Finding {
  readonly problem: string;
  readonly fix: string;
}

const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

/** The OpenTelemetry sampling variables a service started from this shell would read. */
export function samplingFindings(env: Readonly<Record<string, string | undefined>>): Finding[] {
  const findings: Finding[] = [];
  const sampler = env['OTEL_TRACES_SAMPLER'];
  const argument = env['OTEL_TRACES_SAMPLER_ARG'];
  if (sampler !== undefined && !SAMPLERS.includes(sampler))
    findings.push({
      problem: `OTEL_TRACES_SAMPLER="${sampler}" is not a sampler the SDK knows, so it falls back to its default`,
      fix: `use one of ${SAMPLERS.join(', ')}, or unset it (the hub's tail sampling decides what to keep)`,
    });
  if (sampler?.endsWith('always_off') === true)
    findings.push({
      problem: `OTEL_TRACES_SAMPLER="${sampler}": services started from this shell send no traces at all`,
      fix: 'unset OTEL_TRACES_SAMPLER; head sampling at 1 and tail sampling in the hub is the contract',
    });
  if (argument !== undefined) {
    const ratio = Number(argument);
    if (argument.trim() === '' || !(ratio >= 0 && ratio <= 1))
      findings.push({
        problem: `OTEL_TRACES_SAMPLER_ARG="${argument}" is not a ratio between 0 and 1`,
        fix: 'set a number such as 1 or 0.25, or unset it',
      });
    else if (ratio === 0)
      findings.push({
        problem: 'OTEL_TRACES_SAMPLER_ARG=0: a ratio sampler keeps no trace',
        fix: 'unset it or set 1; the hub keeps errors and slow traces only if they arrive',
      });
  }
  return findings;
}

async function json<T>(url: string): Promise<T | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return response.ok ? ((await response.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}

async function runningFindings(state: LocalState): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const component of state.components) {
    const result = await probe(component.health, component.url, component.port);
    if (!result.healthy)
      findings.push({
        problem: `${component.name} at ${component.url} is not healthy (${result.detail})${
          component.pid !== undefined && !sameProcess(component.pid, component.startTicks)
            ? '; its process is gone'
            : ''
        }`,
        fix: `read ${join(state.dataDir, 'logs', `${component.name}.log`)}; then obs down && obs up to restart`,
      });
  }
  for (const missing of state.missing)
    findings.push({
      problem: `${missing.name} (${missing.purpose}) is not running: ${missing.reason}`,
      fix: missing.fix ?? 'see the reason; obs up lists it again after a restart',
    });

  const prometheus = state.components.find((component) => component.role === 'prometheus');
  if (prometheus !== undefined) {
    const targets = await json<{
      data?: {
        activeTargets?: {
          labels: Record<string, string>;
          scrapeUrl: string;
          health: string;
          lastError: string;
        }[];
      };
    }>(`${prometheus.url}/api/v1/targets`);
    for (const target of targets?.data?.activeTargets ?? [])
      if (target.health !== 'up')
        findings.push({
          problem: `Prometheus target ${target.labels['job'] ?? '?'} ${target.scrapeUrl} is ${target.health}: ${target.lastError || 'not scraped yet'}`,
          fix:
            target.labels['job'] === SERVICES_JOB
              ? 'the service must serve /metrics on that address (the SDK does on METRICS_PORT); start it or fix its port'
              : 'check that component with obs status and its log in the data directory',
        });
    const alertmanagers = await json<{ data?: { activeAlertmanagers?: unknown[] } }>(
      `${prometheus.url}/api/v1/alertmanagers`,
    );
    if (
      state.components.some((component) => component.role === 'alertmanager') &&
      (alertmanagers?.data?.activeAlertmanagers?.length ?? 0) === 0
    )
      findings.push({
        problem: 'Prometheus has no Alertmanager to send alerts to',
        fix: 'obs down && obs up; check config/prometheus.yml in the data directory lists it',
      });
  }

  const services = await json<{ services?: string[] }>(`${state.hubQueryUrl}/api/v3/services`);
  if (services === undefined)
    findings.push({
      problem: `the hub's query API at ${state.hubQueryUrl} does not answer`,
      fix: 'obs down && obs up; the hub runs inside obs up, so its output shows why',
    });
  else if ((services.services ?? []).filter((name) => name !== CANARY_SERVICE).length === 0)
    findings.push({
      problem: 'no traces from any service have arrived in the hub',
      fix: `start services with OTEL_EXPORTER_OTLP_ENDPOINT=${state.otlpHttpUrl} (or run obs up --demo and obs traffic)`,
    });
  const logs = await json<{ logs?: unknown[] }>(`${state.hubQueryUrl}/api/logs?limit=1&lookback=24h`);
  if (services !== undefined && (logs?.logs?.length ?? 0) === 0)
    findings.push({
      problem: 'no log records in the hub for the last 24 hours',
      fix: `services' JSON log lines go to POST ${state.otlpHttpUrl}/ingest/logs (obs up --demo forwards the demo's), or export logs over OTLP`,
    });
  return findings;
}

async function idleFindings(
  env: Readonly<Record<string, string | undefined>>,
  dataDir: string,
): Promise<Finding[]> {
  const findings: Finding[] = [
    { problem: `nothing runs from ${dataDir}`, fix: 'obs up (add --demo for the demo platform)' },
  ];
  const ports: [string, number][] = [
    ...Object.entries(SPEC_PORTS),
    ['hub OTLP/HTTP', HUB_PORTS.otlpHttp],
    ['hub OTLP/gRPC', HUB_PORTS.otlpGrpc],
    ['hub metrics', HUB_PORTS.prometheusExporter],
  ];
  for (const [name, port] of ports)
    if (!(await portFree(port)))
      findings.push({
        problem: `port ${String(port)} (${name}) is held by another program, so obs up cannot use it`,
        fix: `find it with: ss -ltnp 'sport = :${String(port)}'; stop it, or use obs up --port-offset <n>`,
      });
  for (const engine of LOCAL_ENGINES)
    if (findExecutable(engine.command, env) === undefined)
      findings.push({
        problem: `${engine.role} (${engine.purpose}) is not installed; local mode runs without it`,
        fix: `sudo apt-get install ${engine.debianPackage}`,
      });
  return findings;
}

export async function doctorCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = dataDirArgs(args, DOCTOR_HELP, io);
  if (parsed === undefined) return 0;
  const state = readState(parsed.dataDir);
  const findings: Finding[] = [];
  if (state !== undefined && !sameProcess(state.pid, state.startTicks))
    findings.push({
      problem: `obs up (pid ${String(state.pid)}) is gone but left its state in ${parsed.dataDir}`,
      fix: 'obs down (stops what it left running), then obs up',
    });
  else if (state !== undefined) findings.push(...(await runningFindings(state)));
  else findings.push(...(await idleFindings(io.env, parsed.dataDir)));
  findings.push(...samplingFindings(io.env));
  if (findings.length === 0) {
    io.stdout('No problems found.');
    return 0;
  }
  findings.forEach((finding, index) => {
    io.stdout(`${String(index + 1)}. ${finding.problem}\n   fix: ${finding.fix}`);
  });
  return EXIT_CODES.unhealthy;
}
