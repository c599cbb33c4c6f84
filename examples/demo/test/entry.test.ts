/**
 * The command-line entry as a supervisor uses it: the launch description, the exit codes for a
 * wrong service or a bad variable, and a clean stop on SIGTERM.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DEMO_SERVICES, SERVICE_ENTRY, demoServiceLaunch } from '@pyairtable/demo';
import { requestJson, spawnService } from './harness.js';

describe('demoServiceLaunch', () => {
  it('derives every upstream URL from one port plan', () => {
    const launch = demoServiceLaunch('api-gateway', {
      ports: { 'api-gateway': 18000, 'airtable-gateway': 18002, 'llm-orchestrator': 18003 },
      metricsPorts: { 'api-gateway': 19400 },
      otlpEndpoint: 'http://127.0.0.1:14318',
      apiKey: 'k',
    });
    expect(launch.command).toBe(process.execPath);
    expect(launch.args).toEqual([SERVICE_ENTRY, 'api-gateway']);
    expect(launch.env).toEqual({
      PORT: '18000',
      METRICS_PORT: '19400',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:14318',
      DEMO_API_KEY: 'k',
      DEMO_UPSTREAM_AIRTABLE_GATEWAY: 'http://127.0.0.1:18002',
      DEMO_UPSTREAM_LLM_ORCHESTRATOR: 'http://127.0.0.1:18003',
      // Not in the plan: the table's default port.
      DEMO_UPSTREAM_AUTOMATION_SERVICES: 'http://127.0.0.1:8006',
    });
    expect(demoServiceLaunch('mock-llm').env).toEqual({ PORT: '8091' });
    expect(demoServiceLaunch('airtable-gateway', { redisUrl: 'redis://127.0.0.1:6379' }).env).toMatchObject({
      DEMO_AIRTABLE_URL: 'http://127.0.0.1:8090',
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
  });

  it('gives every service distinct default ports', () => {
    const ports = DEMO_SERVICES.flatMap((service) =>
      service.metricsPort === undefined ? [service.port] : [service.port, service.metricsPort],
    );
    expect(new Set(ports).size).toBe(ports.length);
  });
});

describe('node dist/service.js', () => {
  const run = (args: string[], env: Record<string, string> = {}): ReturnType<typeof spawnSync> =>
    spawnSync(process.execPath, [SERVICE_ENTRY, ...args], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 15_000,
    });

  it('exits 2 with the list of services for an unknown one, and 2 naming the variable for a bad value', () => {
    const unknown = run(['billing']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown service "billing"');
    expect(unknown.stderr).toContain('automation-services');

    const badPort = run(['airtable-gateway'], { PORT: 'eighty' });
    expect(badPort.status).toBe(2);
    expect(badPort.stderr).toContain('PORT must be a port number from 0 to 65535 (got "eighty")');

    const badRedis = run(['airtable-gateway'], { PORT: '0', REDIS_URL: 'http://user:secret@cache:6379' });
    expect(badRedis.status).toBe(2);
    expect(badRedis.stderr).toContain('REDIS_URL must be a redis:// URL');
    expect(badRedis.stderr).not.toContain('secret');
  });

  it('serves /health and stops cleanly (exit 0) on SIGTERM', async () => {
    const service = await spawnService('llm-orchestrator', {
      PORT: '0',
      METRICS_PORT: '0',
      OTEL_TRACES_EXPORTER: 'none',
    });
    expect((await requestJson(`${service.url}/health`)).body).toEqual({
      status: 'healthy',
      service: 'llm-orchestrator',
    });
    const exit = new Promise<number | null>((resolve) => service.child.once('exit', resolve));
    service.child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });
});
