/**
 * Local mode's engines: the real programs `obs up` runs natively when they are installed
 * (Debian's package and command names), each on the spec's port for its role, bound to
 * loopback, with its state under the data directory. What is not installed is reported with
 * the one command that installs it; nothing here is ever emulated.
 */
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export type Health =
  { readonly kind: 'http'; readonly path: string } | { readonly kind: 'redis' } | { readonly kind: 'tcp' };

export interface EngineContext {
  readonly dataDir: string;
  readonly configDir: string;
  /** The port a role listens on in this run (the spec's, plus any offset). */
  port(role: LocalRole): number;
  /** PostgreSQL's superuser password, generated once into the data directory. */
  readonly postgresPassword: string | undefined;
}

export const LOCAL_ROLES = [
  'hub',
  'prometheus',
  'alertmanager',
  'node-exporter',
  'redis',
  'redis-exporter',
  'postgres',
  'postgres-exporter',
] as const;
export type LocalRole = (typeof LOCAL_ROLES)[number];

/** The spec's port for each role (the hub's main one is Jaeger's UI/API port). */
export const SPEC_PORTS: Readonly<Record<LocalRole, number>> = {
  hub: 16686,
  prometheus: 9090,
  alertmanager: 9093,
  'node-exporter': 9100,
  redis: 6379,
  'redis-exporter': 9121,
  postgres: 5432,
  'postgres-exporter': 9187,
};

/** The hub's other listeners, on the spec's collector ports. */
export const HUB_PORTS = { otlpGrpc: 4317, otlpHttp: 4318, prometheusExporter: 8889 } as const;

export interface LocalEngine {
  readonly role: Exclude<LocalRole, 'hub'>;
  readonly purpose: string;
  /** The program, as Debian installs it. */
  readonly command: string;
  readonly debianPackage: string;
  readonly health: Health;
  /** Roles that must run first (an exporter needs what it watches). */
  readonly needs?: LocalRole;
  /** How it is asked to stop (default SIGTERM). */
  readonly stopSignal?: NodeJS.Signals;
  args(context: EngineContext): string[];
  env?(context: EngineContext): Record<string, string>;
}

const loopback = (context: EngineContext, role: LocalRole): string =>
  `127.0.0.1:${String(context.port(role))}`;

export const LOCAL_ENGINES: readonly LocalEngine[] = [
  {
    role: 'redis',
    purpose: 'Cache the demo uses (watched by the Redis exporter)',
    command: 'redis-server',
    debianPackage: 'redis-server',
    health: { kind: 'redis' },
    args: (context) => [
      '--bind',
      '127.0.0.1',
      '--port',
      String(context.port('redis')),
      '--dir',
      join(context.dataDir, 'redis'),
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'yes',
    ],
  },
  {
    role: 'postgres',
    purpose: 'Database the demo uses (watched by the PostgreSQL exporter)',
    command: 'postgres',
    debianPackage: 'postgresql',
    health: { kind: 'tcp' },
    // SIGTERM waits for every client to leave; SIGINT is PostgreSQL's fast shutdown.
    stopSignal: 'SIGINT',
    args: (context) => [
      '-D',
      join(context.dataDir, 'postgres'),
      '-h',
      '127.0.0.1',
      '-p',
      String(context.port('postgres')),
      '-k',
      join(context.dataDir, 'postgres'),
    ],
  },
  {
    role: 'node-exporter',
    purpose: 'Host metrics',
    command: 'prometheus-node-exporter',
    debianPackage: 'prometheus-node-exporter',
    health: { kind: 'http', path: '/metrics' },
    args: (context) => [`--web.listen-address=${loopback(context, 'node-exporter')}`],
  },
  {
    role: 'redis-exporter',
    purpose: 'Redis metrics',
    command: 'prometheus-redis-exporter',
    debianPackage: 'prometheus-redis-exporter',
    health: { kind: 'http', path: '/metrics' },
    needs: 'redis',
    args: (context) => [
      `-redis.addr=redis://${loopback(context, 'redis')}`,
      `-web.listen-address=${loopback(context, 'redis-exporter')}`,
    ],
  },
  {
    role: 'postgres-exporter',
    purpose: 'PostgreSQL metrics',
    command: 'prometheus-postgres-exporter',
    debianPackage: 'prometheus-postgres-exporter',
    health: { kind: 'http', path: '/metrics' },
    needs: 'postgres',
    args: (context) => [`--web.listen-address=${loopback(context, 'postgres-exporter')}`],
    // The password goes to the exporter's environment, never into a rendered file.
    env: (context) => ({
      DATA_SOURCE_NAME: `postgresql://postgres:${encodeURIComponent(context.postgresPassword ?? '')}@${loopback(context, 'postgres')}/postgres?sslmode=disable`,
    }),
  },
  {
    role: 'alertmanager',
    purpose: 'Alert management and routing',
    command: 'prometheus-alertmanager',
    debianPackage: 'prometheus-alertmanager',
    health: { kind: 'http', path: '/-/ready' },
    args: (context) => [
      `--config.file=${join(context.configDir, 'alertmanager.yml')}`,
      `--storage.path=${join(context.dataDir, 'alertmanager')}`,
      `--web.listen-address=${loopback(context, 'alertmanager')}`,
      '--cluster.listen-address=',
    ],
  },
  {
    role: 'prometheus',
    purpose: 'Metrics collection, querying and alert rules',
    command: 'prometheus',
    debianPackage: 'prometheus',
    health: { kind: 'http', path: '/-/ready' },
    args: (context) => [
      `--config.file=${join(context.configDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(context.dataDir, 'prometheus')}`,
      `--web.listen-address=${loopback(context, 'prometheus')}`,
      '--storage.tsdb.retention.time=15d',
    ],
  },
];

/** Where Debian keeps PostgreSQL's server programs (not on PATH). */
function postgresBinDirectories(): string[] {
  const root = '/usr/lib/postgresql';
  if (!isDirectory(root)) return [];
  return readdirSync(root)
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => join(root, version, 'bin'));
}

/** The executable's path, or undefined when it is not installed. */
export function findExecutable(
  command: string,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const directories = [...(env['PATH'] ?? '').split(delimiter).filter(Boolean), ...postgresBinDirectories()];
  for (const directory of directories) {
    const candidate = join(directory, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
