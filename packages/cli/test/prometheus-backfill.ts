/**
 * A real Prometheus over series written in the past: the series are rendered as OpenMetrics,
 * turned into TSDB blocks by `promtool tsdb create-blocks-from openmetrics`, and served by a
 * Prometheus started on them. Queries at a chosen time then see exactly the slopes written.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINES, freePort, plainFetch, runEngine, tempDir } from '@pyairtable/test-support';

export interface BackfillSeries {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** The value at `seconds` after the first sample. */
  readonly value: (seconds: number) => number;
  /** Seconds after the range's start at which the series begins (default 0). */
  readonly startsAfter?: number;
}

export interface BackfilledPrometheus {
  readonly url: string;
  close(): Promise<void>;
}

const labelText = (labels: Readonly<Record<string, string>> = {}): string => {
  const pairs = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
};

/** Every series as an untyped family (the type does not matter to rate or increase), oldest first. */
export function openMetrics(
  series: readonly BackfillSeries[],
  fromSeconds: number,
  toSeconds: number,
  stepSeconds: number,
): string {
  const lines: string[] = [];
  const families = [...new Set(series.map((one) => one.name))];
  for (const family of families) {
    lines.push(`# TYPE ${family} unknown`);
    for (const one of series.filter((candidate) => candidate.name === family)) {
      const start = fromSeconds + (one.startsAfter ?? 0);
      for (let t = start; t <= toSeconds; t += stepSeconds)
        lines.push(`${family}${labelText(one.labels)} ${String(one.value(t - start))} ${String(t)}`);
    }
  }
  return `${lines.join('\n')}\n# EOF\n`;
}

export async function backfilledPrometheus(
  series: readonly BackfillSeries[],
  range: { readonly fromSeconds: number; readonly toSeconds: number; readonly stepSeconds: number },
): Promise<BackfilledPrometheus> {
  const dir = tempDir('obs-cost-prometheus');
  const input = join(dir.path, 'series.om');
  const data = join(dir.path, 'data');
  writeFileSync(input, openMetrics(series, range.fromSeconds, range.toSeconds, range.stepSeconds));
  const created = runEngine(ENGINES.promtool, ['tsdb', 'create-blocks-from', 'openmetrics', input, data]);
  if (created.status !== 0) throw new Error(`promtool could not backfill: ${created.stderr}`);
  writeFileSync(join(dir.path, 'prometheus.yml'), 'global:\n  scrape_interval: 1h\nscrape_configs: []\n');
  const port = await freePort();
  const output: string[] = [];
  const child: ChildProcess = spawn(
    ENGINES.prometheus.command,
    [
      `--config.file=${join(dir.path, 'prometheus.yml')}`,
      `--storage.tsdb.path=${data}`,
      // The blocks lie in the past; nothing may be deleted as too old while the test runs.
      '--storage.tsdb.retention.time=3650d',
      `--web.listen-address=127.0.0.1:${String(port)}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const url = `http://127.0.0.1:${String(port)}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await plainFetch(`${url}/-/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      dir.cleanup();
      throw new Error(`Prometheus did not start on the backfilled blocks:\n${output.join('').slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      dir.cleanup();
    },
  };
}
