import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IDENTITY_LABELS, METRICS, METRIC_CATALOG, METRIC_LABELS as L } from '@pyairtable/conventions';
import { ENGINES, captureLines, engineAvailable, parseExposition, runEngine } from '@pyairtable/test-support';
import type { Telemetry } from '@pyairtable/telemetry';
import { initTelemetry } from '@pyairtable/telemetry';

let telemetry: Telemetry;

beforeEach(() => {
  telemetry = initTelemetry({
    serviceName: 'llm-orchestrator',
    serviceVersion: '0.9.0',
    serviceTier: 'ai-ml',
    exportTraces: false,
    logDestination: captureLines().stream,
  });
});

afterEach(async () => {
  await telemetry.shutdown();
});

function exerciseEverything(t: Telemetry): void {
  t.recordAiUsage({ provider: 'openai', model: 'gpt-4o-mini', inputTokens: 1200, outputTokens: 300 });
  t.recordAuthEvent({ event: 'login', result: 'success', method: 'oauth' });
  t.recordAuthEvent({ event: 'login', result: 'failure', reason: 'invalid_credentials' });
  t.recordRateLimitRejection('ip');
  t.recordSuspiciousActivity('brute_force', 'high');
  t.recordAirtableCall('list_records', 'success');
  t.recordCacheLookup('records', true);
  t.recordCacheLookup('records', false);
  t.sessionStarted();
  t.metrics.set(
    'dbClientConnections',
    { db_client_connection_pool_name: 'main', db_client_connection_state: 'idle' },
    4,
  );
}

describe('/metrics', () => {
  it('exposes every catalog metric with its contract type and labels, plus Node runtime metrics', async () => {
    exerciseEverything(telemetry);
    await telemetry.runWorkflow('sync-base', () => 'done');
    await telemetry.timeDbOperation('postgresql', 'SELECT', () => 1);
    const { types, samples } = parseExposition((await telemetry.metrics.render()).body);
    for (const metric of METRIC_CATALOG) {
      expect(types.get(metric.name), metric.name).toBe(metric.type);
      const allowed = new Set([
        ...metric.labels.map((label) => label.name),
        ...Object.values(IDENTITY_LABELS),
        'le',
      ]);
      for (const sample of samples.filter((candidate) => candidate.name.startsWith(metric.name))) {
        for (const label of Object.keys(sample.labels))
          expect(allowed, `${sample.name} label ${label}`).toContain(label);
        expect(sample.labels).toMatchObject({ service: 'llm-orchestrator', tier: 'ai-ml', version: '0.9.0' });
        for (const definition of metric.labels) {
          const value = sample.labels[definition.name];
          if (value === undefined || value === '') continue;
          if (definition.values)
            expect(definition.values, `${sample.name} ${definition.name}`).toContain(value);
          if (definition.pattern) expect(value).toMatch(new RegExp(definition.pattern));
        }
      }
    }
    expect(types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    expect(types.get('process_cpu_user_seconds_total')).toBe('counter');
  });

  it('counts AI cost from the price table', async () => {
    const cost = telemetry.recordAiUsage({
      provider: 'openai',
      model: 'gpt-4o-mini-2024-07-18',
      inputTokens: 1_000_000,
      outputTokens: 500_000,
    });
    // $0.15 per million input + $0.60 per million output.
    expect(cost).toBeCloseTo(0.15 + 0.3, 10);
    expect(
      telemetry.recordAiUsage({
        provider: 'openai',
        model: 'unreleased-model',
        inputTokens: 10,
        outputTokens: 10,
      }),
    ).toBeUndefined();
    expect(
      telemetry.recordAiUsage({ provider: 'openai', model: 'gpt-4o', inputTokens: -1, outputTokens: 1 }),
    ).toBeUndefined();
    const { samples } = parseExposition((await telemetry.metrics.render()).body);
    const spend = samples.filter((sample) => sample.name === METRICS.aiCost.name);
    expect(spend).toHaveLength(1);
    expect(spend[0]?.labels).toMatchObject({
      [L.genAiRequestModel.name]: 'gpt-4o-mini-2024-07-18',
      [L.costCenter.name]: 'ai-ml',
    });
    expect(spend[0]?.value).toBeCloseTo(0.45, 10);
    const tokens = samples.filter(
      (sample) =>
        sample.name === `${METRICS.genAiTokenUsage.name}_sum` &&
        sample.labels[L.genAiRequestModel.name] === 'gpt-4o-mini-2024-07-18',
    );
    expect(
      Object.fromEntries(tokens.map((sample) => [sample.labels[L.genAiTokenType.name], sample.value])),
    ).toEqual({
      input: 1_000_000,
      output: 500_000,
    });
  });

  it('serves the exposition on a standalone loopback listener', async () => {
    const server = await telemetry.startMetricsServer({ port: 0 });
    try {
      const address = server.address() as AddressInfo;
      expect(address.address).toBe('127.0.0.1');
      const response = await fetch(`http://127.0.0.1:${address.port}/metrics`);
      expect(response.headers.get('content-type')).toContain('text/plain');
      expect(await response.text()).toContain(`# TYPE ${METRICS.httpServerRequestDuration.name} histogram`);
      expect((await fetch(`http://127.0.0.1:${address.port}/other`)).status).toBe(404);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe.runIf(engineAvailable(ENGINES.promtool))('/metrics through promtool', () => {
  it('passes the Prometheus linter as the SDK actually serves it', async () => {
    exerciseEverything(telemetry);
    const result = runEngine(ENGINES.promtool, ['check', 'metrics'], {
      input: (await telemetry.metrics.render()).body,
    });
    // Node's runtime metrics are prom-client's and not ours to rename; only ours must be clean.
    const ours = `${result.stdout}${result.stderr}`
      .split('\n')
      .filter((line) => line.trim() !== '' && METRIC_CATALOG.some((metric) => line.startsWith(metric.name)));
    expect(ours).toEqual([]);
  });
});
