/**
 * Local mode: the hub in this process, every installed engine as a child process with configs
 * rendered from the stack model and adapted to loopback, the demo services when asked, all
 * state under one data directory, private to the user. Started in dependency order, each
 * recorded in the state file as soon as it is spawned and waited for until healthy; stopped in
 * reverse order on `stop()` (Ctrl-C, SIGTERM from `obs down`).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Environment } from '@pyairtable/conventions';
import { LOG_LINES_PATH, startHub } from '@pyairtable/hub';
import type { Hub } from '@pyairtable/hub';
import type { StaticService } from '@pyairtable/stack';
import {
  buildModel,
  modelDashboards,
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
import { LogForwarder } from './log-forwarder.js';
import type { LocalState, NotRunning, RunningComponent } from './state.js';
import { HUB_ADMIN_TOKEN_FILE, processStartTicks, removeState, signalProcess, writeState } from './state.js';

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

export async function startLocal(options: LocalOptions): Promise<LocalStack> {
  const run = new LocalRun(options);
  run.prepareDirectories();
  run.findEngines();
  // Every port first: failing before anything starts leaves nothing to clean up.
  await run.checkPorts();
  try {
    const hub = await run.startHub();
    await run.startPhase('backends');
    const services = await run.startDemo();
    writeMonitoringConfig({
      options,
      configDir: run.configDir,
      port: run.port,
      hub,
      services,
      prometheus: run.found.has('prometheus'),
      alertmanager: run.found.has('alertmanager'),
      exporters: (['node-exporter', 'redis-exporter', 'postgres-exporter'] as const).filter((role) =>
        run.running.has(role),
      ),
    });
    await run.startPhase('monitoring');
    hub.configureUi({
      ...run.urlOf('prometheus'),
      ...run.urlOf('alertmanager'),
      dashboards: modelDashboards(buildModel({ profile: options.profile, target: 'local' })),
    });
    run.checkAborted();
    return { state: run.markReady(), hub, stop: () => run.stop() };
  } catch (error) {
    await run.stop();
    throw error;
  }
}

/** One `obs up` in local mode: what it found, started and recorded, and how it stops. */
class LocalRun {
  readonly configDir: string;
  private readonly logDir: string;
  /** Installed engines: role to executable. */
  readonly found = new Map<LocalRole, string>();
  /** Healthy roles, the hub first. */
  readonly running = new Set<LocalRole>();
  private readonly missing: NotRunning[] = [];
  private readonly components: RunningComponent[] = [];
  private readonly secrets = new Map<LocalRole, string>();
  private readonly locations = new Map<LocalRole, string>();
  private readonly context: EngineContext;
  private readonly children: ChildProcesses;
  private readonly startTimeout: number;
  private readonly startedAt = new Date().toISOString();
  private readonly supervisorTicks = processStartTicks(process.pid);
  private hub: Hub | undefined;
  private forwarder: LogForwarder | undefined;
  private ready = false;
  private stopping = false;

  constructor(private readonly options: LocalOptions) {
    this.configDir = join(options.dataDir, 'config');
    this.logDir = join(options.dataDir, 'logs');
    this.startTimeout = options.startTimeoutMs ?? 30_000;
    this.context = {
      dataDir: options.dataDir,
      configDir: this.configDir,
      port: this.port,
      secret: (role) => this.secrets.get(role),
      location: (role) => this.locations.get(role),
    };
    this.children = new ChildProcesses({
      dataDir: options.dataDir,
      logDir: this.logDir,
      onChange: () => {
        if (this.hub !== undefined) this.save();
      },
      ...(options.onUnexpectedExit === undefined ? {} : { onUnexpectedExit: options.onUnexpectedExit }),
    });
  }

  readonly port = (role: LocalRole): number => SPEC_PORTS[role] + this.options.portOffset;

  /** `{ [role]: url }` when the role runs, for the UI's pass-through; `{}` when it does not. */
  urlOf(role: 'prometheus' | 'alertmanager'): { prometheus?: string; alertmanager?: string } {
    return this.running.has(role) ? { [role]: `http://${LOCAL_HOST}:${String(this.port(role))}` } : {};
  }

  private get hubPorts(): { otlpHttp: number; otlpGrpc: number; exporter: number } {
    const offset = this.options.portOffset;
    return {
      otlpHttp: HUB_PORTS.otlpHttp + offset,
      otlpGrpc: HUB_PORTS.otlpGrpc + offset,
      exporter: HUB_PORTS.prometheusExporter + offset,
    };
  }

  checkAborted(): void {
    if (this.options.signal?.aborted === true) throw new StartAborted('stopped while starting');
  }

  /**
   * Everyone's telemetry and a password: the user's alone (0700), unless the directory given is
   * a folder of the user's own, whose mode is theirs to choose; what obs keeps in it is private.
   */
  prepareDirectories(): void {
    const { dataDir } = this.options;
    if (!privateDataDirectory(dataDir))
      this.options.progress(
        `${dataDir} holds files obs did not write and stays readable by others; what obs keeps in it is private`,
      );
    for (const directory of [this.configDir, join(this.configDir, 'rules')]) privateDirectory(directory);
    privateDirectory(this.logDir, { files: true });
  }

  /** Which engines are installed decides what runs; what is missing is reported, not emulated. */
  findEngines(): void {
    for (const engine of LOCAL_ENGINES) {
      const executable = findExecutable(engine.command, this.options.env);
      if (executable !== undefined) this.found.set(engine.role, executable);
      else this.notRunning(engine, 'not installed', `sudo apt-get install ${engine.debianPackage}`);
    }
  }

  async checkPorts(): Promise<void> {
    const hubPorts = this.hubPorts;
    const wanted: [string, number][] = [
      ['hub (query API)', this.port('hub')],
      ['hub (OTLP/HTTP)', hubPorts.otlpHttp],
      ['hub (OTLP/gRPC)', hubPorts.otlpGrpc],
      ['hub (metrics for Prometheus)', hubPorts.exporter],
      ...[...this.found.keys()].map((role): [string, number] => [role, this.port(role)]),
      ...(this.options.demoPorts ?? []).map((number): [string, number] => ['demo', number]),
    ];
    const busy: string[] = [];
    for (const [name, number] of wanted)
      if (!(await portFree(number))) busy.push(`${String(number)} (${name})`);
    if (busy.length > 0)
      throw new PortsInUseError(
        `ports already in use: ${busy.join(', ')}. Stop what holds them (obs down, if an earlier obs up runs; ss -ltnp shows the holders) or start on other ports with --port-offset <n>.`,
      );
  }

  async startHub(): Promise<Hub> {
    const { dataDir } = this.options;
    this.options.progress(`starting the hub (traces, logs, OTLP metrics) in ${join(dataDir, 'hub')}`);
    // Its store (DuckDB's file and WAL) is created under obs up's umask of 077.
    privateDirectory(join(dataDir, 'hub'), { files: true });
    const hubPorts = this.hubPorts;
    // Erasures need their own token, so that only this user (who can read the data directory) erases.
    const adminToken = randomBytes(32).toString('base64url');
    // Written anew and renamed over an older one, so its mode is 0600 whatever the old file's was.
    const tokenFile = join(dataDir, HUB_ADMIN_TOKEN_FILE);
    writeFileSync(`${tokenFile}.tmp`, `${adminToken}\n`, { mode: 0o600, flag: 'w' });
    chmodSync(`${tokenFile}.tmp`, 0o600);
    renameSync(`${tokenFile}.tmp`, tokenFile);
    const hub = await startHub({
      adminToken,
      dataDir: join(dataDir, 'hub'),
      profile: this.options.profile,
      host: LOCAL_HOST,
      otlpHttpPort: hubPorts.otlpHttp,
      otlpGrpcPort: hubPorts.otlpGrpc,
      prometheusPort: hubPorts.exporter,
      queryPort: this.port('hub'),
    });
    this.hub = hub;
    this.running.add('hub');
    this.components.push({
      name: 'hub',
      role: 'hub',
      purpose: 'Web UI: services, traces, logs. OTLP in, Jaeger API (collector + Jaeger + log store roles)',
      servedBy: 'embedded hub',
      url: hub.queryUrl,
      port: this.port('hub'),
      health: { kind: 'http', path: '/api/v3/services' },
    });
    this.forwarder = new LogForwarder(`${hub.otlpHttpUrl}${LOG_LINES_PATH}`, this.options.progress);
    this.save();
    return hub;
  }

  /** Every installed engine of a phase, in the table's order (see LocalEngine.phase). */
  async startPhase(phase: LocalEngine['phase']): Promise<void> {
    for (const engine of LOCAL_ENGINES) {
      const executable = this.found.get(engine.role);
      if (engine.phase === phase && executable !== undefined) await this.startEngine(engine, executable);
    }
  }

  private async startEngine(engine: LocalEngine, executable: string): Promise<void> {
    this.checkAborted();
    if (engine.needs !== undefined && !this.running.has(engine.needs)) {
      this.notRunning(engine, `nothing to watch: ${engine.needs} is not running`);
      return;
    }
    const prepared = engine.prepare?.(executable, this.context) ?? { prefix: [] };
    if ('reason' in prepared) {
      this.notRunning(engine, prepared.reason, prepared.fix);
      return;
    }
    const { prefix, location } = prepared;
    if (prepared.secret !== undefined) this.secrets.set(engine.role, prepared.secret);
    if (location !== undefined) this.locations.set(engine.role, location);
    if (prepared.note !== undefined) this.options.progress(prepared.note);
    this.options.progress(`starting ${engine.role} (${executable})`);
    const child = this.children.launch(
      engine.role,
      prefix[0] ?? executable,
      [...prefix.slice(1), ...(prefix.length > 0 ? [executable] : []), ...engine.args(this.context)],
      { ...this.options.env, ...engine.env?.(this.context) },
      undefined,
      engine.stopSignal,
      location,
    );
    const port = this.port(engine.role);
    const result = await this.waitHealthy(child, engine.health, port);
    if (!result.healthy) {
      if (child.process.pid !== undefined) signalProcess(child.process.pid, 'SIGKILL', true);
      child.running = false;
      this.notRunning(
        engine,
        `did not become healthy (${result.detail}); see ${join(this.logDir, `${engine.role}.log`)}`,
      );
      this.save();
      return;
    }
    this.running.add(engine.role);
    this.components.push({
      name: engine.role,
      role: engine.role,
      purpose: engine.purpose,
      servedBy: executable,
      url: `${engine.scheme ?? 'http'}://${LOCAL_HOST}:${String(port)}`,
      port,
      health: engine.health,
      ...identity(child),
      ...(engine.credentials === undefined ? {} : { credentials: engine.credentials(this.context) }),
      ...(location === undefined ? {} : { dataLocation: location }),
    });
    this.save();
  }

  /** The demo's services, after the engines they use; what Prometheus should scrape of them. */
  async startDemo(): Promise<StaticService[]> {
    const demo = this.options.demo({
      otlpHttpUrl: this.requireHub().otlpHttpUrl,
      ...(this.running.has('redis')
        ? { redisUrl: `redis://${LOCAL_HOST}:${String(this.port('redis'))}` }
        : {}),
      ...(this.running.has('postgres')
        ? {
            databaseUrl: `postgresql://postgres:${encodeURIComponent(this.secrets.get('postgres') ?? '')}@${LOCAL_HOST}:${String(this.port('postgres'))}/postgres`,
          }
        : {}),
    });
    const services: StaticService[] = [];
    for (const service of demo) {
      await this.startDemoService(service);
      if (service.metricsPort !== undefined && service.tier !== undefined)
        services.push({
          service: service.name,
          tier: service.tier,
          version: '1.0.0',
          address: `${LOCAL_HOST}:${String(service.metricsPort)}`,
          path: '/metrics',
        });
    }
    return services;
  }

  private async startDemoService(service: DemoLaunch): Promise<void> {
    this.checkAborted();
    this.options.progress(`starting demo service ${service.name} on ${String(service.port)}`);
    const child = this.children.launch(
      service.name,
      service.command,
      service.args,
      { ...this.options.env, ...service.env },
      (line) => {
        this.forwarder?.push(line);
      },
    );
    const health = { kind: 'http', path: service.healthPath } as const;
    const result = await this.waitHealthy(child, health, service.port);
    if (!result.healthy)
      throw new StartError(
        `demo service ${service.name} did not start (${result.detail}); its output is in ${join(this.logDir, `${service.name}.log`)}`,
      );
    this.components.push({
      name: service.name,
      role: 'demo',
      purpose: service.purpose,
      servedBy: 'examples/demo',
      url: `http://${LOCAL_HOST}:${String(service.port)}`,
      port: service.port,
      health,
      ...identity(child),
    });
    this.save();
  }

  private waitHealthy(
    child: Child,
    health: RunningComponent['health'],
    port: number,
  ): ReturnType<typeof waitHealthy> {
    return waitHealthy(
      () => probe(health, `http://${LOCAL_HOST}:${String(port)}`, port),
      this.startTimeout,
      () => child.running && this.options.signal?.aborted !== true,
    );
  }

  markReady(): LocalState {
    this.ready = true;
    return this.save();
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.children.beginStop();
    await this.forwarder?.close();
    await this.children.stopAll();
    await this.hub?.close();
    removeState(this.options.dataDir);
  }

  private notRunning(engine: LocalEngine, reason: string, fix?: string): void {
    this.missing.push({
      name: engine.role,
      purpose: engine.purpose,
      port: this.port(engine.role),
      reason,
      ...(fix === undefined ? {} : { fix }),
    });
  }

  private requireHub(): Hub {
    if (this.hub === undefined) throw new Error('the hub starts before anything that uses it');
    return this.hub;
  }

  /**
   * Written as each part starts and as each child is spawned, so obs down finds what runs even
   * mid-start. The state names the hub's addresses, so it is first written once the hub runs.
   */
  private save(): LocalState {
    const hub = this.requireHub();
    const gateway = this.components.find((component) => component.name === 'api-gateway');
    const state: LocalState = {
      version: 1,
      pid: process.pid,
      ...(this.supervisorTicks === undefined ? {} : { startTicks: this.supervisorTicks }),
      ready: this.ready,
      startedAt: this.startedAt,
      profile: this.options.profile,
      dataDir: this.options.dataDir,
      portOffset: this.options.portOffset,
      otlpHttpUrl: hub.otlpHttpUrl,
      otlpGrpcAddress: hub.otlpGrpcAddress,
      hubQueryUrl: hub.queryUrl,
      hubExporterUrl: hub.prometheusUrl,
      ...(gateway === undefined ? {} : { gatewayUrl: gateway.url }),
      components: this.components,
      missing: this.missing,
      processes: this.children.records(),
    };
    writeState(state);
    return state;
  }
}

/** The started process's identity, for the state file: as recorded when it was spawned. */
function identity(child: Child): { pid?: number; startTicks?: string } {
  if (child.record === undefined) return {};
  return {
    pid: child.record.pid,
    ...(child.record.startTicks === undefined ? {} : { startTicks: child.record.startTicks }),
  };
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
