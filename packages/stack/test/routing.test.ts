/**
 * Where each alert goes, decided by the real Alertmanager's router (`amtool config routes
 * test`) on the rendered configuration, for every alert rule's own label set.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENGINES, engineAvailable, runEngine, tempDir } from '@pyairtable/test-support';
import type { AlertName } from '@pyairtable/conventions';
import { ALERT_NAMES } from '@pyairtable/conventions';
import type { ReceiverName } from '@pyairtable/stack';
import {
  CHANNEL_VARIABLES as V,
  PROFILES,
  alertRules,
  renderAlertmanagerConfig,
  resolveChannels,
} from '@pyairtable/stack';
import { CHANNEL_ENV, SECRET_VALUES } from './render-fixture.js';

/** Where each alert must go with every channel configured. */
const EXPECTED: Readonly<Record<AlertName, readonly ReceiverName[]>> = {
  ServiceDown: ['critical'],
  HighErrorRate: ['critical'],
  DatabaseCritical: ['critical'],
  // Pages, and reaches the security team.
  SecurityIncident: ['critical', 'security'],
  HighResponseTime: ['oncall'],
  HighCPUUsage: ['oncall'],
  HighMemoryUsage: ['oncall'],
  SlowDatabaseQueries: ['oncall'],
  UnusedService: ['finops'],
  HighAICosts: ['finops'],
  InefficientResources: ['finops'],
  LowUserEngagement: ['oncall'],
  HighWorkflowFailures: ['oncall'],
};

const dir = tempDir('routing');
afterAll(() => {
  dir.cleanup();
});

function configFile(name: string, env: Record<string, string>): string {
  const path = join(dir.path, `${name}.yml`);
  writeFileSync(path, renderAlertmanagerConfig(resolveChannels(env).channels, 'production').text);
  return path;
}

/** The label sets of every rule of every alert, as a service's alert would carry them. */
const labelSets = alertRules(PROFILES.production.alerts).map((rule) => ({
  alert: rule.alert,
  labels: { alertname: rule.alert, service: 'api', ...rule.labels },
}));

function routes(file: string, labels: Record<string, string>): string[] {
  const result = runEngine(ENGINES.amtool, [
    'config',
    'routes',
    'test',
    `--config.file=${file}`,
    ...Object.entries(labels).map(([name, value]) => `${name}=${value}`),
  ]);
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.trim().split(',').filter(Boolean).sort();
}

describe.runIf(engineAvailable(ENGINES.amtool))('alert routing (amtool config routes test)', () => {
  const all = configFile('all', { ...CHANNEL_ENV, ...SECRET_VALUES });

  it('every alert of the spec has a rule, and every rule a route', () => {
    expect([...new Set(labelSets.map((set) => set.alert))].sort()).toEqual([...ALERT_NAMES].sort());
  });

  it.each(labelSets)('$alert $labels.reason reaches exactly its receivers', ({ alert, labels }) => {
    expect(routes(all, labels)).toEqual([...EXPECTED[alert]].sort());
  });

  it('reaches only receivers that have a channel', () => {
    const document = parse(
      renderAlertmanagerConfig(resolveChannels({ ...CHANNEL_ENV, ...SECRET_VALUES }).channels, 'production')
        .text,
    ) as {
      receivers: Record<string, unknown>[];
    };
    const withChannel = new Set(
      document.receivers
        .filter((receiver) => Object.keys(receiver).length > 1)
        .map((receiver) => receiver['name']),
    );
    for (const { labels } of labelSets)
      for (const receiver of routes(all, labels)) expect(withChannel.has(receiver)).toBe(true);
  });

  it('with only on-call configured, everything goes to on-call: nothing to a receiver without a channel', () => {
    const oncallOnly = configFile('oncall-only', {
      [V.oncallEmail]: 'oncall@example.com',
      [V.smtpSmarthost]: 'smtp.example.com:587',
      [V.smtpFrom]: 'alertmanager@example.com',
    });
    for (const { labels } of labelSets)
      expect(routes(oncallOnly, labels), labels.alertname).toEqual(['oncall']);
  });

  it('a critical alert without a critical channel still reaches the security team when it is a security alert', () => {
    const securityOnly = configFile('security-and-oncall', {
      [V.oncallEmail]: 'oncall@example.com',
      [V.securityEmail]: 'security@example.com',
      [V.smtpSmarthost]: 'smtp.example.com:587',
      [V.smtpFrom]: 'alertmanager@example.com',
    });
    const security = labelSets.find((set) => set.alert === 'SecurityIncident');
    expect(routes(securityOnly, security?.labels ?? {})).toEqual(['security']);
    const down = labelSets.find((set) => set.alert === 'ServiceDown');
    expect(routes(securityOnly, down?.labels ?? {})).toEqual(['oncall']);
  });
});

describe('inhibition', () => {
  it('ServiceDown silences only its own service’s error-rate and latency alerts', () => {
    const document = parse(
      renderAlertmanagerConfig(resolveChannels(CHANNEL_ENV).channels, 'production').text,
    ) as {
      inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
    };
    expect(document.inhibit_rules).toEqual([
      {
        source_matchers: ['alertname="ServiceDown"'],
        target_matchers: ['alertname=~"HighErrorRate|HighResponseTime"'],
        equal: ['service'],
      },
    ]);
  });
});
