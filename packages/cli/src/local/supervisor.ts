/**
 * Local mode: the hub in this process, every installed engine as a child process with configs
 * rendered from the stack model and adapted to loopback, the demo services when asked, all
 * state under one data directory. Started in dependency order, each waited for until healthy;
 * stopped in reverse order on `stop()` (Ctrl-C, SIGTERM from `obs down`).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
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
import { PortsInUseError } from '../errors.js';
import type { EngineContext, LocalEngine, LocalRole } from './engines.js';
import { HUB_PORTS, LOCAL_ENGINES, SPEC_PORTS, findExecutable } from './engines.js';
import { portFree, probe, waitHealthy } from './probe.js';
import type { LocalState, NotRunning, RunningComponent } from './state.js';
import { removeState, writeState } from './state.js';

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
}

export interface LocalStack {
  readonly state: LocalState;
  readonly hub: Hub;
  stop(): Promise<void>;
}

interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly log: WriteStream;
  /** Ours to stop: false once it exited. */
  running: boolean;
}

const LOCAL_HOST = '127.0.0.1';

/** Demo stdout (the contract's JSON log lines) goes to the hub in batches: the Filebeat role. */
class LogForwarder {
  private lines: string[] = [];
  private readonly timer: NodeJS.Timeout;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(private readonly url: string) {
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
    this.inFlight = this.inFlight
      .then(() => fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }))
      .then(
        (response) => response.body?.cancel(),
        () => undefined,
      );
    return this.inFlight;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

function ensureDirectory(path: string): void {
  mkdirSync(path, { recursive: true });
}

/**
 * PostgreSQL refuses to run as root; as root the cluster belongs to Debian's `postgres` user and
 * the server runs as that user. Returns the command prefix, or the reason it cannot run.
 */
function preparePostgres(
  executable: string,
  directory: string,
): { prefix: string[] } | { reason: string; fix?: string } {
  const initdb = join(dirname(executable), 'initdb');
  if (!existsSync(initdb)) return { reason: `initdb is not beside ${executable}` };
  const asRoot = process.getuid?.() === 0;
  const prefix: string[] = [];
  if (asRoot) {
    const user = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    if (user.status !== 0)
      return { reason: 'running as root and there is no postgres user to run PostgreSQL as' };
    const uid = Number(user.stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    ensureDirectory(directory);
    chownSync(directory, uid, gid);
    chmodSync(directory, 0o700);
    // The postgres user must be able to reach the directory.
    for (let parent = dirname(directory); parent !== dirname(parent); parent = dirname(parent)) {
      const check = spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', parent]);
      if (check.status !== 0)
        return {
          reason: `the postgres user cannot enter ${parent}`,
          fix: `chmod o+x ${parent} (or choose another --data-dir)`,
        };
    }
    prefix.push('runuser', '-u', 'postgres', '--');
  } else ensureDirectory(directory);
  if (!existsSync(join(directory, 'PG_VERSION'))) {
    const init = spawnSync(
      prefix[0] ?? initdb,
      [
        ...prefix.slice(1),
        ...(prefix.length > 0 ? [initdb] : []),
        '-D',
        directory,
        '-A',
        'trust',
        '-U',
        'postgres',
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    if (init.status !== 0)
      return {
        reason: `initdb failed: ${(init.stderr || init.stdout).trim().split('\n').slice(-2).join(' ')}`,
      };
  }
  return { prefix };
}

export async function startLocal(options: LocalOptions): Promise<LocalStack> {
  const { dataDir, progress, env } = options;
  const startTimeout = options.startTimeoutMs ?? 30_000;
  const configDir = join(dataDir, 'config');
  const logDir = join(dataDir, 'logs');
  for (const directory of [dataDir, configDir, join(configDir, 'rules'), logDir]) ensureDirectory(directory);
  const port = (role: LocalRole): number => SPEC_PORTS[role] + options.portOffset;
  const hubPorts = {
    otlpHttp: HUB_PORTS.otlpHttp + options.portOffset,
    otlpGrpc: HUB_PORTS.otlpGrpc + options.portOffset,
    exporter: HUB_PORTS.prometheusExporter + options.portOffset,
  };
  const context: EngineContext = { dataDir, configDir, port };

  // Which engines are installed decides what runs; what is missing is reported, not emulated.
  const found = new Map<LocalRole, string>();
  const missing: NotRunning[] = [];
  for (const engine of LOCAL_ENGINES) {
    const executable = findExecutable(engine.command, env);
    if (executable !== undefined) found.set(engine.role, executable);
    else
      missing.push({
        name: engine.role,
        purpose: engine.purpose,
        port: port(engine.role),
        reason: 'not installed',
        fix: `sudo apt-get install ${engine.debianPackage}`,
      });
  }

  // Every port first: failing before anything starts leaves nothing to clean up.
  const wanted: [string, number][] = [
    ['hub (query API)', port('hub')],
    ['hub (OTLP/HTTP)', hubPorts.otlpHttp],
    ['hub (OTLP/gRPC)', hubPorts.otlpGrpc],
    ['hub (metrics for Prometheus)', hubPorts.exporter],
    ...[...found.keys()].map((role): [string, number] => [role, port(role)]),
  ];
  const busy: string[] = [];
  for (const [name, number] of wanted)
    if (!(await portFree(number))) busy.push(`${String(number)} (${name})`);
  if (busy.length > 0)
    throw new PortsInUseError(
      `ports already in use: ${busy.join(', ')}. Stop what holds them (obs down, if an earlier obs up runs; obs doctor names the holders) or start on other ports with --port-offset <n>.`,
    );

  const children: Child[] = [];
  const components: RunningComponent[] = [];
  let stopping = false;
  let hub: Hub | undefined;
  let forwarder: LogForwarder | undefined;

  const stop = async (): Promise<void> => {
    stopping = true;
    await forwarder?.close();
    for (const child of [...children].reverse()) {
      if (!child.running) continue;
      child.process.kill('SIGTERM');
      const gone = await Promise.race([
        new Promise<boolean>((resolve) => {
          child.process.once('exit', () => {
            resolve(true);
          });
        }),
        new Promise<boolean>((resolve) => {
          setTimeout(() => {
            resolve(false);
          }, 10_000).unref();
        }),
      ]);
      if (!gone) child.process.kill('SIGKILL');
      child.log.end();
    }
    await hub?.close();
    removeState(dataDir);
  };

  const launch = (
    name: string,
    command: string,
    args: readonly string[],
    childEnv: Readonly<Record<string, string | undefined>>,
    onLine?: (line: string) => void,
  ): Child => {
    const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
    const child = spawn(command, [...args], {
      env: { ...childEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: dataDir,
    });
    const entry: Child = { name, process: child, log, running: true };
    if (onLine !== undefined)
      createInterface({ input: child.stdout }).on('line', (line) => {
        log.write(`${line}\n`);
        onLine(line);
      });
    else child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', (error) => {
      log.write(`obs: could not start ${command}: ${error.message}\n`);
    });
    child.on('exit', (code, signal) => {
      entry.running = false;
      if (!stopping)
        options.onUnexpectedExit?.(
          name,
          `${signal === null ? `exit code ${String(code)}` : `signal ${signal}`}; see ${join(logDir, `${name}.log`)}`,
        );
    });
    children.push(entry);
    return entry;
  };

  try {
    progress(`starting the hub (traces, logs, OTLP metrics) in ${join(dataDir, 'hub')}`);
    ensureDirectory(join(dataDir, 'hub'));
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
    forwarder = new LogForwarder(`${hub.otlpHttpUrl}${LOG_LINES_PATH}`);

    const running = new Set<LocalRole>(['hub']);
    const startEngine = async (engine: LocalEngine, executable: string): Promise<void> => {
      if (engine.needs !== undefined && !running.has(engine.needs)) {
        missing.push({
          name: engine.role,
          purpose: engine.purpose,
          port: port(engine.role),
          reason: `nothing to watch: ${engine.needs} is not running`,
        });
        return;
      }
      let prefix: string[] = [];
      if (engine.role === 'postgres') {
        const prepared = preparePostgres(executable, join(dataDir, 'postgres'));
        if ('reason' in prepared) {
          missing.push({
            name: engine.role,
            purpose: engine.purpose,
            port: port(engine.role),
            reason: prepared.reason,
            ...(prepared.fix === undefined ? {} : { fix: prepared.fix }),
          });
          return;
        }
        prefix = prepared.prefix;
      }
      if (engine.role === 'redis') ensureDirectory(join(dataDir, 'redis'));
      progress(`starting ${engine.role} (${executable})`);
      const args = engine.args(context);
      const child = launch(
        engine.role,
        prefix[0] ?? executable,
        [...prefix.slice(1), ...(prefix.length > 0 ? [executable] : []), ...args],
        {
          ...env,
          ...engine.env?.(context),
        },
      );
      const url = `http://${LOCAL_HOST}:${String(port(engine.role))}`;
      const result = await waitHealthy(
        () => probe(engine.health, url, port(engine.role)),
        startTimeout,
        () => child.running,
      );
      if (!result.healthy) {
        if (child.running) child.process.kill('SIGKILL');
        child.running = false;
        missing.push({
          name: engine.role,
          purpose: engine.purpose,
          port: port(engine.role),
          reason: `did not become healthy (${result.detail}); see ${join(logDir, `${engine.role}.log`)}`,
        });
        return;
      }
      running.add(engine.role);
      components.push({
        name: engine.role,
        role: engine.role,
        purpose: engine.purpose,
        servedBy: executable,
        url:
          engine.health.kind === 'http'
            ? url
            : `${engine.role === 'redis' ? 'redis' : 'postgresql'}://${LOCAL_HOST}:${String(port(engine.role))}`,
        port: port(engine.role),
        health: engine.health,
        ...(child.process.pid === undefined ? {} : { pid: child.process.pid }),
      });
    };

    const engineNamed = (role: LocalRole): LocalEngine | undefined =>
      LOCAL_ENGINES.find((engine) => engine.role === role);
    // Data stores and exporters first, then the demo (it uses the stores), then Alertmanager and
    // Prometheus, whose config lists what actually runs.
    for (const role of [
      'redis',
      'postgres',
      'node-exporter',
      'redis-exporter',
      'postgres-exporter',
    ] as const) {
      const engine = engineNamed(role);
      const executable = found.get(role);
      if (engine !== undefined && executable !== undefined) await startEngine(engine, executable);
    }

    const demo = options.demo({
      otlpHttpUrl: hub.otlpHttpUrl,
      ...(running.has('redis') ? { redisUrl: `redis://${LOCAL_HOST}:${String(port('redis'))}` } : {}),
      ...(running.has('postgres')
        ? { databaseUrl: `postgresql://postgres@${LOCAL_HOST}:${String(port('postgres'))}/postgres` }
        : {}),
    });
    const services: StaticService[] = [];
    for (const service of demo) {
      progress(`starting demo service ${service.name} on ${String(service.port)}`);
      const child = launch(
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
        () => child.running,
      );
      if (!result.healthy)
        throw new Error(
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
        ...(child.process.pid === undefined ? {} : { pid: child.process.pid }),
      });
      if (service.metricsPort !== undefined && service.tier !== undefined)
        services.push({
          service: service.name,
          tier: service.tier,
          version: '1.0.0',
          address: `${LOCAL_HOST}:${String(service.metricsPort)}`,
          path: '/metrics',
        });
    }

    const exporters = (['node-exporter', 'redis-exporter', 'postgres-exporter'] as const).filter((role) =>
      running.has(role),
    );
    const withAlertmanager = found.has('alertmanager');
    const model = buildModel({
      profile: options.profile,
      target: 'local',
      components: [
        ...(found.has('prometheus') ? (['prometheus'] as const) : []),
        ...(withAlertmanager ? (['alertmanager'] as const) : []),
        ...exporters,
      ],
      services,
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
    const channels = resolveChannels(env);
    writeFileSync(
      join(configDir, 'alertmanager.yml'),
      renderAlertmanagerConfig(channels.channels, options.profile, { timeScale: options.timeScale }).text,
      { mode: 0o600 },
    );
    for (const role of ['alertmanager', 'prometheus'] as const) {
      const engine = engineNamed(role);
      const executable = found.get(role);
      if (engine !== undefined && executable !== undefined) await startEngine(engine, executable);
    }

    const gateway = components.find((component) => component.name === 'api-gateway');
    const state: LocalState = {
      version: 1,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      profile: options.profile,
      dataDir,
      portOffset: options.portOffset,
      otlpHttpUrl: hub.otlpHttpUrl,
      otlpGrpcAddress: hub.otlpGrpcAddress,
      hubQueryUrl: hub.queryUrl,
      hubExporterUrl: hub.prometheusUrl,
      ...(gateway === undefined ? {} : { gatewayUrl: gateway.url }),
      components,
      missing,
    };
    writeState(state);
    return { state, hub, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
