/**
 * The demo platform end to end, on real listeners: the mock Airtable API and model provider in
 * this process, airtable-gateway, llm-orchestrator and automation-services as their own
 * processes (the built entry, as the supervisor starts them), and the api-gateway in this
 * process from its sources. The SDK is process-global, so this process runs one instrumented
 * service: the gateway, whose logs and metrics the tests read directly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUSINESS_HEADERS,
  LOG_FIELDS,
  METRICS,
  METRIC_LABELS as L,
  PROPAGATION_HEADERS,
  RESOURCE_ATTRIBUTES,
} from '@pyairtable/conventions';
import type { LineCapture, OtlpReceiver } from '@pyairtable/test-support';
import { captureLines, sampleValue, startOtlpReceiver } from '@pyairtable/test-support';
import type { RunningService, TrafficResult } from '@pyairtable/demo';
import { TrafficError, runTraffic, startService } from '@pyairtable/demo';
import type { ServiceProcess } from './harness.js';
import { metricsText, requestJson, spawnService } from './harness.js';

const API_KEY = 'test-key-for-the-demo';
const BASE = 'appDemoSales00001';
const RECORDS = `/api/bases/${BASE}/tables/Orders/records`;

let receiver: OtlpReceiver;
let logs: LineCapture;
let mockAirtable: RunningService;
let mockLlm: RunningService;
let airtableGateway: ServiceProcess;
let llmOrchestrator: ServiceProcess;
let automationServices: ServiceProcess;
let gateway: RunningService;

const key = { [BUSINESS_HEADERS.apiKey]: API_KEY };

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  logs = captureLines();
  [mockAirtable, mockLlm] = await Promise.all([
    startService('mock-airtable', { env: { PORT: '0' } }),
    startService('mock-llm', { env: { PORT: '0' } }),
  ]);
  const common = {
    PORT: '0',
    METRICS_PORT: '0',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  };
  [airtableGateway, llmOrchestrator] = await Promise.all([
    spawnService('airtable-gateway', { ...common, DEMO_AIRTABLE_URL: mockAirtable.url }),
    spawnService('llm-orchestrator', { ...common, DEMO_LLM_URL: mockLlm.url }),
  ]);
  automationServices = await spawnService('automation-services', {
    ...common,
    DEMO_UPSTREAM_AIRTABLE_GATEWAY: airtableGateway.url,
  });
  gateway = await startService('api-gateway', {
    env: {
      ...common,
      DEMO_API_KEY: API_KEY,
      DEMO_UPSTREAM_AIRTABLE_GATEWAY: airtableGateway.url,
      DEMO_UPSTREAM_LLM_ORCHESTRATOR: llmOrchestrator.url,
      DEMO_UPSTREAM_AUTOMATION_SERVICES: automationServices.url,
    },
    telemetry: {
      otlpProtocol: 'http/json',
      environment: 'development',
      logDestination: logs.stream,
      runtimeMetrics: false,
    },
  });
});

afterAll(async () => {
  await gateway.close();
  await Promise.all([airtableGateway, llmOrchestrator, automationServices].map((service) => service.stop()));
  await Promise.all([mockAirtable.close(), mockLlm.close(), receiver.close()]);
});

const serviceUrls = (): Record<string, string> => ({
  'api-gateway': gateway.url,
  'airtable-gateway': airtableGateway.url,
  'llm-orchestrator': llmOrchestrator.url,
  'automation-services': automationServices.url,
});

describe('requests through the api-gateway', () => {
  it('reach airtable-gateway and the mock Airtable API, and come back with records, in one trace', async () => {
    const answer = await requestJson<{ records: { id: string }[]; source: string }>(
      `${gateway.url}${RECORDS}?maxRecords=3`,
      { headers: key },
    );
    expect(answer.status).toBe(200);
    expect(answer.body.records).toHaveLength(3);
    expect(answer.body.records[0]?.id).toMatch(/^rec[A-Za-z0-9]{14}$/);
    expect(answer.body.source).toBe('airtable');

    // airtable-gateway (another process) called Airtable inside the gateway's trace.
    const traceId = answer.headers.get(PROPAGATION_HEADERS.traceId);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const call = mockAirtable.mock?.requests.at(-1);
    expect(call?.path).toBe(`/v0/${BASE}/Orders`);
    expect(call?.headers.authorization).toMatch(/^Bearer /);
    expect(call?.headers[PROPAGATION_HEADERS.traceparent]).toContain(`-${traceId ?? 'none'}-`);
  });

  it('answer chat messages through llm-orchestrator; aiTokensMultiplier inflates the tokens the provider reports', async () => {
    const chat = (): Promise<{ status: number; body: { usage: { inputTokens: number }; costUsd: number } }> =>
      requestJson(`${gateway.url}/api/chat`, {
        method: 'POST',
        headers: key,
        body: { message: 'Which orders are overdue?' },
      });
    const normal = await chat();
    expect(normal.status).toBe(200);
    expect(normal.body.costUsd).toBeGreaterThan(0);

    const set = await requestJson(`${llmOrchestrator.url}/demo/faults`, {
      method: 'POST',
      body: { aiTokensMultiplier: 10 },
    });
    expect(set.body).toEqual({
      service: 'llm-orchestrator',
      faults: { errorRate: 0, latencyMs: 0, aiTokensMultiplier: 10 },
    });
    try {
      const spike = await chat();
      expect(spike.status).toBe(200);
      expect(spike.body.usage.inputTokens).toBeGreaterThan(5 * normal.body.usage.inputTokens);
      expect(spike.body.costUsd).toBeGreaterThan(5 * normal.body.costUsd);
    } finally {
      await requestJson(`${llmOrchestrator.url}/demo/faults`, { method: 'DELETE' });
    }
    const cost = sampleValue(await metricsText(llmOrchestrator.metricsUrl), METRICS.aiCost.name);
    expect(cost).toBeGreaterThan(0);
  });

  it('run workflows through automation-services; workflowFailureRate 1 fails them and they are counted as failures', async () => {
    const sync = await requestJson<{ status: string; steps: { step: string; records?: number }[] }>(
      `${gateway.url}/api/workflows/sync-base/run`,
      { method: 'POST', headers: key, body: {} },
    );
    expect(sync.status).toBe(200);
    expect(sync.body.status).toBe('success');
    expect(sync.body.steps[0]).toEqual({ step: 'fetch records', records: 50 });

    await requestJson(`${automationServices.url}/demo/faults`, {
      method: 'POST',
      body: { workflowFailureRate: 1 },
    });
    try {
      const failed = await requestJson<{ status: string; error: string }>(
        `${gateway.url}/api/workflows/generate-report/run`,
        { method: 'POST', headers: key, body: {} },
      );
      expect(failed.status).toBe(500);
      expect(failed.body.status).toBe('failure');
      expect(failed.body.error).toContain('injected');
    } finally {
      await requestJson(`${automationServices.url}/demo/faults`, { method: 'DELETE' });
    }
    const metrics = await metricsText(automationServices.metricsUrl);
    const executions = (status: string): number | undefined =>
      sampleValue(metrics, METRICS.workflowExecutions.name, {
        [L.workflowName.name]: 'generate-report',
        [L.workflowStatus.name]: status,
      });
    expect(executions('failure')).toBe(1);
    expect(executions('success')).toBeUndefined();

    const unknown = await requestJson(`${gateway.url}/api/workflows/no-such-workflow/run`, {
      method: 'POST',
      headers: key,
      body: {},
    });
    expect(unknown.status).toBe(404);
  });
});

describe('authentication at the gateway', () => {
  it("answers 401 to a wrong or missing API key and counts each as an auth failure on the gateway's /metrics", async () => {
    const failures = async (reason: string): Promise<number> =>
      sampleValue(await metricsText(gateway.metricsUrl ?? ''), METRICS.authEvents.name, {
        [L.authResult.name]: 'failure',
        [L.authReason.name]: reason,
      }) ?? 0;
    const wrongBefore = await failures('invalid_api_key');
    const missingBefore = await failures('missing_credentials');

    const wrong = await requestJson(`${gateway.url}${RECORDS}`, {
      headers: { [BUSINESS_HEADERS.apiKey]: 'not-the-key' },
    });
    const missing = await requestJson(`${gateway.url}/api/chat`, { method: 'POST', body: { message: 'hi' } });
    expect(wrong.status).toBe(401);
    expect(missing.status).toBe(401);
    expect(missing.body.error).toContain(BUSINESS_HEADERS.apiKey);

    expect(await failures('invalid_api_key')).toBe(wrongBefore + 1);
    expect(await failures('missing_credentials')).toBe(missingBefore + 1);
    // Nothing reached the services behind the gateway.
    expect(
      mockAirtable.mock?.requests.every((call) => call.headers[BUSINESS_HEADERS.apiKey] === undefined),
    ).toBe(true);
  });
});

describe('fault injection', () => {
  it('errorRate 1 answers every API request 500 and records the exception; DELETE restores service', async () => {
    const set = await requestJson(`${gateway.url}/demo/faults`, { method: 'POST', body: { errorRate: 1 } });
    expect(set.status).toBe(200);
    expect((await requestJson(`${gateway.url}/demo/faults`)).body).toEqual({
      service: 'api-gateway',
      faults: { errorRate: 1, latencyMs: 0 },
    });
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const answer = await requestJson(`${gateway.url}${RECORDS}`, { headers: key });
        expect(answer.status).toBe(500);
        expect(answer.body.error).toContain('injected fault');
      }
      // Health, metrics and the fault switch itself keep working.
      expect((await requestJson(`${gateway.url}/health`)).status).toBe(200);
    } finally {
      await requestJson(`${gateway.url}/demo/faults`, { method: 'DELETE' });
    }
    expect((await requestJson(`${gateway.url}${RECORDS}`, { headers: key })).status).toBe(200);

    await gateway.telemetry?.forceFlush();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const errors = logs.lines.filter((line) => line[LOG_FIELDS.category] === 'error');
    expect(errors.length).toBeGreaterThanOrEqual(3);
    expect(errors[0]).toMatchObject({ error: { type: 'InjectedFault' } });
  });

  it("a fault in a service behind the gateway reaches the caller as that service's 500", async () => {
    await requestJson(`${airtableGateway.url}/demo/faults`, { method: 'POST', body: { errorRate: 1 } });
    try {
      const answer = await requestJson(`${gateway.url}${RECORDS}`, { headers: key });
      expect(answer.status).toBe(500);
      expect(answer.body.error).toContain('airtable-gateway');
    } finally {
      await requestJson(`${airtableGateway.url}/demo/faults`, { method: 'DELETE' });
    }
  });

  it('refuses bad switches with 400 and a message naming the field and what it allows', async () => {
    const refused = async (url: string, body: unknown): Promise<string> => {
      const answer = await requestJson<{ error: string }>(`${url}/demo/faults`, { method: 'POST', body });
      expect(answer.status).toBe(400);
      return answer.body.error;
    };
    expect(await refused(gateway.url, { errorRate: 1.5 })).toBe(
      'errorRate must be a number from 0 to 1 (got 1.5)',
    );
    expect(await refused(airtableGateway.url, { latencyMs: -5 })).toBe(
      'latencyMs must be a whole number from 0 to 30000 (got -5)',
    );
    expect(await refused(llmOrchestrator.url, { aiTokensMultiplier: '50' })).toBe(
      'aiTokensMultiplier must be a number from 1 to 100 (got "50")',
    );
    expect(await refused(automationServices.url, { workflowFailureRate: 2 })).toBe(
      'workflowFailureRate must be a number from 0 to 1 (got 2)',
    );
    expect(await refused(gateway.url, { aiTokensMultiplier: 50 })).toContain('set it on llm-orchestrator');
    expect(await refused(gateway.url, { errorRat: 0.5 })).toContain('unknown field "errorRat"');
    expect(await refused(gateway.url, [0.5])).toContain('JSON object');
    // Nothing was switched on by the refused requests.
    expect((await requestJson(`${gateway.url}/demo/faults`)).body).toEqual({
      service: 'api-gateway',
      faults: { errorRate: 0, latencyMs: 0 },
    });
  });
});

describe('runTraffic', () => {
  const countOf = (result: TrafficResult): number =>
    Object.values(result.byStatus).reduce((sum, count) => sum + count, 0) + result.failed + result.cancelled;

  it('stays within its rate, counts every answer, switches its faults on for the run and off after it', async () => {
    const progress: number[] = [];
    const result = await runTraffic({
      gatewayUrl: gateway.url,
      serviceUrls: serviceUrls(),
      apiKey: API_KEY,
      ratePerSecond: 20,
      durationMs: 1_500,
      faults: ['authFailures', 'workflowFailures'],
      idle: 'llm-orchestrator',
      onProgress: (update) => progress.push(update.sent),
    });
    expect(result.sent).toBeLessThanOrEqual(30);
    expect(result.sent).toBeGreaterThanOrEqual(25);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(1_350);
    expect(countOf(result)).toBe(result.sent);
    expect(result.byStatus['401']).toBeGreaterThan(0);
    expect(result.byStatus['200']).toBeGreaterThan(0);
    expect(result.failed).toBe(0);
    expect(result.byService['llm-orchestrator']).toBe(0);
    expect(result.faultsApplied).toEqual([
      { service: 'automation-services', faults: { workflowFailureRate: 0.8 } },
    ]);
    expect(result.warnings).toEqual([]);
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect((await requestJson(`${automationServices.url}/demo/faults`)).body).toMatchObject({
      faults: { workflowFailureRate: 0 },
    });
  });

  it('stops early when aborted, and still switches its faults off', async () => {
    const controller = new AbortController();
    setTimeout(() => {
      controller.abort();
    }, 400);
    const started = performance.now();
    const result = await runTraffic({
      gatewayUrl: gateway.url,
      serviceUrls: serviceUrls(),
      apiKey: API_KEY,
      ratePerSecond: 50,
      durationMs: 60_000,
      faults: ['errors', 'latency'],
      signal: controller.signal,
    });
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(result.aborted).toBe(true);
    expect(result.sent).toBeLessThanOrEqual(50 * 0.4 + 5);
    expect(countOf(result)).toBe(result.sent);
    expect(result.faultsApplied).toEqual([
      { service: 'airtable-gateway', faults: { errorRate: 0.5, latencyMs: 2_500 } },
    ]);
    expect((await requestJson(`${airtableGateway.url}/demo/faults`)).body).toEqual({
      service: 'airtable-gateway',
      faults: { errorRate: 0, latencyMs: 0 },
    });
  });

  it('refuses options it cannot honour, naming the option, before sending anything', async () => {
    const sentBefore = mockAirtable.mock?.requests.length;
    await expect(runTraffic({ gatewayUrl: gateway.url, ratePerSecond: 500 })).rejects.toThrow(
      new TrafficError('ratePerSecond must be a number above 0 and at most 200 (got 500)'),
    );
    await expect(runTraffic({ gatewayUrl: gateway.url, durationMs: 2 * 3_600_000 })).rejects.toThrow(
      /durationMs must be a number above 0 and at most 3600000/,
    );
    await expect(
      runTraffic({
        gatewayUrl: gateway.url,
        faults: ['errors'],
        serviceUrls: { 'airtable-gateway': 'http://127.0.0.1:1' },
      }),
    ).rejects.toThrow(/could not switch on/);
    expect(mockAirtable.mock?.requests.length).toBe(sentBefore);
  });
});

describe('traces', () => {
  it('reach the OTLP endpoint from the gateway and the services behind it, joined in one trace', async () => {
    const answer = await requestJson(`${gateway.url}${RECORDS}?maxRecords=1`, { headers: key });
    const traceId = answer.headers.get(PROPAGATION_HEADERS.traceId);
    await gateway.telemetry?.forceFlush();
    // The other processes export on their batch schedule (2 s).
    const deadline = Date.now() + 8_000;
    const services = (): Set<unknown> =>
      new Set(
        receiver.spans
          .filter((span) => span.traceId === traceId)
          .map((span) => span.resource[RESOURCE_ATTRIBUTES.serviceName]),
      );
    while (services().size < 2 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect([...services()].sort()).toEqual(['airtable-gateway', 'api-gateway']);
  });
});
