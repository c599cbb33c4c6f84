/**
 * Local mode: the hub in this process, every installed engine as a child process with configs
 * rendered from the stack model and adapted to loopback, the demo services when asked, all
 * state under one data directory, private to the user. Started in dependency order, each
 * recorded in the state file as soon as it is spawned and waited for until healthy; stopped in
 * reverse order on `stop()` (Ctrl-C, SIGTERM from `obs down`).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Environment } from '@pyairtable/conventions';
import { LOG_LINES_PATH, startHub } from '@pyairtable/hub';
import type { Hub } from '@pyairtable/hub';
import type { StaticService } from '@pyairtable/stack';
import {
  buildModel,
  renderAlertmanagerConfig,
  renderPrometheusConfig,
  renderRules,
  resolveChannels,
} from '@pyairtable/stack';
import { PortsInUseError, StartError } from '../errors.js';
import type { Child } from './children.js';
import { ChildProcesses } from './children.js';
import type { EngineContext, LocalEngine, LocalRole } from './engines.js';
import { HUB_PORTS, LOCAL_ENGINES, SPEC_PORTS, findExecutable } from './engines.js';
import { privateDataDirectory, privateDirectory } from './files.js';
import { portFree, probe, waitHealthy } from './probe.js';
import type { LocalState, NotRunning, RunningComponent } from './state.js';
import { processStartTicks, removeState, signalProcess, writeState } from './state.js';

/** A demo service as the supervisor starts it (see @pyairtable/demo). */
export interface DemoLaunch {
  readonly name: string;
  readonly purpose: string;
  readonly port: number;
  readonly metricsPort: number | undefined;
  readonly tier: string | undefined;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly healthPath: string;
}

export interface LocalOptions {
  readonly dataDir: string;
  readonly profile: Environment;
  readonly portOffset: number;
  readonly timeScale: number;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Demo services to start after the engines they use (empty: no demo). */
  readonly demo: (context: { redisUrl?: string; databaseUrl?: string; otlpHttpUrl: string }) => DemoLaunch[];
  readonly progress: (line: string) => void;
  /** A child stopped by itself: reported, the rest keeps running (obs status shows it). */
  readonly onUnexpectedExit?: (name: string, detail: string) => void;
  /** How long each component may take to become healthy. */
  readonly startTimeoutMs?: number;
  /** Ports the demo will take, checked with the rest before anything starts. */
  readonly demoPorts?: readonly number[];
  /** Aborted (Ctrl-C, obs down) while starting: what started is stopped and startLocal throws. */
  readonly signal?: AbortSignal;
}

/** Startup was interrupted by a signal; everything started so far has been stopped. */
export class StartAborted extends Error {
  override readonly name = 'StartAborted';
}

export interface LocalStack {
  readonly state: LocalState;
  readonly hub: Hub;
  stop(): Promise<void>;
}

const LOCAL_HOST = '127.0.0.1';

/**
 * Demo stdout (the contract's JSON log lines) goes to the hub in batches: the Filebeat role.
 * A batch the hub does not take is counted and reported (at most once a minute); its lines stay
 * in the service's log file.
 */
class LogForwarder {
  private lines: string[] = [];
  private readonly timer: NodeJS.Timeout;
  private inFlight: Promise<void> = Promise.resolve();
  private notForwarded = 0;
  private lastReport = 0;

  constructor(
    private readonly url: string,
    private readonly report: (message: string) => void,
  ) {
    this.timer = setInterval(() => {
      void this.flush();
    }, 500);
    this.timer.unref();
  }

  push(line: string): void {
    if (line.startsWith('{')) this.lines.push(line);
    if (this.lines.length >= 500) void this.flush();
  }

  flush(): Promise<void> {
    if (this.lines.length === 0) return this.inFlight;
    const body = this.lines.join('\n');
    this.lines = [];
    const count = body.split('\n').length;
    this.inFlight = this.inFlight
      .then(() => fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }))
      .then(
        async (response) => {
          await response.body?.cancel();
          if (response.status >= 500) this.failed(count, `the hub answered ${String(response.status)}`);
        },
        (error: unknown) => {
          this.failed(count, error instanceof Error ? error.message : String(error));
        },
      );
    return this.inFlight;
  }

  private failed(count: number, reason: string): void {
    this.notForwarded += count;
    const now = Date.now();
    if (now - this.lastReport < 60_000) return;
    this.lastReport = now;
    this.report(
      `${String(this.notForwarded)} log lines could not be forwarded to the hub so far (last: ${reason}); they are in the services' files under logs/`,
    );
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

export async function startLocal(options: LocalOptions): Promise<LocalStack> {
  const { dataDir, progress, env } = options;
  const startTimeout = options.startTimeoutMs ?? 30_000;
  const configDir = join(dataDir, 'config');
  const logDir = join(dataDir, 'logs');
  // Everyone's telemetry and a password: the user's alone (0700), unless the directory given is
  // a folder of the user's own, whose mode is theirs to choose; what obs keeps in it is private.
  if (!privateDataDirectory(dataDir))
    progress(
      `${dataDir} holds files obs did not write and stays readable by others; what obs keeps in it is private`,
    );
  for (const directory of [configDir, join(configDir, 'rules')]) privateDirectory(directory);
  privateDirectory(logDir, { files: true });
  const port = (role: LocalRole): number => SPEC_PORTS[role] + options.portOffset;
  const hubPorts = {
    otlpHttp: HUB_PORTS.otlpHttp + options.portOffset,
    otlpGrpc: HUB_PORTS.otlpGrpc + options.portOffset,
    exporter: HUB_PORTS.prometheusExporter + options.portOffset,
  };
  const secrets = new Map<LocalRole, string>();
  const locations = new Map<LocalRole, string>();
  const context: EngineContext = {
    dataDir,
    configDir,
    port,
    secret: (role) => secrets.get(role),
    location: (role) => locations.get(role),
  };
  const checkAborted = (): void => {
    if (options.signal?.aborted === true) throw new StartAborted('stopped while starting');
  };

  // Which engines are installed decides what runs; what is missing is reported, not emulated.
  const found = new Map<LocalRole, string>();
  const missing: NotRunning[] = [];
  const notRunning = (engine: LocalEngine, reason: string, fix?: string): void => {
    missing.push({
      name: engine.role,
      purpose: engine.purpose,
      port: port(engine.role),
      reason,
      ...(fix === undefined ? {} : { fix }),
    });
  };
  for (const engine of LOCAL_ENGINES) {
    const executable = findExecutable(engine.command, env);
    if (executable !== undefined) found.set(engine.role, executable);
    else notRunning(engine, 'not installed', `sudo apt-get install ${engine.debianPackage}`);
  }

  // Every port first: failing before anything starts leaves nothing to clean up.
  const wanted: [string, number][] = [
    ['hub (query API)', port('hub')],
    ['hub (OTLP/HTTP)', hubPorts.otlpHttp],
    ['hub (OTLP/gRPC)', hubPorts.otlpGrpc],
    ['hub (metrics for Prometheus)', hubPorts.exporter],
    ...[...found.keys()].map((role): [string, number] => [role, port(role)]),
    ...(options.demoPorts ?? []).map((number): [string, number] => ['demo', number]),
  ];
  const busy: string[] = [];
  for (const [name, number] of wanted)
    if (!(await portFree(number))) busy.push(`${String(number)} (${name})`);
  if (busy.length > 0)
    throw new PortsInUseError(
      `ports already in use: ${busy.join(', ')}. Stop what holds them (obs down, if an earlier obs up runs; ss -ltnp shows the holders) or start on other ports with --port-offset <n>.`,
    );

  const components: RunningComponent[] = [];
  let stopping = false;
  let hub: Hub | undefined;
  let forwarder: LogForwarder | undefined;
  /** Rewrites the state file; set once the hub runs (the state names its addresses). */
  let saveState: (() => LocalState) | undefined;
  const children = new ChildProcesses({
    dataDir,
    logDir,
    onChange: () => saveState?.(),
    ...(options.onUnexpectedExit === undefined ? {} : { onUnexpectedExit: options.onUnexpectedExit }),
  });

  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    children.beginStop();
    await forwarder?.close();
    await children.stopAll();
    await hub?.close();
    removeState(dataDir);
  };

  try {
    progress(`starting the hub (traces, logs, OTLP metrics) in ${join(dataDir, 'hub')}`);
    // Its store (DuckDB's file and WAL) is created under obs up's umask of 077.
    privateDirectory(join(dataDir, 'hub'), { files: true });
    hub = await startHub({
      dataDir: join(dataDir, 'hub'),
      profile: options.profile,
      host: LOCAL_HOST,
      otlpHttpPort: hubPorts.otlpHttp,
      otlpGrpcPort: hubPorts.otlpGrpc,
      prometheusPort: hubPorts.exporter,
      queryPort: port('hub'),
    });
    components.push({
      name: 'hub',
      role: 'hub',
      purpose: 'Traces and logs: OTLP in, search, Jaeger API (collector + Jaeger + log store roles)',
      servedBy: 'embedded hub',
      url: hub.queryUrl,
      port: port('hub'),
      health: { kind: 'http', path: '/api/v3/services' },
    });
    forwarder = new LogForwarder(`${hub.otlpHttpUrl}${LOG_LINES_PATH}`, progress);
    const startedHub = hub;
    const startedAt = new Date().toISOString();
    const supervisorTicks = processStartTicks(process.pid);
    let ready = false;
    // Written as each part starts and as each child is spawned, so obs down finds what runs
    // even mid-start.
    const save = (): LocalState => {
      const gateway = components.find((component) => component.name === 'api-gateway');
      const state: LocalState = {
        version: 1,
        pid: process.pid,
        ...(supervisorTicks === undefined ? {} : { startTicks: supervisorTicks }),
        ready,
        startedAt,
        profile: options.profile,
        dataDir,
        portOffset: options.portOffset,
        otlpHttpUrl: startedHub.otlpHttpUrl,
        otlpGrpcAddress: startedHub.otlpGrpcAddress,
        hubQueryUrl: startedHub.queryUrl,
        hubExporterUrl: startedHub.prometheusUrl,
        ...(gateway === undefined ? {} : { gatewayUrl: gateway.url }),
        components,
        missing,
        processes: children.records(),
      };
      writeState(state);
      return state;
    };
    saveState = save;
    save();
    /** The started process's identity, for the state file: as recorded when it was spawned. */
    const identity = (child: Child): { pid?: number; startTicks?: string } =>
      child.record === undefined
        ? {}
        : {
            pid: child.record.pid,
            ...(child.record.startTicks === undefined ? {} : { startTicks: child.record.startTicks }),
          };

    const running = new Set<LocalRole>(['hub']);
    const startEngine = async (engine: LocalEngine, executable: string): Promise<void> => {
      checkAborted();
      if (engine.needs !== undefined && !running.has(engine.needs)) {
        notRunning(engine, `nothing to watch: ${engine.needs} is not running`);
        return;
      }
      const prepared = engine.prepare?.(executable, context) ?? { prefix: [] };
      if ('reason' in prepared) {
        notRunning(engine, prepared.reason, prepared.fix);
        return;
      }
      const { prefix, location } = prepared;
      if (prepared.secret !== undefined) secrets.set(engine.role, prepared.secret);
      if (location !== undefined) locations.set(engine.role, location);
      if (prepared.note !== undefined) progress(prepared.note);
      progress(`starting ${engine.role} (${executable})`);
      const args = engine.args(context);
      const child = children.launch(
        engine.role,
        prefix[0] ?? executable,
        [...prefix.slice(1), ...(prefix.length > 0 ? [executable] : []), ...args],
        {
          ...env,
          ...engine.env?.(context),
        },
        undefined,
        engine.stopSignal,
        location,
      );
      const url = `http://${LOCAL_HOST}:${String(port(engine.role))}`;
      const result = await waitHealthy(
        () => probe(engine.health, url, port(engine.role)),
        startTimeout,
        () => child.running && options.signal?.aborted !== true,
      );
      if (!result.healthy) {
        if (child.process.pid !== undefined) signalProcess(child.process.pid, 'SIGKILL', true);
        child.running = false;
        notRunning(
          engine,
          `did not become healthy (${result.detail}); see ${join(logDir, `${engine.role}.log`)}`,
        );
        save();
        return;
      }
      running.add(engine.role);
      components.push({
        name: engine.role,
        role: engine.role,
        purpose: engine.purpose,
        servedBy: executable,
        url:
          engine.scheme === undefined ? url : `${engine.scheme}://${LOCAL_HOST}:${String(port(engine.role))}`,
        port: port(engine.role),
        health: engine.health,
        ...identity(child),
        ...(engine.credentials === undefined ? {} : { credentials: engine.credentials(context) }),
        ...(location === undefined ? {} : { dataLocation: location }),
      });
      save();
    };

    /** Every installed engine of a phase, in the table's order (see LocalEngine.phase). */
    const startPhase = async (phase: LocalEngine['phase']): Promise<void> => {
      for (const engine of LOCAL_ENGINES) {
        const executable = found.get(engine.role);
        if (engine.phase === phase && executable !== undefined) await startEngine(engine, executable);
      }
    };
    await startPhase('backends');

    const demo = options.demo({
      otlpHttpUrl: hub.otlpHttpUrl,
      ...(running.has('redis') ? { redisUrl: `redis://${LOCAL_HOST}:${String(port('redis'))}` } : {}),
      ...(running.has('postgres')
        ? {
            databaseUrl: `postgresql://postgres:${encodeURIComponent(secrets.get('postgres') ?? '')}@${LOCAL_HOST}:${String(port('postgres'))}/postgres`,
          }
        : {}),
    });
    const services: StaticService[] = [];
    for (const service of demo) {
      checkAborted();
      progress(`starting demo service ${service.name} on ${String(service.port)}`);
      const child = children.launch(
        service.name,
        service.command,
        service.args,
        { ...env, ...service.env },
        (line) => {
          forwarder?.push(line);
        },
      );
      const url = `http://${LOCAL_HOST}:${String(service.port)}`;
      const result = await waitHealthy(
        () => probe({ kind: 'http', path: service.healthPath }, url, service.port),
        startTimeout,
        () => child.running && options.signal?.aborted !== true,
      );
      if (!result.healthy)
        throw new StartError(
          `demo service ${service.name} did not start (${result.detail}); its output is in ${join(logDir, `${service.name}.log`)}`,
        );
      components.push({
        name: service.name,
        role: 'demo',
        purpose: service.purpose,
        servedBy: 'examples/demo',
        url,
        port: service.port,
        health: { kind: 'http', path: service.healthPath },
        ...identity(child),
      });
      save();
      if (service.metricsPort !== undefined && service.tier !== undefined)
        services.push({
          service: service.name,
          tier: service.tier,
          version: '1.0.0',
          address: `${LOCAL_HOST}:${String(service.metricsPort)}`,
          path: '/metrics',
        });
    }

    writeMonitoringConfig({
      options,
      configDir,
      port,
      hub,
      services,
      prometheus: found.has('prometheus'),
      alertmanager: found.has('alertmanager'),
      exporters: (['node-exporter', 'redis-exporter', 'postgres-exporter'] as const).filter((role) =>
        running.has(role),
      ),
    });
    await startPhase('monitoring');

    checkAborted();
    ready = true;
    const state = save();
    return { state, hub, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Prometheus's and Alertmanager's files for what actually runs: the installed ones, the
 * exporters that became healthy, the demo's services, the hub's two scrape targets.
 */
function writeMonitoringConfig(run: {
  readonly options: LocalOptions;
  readonly configDir: string;
  readonly port: (role: LocalRole) => number;
  readonly hub: Hub;
  readonly services: readonly StaticService[];
  readonly prometheus: boolean;
  readonly alertmanager: boolean;
  readonly exporters: readonly ('node-exporter' | 'redis-exporter' | 'postgres-exporter')[];
}): void {
  const { options, configDir, port, hub, exporters } = run;
  const model = buildModel({
    profile: options.profile,
    target: 'local',
    components: [
      ...(run.prometheus ? (['prometheus'] as const) : []),
      ...(run.alertmanager ? (['alertmanager'] as const) : []),
      ...exporters,
    ],
    services: [...run.services],
    ruleFilesGlob: join(configDir, 'rules', '*.yml'),
    // One machine, cheap scrapes: data appears within seconds of a request. Sped-up time needs
    // faster ones still, or a scaled rate window would hold fewer than two samples.
    intervalsOverride:
      options.timeScale < 1
        ? { scrapeSeconds: 1, evaluationSeconds: 1 }
        : { scrapeSeconds: 5, evaluationSeconds: 5 },
    timeScale: options.timeScale,
    ports: Object.fromEntries(
      (['prometheus', 'alertmanager', ...exporters] as const).map((role) => [role, port(role)] as const),
    ),
    localHub: {
      countersAddress: hub.queryUrl.slice('http://'.length),
      exporterAddress: hub.prometheusUrl.slice('http://'.length),
    },
  });
  writeFileSync(join(configDir, 'prometheus.yml'), renderPrometheusConfig(model));
  writeFileSync(join(configDir, 'rules', 'pyairtable.yml'), renderRules(model));
  writeFileSync(
    join(configDir, 'alertmanager.yml'),
    renderAlertmanagerConfig(resolveChannels(options.env).channels, options.profile, {
      timeScale: options.timeScale,
    }).text,
    { mode: 0o600 },
  );
}
