/**
 * obs check-service against a demo service (it conforms: every check holds) and against a
 * deliberately non-conforming service (each finding reported with its fix). A real hub, the
 * demo's real airtable-gateway and Prometheus's own linter (promtool, required in CI).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '@pyairtable/demo';
import { startService } from '@pyairtable/demo';
import type { Hub } from '@pyairtable/hub';
import { startHub } from '@pyairtable/hub';
import { captureLines, tempDir } from '@pyairtable/test-support';
import { EXIT_CODES } from '@pyairtable/cli';
import { METRICS, PROPAGATION_HEADERS } from '@pyairtable/conventions';
import { OBS_BIN } from './obs-process.js';

/**
 * Runs obs in a process of its own, as a user does: the demo service runs in this one, and its
 * SDK instruments this process's own requests (it would add a traceparent to each).
 */
function obs(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [OBS_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

const DURATION = METRICS.httpServerRequestDuration.name;
const dir = tempDir('obs-check-service');
let hub: Hub;
beforeAll(async () => {
  hub = await startHub({
    dataDir: join(dir.path, 'hub'),
    otlpHttpPort: 0,
    otlpGrpcPort: 0,
    prometheusPort: 0,
    queryPort: 0,
  });
});
afterAll(async () => {
  await hub.close();
  dir.cleanup();
});

describe('a demo service', () => {
  let mockAirtable: RunningService;
  let gateway: RunningService;
  const logs = captureLines();
  beforeAll(async () => {
    mockAirtable = await startService('mock-airtable', { env: { PORT: '0' } });
    gateway = await startService('airtable-gateway', {
      env: {
        PORT: '0',
        METRICS_PORT: '0',
        OTEL_EXPORTER_OTLP_ENDPOINT: hub.otlpHttpUrl,
        DEMO_AIRTABLE_URL: mockAirtable.url,
      },
      telemetry: { logDestination: logs.stream, environment: 'development' },
    });
  });
  afterAll(async () => {
    await gateway.close();
    await mockAirtable.close();
  });

  it('conforms: metrics, promtool, propagation, its span in the hub and its log lines', async () => {
    const path = '/bases/appDemoOps0000001/tables/Projects/records';
    // A request of our own first, so there are log lines to check.
    expect((await fetch(`${gateway.url}${path}`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const logFile = join(dir.path, 'gateway.log');
    writeFileSync(logFile, logs.raw.join('\n'));
    const run = await obs([
      'check-service',
      gateway.url,
      '--path',
      path,
      '--metrics',
      gateway.metricsUrl ?? '',
      '--hub',
      hub.queryUrl,
      '--logs',
      logFile,
      '--json',
    ]);
    const report = JSON.parse(run.stdout) as { passed: boolean; checks: { check: string; ok: boolean }[] };
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(run.code).toBe(EXIT_CODES.ok);
    const checked = report.checks.map((check) => check.check);
    // promtool ran (CI installs it): a skipped linter would not prove the exposition.
    expect(report.checks.find((check) => check.check === 'promtool check metrics')).toMatchObject({
      detail: 'nothing to say',
    });
    expect(checked).toContain('the server span reaches the hub');
    expect(checked.some((check) => check.startsWith(`metric ${DURATION}`))).toBe(true);
    expect(checked.some((check) => check.startsWith('log '))).toBe(true);
  });
});

describe('a service that does not follow the contract', () => {
  let url = '';
  const server = createServer((request, response) => {
    if (request.url === '/metrics') {
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      response.end(
        [
          '# HELP pyairtable_widgets_total Widgets made.',
          '# TYPE pyairtable_widgets_total counter',
          'pyairtable_widgets_total 3',
          `# HELP ${DURATION} Request durations.`,
          `# TYPE ${DURATION} summary`,
          `${DURATION}_sum{route="/records/12345"} 0.5`,
          `${DURATION}_count{route="/records/12345"} 4`,
          '# HELP requests Requests.',
          '# TYPE requests counter',
          'requests 5',
          '',
        ].join('\n'),
      );
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{}');
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });
  afterAll(() => {
    server.close();
  });

  it('reports each finding with its fix (exit 5)', async () => {
    const logFile = join(dir.path, 'bad.log');
    writeFileSync(logFile, ['{"level":"info","msg":"started"}', 'plain text line'].join('\n'));
    const run = await obs([
      'check-service',
      url,
      '--path',
      '/records/12345',
      '--hub',
      hub.queryUrl,
      '--logs',
      logFile,
      '--timeout',
      '1',
    ]);
    expect(run.code).toBe(EXIT_CODES.unhealthy);
    for (const finding of [
      'traceparent continues the caller’s trace',
      `${PROPAGATION_HEADERS.traceId} alone becomes the trace id`,
      'a request with neither starts a new trace',
      'is a summary family, the contract has a histogram',
      "has the pyairtable_ prefix but is not in the contract's catalog",
      'promtool check metrics',
      'counter metrics should have "_total" suffix',
      'not looked for: the service answered with no trace id',
      `${logFile}:1`,
      'not JSON',
      'How to fix:',
      'finding(s)',
    ])
      expect(run.stdout).toContain(finding);
  });

  it('refuses a call without the service or the path (exit 2)', async () => {
    expect((await obs(['check-service', '--path', '/x'])).code).toBe(EXIT_CODES.usage);
    const noPath = await obs(['check-service', url]);
    expect(noPath.code).toBe(EXIT_CODES.usage);
    expect(noPath.stderr).toContain('--path must be');
  });
});
