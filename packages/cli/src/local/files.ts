/**
 * Local mode's data is private: the data directory holds everyone's telemetry (the hub's store,
 * the engines' data, their logs) and a password, so what obs up creates is readable by the user
 * alone (directories 0700, files 0600), as it would be under a umask of 077; a directory left
 * by an earlier version is made so too, when it is ours.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DOCKER_MARKER } from './docker.js';
import { HUB_ADMIN_TOKEN_FILE, STATE_FILE } from './state.js';

/** Everything obs ever writes at the top of a data directory (both modes). */
const OBS_ENTRIES = new Set([
  'config',
  'logs',
  'hub',
  'redis',
  'postgres',
  'postgres.password',
  'prometheus',
  'alertmanager',
  'compose',
  DOCKER_MARKER,
  STATE_FILE,
  `${STATE_FILE}.tmp`,
  HUB_ADMIN_TOKEN_FILE,
  `${HUB_ADMIN_TOKEN_FILE}.tmp`,
]);

/**
 * From now on, files and directories this process and the programs it starts create are the
 * user's alone (umask 077): the embedded hub's DuckDB file and WAL, the logs, every engine's
 * data. Returns what restores the previous umask. Where the umask cannot be changed (a worker
 * thread) it changes nothing: the directories are still created 0700.
 */
export function privateUmask(): () => void {
  let previous: number;
  try {
    previous = process.umask(0o077);
  } catch {
    return () => undefined;
  }
  return () => {
    process.umask(previous);
  };
}

const ownedByUs = (path: string): boolean => statSync(path).uid === process.getuid?.();

/** Creates a directory (and missing parents) 0700, or makes an existing one of ours 0700. */
export function privateDirectory(path: string, options: { files?: boolean } = {}): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  if (!ownedByUs(path)) return;
  chmodSync(path, 0o700);
  // What an earlier run wrote before files were private (the hub's store, the logs).
  if (options.files === true)
    for (const entry of readdirSync(path)) {
      const file = join(path, entry);
      const stat = lstatSync(file);
      if (stat.isFile() && stat.uid === process.getuid?.() && (stat.mode & 0o077) !== 0)
        chmodSync(file, 0o600);
    }
}

/**
 * Creates the data directory 0700. An existing one is made 0700 only when it is ours: owned by
 * the user and holding nothing but what obs writes there. A folder of the user's own given as
 * --data-dir (a project's root) keeps its mode; what obs keeps in it is private all the same.
 * Returns false when it left an existing directory readable by others.
 */
export function privateDataDirectory(dataDir: string): boolean {
  if (!existsSync(dataDir)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    return true;
  }
  const obsOnly = readdirSync(dataDir).every((entry) => OBS_ENTRIES.has(entry));
  if (ownedByUs(dataDir) && obsOnly) chmodSync(dataDir, 0o700);
  return (statSync(dataDir).mode & 0o077) === 0;
}
