/**
 * Acknowledged data survives the process: the hub (its own executable, built) is killed with
 * SIGKILL right after answering 200, restarted on the same data directory, and still has every
 * acknowledged span.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { plainFetch, tempDir } from '@pyairtable/test-support';
import { STORE_FILE, SpanStore } from '@pyairtable/hub';
import { jsonSpan, traceRequestJson } from './otlp-requests.js';

const BIN = fileURLToPath(new URL('../bin/hub.js', import.meta.url));

interface Running {
  child: ChildProcess;
  otlpHttp: string;
  query: string;
}

function startHubProcess(dataDir: string): Promise<Running> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        BIN,
        '--data-dir',
        dataDir,
        ...['otlp-http-port', 'otlp-grpc-port', 'prometheus-port', 'query-port'].flatMap((flag) => [
          `--${flag}`,
          '0',
        ]),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n')[0];
      if (output.includes('\n') && line !== undefined) {
        const addresses = JSON.parse(line) as { otlpHttp: string; query: string };
        resolve({ child, ...addresses });
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      reject(new Error(`the hub exited (${String(code)}) before listening: ${output}`));
    });
  });
}

const batch = (index: number): string =>
  traceRequestJson(
    'durable',
    Array.from({ length: 50 }, (_unused, span) =>
      jsonSpan((index + 1).toString(16).padStart(32, '0'), (span + 1).toString(16).padStart(16, '0'), {
        name: `op-${String(span)}`,
        kind: 2,
        startTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(index * 1000 + span)),
        endTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(index * 1000 + span + 500)),
      }),
    ),
  );

describe('hub durability', () => {
  const dir = tempDir('hub-durable');
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    dir.cleanup();
  });

  it('keeps every acknowledged span across kill -9 and a restart', async () => {
    const first = await startHubProcess(dir.path);
    children.push(first.child);
    let acknowledged = 0;
    for (let index = 0; index < 20; index++) {
      const response = await plainFetch(`${first.otlpHttp}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: batch(index),
      });
      if (response.status === 200) acknowledged += 50;
    }
    expect(acknowledged).toBe(1000);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    const second = await startHubProcess(dir.path);
    children.push(second.child);
    for (let index = 0; index < 20; index++) {
      const traceId = (index + 1).toString(16).padStart(32, '0');
      const response = await plainFetch(`${second.query}/api/v3/traces/${traceId}`);
      expect(response.status, traceId).toBe(200);
      const body = (await response.json()) as {
        result: { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] };
      };
      expect(body.result.resourceSpans[0]?.scopeSpans[0]?.spans).toHaveLength(50);
    }
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));
  }, 60_000);
});

describe('hub store format', () => {
  const dir = tempDir('hub-format');
  afterAll(() => {
    dir.cleanup();
  });

  it('still reads spans stored before records were compacted (every attribute in the record)', async () => {
    const created = await SpanStore.open(dir.path);
    created.close();
    const instance = await DuckDBInstance.create(join(dir.path, STORE_FILE));
    const connection = await instance.connect();
    await connection.run(
      `INSERT INTO origins VALUES ('old', '[]', '{"name":"s","version":"","attributes":[]}')`,
    );
    const oldRecord = JSON.stringify({
      traceState: '',
      flags: 0,
      statusMessage: '',
      attributes: [
        { key: 'route', value: { stringValue: '/old' } },
        { key: 'retries', value: { intValue: '2' } },
      ],
      events: [],
      links: [],
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    });
    await connection.run(
      `INSERT INTO spans VALUES ('${'f'.repeat(32)}', '${'1'.repeat(16)}', '', 'old-service', 'op', 1, 1, 2, 1, 0, '{"route":"/old","retries":"2"}', 'old', $1)`,
      [oldRecord],
    );
    connection.closeSync();
    instance.closeSync();
    const store = await SpanStore.open(dir.path);
    try {
      const [span] = await store.trace('f'.repeat(32));
      expect(span?.attributes).toEqual([
        { key: 'route', value: { stringValue: '/old' } },
        { key: 'retries', value: { intValue: '2' } },
      ]);
    } finally {
      store.close();
    }
  });
});
