/**
 * The Node runtime metrics `/metrics` serves next to the contract's: lint-clean as served
 * (`promtool check metrics` says nothing at all), and exactly the names the README lists.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { METRIC_CATALOG } from '@pyairtable/conventions';
import { ENGINES, captureLines, engineAvailable, parseExposition, runEngine } from '@pyairtable/test-support';
import type { Telemetry } from '@pyairtable/telemetry';
import { initTelemetry } from '@pyairtable/telemetry';

const README = new URL('../README.md', import.meta.url);
/** Runtime metrics prom-client registers only on Linux (read from /proc). */
const LINUX_ONLY = [
  'process_open_fds',
  'process_max_fds',
  'process_virtual_memory_bytes',
  'process_heap_bytes',
];

let telemetry: Telemetry;

beforeEach(() => {
  telemetry = initTelemetry({
    serviceName: 'api-gateway',
    serviceVersion: '1.2.3',
    exportTraces: false,
    logDestination: captureLines().stream,
  });
});

afterEach(async () => {
  await telemetry.shutdown();
});

/** Metric families in the exposition that are not the contract's. */
async function runtimeFamilies(): Promise<string[]> {
  const contract = new Set(METRIC_CATALOG.map((metric) => metric.name));
  const { types } = parseExposition((await telemetry.metrics.render()).body);
  return [...types.keys()].filter((name) => !contract.has(name)).sort();
}

/** The backticked metric names in the bulleted list under the README's runtime metrics heading. */
function documentedRuntimeMetrics(): string[] {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf('## Node runtime metrics');
  expect(start, 'README has a "## Node runtime metrics" section').toBeGreaterThanOrEqual(0);
  const end = text.indexOf('\n## ', start + 1);
  const list = text
    .slice(start, end === -1 ? undefined : end)
    .split(/\n\s*\n/)
    .filter((paragraph) => paragraph.startsWith('- '))
    .join('\n');
  const names = [...list.matchAll(/`((?:nodejs|process)_[a-z0-9_]+)`/g)].map((match) => match[1] ?? '');
  return [...new Set(names)].filter((name) => name !== '').sort();
}

describe('Node runtime metrics', () => {
  it('serves no gauge named like a counter', async () => {
    const { types } = parseExposition((await telemetry.metrics.render()).body);
    const misnamed = [...types].filter(([name, type]) => name.endsWith('_total') && type !== 'counter');
    expect(misnamed).toEqual([]);
  });

  it('are exactly the ones the README lists', async () => {
    const served = await runtimeFamilies();
    const documented = documentedRuntimeMetrics();
    const expected =
      process.platform === 'linux' ? documented : documented.filter((name) => !LINUX_ONLY.includes(name));
    expect(served).toEqual(expected);
  });

  it('are left out with runtimeMetrics: false', async () => {
    await telemetry.shutdown();
    telemetry = initTelemetry({
      serviceName: 'api-gateway',
      exportTraces: false,
      logDestination: captureLines().stream,
      runtimeMetrics: false,
    });
    expect(await runtimeFamilies()).toEqual([]);
  });
});

describe.runIf(engineAvailable(ENGINES.promtool))('/metrics with runtime metrics, through promtool', () => {
  it('passes `promtool check metrics` with nothing to say', async () => {
    const result = runEngine(ENGINES.promtool, ['check', 'metrics'], {
      input: (await telemetry.metrics.render()).body,
    });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
  });
});
