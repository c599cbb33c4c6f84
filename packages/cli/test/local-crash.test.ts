/**
 * `obs up` killed with kill -9 while it starts: each child is in the state file from the moment
 * it is spawned, so `obs down` stops every one (their pids gone, their ports free) and a new
 * `obs up` starts; a new `obs up` that finds the state of a dead one stops what it left first.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ENGINES, engineAvailable, tempDir } from '@pyairtable/test-support';
import { readState } from '@pyairtable/cli';
import { pollUntil, portFree } from '../src/local/probe.js';
import type { Spawned } from './obs-process.js';
import {
  PORT_OFFSETS,
  alive,
  obs,
  portsOf,
  procStat,
  removeRelocatedCluster,
  spawnUp,
  startUp,
  stopUp,
} from './obs-process.js';

const ENGINES_NEEDED = [
  ENGINES.redis,
  ENGINES.redisExporter,
  ENGINES.nodeExporter,
  ENGINES.prometheus,
  ENGINES.alertmanager,
];

/** The engines' process names (/proc's comm, at most 15 characters). */
const ENGINE_COMMAND = /^(redis-server|prometheus)/;

interface Leftover {
  readonly name: string;
  readonly pid: number;
  readonly startTicks: string | undefined;
  /** Found in the state file (else only seen as a child in /proc). */
  readonly recorded: boolean;
}

/** The live processes whose parent is `pid`, from /proc. */
function childrenOf(pid: number): { pid: number; comm: string }[] {
  const found: { pid: number; comm: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat === undefined || stat.ppid !== pid || stat.state === 'Z') continue;
    found.push({ pid: Number(entry), comm: comm(Number(entry)) });
  }
  return found;
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${String(pid)}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Gone: no such process, a zombie, or a later process that was given the same pid. */
function gone(leftover: Leftover): boolean {
  const stat = procStat(leftover.pid);
  return (
    stat === undefined ||
    stat.state === 'Z' ||
    (leftover.startTicks !== undefined && stat.startTicks !== leftover.startTicks)
  );
}

/**
 * Starts `obs up` and kills it with SIGKILL as soon as an engine it spawned is not healthy yet
 * (recorded in its state file but not among the healthy components, or seen as its child in
 * /proc and still not healthy 50 ms later). Returns every process it had started.
 */
/**
 * Kills obs up while an engine starts, and returns what it left running. An engine killed in
 * its first milliseconds can die with it (its output pipe to obs up breaks before it has written
 * its banner), leaving nothing to test: then it is tried again, the next obs up cleaning up.
 */
async function killWhileStarting(args: string[], dataDir: string): Promise<Leftover[]> {
  for (let attempt = 1; ; attempt++) {
    const leftovers = await killOnceWhileStarting(args, dataDir);
    if (leftovers.length > 0 || attempt === 3) return leftovers;
  }
}

async function killOnceWhileStarting(args: string[], dataDir: string): Promise<Leftover[]> {
  const up: Spawned = spawnUp(args, process.env);
  const pid = up.child.pid ?? 0;
  const firstSeen = new Map<number, number>();
  const deadline = Date.now() + 90_000;
  try {
    while (Date.now() < deadline) {
      if (up.child.exitCode !== null)
        throw new Error(
          `obs up exited (${String(up.child.exitCode)}) before the kill:\n${up.stderr.join('\n')}`,
        );
      const state = readState(dataDir);
      if (state?.ready === true) throw new Error('obs up got ready before any engine was seen starting');
      const healthy = new Set((state?.components ?? []).map((component) => component.pid));
      const recordedStarting = (state?.processes ?? []).filter(
        (entry) => !healthy.has(entry.pid) && alive(entry.pid),
      );
      const now = Date.now();
      const starting = childrenOf(pid).filter(
        (child) => ENGINE_COMMAND.test(child.comm) && !healthy.has(child.pid),
      );
      for (const child of starting) if (!firstSeen.has(child.pid)) firstSeen.set(child.pid, now);
      if (
        recordedStarting.length > 0 ||
        starting.some((child) => now - (firstSeen.get(child.pid) ?? now) >= 50)
      ) {
        const leftovers = new Map<number, Leftover>();
        for (const entry of readState(dataDir)?.processes ?? [])
          leftovers.set(entry.pid, {
            name: entry.name,
            pid: entry.pid,
            startTicks: entry.startTicks,
            recorded: true,
          });
        for (const child of childrenOf(pid))
          if (!leftovers.has(child.pid))
            leftovers.set(child.pid, {
              name: child.comm,
              pid: child.pid,
              startTicks: procStat(child.pid)?.startTicks,
              recorded: false,
            });
        const exited = new Promise((resolve) => up.child.once('exit', resolve));
        process.kill(pid, 'SIGKILL');
        await exited;
        return [...leftovers.values()].filter((leftover) => !gone(leftover));
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no engine was seen starting within 90 s:\n${up.stderr.join('\n')}`);
  } catch (error) {
    await stopUp(up);
    throw error;
  }
}

async function expectAllGone(leftovers: readonly Leftover[], portOffset: number): Promise<void> {
  for (const leftover of leftovers)
    expect(
      await pollUntil(() => gone(leftover), 15_000, 100),
      `${leftover.name} (pid ${String(leftover.pid)}) still runs`,
    ).toBe(true);
  for (const port of portsOf(portOffset))
    expect(await pollUntil(() => portFree(port), 5_000, 100), `port ${String(port)} is still held`).toBe(
      true,
    );
}

describe.runIf(ENGINES_NEEDED.every((engine) => engineAvailable(engine)))(
  'obs up killed with kill -9 while starting',
  () => {
    const dir = tempDir('obs-crash');
    const offset = PORT_OFFSETS.crash;
    const args = ['--mode', 'local', '--data-dir', dir.path, '--port-offset', String(offset)];

    afterAll(async () => {
      await obs(['down', '--data-dir', dir.path]);
      dir.cleanup();
      // As root, PostgreSQL's cluster for this data directory lives in the postgres user's home.
      removeRelocatedCluster(dir.path);
    }, 60_000);

    it('obs down stops every child the killed obs up had spawned, and a new obs up starts', async () => {
      const leftovers = await killWhileStarting(args, dir.path);
      expect(leftovers.length).toBeGreaterThan(0);
      const down = await obs(['down', '--data-dir', dir.path]);
      expect(down.code, down.stderr).toBe(0);
      await expectAllGone(leftovers, offset);

      const again = await startUp(args, process.env);
      try {
        expect(again.state.components.map((component) => component.name)).toContain('redis');
      } finally {
        expect((await obs(['down', '--data-dir', dir.path])).code).toBe(0);
        await stopUp(again);
      }
      await expectAllGone([], offset);
    }, 180_000);

    it('a new obs up stops what a killed one left, says what it stopped, and starts', async () => {
      const leftovers = await killWhileStarting(args, dir.path);
      expect(leftovers.length).toBeGreaterThan(0);
      const again = await startUp(args, process.env);
      try {
        const said = again.stderr.join('\n');
        expect(said).toContain('was killed');
        for (const leftover of leftovers.filter((entry) => entry.recorded))
          expect(said).toContain(`(pid ${String(leftover.pid)})`);
        for (const leftover of leftovers)
          expect(gone(leftover), `${leftover.name} (pid ${String(leftover.pid)})`).toBe(true);
      } finally {
        expect((await obs(['down', '--data-dir', dir.path])).code).toBe(0);
        await stopUp(again);
      }
      await expectAllGone(leftovers, offset);
    }, 180_000);
  },
);
