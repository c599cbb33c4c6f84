/**
 * obs cost against a real Prometheus holding three weeks of series with known slopes (written
 * with promtool's backfill): every measured volume, the storage under the retention table, the
 * savings as differences, the AI forecast and the budget flags at the alert's boundary, the
 * table and the JSON, and the refusals. Expected figures are computed here by hand from the
 * slopes and the published prices, not by the code under test.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, engineAvailable, freePort, tempDir } from '@pyairtable/test-support';
import { LOG_FIELDS, METRICS } from '@pyairtable/conventions';
import { EXIT_CODES } from '@pyairtable/cli';
import type { Run } from './obs-process.js';
import { obs as runObs } from './obs-process.js';
import type { BackfilledPrometheus, BackfillSeries } from './prometheus-backfill.js';
import { backfilledPrometheus } from './prometheus-backfill.js';

/** obs in this process, with only the environment given (no channel or password of this shell). */
const obs = (args: string[], env: Record<string, string> = {}): Promise<Run> => runObs(args, env);

const AT = '2026-11-20T12:00:00.000Z';
const AT_SECONDS = Date.parse(AT) / 1000;
const MONTH_START_SECONDS = Date.parse('2026-11-01T00:00:00Z') / 1000;
const DAY = 86_400;
const GB = 2 ** 30;
/** Production's HighAICosts budget, USD a day per service. */
const DAILY_BUDGET = 500;

const linear = (perSecond: number) => (seconds: number) => perSecond * seconds;
const ai = (service: string, model: string, usdPerDay: number, startsAfter = 0): BackfillSeries => ({
  name: METRICS.aiCost.name,
  labels: {
    service,
    gen_ai_provider_name: 'openai',
    gen_ai_request_model: model,
    pyairtable_cost_center: 'ai',
  },
  value: linear(usdPerDay / DAY),
  startsAfter,
});

const SERIES: BackfillSeries[] = [
  { name: 'pyairtable_hub_spans_received_total', labels: { service: 'hub' }, value: linear(10) },
  { name: 'pyairtable_hub_spans_stored_total', labels: { service: 'hub' }, value: linear(10) },
  {
    name: 'pyairtable_hub_spans_sampled_out_total',
    labels: { service: 'hub', reason: 'not_sampled' },
    value: linear(9),
  },
  { name: 'pyairtable_hub_span_bytes_stored_total', labels: { service: 'hub' }, value: linear(10 * 800) },
  {
    name: 'pyairtable_hub_log_bytes_stored_total',
    labels: { service: 'hub', category: 'application' },
    value: linear(1000),
  },
  {
    name: 'pyairtable_hub_log_bytes_stored_total',
    labels: { service: 'hub', category: 'access' },
    value: linear(5000),
  },
  {
    name: 'pyairtable_hub_log_bytes_stored_total',
    labels: { service: 'hub', category: 'audit' },
    value: () => 0,
  },
  { name: 'prometheus_tsdb_head_series', labels: { service: 'prometheus' }, value: () => 5000 },
  {
    name: 'prometheus_tsdb_head_samples_appended_total',
    labels: { service: 'prometheus' },
    value: linear(400),
  },
  {
    name: 'prometheus_tsdb_compaction_chunk_size_bytes_sum',
    labels: { service: 'prometheus' },
    value: linear(500),
  },
  {
    name: 'prometheus_tsdb_compaction_chunk_samples_sum',
    labels: { service: 'prometheus' },
    value: linear(400),
  },
  ai('airtable-gateway', 'gpt-5-mini', 24),
  // Just above and just below the daily budget the HighAICosts alert compares the pace with.
  ai('llm-orchestrator', 'gpt-5', DAILY_BUDGET + 0.5),
  ai('mcp-server', 'gpt-5', DAILY_BUDGET - 0.5, 10 * DAY),
  // What Prometheus's rule evaluation writes while HighAICosts is pending or fires.
  {
    name: 'ALERTS',
    labels: { alertname: 'HighAICosts', alertstate: 'firing', service: 'llm-orchestrator' },
    value: () => 1,
  },
  {
    name: 'ALERTS',
    labels: { alertname: 'HighAICosts', alertstate: 'pending', service: 'mcp-server' },
    value: () => 1,
  },
];

/**
 * The production stack on Kubernetes: agents forward every span to the gateways, which keep a
 * tenth and send it to Jaeger, itself a collector whose receiver takes the kept spans again.
 */
const collector = (
  instance: string,
  name: string,
  labels: Record<string, string>,
  perSecond: number,
): BackfillSeries => ({
  name,
  labels: { instance, ...labels },
  value: linear(perSecond),
});
const PRODUCTION_SERIES: BackfillSeries[] = [
  ...SERIES.filter((series) => !series.name.startsWith('pyairtable_hub_')),
  collector('10.0.0.1:8888', 'otelcol_receiver_accepted_spans', { receiver: 'otlp' }, 10),
  collector('10.0.0.1:8888', 'otelcol_exporter_sent_spans', { exporter: 'loadbalancing' }, 10),
  collector('10.0.1.1:8888', 'otelcol_receiver_accepted_spans', { receiver: 'otlp' }, 10),
  collector('10.0.1.1:8888', 'otelcol_exporter_sent_spans', { exporter: 'otlp_grpc/jaeger' }, 1),
  collector('10.0.2.1:8888', 'otelcol_receiver_accepted_spans', { receiver: 'otlp' }, 1),
  // Prometheus's oldest sample: it holds only the last two hours of the month.
  { name: 'prometheus_tsdb_lowest_timestamp_seconds', value: () => AT_SECONDS - 2 * 3600 },
];

interface Report {
  volumes: {
    spans: {
      source: string;
      receivedPerSecond: number;
      keptPerSecond: number;
      bytesPerSpan: { value: number; measured: boolean };
    };
    logBytesPerDay: Record<string, number>;
    metrics: {
      activeSeries: number;
      samplesPerSecond: { value: number; measured: boolean };
      bytesPerSample: { value: number; measured: boolean };
    };
  };
  storage: {
    dataType: string;
    bytesPerDay: number;
    held: Record<string, number>;
    monthUsd: Record<string, number>;
  }[];
  monthUsd: { compute: number; alerting: number; total: Record<string, number> };
  savingsUsd: { sampling: number; tiers: number; both: number };
  alerting: { channels: string[]; monthUsd: number };
  ai: {
    month: { days: number; remainingDays: number; measuredFrom: string };
    rows: {
      service: string;
      model: string;
      monthToDateUsd: number;
      perDayUsd: number;
      forecastUsd: number;
    }[];
    services: {
      service: string;
      alertPacePerDayUsd: number;
      aboveAlertThreshold: boolean;
      alertState: string;
      forecastOverMonthAtDailyBudget: boolean;
      monthAtDailyBudgetUsd: number;
    }[];
  };
}

const ready = engineAvailable(ENGINES.prometheus) && engineAvailable(ENGINES.promtool);

describe.runIf(ready)('obs cost against a real Prometheus', () => {
  let prometheus: BackfilledPrometheus;
  let report: Report;
  beforeAll(async () => {
    prometheus = await backfilledPrometheus(SERIES, {
      fromSeconds: MONTH_START_SECONDS,
      toSeconds: AT_SECONDS,
      stepSeconds: 300,
    });
    const run = await obs(['cost', '--prometheus', prometheus.url, '--at', AT, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(EXIT_CODES.ok);
    report = JSON.parse(run.stdout) as Report;
  }, 120_000);
  afterAll(async () => {
    await prometheus.close();
  });

  it('measures spans before and after the tail policy, and the bytes a span takes', () => {
    const { spans } = report.volumes;
    expect(spans.source).toBe('hub');
    expect(spans.receivedPerSecond).toBeCloseTo(10, 6);
    expect(spans.keptPerSecond).toBeCloseTo(1, 6);
    expect(spans.bytesPerSpan).toEqual({ value: expect.closeTo(800, 6) as number, measured: true });
  });

  it('measures log bytes per day per category, series and samples, and bytes per sample', () => {
    const { logBytesPerDay, metrics } = report.volumes;
    expect(logBytesPerDay['application']).toBeCloseTo(1000 * DAY, 0);
    expect(logBytesPerDay['access']).toBeCloseTo(5000 * DAY, 0);
    expect(logBytesPerDay['audit']).toBe(0);
    expect(logBytesPerDay['security']).toBe(0);
    expect(metrics.activeSeries).toBe(5000);
    expect(metrics.samplesPerSecond).toEqual({ value: expect.closeTo(400, 6) as number, measured: true });
    expect(metrics.bytesPerSample).toEqual({ value: expect.closeTo(1.25, 6) as number, measured: true });
  });

  it('prices storage per tier of the retention table, and sampling and tiers as differences', () => {
    const row = (type: string) => report.storage.find((one) => one.dataType === type);
    const hot = 0.08;
    const warm = 0.045;
    const cold = 0.0125;
    // Metrics: 15 days hot.
    const metricsPerDay = 400 * DAY * 1.25;
    expect(row('metrics')?.held['hot']).toBeCloseTo(metricsPerDay * 15, 0);
    expect(row('metrics')?.monthUsd['asRun']).toBeCloseTo(((metricsPerDay * 15) / GB) * hot, 6);
    // Traces: 7 days hot, kept spans only; at 100% every span received.
    const tracesPerDay = 1 * DAY * 800;
    expect(row('traces')?.monthUsd['asRun']).toBeCloseTo(((tracesPerDay * 7) / GB) * hot, 6);
    expect(row('traces')?.monthUsd['fullSampling']).toBeCloseTo(((10 * tracesPerDay * 7) / GB) * hot, 6);
    // Application logs: hot days 0-7, warm 7-14, cold 14-30; without tiers 30 days hot.
    const applicationPerDay = 1000 * DAY;
    expect(row('logs.application')?.held).toEqual({
      hot: expect.closeTo(applicationPerDay * 7, 0) as number,
      warm: expect.closeTo(applicationPerDay * 7, 0) as number,
      cold: expect.closeTo(applicationPerDay * 16, 0) as number,
    });
    const applicationTiered = (applicationPerDay * (7 * hot + 7 * warm + 16 * cold)) / GB;
    expect(row('logs.application')?.monthUsd['asRun']).toBeCloseTo(applicationTiered, 6);
    expect(row('logs.application')?.monthUsd['noTiers']).toBeCloseTo(
      ((applicationPerDay * 30) / GB) * hot,
      6,
    );
    // Access logs: hot 0-3, warm 3-14.
    const accessPerDay = 5000 * DAY;
    const accessTiered = (accessPerDay * (3 * hot + 11 * warm)) / GB;
    const accessFlat = ((accessPerDay * 14) / GB) * hot;
    expect(row('logs.access')?.monthUsd['asRun']).toBeCloseTo(accessTiered, 6);

    const samplingSaving = ((9 * tracesPerDay * 7) / GB) * hot;
    expect(report.savingsUsd.sampling).toBeCloseTo(samplingSaving, 6);
    expect(report.savingsUsd.tiers).toBeCloseTo(
      ((applicationPerDay * 30) / GB) * hot - applicationTiered + accessFlat - accessTiered,
      6,
    );
    // Sampling acts on traces, tiers on logs: both at once save the sum.
    expect(report.savingsUsd.both).toBeCloseTo(report.savingsUsd.sampling + report.savingsUsd.tiers, 9);
  });

  it("prices compute from the stack's reservations, and no alert channel when none is set", () => {
    // Reservations: 10 components at 0.25 vCPU / 256M, Elasticsearch 0.5 / 1G, Logstash and
    // Kibana 0.25 / 512M, the trace-retention job 0.01 / 16M.
    const cpus = 10 * 0.25 + 0.5 + 2 * 0.25 + 0.01;
    const memoryGb = 10 * 0.25 + 1 + 2 * 0.5 + 16 / 1024;
    expect(report.monthUsd.compute).toBeCloseTo((cpus * 0.04048 + memoryGb * 0.004445) * 730.5, 6);
    expect(report.alerting).toEqual({ channels: [], monthUsd: 0 });
  });

  it('forecasts AI spend to the month end, and flags the pace just above the budget, not just below', () => {
    expect(report.ai.month).toEqual({
      days: 30,
      remainingDays: 10.5,
      start: '2026-11-01T00:00:00.000Z',
      measuredFrom: '2026-11-01T00:00:00.000Z',
    });
    const gateway = report.ai.rows.find((row) => row.service === 'airtable-gateway');
    expect(gateway?.monthToDateUsd).toBeCloseTo(24 * 19.5, 1);
    expect(gateway?.perDayUsd).toBeCloseTo(24, 6);
    expect(gateway?.forecastUsd).toBeCloseTo(24 * 30, 1);
    const mcp = report.ai.rows.find((row) => row.service === 'mcp-server');
    // Started on day 10: 9.5 days spent so far.
    expect(mcp?.monthToDateUsd).toBeCloseTo((DAILY_BUDGET - 0.5) * 9.5, 0);
    // The alert's own figure (the last hour's spend times 24) against its budget, and its state.
    const byService = Object.fromEntries(report.ai.services.map((service) => [service.service, service]));
    expect(byService['llm-orchestrator']?.alertPacePerDayUsd).toBeCloseTo(DAILY_BUDGET + 0.5, 6);
    expect(byService['mcp-server']?.alertPacePerDayUsd).toBeCloseTo(DAILY_BUDGET - 0.5, 6);
    const above = Object.fromEntries(
      report.ai.services.map((service) => [service.service, service.aboveAlertThreshold]),
    );
    expect(above).toEqual({ 'airtable-gateway': false, 'llm-orchestrator': true, 'mcp-server': false });
    const states = Object.fromEntries(
      report.ai.services.map((service) => [service.service, service.alertState]),
    );
    expect(states).toEqual({
      'airtable-gateway': 'inactive',
      'llm-orchestrator': 'firing',
      'mcp-server': 'pending',
    });
    expect(byService['llm-orchestrator']?.monthAtDailyBudgetUsd).toBe(DAILY_BUDGET * 30);
    expect(byService['llm-orchestrator']?.forecastOverMonthAtDailyBudget).toBe(true);
  });

  it('prints the same estimate as a table for people', async () => {
    const run = await obs(['cost', '--prometheus', prometheus.url, '--at', AT]);
    expect(run.code).toBe(EXIT_CODES.ok);
    expect(run.stdout).toContain(`production profile, Prometheus ${prometheus.url}, the 1h to ${AT}`);
    expect(run.stdout).toMatch(/spans\/s before the tail policy\s+10\s+the hub's counters/);
    expect(run.stdout).toMatch(/bytes per sample\s+1\.25\s+measured/);
    expect(run.stdout).toMatch(/logs\.application\s+82\.4 MB/);
    expect(run.stdout).toContain(`Savings, measured: sampling $${report.savingsUsd.sampling.toFixed(2)}`);
    expect(run.stdout).toMatch(/llm-orchestrator .*\$500\.50 {2}ABOVE .*firing/);
    expect(run.stdout).toMatch(/mcp-server .*\$499\.50 .*pending/);
    expect(run.stdout).not.toMatch(/mcp-server .*ABOVE/);
    // Every figure was measured: nothing is listed as missing.
    expect(run.stdout).not.toContain('Not measured:');
  });

  it('prices the channels set in the environment, and takes prices from a checked file', async () => {
    const dir = tempDir('obs-cost-prices');
    try {
      const file = join(dir.path, 'prices.json');
      writeFileSync(
        file,
        JSON.stringify({
          effectiveDate: '2026-11-30',
          source: 'our contract',
          storageUsdPerGbMonth: { hot: 0.16 },
          alertChannelUsdPerMonth: { pagerduty: 105 },
        }),
      );
      const run = await obs(
        ['cost', '--prometheus', prometheus.url, '--at', AT, '--json', '--prices', file],
        {
          PAGERDUTY_SERVICE_KEY: 'k',
          SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/x',
        },
      );
      expect(run.code).toBe(EXIT_CODES.ok);
      const priced = JSON.parse(run.stdout) as Report & { prices: { source: string } };
      expect(priced.prices.source).toBe('our contract');
      expect(priced.alerting).toEqual({ channels: ['slack', 'pagerduty'], monthUsd: 105 });
      const metrics = (one: Report) =>
        one.storage.find((row) => row.dataType === 'metrics')?.monthUsd['asRun'] ?? 0;
      expect(metrics(priced)).toBeCloseTo(2 * metrics(report), 9);

      writeFileSync(
        file,
        JSON.stringify({
          effectiveDate: 'yesterday',
          vcpuUsdPerHour: -1,
          storageUsdPerGbMonth: { tepid: 1 },
        }),
      );
      const bad = await obs(['cost', '--prometheus', prometheus.url, '--prices', file]);
      expect(bad.code).toBe(EXIT_CODES.configuration);
      for (const path of ['effectiveDate', 'source', 'vcpuUsdPerHour', 'storageUsdPerGbMonth.tepid'])
        expect(bad.stderr).toContain(`  - ${path}: `);
    } finally {
      dir.cleanup();
    }
  });
});

describe.runIf(ready)("obs cost with the production stack's Elasticsearch", () => {
  interface Received {
    method: string;
    url: string;
    authorization: string | undefined;
    body: unknown;
  }
  const received: Received[] = [];
  let refuse = false;
  const stats = (bytes: number, documents: number): object => ({
    _all: { primaries: { store: { size_in_bytes: bytes }, docs: { count: documents } } },
  });
  // An Elasticsearch stand-in that records what it is sent; Elastic's types check the shapes.
  const server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      const url = request.url ?? '';
      received.push({
        method: request.method ?? '',
        url,
        authorization: request.headers.authorization,
        body: text === '' ? undefined : JSON.parse(text),
      });
      const reply = (status: number, answer: object): void => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(answer));
      };
      if (refuse) reply(401, { error: { type: 'security_exception' }, status: 401 });
      else if (url.startsWith('/pyairtable-logs-application/_stats')) reply(200, stats(1_000_000, 2000));
      // Counted in the window when the count has a query, all of them without.
      else if (url.startsWith('/pyairtable-logs-application/_count'))
        reply(200, { count: text === '' ? 2000 : 7200 });
      // Lucene's count holds each span's nested tags too: eight documents a span.
      else if (url.startsWith('/pyairtable-jaeger-span-*/_stats')) reply(200, stats(3_000_000, 80_000));
      else if (url.startsWith('/pyairtable-jaeger-span-*/_count')) reply(200, { count: 10_000 });
      else if (url.includes('/_stats')) reply(200, stats(0, 0));
      else if (url.includes('/_count')) reply(200, { count: 0 });
      else reply(404, { error: { type: 'unexpected', url } });
    });
  });
  let prometheus: BackfilledPrometheus;
  let elasticsearch = '';
  beforeAll(async () => {
    prometheus = await backfilledPrometheus(PRODUCTION_SERIES, {
      fromSeconds: AT_SECONDS - 2 * 3600,
      toSeconds: AT_SECONDS,
      stepSeconds: 300,
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    elasticsearch = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  }, 120_000);
  afterAll(async () => {
    server.close();
    await prometheus.close();
  });

  it("takes spans from the collectors' counters, each span counted once though agents forward it", async () => {
    const run = await obs(['cost', '--prometheus', prometheus.url, '--at', AT, '--json']);
    const report = JSON.parse(run.stdout) as Report & { volumes: { logSource: string } };
    expect(report.volumes.spans).toEqual({
      source: 'collector',
      receivedPerSecond: expect.closeTo(10, 6) as number,
      keptPerSecond: expect.closeTo(1, 6) as number,
      bytesPerSpan: { value: 700, measured: false },
    });
    expect(report.volumes.logSource).toBe('none');
    // Prometheus holds only the month's last two hours: measured from there, the rest at the pace.
    expect(report.ai.month.measuredFrom).toBe(new Date((AT_SECONDS - 2 * 3600) * 1000).toISOString());
    const gateway = report.ai.rows.find((row) => row.service === 'airtable-gateway');
    expect(gateway?.monthToDateUsd).toBeCloseTo(2, 3);
    expect(gateway?.forecastUsd).toBeCloseTo(24 * 30, 3);
  });

  it('lists under the estimate what nothing measured', async () => {
    const run = await obs(['cost', '--prometheus', prometheus.url, '--at', AT]);
    expect(run.stdout).toContain('Not measured:');
    expect(run.stdout).toContain('Log storage is not in the estimate: nothing counted log bytes.');
    expect(run.stdout).toContain('Bytes per span are assumed (700)');
    expect(run.stdout).toContain('Prometheus holds it from 2026-11-20 10:00 UTC on');
  });

  it("takes log bytes per day from the data streams and a span's bytes from Jaeger's indices", async () => {
    const run = await obs(
      ['cost', '--prometheus', prometheus.url, '--elasticsearch', elasticsearch, '--at', AT, '--json'],
      { ELASTICSEARCH_API_KEY: 'a2V5' },
    );
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as Report & { volumes: { logSource: string } };
    expect(report.volumes.logSource).toBe('elasticsearch');
    // 7,200 records in the hour at 500 bytes each, times 24.
    expect(report.volumes.logBytesPerDay['application']).toBeCloseTo(7200 * 500 * 24, 6);
    expect(report.volumes.logBytesPerDay['access']).toBe(0);
    // 3 MB over 10,000 spans, not over Lucene's 80,000 documents.
    expect(report.volumes.spans.bytesPerSpan).toEqual({ value: 300, measured: true });
    expect(received.every((request) => request.authorization === 'ApiKey a2V5')).toBe(true);
    const count = received.find((request) => request.url.includes('_count') && request.body !== undefined);
    expect(count?.body).toEqual({
      query: {
        range: {
          [LOG_FIELDS.timestamp]: {
            gt: Date.parse(AT) - 3_600_000,
            lte: Date.parse(AT),
            format: 'epoch_millis',
          },
        },
      },
    });
    // A count in the window only where the data stream holds something.
    expect(
      received.filter((request) => request.url.includes('_count') && request.body !== undefined),
    ).toHaveLength(1);
  });

  it('says what Elasticsearch refused and which privileges the user needs (exit 5)', async () => {
    refuse = true;
    const run = await obs([
      'cost',
      '--prometheus',
      prometheus.url,
      '--elasticsearch',
      elasticsearch,
      '--at',
      AT,
    ]);
    refuse = false;
    expect(run.code).toBe(EXIT_CODES.unhealthy);
    expect(run.stderr).toContain('answered 401');
    expect(run.stderr).toContain('for a user allowed to monitor the indices and read them');
  });
});

describe('obs cost refuses what it cannot do', () => {
  it('names a bad option value (exit 2)', async () => {
    const window = await obs(['cost', '--prometheus', 'http://127.0.0.1:1', '--window', '1 hour']);
    expect(window.code).toBe(EXIT_CODES.usage);
    expect(window.stderr).toContain('--window must be a Prometheus range like 30m, 6h or 1d, not "1 hour"');
    const profile = await obs(['cost', '--prometheus', 'http://127.0.0.1:1', '--profile', 'prod']);
    expect(profile.stderr).toContain('--profile must be one of development, staging, production');
    for (const time of ['yesterday', '2026-11-20T12:00:00', '2026-02-30T12:00:00Z']) {
      const at = await obs(['cost', '--prometheus', 'http://127.0.0.1:1', '--at', time]);
      expect(at.code, time).toBe(EXIT_CODES.usage);
      expect(at.stderr).toContain(
        `--at must be an RFC 3339 time with its offset, like 2026-11-30T12:00:00Z, not "${time}"`,
      );
    }
    const url = await obs(['cost', '--prometheus', '127.0.0.1:9090']);
    expect(url.stderr).toContain('--prometheus must be an http(s) URL');
  });

  it('says which password a Prometheus behind basic auth needs (exit 5), and an unreadable prices file (exit 4)', async () => {
    const guarded = createServer((_request, response) => {
      response.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Basic' });
      response.end('Unauthorized\n');
    });
    await new Promise<void>((resolve) => guarded.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${String((guarded.address() as AddressInfo).port)}`;
      const refused = await obs(['cost', '--prometheus', url]);
      expect(refused.code).toBe(EXIT_CODES.unhealthy);
      expect(refused.stderr).toContain(
        `Prometheus at ${url} refused the request (401): set PROMETHEUS_WEB_PASSWORD`,
      );
    } finally {
      guarded.close();
    }
    const missing = await obs([
      'cost',
      '--prometheus',
      'http://127.0.0.1:1',
      '--prices',
      '/nonexistent/prices.json',
    ]);
    expect(missing.code).toBe(EXIT_CODES.filesystem);
    expect(missing.stderr).toContain('cannot read the prices file: ENOENT');
  });

  it('says when Prometheus cannot be reached (exit 5), and when local mode is not running (exit 6)', async () => {
    const closed = `http://127.0.0.1:${String(await freePort())}`;
    const unreachable = await obs(['cost', '--prometheus', closed]);
    expect(unreachable.code).toBe(EXIT_CODES.unhealthy);
    expect(unreachable.stderr).toContain(`cannot reach Prometheus at ${closed} (ECONNREFUSED)`);
    const dir = tempDir('obs-cost-none');
    try {
      const none = await obs(['cost', '--data-dir', dir.path]);
      expect(none.code).toBe(EXIT_CODES.notRunning);
      expect(none.stderr).toContain('obs up');
    } finally {
      dir.cleanup();
    }
  });
});
