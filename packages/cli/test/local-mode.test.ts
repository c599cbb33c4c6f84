/**
 * Local mode end to end, with the real engines: `obs up --mode local --demo` starts the hub, the
 * installed engines and the demo; `obs verify` passes; an injected incident fires its alert in
 * Alertmanager and it resolves once the incident stops; `obs down` leaves no process and no
 * listening port. And on a machine with no engines, the hub still starts and says what is missing.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, engineAvailable, tempDir } from '@pyairtable/test-support';
import { EXIT_CODES, LOCAL_ENGINES, SPEC_PORTS, readState } from '@pyairtable/cli';
import { HUB_ADMIN_TOKEN_FILE } from '../src/local/state.js';
import { ERASE_PATH } from '@pyairtable/hub';
import { PROFILES } from '@pyairtable/stack';
import { portFree } from '../src/local/probe.js';
import type { Up } from './obs-process.js';
import {
  PORT_OFFSETS,
  alive,
  componentUrl,
  demoUpArgs,
  obs,
  portsOf,
  removeRelocatedCluster,
  startUp,
  stopUp,
  until,
} from './obs-process.js';

async function activeAlerts(alertmanagerUrl: string, name: string): Promise<{ status: { state: string } }[]> {
  const response = await fetch(`${alertmanagerUrl}/api/v2/alerts?filter=alertname%3D%22${name}%22`);
  return (await response.json()) as { status: { state: string } }[];
}

const ENGINES_NEEDED = [
  ENGINES.prometheus,
  ENGINES.alertmanager,
  ENGINES.nodeExporter,
  ENGINES.redis,
  ENGINES.redisExporter,
];

// In CI a missing engine fails here (engineAvailable throws); elsewhere the block is skipped.
describe.runIf(ENGINES_NEEDED.every((engine) => engineAvailable(engine)))(
  'obs up --mode local --demo with the real engines',
  () => {
    const dir = tempDir('obs-local');
    const offset = PORT_OFFSETS.localMode;
    const args = demoUpArgs(dir.path, offset);
    let up: Up | undefined;

    beforeAll(async () => {
      // A token an earlier run left, readable by others: obs up must replace it, 0600.
      writeFileSync(join(dir.path, HUB_ADMIN_TOKEN_FILE), 'stale-token\n', { mode: 0o644 });
      chmodSync(join(dir.path, HUB_ADMIN_TOKEN_FILE), 0o644);
      up = await startUp(args, process.env);
    }, 120_000);

    afterAll(async () => {
      await stopUp(up);
      dir.cleanup();
      removeRelocatedCluster(dir.path);
    });

    const started = (): Up => {
      if (up === undefined) throw new Error('obs up did not start');
      return up;
    };
    const url = (role: string): string => componentUrl(up, role);

    it('runs every installed engine, the hub and the demo, and prints the access table', () => {
      const running = started().state.components.map((component) => component.name);
      for (const role of ['hub', 'prometheus', 'alertmanager', 'node-exporter', 'redis', 'redis-exporter'])
        expect(running).toContain(role);
      for (const service of ['api-gateway', 'airtable-gateway', 'llm-orchestrator', 'automation-services'])
        expect(running).toContain(service);
      expect(started().state.components.find((component) => component.name === 'prometheus')?.port).toBe(
        SPEC_PORTS.prometheus + offset,
      );
      const output = started().stdout.join('\n');
      expect(output).toMatch(/SERVICE\s+URL\s+PURPOSE\s+CREDENTIALS\s+SERVED BY/);
      expect(output).toContain(`http://127.0.0.1:${String(SPEC_PORTS.alertmanager + offset)}`);
    });

    it('passes obs status and obs verify: health, then a canary trace, log and metric confirmed in their backends', async () => {
      const status = await obs(['status', '--data-dir', dir.path]);
      expect(status.stdout).not.toContain('UNHEALTHY');
      expect(status.code).toBe(0);
      const verify = await obs(['verify', '--data-dir', dir.path]);
      expect(verify.stdout).toMatch(/canary trace\s+pass/);
      expect(verify.stdout).toMatch(/canary log record\s+pass/);
      expect(verify.stdout).toMatch(/canary metric\s+pass/);
      expect(verify.code, verify.stdout).toBe(0);
    }, 90_000);

    it('fires HighErrorRate in Alertmanager under the errors incident, and resolves it once the incident stops', async () => {
      const alertmanager = url('alertmanager');
      expect(await activeAlerts(alertmanager, 'HighErrorRate')).toEqual([]);
      const incident = obs([
        'traffic',
        '--data-dir',
        dir.path,
        '--fault',
        'errors',
        '--rate',
        '20',
        '--duration',
        '25',
      ]);
      await until(
        async () => (await activeAlerts(alertmanager, 'HighErrorRate')).length > 0,
        60_000,
        'HighErrorRate firing',
      );
      expect((await incident).code).toBe(0);
      // Clean traffic: the error ratio falls under the threshold and the alert resolves.
      const clean = obs(['traffic', '--data-dir', dir.path, '--rate', '20', '--duration', '30']);
      await until(
        async () => (await activeAlerts(alertmanager, 'HighErrorRate')).length === 0,
        60_000,
        'HighErrorRate resolving',
      );
      expect((await clean).code).toBe(0);
    }, 150_000);

    it('fires ServiceDown for a frozen service and resolves it when the service runs again', async () => {
      const alertmanager = url('alertmanager');
      const stopped = obs([
        'traffic',
        '--data-dir',
        dir.path,
        '--stop',
        'airtable-gateway',
        '--rate',
        '5',
        '--duration',
        '20',
      ]);
      await until(
        async () => (await activeAlerts(alertmanager, 'ServiceDown')).length > 0,
        20_000,
        'ServiceDown firing',
      );
      expect((await stopped).code).toBe(0);
      await until(
        async () => (await activeAlerts(alertmanager, 'ServiceDown')).length === 0,
        60_000,
        'ServiceDown resolving',
      );
    }, 120_000);

    it("obs cost reads local mode's Prometheus: the hub's spans and log bytes, Prometheus's series, the demo's AI spend", async () => {
      const cost = await obs(['cost', '--data-dir', dir.path, '--window', '3m', '--json']);
      expect(cost.code, cost.stderr).toBe(0);
      const report = JSON.parse(cost.stdout) as {
        profile: string;
        volumes: {
          spans: {
            source: string;
            receivedPerSecond: number;
            keptPerSecond: number;
            bytesPerSpan: { measured: boolean };
          };
          logBytesPerDay: Record<string, number>;
          metrics: { activeSeries: number; samplesPerSecond: { measured: boolean } };
        };
        ai: { services: { service: string; perDayUsd: number; dailyBudgetUsd: number }[] };
      };
      const { spans, logBytesPerDay, metrics } = report.volumes;
      expect(report.profile).toBe('development');
      expect(spans.source).toBe('hub');
      expect(spans.receivedPerSecond).toBeGreaterThan(0);
      expect(spans.bytesPerSpan.measured).toBe(true);
      expect(logBytesPerDay['access']).toBeGreaterThan(0);
      expect(metrics.activeSeries).toBeGreaterThan(100);
      expect(metrics.samplesPerSecond.measured).toBe(true);
      const orchestrator = report.ai.services.find((service) => service.service === 'llm-orchestrator');
      expect(orchestrator?.perDayUsd).toBeGreaterThan(0);
      expect(orchestrator?.dailyBudgetUsd).toBe(PROFILES.development.alerts.aiDailyBudgetUsd);
    }, 60_000);

    it('obs erase reaches the hub with the admin token obs up keeps for this user alone', async () => {
      const tokenFile = join(dir.path, HUB_ADMIN_TOKEN_FILE);
      expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
      expect(readFileSync(tokenFile, 'utf8')).not.toContain('stale-token');
      const erased = await obs(['erase', '--user', 'usr-nobody-here', '--data-dir', dir.path, '--json']);
      expect(erased.code, erased.stderr).toBe(0);
      // Without it, the hub refuses.
      const refused = await fetch(`${started().state.otlpHttpUrl}${ERASE_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'usr-nobody-here', actor: 'test' }),
      });
      expect(refused.status).toBe(401);
    }, 60_000);

    it('obs down stops every process and frees every port', async () => {
      const state = started().state;
      const down = await obs(['down', '--data-dir', dir.path]);
      expect(down.code).toBe(0);
      expect(alive(started().child.pid)).toBe(false);
      for (const component of state.components) expect(alive(component.pid), component.name).toBe(false);
      for (const port of portsOf(state.portOffset, { demo: true }))
        expect(await portFree(port), `port ${String(port)}`).toBe(true);
      expect(readState(dir.path)).toBeUndefined();
      expect((await obs(['status', '--data-dir', dir.path])).code).toBe(EXIT_CODES.notRunning);
    }, 60_000);
  },
);

describe('obs up on a machine with no engines installed', () => {
  const dir = tempDir('obs-bare');
  let up: Up | undefined;

  beforeAll(async () => {
    // Only node itself on PATH: none of the engines can be found.
    const bin = join(dir.path, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    up = await startUp(
      ['--mode', 'local', '--data-dir', join(dir.path, 'data'), '--port-offset', String(PORT_OFFSETS.bare)],
      {
        ...process.env,
        PATH: bin,
      },
    );
  }, 120_000);

  afterAll(async () => {
    await stopUp(up);
    dir.cleanup();
  });

  it('still starts the hub and names every missing engine with the command that installs it', async () => {
    const state = up?.state;
    expect(state?.components.map((component) => component.name)).toContain('hub');
    const output = up?.stdout.join('\n') ?? '';
    for (const engine of LOCAL_ENGINES.filter((entry) => entry.role !== 'postgres')) {
      expect(state?.missing.map((entry) => entry.name)).toContain(engine.role);
      expect(output).toContain(`apt-get install ${engine.debianPackage}`);
    }
    const dataDir = join(dir.path, 'data');
    const verify = await obs(['verify', '--data-dir', dataDir]);
    expect(verify.stdout).toMatch(/canary trace\s+pass/);
    expect(verify.stdout).toMatch(/canary metric\s+skipped/);
    expect(verify.code).toBe(0);
    const down = await obs(['down', '--data-dir', dataDir]);
    expect(down.code).toBe(0);
    expect(alive(up?.child.pid)).toBe(false);
  }, 60_000);
});
