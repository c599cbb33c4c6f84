/**
 * Local mode's engines: the real programs `obs up` runs natively when they are installed
 * (Debian's package and command names), each on the spec's port for its role, bound to
 * loopback, with its state under the data directory. What is not installed is reported with
 * the one command that installs it; nothing here is ever emulated.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  chownSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, dirname, join, parse, sep } from 'node:path';
import { SPEC_PORTS as CONTRACT_PORTS } from '@pyairtable/conventions';

export type Health =
  { readonly kind: 'http'; readonly path: string } | { readonly kind: 'redis' } | { readonly kind: 'tcp' };

export interface EngineContext {
  readonly dataDir: string;
  readonly configDir: string;
  /** The port a role listens on in this run (the spec's, plus any offset). */
  port(role: LocalRole): number;
  /** A secret an engine's preparation made (PostgreSQL's password), for the engines that use it. */
  secret(role: LocalRole): string | undefined;
  /** Where an engine's preparation put its data, when not in `<data dir>/<role>`. */
  location(role: LocalRole): string | undefined;
}

/**
 * What starting an engine needs first: a command prefix (and a secret it made, where it keeps
 * its data when that is not in the data directory, what the user should know), or why it
 * cannot run.
 */
export type Prepared =
  | {
      readonly prefix: readonly string[];
      readonly secret?: string;
      readonly location?: string;
      readonly note?: string;
    }
  | { readonly reason: string; readonly fix?: string };

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
  hub: CONTRACT_PORTS.jaeger,
  prometheus: CONTRACT_PORTS.prometheus,
  alertmanager: CONTRACT_PORTS.alertmanager,
  'node-exporter': CONTRACT_PORTS.nodeExporter,
  redis: CONTRACT_PORTS.redis,
  'redis-exporter': CONTRACT_PORTS.redisExporter,
  postgres: CONTRACT_PORTS.postgres,
  'postgres-exporter': CONTRACT_PORTS.postgresExporter,
};

/** The hub's other listeners, on the spec's collector ports. */
export const HUB_PORTS = {
  otlpGrpc: CONTRACT_PORTS.otlpGrpc,
  otlpHttp: CONTRACT_PORTS.otlpHttp,
  prometheusExporter: CONTRACT_PORTS.otlpMetricsExporter,
} as const;

export interface LocalEngine {
  readonly role: Exclude<LocalRole, 'hub'>;
  readonly purpose: string;
  /** The program, as Debian installs it. */
  readonly command: string;
  readonly debianPackage: string;
  readonly health: Health;
  /**
   * When it starts: `backends` before the demo services (they use the stores, the exporters
   * watch them), `monitoring` after them, once its configuration can list what actually runs.
   * Within a phase, in this table's order.
   */
  readonly phase: 'backends' | 'monitoring';
  /** Roles that must run first (an exporter needs what it watches). */
  readonly needs?: LocalRole;
  /** How it is asked to stop (default SIGTERM). */
  readonly stopSignal?: NodeJS.Signals;
  /** The URL scheme it is reached by, when not HTTP. */
  readonly scheme?: string;
  /** Directories, clusters, passwords: what must exist before it starts. */
  prepare?(executable: string, context: EngineContext): Prepared;
  /** How to log in, for the access table. */
  credentials?(context: EngineContext): string;
  args(context: EngineContext): string[];
  env?(context: EngineContext): Record<string, string>;
}

const loopback = (context: EngineContext, role: LocalRole): string =>
  `127.0.0.1:${String(context.port(role))}`;

/** Where the clusters live that the postgres user could not keep in their data directories. */
export const RELOCATED_CLUSTERS = 'pyairtable-obs';

interface PostgresUser {
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

function postgresUser(): PostgresUser | undefined {
  const entry = spawnSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' });
  const fields = entry.status === 0 ? entry.stdout.trim().split(':') : [];
  if (fields.length < 7) return undefined;
  return { uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5] ?? '' };
}

/**
 * Where PostgreSQL's cluster for a data directory lives when, as root, the postgres user cannot
 * enter the data directory: in that user's home, named after a hash of the data directory's
 * path. Undefined without a postgres user.
 */
export function relocatedCluster(dataDir: string, owner = postgresUser()): string | undefined {
  if (owner === undefined) return undefined;
  return join(
    owner.home,
    RELOCATED_CLUSTERS,
    createHash('sha256').update(dataDir).digest('hex').slice(0, 16),
  );
}

/** Whether the postgres user can enter a directory (search permission on it and every parent). */
const postgresCanEnter = (directory: string): boolean =>
  spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', directory]).status === 0;

/** The first directory on the way to `directory` that the postgres user cannot enter. */
function firstBarrier(directory: string): string {
  const { root } = parse(directory);
  let path = root;
  for (const part of directory.slice(root.length).split(sep).filter(Boolean)) {
    path = join(path, part);
    if (!postgresCanEnter(path)) return path;
  }
  return directory;
}

function ownDirectory(path: string, owner: PostgresUser): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  chownSync(path, owner.uid, owner.gid);
  chmodSync(path, 0o700);
}

/**
 * PostgreSQL refuses to run as root; as root the cluster belongs to Debian's `postgres` user and
 * the server runs as that user. The cluster lives in `<data dir>/postgres` where that user can
 * reach it; where it cannot (a data directory inside a private folder: a 0700 temporary folder,
 * a project under /root, or the data directory itself, 0700), it lives in the postgres user's
 * home instead, `~postgres/pyairtable-obs/<hash of the data directory's path>` (0700), and no
 * folder of the user's changes its mode. Connections over TCP need the superuser password,
 * generated once into `<data dir>/postgres.password` (mode 0600), never the trust method any
 * local user could use. Returns the command prefix, the password and the cluster's directory,
 * or why it cannot run.
 */
function preparePostgres(executable: string, context: EngineContext): Prepared {
  const passwordFile = join(context.dataDir, 'postgres.password');
  const initdb = join(dirname(executable), 'initdb');
  if (!existsSync(initdb)) return { reason: `initdb is not beside ${executable}` };
  const newPassword = !existsSync(passwordFile);
  if (newPassword) writeFileSync(passwordFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  const password = readFileSync(passwordFile, 'utf8').trim();
  let directory = join(context.dataDir, 'postgres');
  // The file initdb reads the password from, and the user it runs as must be able to read it.
  let passwordForInitdb = passwordFile;
  let temporary: { path: string; owner: PostgresUser } | undefined;
  let note: string | undefined;
  const prefix: string[] = [];
  if (process.getuid?.() === 0) {
    const owner = postgresUser();
    if (owner === undefined)
      return { reason: 'running as root and there is no postgres user to run PostgreSQL as' };
    prefix.push('runuser', '-u', 'postgres', '--');
    if (postgresCanEnter(context.dataDir)) {
      ownDirectory(directory, owner);
      chownSync(passwordFile, owner.uid, owner.gid);
    } else {
      const barrier = firstBarrier(context.dataDir);
      directory = relocatedCluster(context.dataDir, owner) ?? directory;
      const base = dirname(directory);
      ownDirectory(base, owner);
      if (!postgresCanEnter(base))
        return {
          reason: `the postgres user can enter neither ${barrier} nor ${base}`,
          fix: 'choose a --data-dir the postgres user can enter',
        };
      note = `PostgreSQL keeps its cluster in ${directory} (the postgres user it runs as cannot enter ${barrier})`;
      // A cluster made for an earlier data directory at this path, whose password went with it.
      if (newPassword && existsSync(directory)) {
        rmSync(directory, { recursive: true, force: true });
        note += `; the cluster there had a password ${context.dataDir} no longer holds, so it is made anew`;
      }
      ownDirectory(directory, owner);
      // Which data directory the cluster belongs to, for whoever looks in ~postgres.
      const label = `${directory}.data-dir`;
      writeFileSync(label, `${context.dataDir}\n`, { mode: 0o600 });
      chownSync(label, owner.uid, owner.gid);
      temporary = { path: `${directory}.password`, owner };
    }
  } else mkdirSync(directory, { recursive: true, mode: 0o700 });
  if (!existsSync(join(directory, 'PG_VERSION')))
    try {
      if (temporary !== undefined) {
        passwordForInitdb = temporary.path;
        writeFileSync(passwordForInitdb, password, { mode: 0o600 });
        chownSync(passwordForInitdb, temporary.owner.uid, temporary.owner.gid);
      }
      const init = spawnSync(
        prefix[0] ?? initdb,
        [
          ...prefix.slice(1),
          ...(prefix.length > 0 ? [initdb] : []),
          '-D',
          directory,
          '-U',
          'postgres',
          '--auth-host=scram-sha-256',
          '--auth-local=peer',
          `--pwfile=${passwordForInitdb}`,
        ],
        { encoding: 'utf8', timeout: 120_000 },
      );
      if (init.status !== 0)
        return {
          reason: `initdb failed: ${(init.stderr || init.stdout).trim().split('\n').slice(-2).join(' ')}`,
        };
    } finally {
      if (temporary !== undefined) rmSync(temporary.path, { force: true });
    }
  return { prefix, secret: password, location: directory, ...(note === undefined ? {} : { note }) };
}

export const LOCAL_ENGINES: readonly LocalEngine[] = [
  {
    role: 'redis',
    phase: 'backends',
    purpose: 'Cache the demo uses (watched by the Redis exporter)',
    command: 'redis-server',
    debianPackage: 'redis-server',
    health: { kind: 'redis' },
    scheme: 'redis',
    prepare: (_executable, context) => {
      mkdirSync(join(context.dataDir, 'redis'), { recursive: true });
      return { prefix: [] };
    },
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
      // A cache, capped: the oldest keys make room (Redis's default is no limit and no eviction).
      '--maxmemory',
      '256mb',
      '--maxmemory-policy',
      'allkeys-lru',
    ],
  },
  {
    role: 'postgres',
    phase: 'backends',
    purpose: 'Database the demo uses (watched by the PostgreSQL exporter)',
    command: 'postgres',
    debianPackage: 'postgresql',
    health: { kind: 'tcp' },
    // SIGTERM waits for every client to leave; SIGINT is PostgreSQL's fast shutdown.
    stopSignal: 'SIGINT',
    scheme: 'postgresql',
    prepare: preparePostgres,
    credentials: (context) => `postgres / password in ${join(context.dataDir, 'postgres.password')}`,
    args: (context) => {
      const cluster = context.location('postgres') ?? join(context.dataDir, 'postgres');
      return ['-D', cluster, '-h', '127.0.0.1', '-p', String(context.port('postgres')), '-k', cluster];
    },
  },
  {
    role: 'node-exporter',
    phase: 'backends',
    purpose: 'Host metrics',
    command: 'prometheus-node-exporter',
    debianPackage: 'prometheus-node-exporter',
    health: { kind: 'http', path: '/metrics' },
    args: (context) => [`--web.listen-address=${loopback(context, 'node-exporter')}`],
  },
  {
    role: 'redis-exporter',
    phase: 'backends',
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
    phase: 'backends',
    purpose: 'PostgreSQL metrics',
    command: 'prometheus-postgres-exporter',
    debianPackage: 'prometheus-postgres-exporter',
    health: { kind: 'http', path: '/metrics' },
    needs: 'postgres',
    args: (context) => [`--web.listen-address=${loopback(context, 'postgres-exporter')}`],
    // The password goes to the exporter's environment, never into a rendered file.
    env: (context) => ({
      DATA_SOURCE_NAME: `postgresql://postgres:${encodeURIComponent(context.secret('postgres') ?? '')}@${loopback(context, 'postgres')}/postgres?sslmode=disable`,
    }),
  },
  {
    role: 'alertmanager',
    phase: 'monitoring',
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
    phase: 'monitoring',
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
