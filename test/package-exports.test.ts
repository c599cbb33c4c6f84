/**
 * The built packages load on plain Node (no TypeScript loader), through their package.json
 * exports, and export exactly what their sources do. `npm test` builds before it runs tests.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import * as conventions from '@pyairtable/conventions';

const ROOT = new URL('..', import.meta.url).pathname;

function builtExports(specifier: string): string[] {
  const script = `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m).sort()));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0)
    throw new Error(`${specifier} does not load from dist (run npm run build):\n${result.stderr}`);
  return JSON.parse(result.stdout) as string[];
}

describe('@pyairtable/conventions as installed', () => {
  it('loads from dist and exports the same names as its source', () => {
    expect(builtExports('@pyairtable/conventions')).toEqual(Object.keys(conventions).sort());
  });
});

describe('@pyairtable/telemetry as installed', () => {
  it.each([
    ['@pyairtable/telemetry', () => import('@pyairtable/telemetry')],
    ['@pyairtable/telemetry/express', () => import('@pyairtable/telemetry/express')],
    ['@pyairtable/telemetry/fastify', () => import('@pyairtable/telemetry/fastify')],
    ['@pyairtable/telemetry/hono', () => import('@pyairtable/telemetry/hono')],
  ])('%s loads from dist and exports the same names as its source', async (specifier, load) => {
    expect(builtExports(specifier)).toEqual(Object.keys(await load()).sort());
  });
});
