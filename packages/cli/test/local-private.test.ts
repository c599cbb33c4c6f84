/**
 * `obs up` with its data directory inside a private folder (a 0700 temporary folder, a project
 * under /root): PostgreSQL still starts (as root its cluster lives where Debian's postgres user
 * can reach it, recorded in the state), the user's folder keeps its mode, and what obs writes
 * (the data directory, the hub's store and its files) is readable by the user alone.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, engineAvailable, tempDir } from '@pyairtable/test-support';
import { RESOURCE_ATTRIBUTES } from '@pyairtable/conventions';
import { findExecutable } from '../src/local/engines.js';
import { pollUntil } from '../src/local/probe.js';
import type { Up } from './obs-process.js';
import { PORT_OFFSETS, obs, removeRelocatedCluster, startUp, stopUp } from './obs-process.js';

/** Every path under `root`, itself included, with its permission bits. */
function modes(root: string): { path: string; mode: number }[] {
  const found = [{ path: root, mode: statSync(root).mode & 0o777 }];
  if (statSync(root).isDirectory())
    for (const entry of readdirSync(root)) found.push(...modes(join(root, entry)));
  return found;
}

const postgres = findExecutable('postgres', process.env);
const asRoot = process.getuid?.() === 0;

describe.runIf(engineAvailable(ENGINES.redis))(
  'obs up with its data directory inside a private folder',
  () => {
    const dir = tempDir('obs-private');
    chmodSync(dir.path, 0o700);
    const dataDir = join(dir.path, 'data');
    const offset = PORT_OFFSETS.private;
    let up: Up | undefined;

    beforeAll(async () => {
      up = await startUp(
        ['--mode', 'local', '--data-dir', dataDir, '--port-offset', String(offset)],
        process.env,
      );
    }, 120_000);

    afterAll(async () => {
      await obs(['down', '--data-dir', dataDir]);
      await stopUp(up);
      dir.cleanup();
      // As root, PostgreSQL's cluster for this data directory lives in the postgres user's home.
      removeRelocatedCluster(dataDir);
    }, 60_000);

    const started = (): Up => {
      if (up === undefined) throw new Error('obs up did not start');
      return up;
    };

    it.runIf(postgres !== undefined)(
      'runs PostgreSQL, reachable over TCP with the recorded password, where the postgres user can reach it',
      async () => {
        const { state, stdout, stderr } = started();
        const component = state.components.find((entry) => entry.name === 'postgres');
        expect(component, JSON.stringify(state.missing)).toBeDefined();
        const psql = findExecutable('psql', process.env);
        if (psql !== undefined) {
          const query = spawnSync(
            psql,
            [
              '-h',
              '127.0.0.1',
              '-p',
              String(component?.port),
              '-U',
              'postgres',
              '-d',
              'postgres',
              '-tAc',
              'select 41 + 1',
            ],
            {
              encoding: 'utf8',
              timeout: 20_000,
              env: {
                ...process.env,
                PGPASSWORD: readFileSync(join(dataDir, 'postgres.password'), 'utf8').trim(),
              },
            },
          );
          expect(query.stdout.trim(), query.stderr).toBe('42');
        }
        // The user's folder is left as it was.
        expect(statSync(dir.path).mode & 0o777).toBe(0o700);
        const location = component?.dataLocation;
        expect(location).toBeDefined();
        if (asRoot) {
          // The postgres user cannot enter the private folder: the cluster lives in its home.
          expect(relative(dir.path, location ?? '').startsWith('..')).toBe(true);
          const cluster = statSync(location ?? '');
          expect(cluster.mode & 0o777).toBe(0o700);
          expect(cluster.uid).toBe(
            Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim()),
          );
          expect(`${stdout.join('\n')}\n${stderr.join('\n')}`).toContain(location);
        }
        // obs status names it.
        expect((await obs(['status', '--data-dir', dataDir])).stdout).toContain(location);
      },
      60_000,
    );

    it('keeps the data directory, the hub store and its files private to the user (no group or other bits)', async () => {
      const { state } = started();
      // Some telemetry first, so the store has written its files (DuckDB's file and WAL).
      const traceId = randomBytes(16).toString('hex');
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      const response = await fetch(`${state.otlpHttpUrl}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          resourceSpans: [
            {
              resource: {
                attributes: [
                  { key: RESOURCE_ATTRIBUTES.serviceName, value: { stringValue: 'private-test' } },
                ],
              },
              scopeSpans: [
                {
                  spans: [
                    {
                      traceId,
                      spanId: randomBytes(8).toString('hex'),
                      name: 'private',
                      kind: 1,
                      startTimeUnixNano: String(nowNs),
                      endTimeUnixNano: String(nowNs + 1_000_000n),
                    },
                  ],
                },
              ],
            },
          ],
        }),
      });
      expect(response.status).toBe(200);
      expect(
        await pollUntil(
          async () => (await fetch(`${state.hubQueryUrl}/api/v3/traces/${traceId}`)).ok,
          20_000,
          200,
        ),
      ).toBe(true);

      const hub = modes(join(dataDir, 'hub'));
      expect(hub.map((entry) => relative(dataDir, entry.path))).toContain(join('hub', 'hub.duckdb'));
      const exposed = [
        ...modes(dataDir).filter((entry) => entry.path === dataDir),
        ...hub,
        ...modes(join(dataDir, 'logs')),
      ]
        .filter((entry) => (entry.mode & 0o077) !== 0)
        .map((entry) => `${entry.path} ${entry.mode.toString(8)}`);
      expect(exposed).toEqual([]);
    });
  },
);
