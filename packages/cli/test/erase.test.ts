/**
 * obs erase: against a real hub (in this process), against an Elasticsearch stand-in that
 * records what it is sent (no Elasticsearch runs here; the requests' shapes are checked by
 * Elastic's own types at compile time), and its refusals.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_FIELDS, SPAN_ATTRIBUTES } from '@pyairtable/conventions';
import type { Hub } from '@pyairtable/hub';
import { LOG_LINES_PATH, startHub } from '@pyairtable/hub';
import { tempDir } from '@pyairtable/test-support';
import { EXIT_CODES, main } from '@pyairtable/cli';

const ERASED = 'usr-erase-cli-qxzw';
const KEPT = 'usr-keep-cli-mnbv';

/** Runs obs in this process; its exit code and everything it printed. */
async function obs(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(args, {
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
    env,
    cwd: process.cwd(),
  });
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

describe('obs erase refuses what it cannot do safely', () => {
  const dir = tempDir('obs-erase-refusals');
  afterAll(() => {
    dir.cleanup();
  });

  it('without --user, or with an empty one: a usage error naming the option (exit 2)', async () => {
    const missing = await obs(['erase', '--hub', 'http://127.0.0.1:1']);
    expect(missing.code).toBe(EXIT_CODES.usage);
    expect(missing.stderr).toContain('--user <id> is required');
    const empty = await obs(['erase', '--user', ' ', '--hub', 'http://127.0.0.1:1']);
    expect(empty.code).toBe(EXIT_CODES.usage);
    expect(empty.stderr).toContain('--user must be');
  });

  it('with no hub running from the data directory: says so (exit 6)', async () => {
    const run = await obs(['erase', '--user', ERASED, '--data-dir', dir.path]);
    expect(run.code).toBe(EXIT_CODES.notRunning);
    expect(run.stderr).toContain('obs up');
  });

  it('a dry run needs no running hub: it names the one it would erase from', async () => {
    const run = await obs(['erase', '--user', ERASED, '--data-dir', dir.path, '--dry-run']);
    expect(run.code).toBe(EXIT_CODES.ok);
    expect(run.stdout).toContain(`POST <the hub of obs up in ${dir.path}>/admin/erase`);
  });

  it('a hub that cannot be reached is a failed store (exit 5)', async () => {
    const run = await obs(['erase', '--user', ERASED, '--hub', 'http://127.0.0.1:1']);
    expect(run.code).toBe(EXIT_CODES.unhealthy);
    expect(run.stderr).toContain('could not be reached');
  });

  it('--dry-run prints every request and sends none', async () => {
    const run = await obs([
      'erase',
      '--user',
      ERASED,
      '--tenant',
      'tenant-alpha',
      '--hub',
      'http://127.0.0.1:1',
      '--elasticsearch',
      'http://127.0.0.1:1',
      '--dry-run',
    ]);
    expect(run.code).toBe(EXIT_CODES.ok);
    expect(run.stdout).toContain('POST http://127.0.0.1:1/admin/erase');
    expect(run.stdout).toContain('POST http://127.0.0.1:1/pyairtable-jaeger-span-*/_search');
    expect(run.stdout).toContain('/pyairtable-logs-*/_delete_by_query?conflicts=proceed&refresh=true');
    expect(run.stdout).toContain('tenant-alpha');
  });
});

describe('obs erase against a hub', () => {
  const dir = tempDir('obs-erase-hub');
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub({
      dataDir: dir.path,
      otlpHttpPort: 0,
      otlpGrpcPort: 0,
      prometheusPort: 0,
      queryPort: 0,
    });
    const line = (user: string): string =>
      JSON.stringify({
        [LOG_FIELDS.timestamp]: new Date().toISOString(),
        service: { name: 'platform-services', tier: 'platform' },
        log_level: 'INFO',
        category: 'application',
        message: `signed in`,
        user: { id: user },
      });
    const response = await fetch(`${hub.otlpHttpUrl}${LOG_LINES_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: [line(ERASED), line(ERASED), line(KEPT)].join('\n'),
    });
    expect(response.status).toBe(200);
  });
  afterAll(async () => {
    await hub.close();
    dir.cleanup();
  });
  const logsOf = async (user: string): Promise<unknown[]> => {
    const response = await fetch(`${hub.queryUrl}/api/logs?q=${user}&start=2000-01-01T00:00:00Z`);
    return ((await response.json()) as { logs: unknown[] }).logs;
  };

  it('erases the user, reports the counts and the audit record, keeps the others', async () => {
    const run = await obs(['erase', '--user', ERASED, '--actor', 'dpo', '--hub', hub.otlpHttpUrl]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(EXIT_CODES.ok);
    expect(run.stdout).toMatch(/hub \(http:\/\/127\.0\.0\.1:\d+\)\s+0\s+0\s+2\s+[0-9a-f-]{36}/);
    expect(await logsOf(ERASED)).toEqual([]);
    expect(await logsOf(KEPT)).toHaveLength(1);
  });

  it('--json gives the same for machines', async () => {
    const run = await obs(['erase', '--user', KEPT, '--hub', hub.otlpHttpUrl, '--json']);
    const outcome = JSON.parse(run.stdout) as { erased: Record<string, unknown>[] };
    expect(outcome.erased).toEqual([expect.objectContaining({ traces: 0, spans: 0, logRecords: 1 })]);
  });
});

describe('obs erase against Elasticsearch', () => {
  interface Received {
    method: string;
    url: string;
    authorization: string | undefined;
    body: Record<string, unknown>;
  }
  const received: Received[] = [];
  let url = '';
  /** What the stand-in's deletion tasks end with. */
  let outcome: 'deleted' | 'blocked' | 'no result' = 'deleted';
  let monitor = true;
  const polls = new Map<string, number>();
  const server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      const body = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
      received.push({
        method: request.method ?? '',
        url: request.url ?? '',
        authorization: request.headers.authorization,
        body,
      });
      const reply = (status: number, answer: object): void => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(answer));
      };
      if (request.url?.includes('/_search') === true)
        reply(200, {
          aggregations: { traces: { buckets: [{ key: 'a'.repeat(32) }, { key: 'b'.repeat(32) }] } },
        });
      else if (request.url === '/_security/user/_has_privileges')
        reply(200, { has_all_requested: monitor, cluster: { monitor } });
      else if (request.url?.includes('/_delete_by_query') === true)
        // Asked not to wait: a task to poll, as Elasticsearch answers; otherwise the result.
        reply(
          200,
          request.url.includes('wait_for_completion=false')
            ? { task: request.url.includes('jaeger') ? 'node-a:6' : 'node-a:3' }
            : { deleted: request.url.includes('jaeger') ? 6 : 3, failures: [] },
        );
      else if (request.url?.startsWith('/_tasks/') === true) {
        const deleted = request.url.includes('%3A6') ? 6 : 3;
        const waiting = request.url.includes('wait_for_completion=true');
        polls.set(request.url, (polls.get(request.url) ?? 0) + 1);
        // The first wait times out (the task still runs), as a large deletion would: Elasticsearch 9
        // answers that with 429 and the type timeout_exception.
        if (waiting && polls.get(request.url) === 1)
          reply(429, {
            error: { type: 'timeout_exception', reason: 'Timed out waiting for completion' },
            status: 429,
          });
        else if (!waiting) reply(200, { completed: false, task: { status: { total: deleted, deleted: 1 } } });
        else if (outcome === 'no result') reply(200, { completed: true, task: {} });
        else
          reply(200, {
            completed: true,
            task: {},
            response:
              outcome === 'blocked'
                ? {
                    deleted: 0,
                    failures: [
                      { index: 'x', cause: { type: 'cluster_block_exception', reason: 'index [x] blocked' } },
                    ],
                  }
                : { deleted, failures: [] },
          });
      } else reply(201, { result: 'created' });
    });
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });
  afterAll(() => {
    server.close();
  });

  it('finds the traces, deletes their spans and the logs, then records the erasure', async () => {
    const run = await obs(
      ['erase', '--user', ERASED, '--tenant', 'tenant-alpha', '--elasticsearch', url, '--json'],
      { ELASTICSEARCH_API_KEY: 'key-from-env' },
    );
    expect(run.code).toBe(EXIT_CODES.ok);
    expect(JSON.parse(run.stdout)).toEqual({
      erased: [expect.objectContaining({ traces: 2, spans: 6, logRecords: 3 })],
    });
    // While a deletion task runs, its progress is reported.
    expect(run.stderr).toContain(
      'obs erase: /pyairtable-jaeger-span-*/_delete_by_query: 1 of 6 deleted (task node-a:6)',
    );
    expect(received.map((request) => `${request.method} ${request.url.split('?')[0] ?? ''}`)).toEqual([
      'POST /_security/user/_has_privileges',
      'POST /pyairtable-jaeger-span-*/_search',
      'POST /pyairtable-jaeger-span-*/_delete_by_query',
      'GET /_tasks/node-a%3A6',
      'GET /_tasks/node-a%3A6',
      'GET /_tasks/node-a%3A6',
      'POST /pyairtable-logs-*/_delete_by_query',
      'GET /_tasks/node-a%3A3',
      'GET /_tasks/node-a%3A3',
      'GET /_tasks/node-a%3A3',
      expect.stringMatching(/^PUT \/pyairtable-logs-audit\/_create\/[0-9a-f-]{36}$/),
    ]);
    for (const request of received) expect(request.authorization).toBe('ApiKey key-from-env');
    expect(received[2]?.url).toContain('wait_for_completion=false');
    const [, search, spans, , , , logs, , , , audit] = received;
    expect(JSON.stringify(search?.body)).toContain(SPAN_ATTRIBUTES.userId);
    expect(spans?.body).toEqual({ query: { terms: { traceID: ['a'.repeat(32), 'b'.repeat(32)] } } });
    expect(JSON.stringify(logs?.body)).toContain(ERASED);
    expect(JSON.stringify(logs?.body)).toContain('a'.repeat(32));
    expect(audit?.body).toMatchObject({ category: 'audit', service: { name: 'obs-erase' } });
    expect(JSON.stringify(audit?.body)).not.toContain(ERASED);
    expect(JSON.stringify(audit?.body)).not.toContain('tenant-alpha');
  });

  it('a read-only index, met inside the task, is reported with how to go on (exit 5)', async () => {
    outcome = 'blocked';
    polls.clear();
    const run = await obs(['erase', '--user', ERASED, '--elasticsearch', url]);
    outcome = 'deleted';
    expect(run.code).toBe(EXIT_CODES.unhealthy);
    expect(run.stderr).toContain('left 1 document(s) undeleted');
    expect(run.stderr).toContain('index.blocks.write');
  });

  it('a task that kept no result is an unknown count, not zero: no audit record (exit 5)', async () => {
    outcome = 'no result';
    polls.clear();
    received.length = 0;
    const run = await obs(['erase', '--user', ERASED, '--elasticsearch', url]);
    outcome = 'deleted';
    expect(run.code).toBe(EXIT_CODES.unhealthy);
    expect(run.stderr).toContain('finished but Elasticsearch kept no result');
    expect(received.some((request) => request.url.includes('_create'))).toBe(false);
  });

  it('without the monitor privilege, deletes in the request instead of as a task', async () => {
    monitor = false;
    received.length = 0;
    const run = await obs(['erase', '--user', ERASED, '--elasticsearch', url, '--json']);
    monitor = true;
    expect(run.code, run.stderr).toBe(EXIT_CODES.ok);
    expect(JSON.parse(run.stdout)).toEqual({
      erased: [expect.objectContaining({ traces: 2, spans: 6, logRecords: 3 })],
    });
    const deletions = received.filter((request) => request.url.includes('_delete_by_query'));
    expect(deletions).toHaveLength(2);
    for (const deletion of deletions) expect(deletion.url).not.toContain('wait_for_completion');
    expect(received.some((request) => request.url.startsWith('/_tasks/'))).toBe(false);
  });
});
