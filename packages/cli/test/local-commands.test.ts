/**
 * The local-mode commands' edges, without starting a stack: argument checks, what they say when
 * nothing runs, obs up refusing a port another program holds, and the doctor's sampling checks.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '@pyairtable/test-support';
import {
  EXIT_CODES,
  SPEC_PORTS,
  STATE_FILE,
  parsePortOffset,
  parseTimeScale,
  samplingFindings,
} from '@pyairtable/cli';
import { PORT_OFFSETS, obs, portsOf } from './obs-process.js';

describe('obs local-mode commands without a running stack', () => {
  const dir = tempDir('obs-commands');
  afterAll(() => {
    dir.cleanup();
  });

  it('status, verify and traffic say nothing runs and how to start it (exit 6)', async () => {
    for (const command of ['status', 'verify', 'traffic']) {
      const run = await obs([command, '--data-dir', dir.path]);
      expect(run.code, command).toBe(EXIT_CODES.notRunning);
      expect(run.output).toContain('obs up');
    }
    expect((await obs(['down', '--data-dir', dir.path])).code).toBe(0);
  });

  it('never signals a process that only shares a recorded pid (a stale state file)', async () => {
    const bystander = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pid = bystander.pid ?? 0;
    try {
      const stale = {
        version: 1,
        pid,
        startTicks: 'an-earlier-process',
        ready: true,
        startedAt: new Date().toISOString(),
        profile: 'development',
        dataDir: dir.path,
        portOffset: 0,
        otlpHttpUrl: 'http://127.0.0.1:1',
        otlpGrpcAddress: '127.0.0.1:1',
        hubQueryUrl: 'http://127.0.0.1:1',
        hubExporterUrl: 'http://127.0.0.1:1',
        components: [
          {
            name: 'redis',
            role: 'redis',
            purpose: 'p',
            servedBy: 'x',
            url: 'redis://127.0.0.1:1',
            port: 1,
            health: { kind: 'tcp' },
            pid,
            startTicks: 'an-earlier-process',
          },
        ],
        missing: [],
      };
      writeFileSync(join(dir.path, STATE_FILE), JSON.stringify(stale));
      const status = await obs(['status', '--data-dir', dir.path]);
      expect(status.code).toBe(EXIT_CODES.notRunning);
      expect(status.output).toContain('is gone');
      expect((await obs(['down', '--data-dir', dir.path])).code).toBe(0);
      expect(bystander.exitCode).toBeNull();
      expect(() => process.kill(pid, 0)).not.toThrow();
    } finally {
      bystander.kill('SIGKILL');
    }
  });

  it('refuses unknown incidents and services, naming the ones it knows', async () => {
    const fault = await obs(['traffic', '--data-dir', dir.path, '--fault', 'meteor']);
    expect(fault.code).toBe(EXIT_CODES.usage);
    expect(fault.output).toContain('errors, latency, auth-failures, ai-cost-spike, workflow-failures');
    const idle = await obs(['traffic', '--data-dir', dir.path, '--idle', 'api-gateway']);
    expect(idle.code).toBe(EXIT_CODES.usage);
    expect(idle.output).toContain('airtable-gateway, llm-orchestrator, automation-services');
    expect((await obs(['traffic', '--data-dir', dir.path, '--rate', '201'])).code).toBe(EXIT_CODES.usage);
  });

  it('obs up refuses a port another program holds, before starting anything', async () => {
    const offset = PORT_OFFSETS.commands;
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(SPEC_PORTS.hub + offset, '127.0.0.1', resolve));
    try {
      const run = await obs([
        'up',
        '--mode',
        'local',
        '--data-dir',
        dir.path,
        '--port-offset',
        String(offset),
      ]);
      expect(run.code).toBe(EXIT_CODES.configuration);
      expect(run.output).toContain(`${String(SPEC_PORTS.hub + offset)} (hub (query API))`);
      expect(run.output).toContain('--port-offset');
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('doctor, with nothing running, says so and exits 5', async () => {
    const run = await obs(['doctor', '--data-dir', dir.path]);
    expect(run.output).toContain(`nothing runs from ${dir.path}`);
    expect(run.code).toBe(EXIT_CODES.unhealthy);
  });

  it('every command has help, and the overview lists every command', async () => {
    const overview = await obs(['--help']);
    for (const command of ['up', 'down', 'status', 'verify', 'traffic', 'doctor', 'render', 'hub'])
      expect(overview.output).toMatch(new RegExp(`^  ${command} `, 'm'));
    for (const command of ['up', 'down', 'status', 'verify', 'traffic', 'doctor', 'hub']) {
      const run = await obs([command, '--help']);
      expect(run.code, command).toBe(0);
      expect(run.output, command).toContain(`Usage: obs ${command}`);
    }
  });
});

describe('argument parsing', () => {
  it('takes a time scale as 1 or a fraction 1/n, nothing faster than instant or slower than real time', () => {
    expect(parseTimeScale('1/60')).toBeCloseTo(1 / 60);
    expect(parseTimeScale('1')).toBe(1);
    for (const bad of ['2', '0', '1/0', 'fast'])
      expect(() => parseTimeScale(bad), bad).toThrow(/--time-scale/);
  });

  it('takes a port offset that keeps every port below 65536', () => {
    const highest = Math.max(...Object.values(SPEC_PORTS));
    expect(parsePortOffset(String(65_535 - highest))).toBe(65_535 - highest);
    expect(() => parsePortOffset(String(65_536 - highest))).toThrow(/--port-offset/);
    expect(() => parsePortOffset('-1')).toThrow(/--port-offset/);
  });
});

describe('obs doctor: sampling variables', () => {
  it('finds the settings that drop traces and leaves good ones alone', () => {
    expect(samplingFindings({})).toEqual([]);
    expect(
      samplingFindings({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }),
    ).toEqual([]);
    expect(samplingFindings({ OTEL_TRACES_SAMPLER_ARG: '1' })).toEqual([]);
    expect(samplingFindings({ OTEL_TRACES_SAMPLER: 'always_off' })[0]?.problem).toContain('no traces');
    expect(samplingFindings({ OTEL_TRACES_SAMPLER: 'sometimes' })[0]?.problem).toContain('not a sampler');
    expect(samplingFindings({ OTEL_TRACES_SAMPLER_ARG: '0' })[0]?.problem).toContain('keeps no trace');
    expect(samplingFindings({ OTEL_TRACES_SAMPLER_ARG: '1.01' })[0]?.problem).toContain('between 0 and 1');
  });
});

describe('the local-mode tests’ port offsets', () => {
  it('give every test ports no other test uses, demo included (Vitest runs files in parallel)', () => {
    const owners = new Map<number, string>();
    for (const [test, offset] of Object.entries(PORT_OFFSETS))
      for (const port of portsOf(offset, { demo: true })) {
        expect(owners.get(port), `port ${String(port)} of ${test}`).toBeUndefined();
        owners.set(port, test);
        expect(port).toBeLessThan(32_768);
      }
  });
});
