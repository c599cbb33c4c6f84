/**
 * Every alert under the real Prometheus rule engine (`promtool test rules`): it fires just above
 * its threshold once `for` has elapsed, stays silent just below and before, carries its labels
 * and annotations with the actual value; ratio alerts fire only for the bad one of two services.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { AlertName } from '@pyairtable/conventions';
import { ALERT_NAMES, METRICS, METRIC_LABELS as L, SERVICES_JOB } from '@pyairtable/conventions';
import {
  CADVISOR_SERVICE_LABEL,
  EXPORTER_METRICS as X,
  alertPanels,
  panelForRule,
  panelPath,
} from '@pyairtable/dashboards';
import { ENGINES, engineAvailable, runEngine, tempDir } from '@pyairtable/test-support';
import { PROFILES, buildModel, modelDashboards, renderRules } from '@pyairtable/stack';

const model = buildModel({ profile: 'production' });
const thresholds = PROFILES.production.alerts;
const dir = tempDir('alert-rules');
afterAll(() => {
  dir.cleanup();
});
writeFileSync(join(dir.path, 'rules.yml'), renderRules(model));

type Labels = Record<string, string>;
interface Series {
  series: string;
  values: string;
}
interface Expected {
  exp_labels: Labels;
  exp_annotations: Labels;
}
interface Check {
  eval_time: string;
  alertname: AlertName;
  exp_alerts: Expected[];
}
interface Case {
  title: string;
  interval?: string;
  input_series: Series[];
  checks: Check[];
}

const selector = (labels: Labels): string =>
  `{${Object.entries(labels)
    .map(([name, value]) => `${name}="${value}"`)
    .join(',')}}`;
const series = (metric: string, labels: Labels, values: string): Series => ({
  series: `${metric}${selector(labels)}`,
  values,
});
/** Cumulative histogram buckets: the count rises by `perStep` in every bucket from `firstLe` up. */
const buckets = (
  metric: string,
  labels: Labels,
  les: string[],
  firstLe: string,
  perStep: number,
  steps: number,
): Series[] =>
  les.map((le) =>
    series(
      `${metric}_bucket`,
      { ...labels, le },
      les.indexOf(le) >= les.indexOf(firstLe)
        ? `0+${String(perStep)}x${String(steps)}`
        : `0x${String(steps)}`,
    ),
  );

const runbook = (alert: AlertName): string => `${model.runbookBaseUrl}/${alert}.md`;
const panels = alertPanels(modelDashboards(model));
/** The panel the rule with these labels links to: one that draws this alert's threshold. */
const dashboardUrl = (alert: AlertName, labels: Labels): string => {
  const panel = panelForRule(panels, alert, labels);
  if (panel === undefined) throw new Error(`${alert} has no panel`);
  expect(panel.panel.thresholds?.some((threshold) => threshold.alert === alert)).toBe(true);
  return `${model.grafanaUrl}${panelPath(panel.dashboard.uid, panel.id)}`;
};
const fires = (
  alert: AlertName,
  at: string,
  labels: Labels,
  annotations: { summary: string; description: string },
): Check => ({
  eval_time: at,
  alertname: alert,
  exp_alerts: [
    {
      exp_labels: labels,
      exp_annotations: {
        ...annotations,
        runbook_url: runbook(alert),
        dashboard_url: dashboardUrl(alert, labels),
      },
    },
  ],
});
const silent = (alert: AlertName, at: string): Check => ({ eval_time: at, alertname: alert, exp_alerts: [] });

const httpCount = `${METRICS.httpServerRequestDuration.name}_count`;
const status = L.httpResponseStatusCode.name;
const critical = { severity: 'critical', category: 'critical' };
const performance = { severity: 'warning', category: 'performance' };

const CASES: Case[] = [
  {
    title: 'ServiceDown: a target down for a minute, and only that one',
    input_series: [
      series(X.prometheus.up, { job: SERVICES_JOB, service: 'api', instance: 'api:8080' }, '1 1 1 0 0 0 0 0'),
      series(X.prometheus.up, { job: SERVICES_JOB, service: 'web', instance: 'web:8080' }, '1x7'),
    ],
    checks: [
      silent('ServiceDown', '3m'),
      fires(
        'ServiceDown',
        '5m',
        { ...critical, job: SERVICES_JOB, service: 'api', instance: 'api:8080' },
        {
          summary: 'api is down',
          description: 'Prometheus has not been able to scrape api at api:8080 for over a minute.',
        },
      ),
    ],
  },
  {
    title: 'HighErrorRate: 11% of api fails (fires after 2m), 9% of web does not',
    input_series: [
      series(httpCount, { service: 'api', [status]: '500' }, '0+11x20'),
      series(httpCount, { service: 'api', [status]: '200' }, '0+89x20'),
      series(httpCount, { service: 'web', [status]: '503' }, '0+9x20'),
      series(httpCount, { service: 'web', [status]: '200' }, '0+91x20'),
    ],
    checks: [
      silent('HighErrorRate', '2m'),
      fires(
        'HighErrorRate',
        '4m',
        { ...critical, service: 'api' },
        {
          summary: 'api: 11% of requests fail',
          description: "11% of api's HTTP requests answered 5xx over the last 5 minutes (threshold 10%).",
        },
      ),
      fires(
        'HighErrorRate',
        '15m',
        { ...critical, service: 'api' },
        {
          summary: 'api: 11% of requests fail',
          description: "11% of api's HTTP requests answered 5xx over the last 5 minutes (threshold 10%).",
        },
      ),
    ],
  },
  {
    title: 'DatabaseCritical: PostgreSQL unreachable for a minute; Redis fine',
    input_series: [
      series(X.postgres.up, { job: 'postgres-exporter', instance: 'postgres-exporter:9187' }, '1 1 0 0 0 0'),
      series(X.redis.up, { job: 'redis-exporter', instance: 'redis-exporter:9121' }, '1x5'),
    ],
    checks: [
      silent('DatabaseCritical', '2m'),
      fires(
        'DatabaseCritical',
        '4m',
        { ...critical, database: 'postgresql', job: 'postgres-exporter', instance: 'postgres-exporter:9187' },
        {
          summary: 'PostgreSQL is unreachable',
          description:
            'The PostgreSQL exporter at postgres-exporter:9187 has not reached PostgreSQL for over a minute.',
        },
      ),
    ],
  },
  {
    title: `DatabaseCritical: 60% of api's database operations fail, 40% of web's do not (threshold ${String(thresholds.dbErrorRatio * 100)}%)`,
    input_series: [
      series(
        `${METRICS.dbClientOperationDuration.name}_count`,
        { service: 'api', [L.dbSystemName.name]: 'postgresql', [L.errorType.name]: 'ECONNREFUSED' },
        '0+60x10',
      ),
      series(
        `${METRICS.dbClientOperationDuration.name}_count`,
        { service: 'api', [L.dbSystemName.name]: 'postgresql' },
        '0+40x10',
      ),
      series(
        `${METRICS.dbClientOperationDuration.name}_count`,
        { service: 'web', [L.dbSystemName.name]: 'postgresql', [L.errorType.name]: 'ECONNREFUSED' },
        '0+40x10',
      ),
      series(
        `${METRICS.dbClientOperationDuration.name}_count`,
        { service: 'web', [L.dbSystemName.name]: 'postgresql' },
        '0+60x10',
      ),
    ],
    checks: [
      silent('DatabaseCritical', '2m'),
      fires(
        'DatabaseCritical',
        '5m',
        { ...critical, service: 'api', [L.dbSystemName.name]: 'postgresql' },
        {
          summary: 'api: 60% of postgresql operations fail',
          description:
            "60% of api's postgresql operations failed over the last 5 minutes (threshold 50%): connections refused or lost.",
        },
      ),
    ],
  },
  {
    title: 'SecurityIncident: a new high-severity detection fires at once and resolves; low severity never',
    input_series: [
      series(
        METRICS.suspiciousActivity.name,
        { service: 'api', [L.suspiciousActivityType.name]: 'brute_force', [L.securitySeverity.name]: 'high' },
        '_x5 1x10',
      ),
      series(
        METRICS.suspiciousActivity.name,
        {
          service: 'web',
          [L.suspiciousActivityType.name]: 'path_traversal',
          [L.securitySeverity.name]: 'low',
        },
        '_x5 1+1x10',
      ),
    ],
    checks: [
      silent('SecurityIncident', '4m'),
      fires(
        'SecurityIncident',
        '6m',
        {
          severity: 'critical',
          category: 'security',
          reason: 'suspicious_activity',
          service: 'api',
          [L.suspiciousActivityType.name]: 'brute_force',
        },
        {
          summary: 'api: brute_force detected',
          description: 'api reported 1 high or critical brute_force events in the last 5 minutes.',
        },
      ),
      // Five minutes after the only detection, nothing new: resolved.
      silent('SecurityIncident', '12m'),
    ],
  },
  {
    title: `SecurityIncident: 31 failed authentications a minute on api for 5m, 29 on web (threshold ${String(thresholds.authFailuresPerMinute)})`,
    input_series: [
      series(
        METRICS.authEvents.name,
        { service: 'api', [L.authResult.name]: 'failure', [L.authReason.name]: 'invalid_credentials' },
        '0+31x20',
      ),
      series(
        METRICS.authEvents.name,
        { service: 'web', [L.authResult.name]: 'failure', [L.authReason.name]: 'invalid_credentials' },
        '0+29x20',
      ),
    ],
    // A 5-minute rate needs a full window: above the threshold from 5m, firing from 10m.
    checks: [
      silent('SecurityIncident', '8m'),
      fires(
        'SecurityIncident',
        '12m',
        { severity: 'critical', category: 'security', reason: 'authentication_failures', service: 'api' },
        {
          summary: 'api: 31 failed authentications a minute',
          description:
            'api rejected 31 authentications a minute over the last 5 minutes (threshold 30): credential stuffing, brute force or a broken client.',
        },
      ),
    ],
  },
  {
    title: 'HighResponseTime: requests of 2.1 s on api fire after 5m; of 2.0 s on web do not',
    input_series: [
      ...buckets(
        METRICS.httpServerRequestDuration.name,
        { service: 'api' },
        ['1', '2', '2.5', '+Inf'],
        '2.5',
        10,
        20,
      ),
      ...buckets(
        METRICS.httpServerRequestDuration.name,
        { service: 'web' },
        ['1', '2', '2.5', '+Inf'],
        '2',
        10,
        20,
      ),
    ],
    checks: [
      silent('HighResponseTime', '5m'),
      fires(
        'HighResponseTime',
        '8m',
        { ...performance, service: 'api' },
        {
          summary: 'api: p95 latency 2.475s',
          description: "The 95th percentile of api's request duration has been 2.475s (threshold 2s).",
        },
      ),
    ],
  },
  {
    title: 'HighCPUUsage: 82% of the limit on api for 5m, 78% on web',
    input_series: [
      series(
        X.cadvisor.cpuSeconds,
        { [CADVISOR_SERVICE_LABEL]: 'api', service: 'api', name: 'api-1' },
        '0+49.2x20',
      ),
      series(
        X.cadvisor.cpuQuota,
        { [CADVISOR_SERVICE_LABEL]: 'api', service: 'api', name: 'api-1' },
        '100000x20',
      ),
      series(
        X.cadvisor.cpuPeriod,
        { [CADVISOR_SERVICE_LABEL]: 'api', service: 'api', name: 'api-1' },
        '100000x20',
      ),
      series(
        X.cadvisor.cpuSeconds,
        { [CADVISOR_SERVICE_LABEL]: 'web', service: 'web', name: 'web-1' },
        '0+46.8x20',
      ),
      series(
        X.cadvisor.cpuQuota,
        { [CADVISOR_SERVICE_LABEL]: 'web', service: 'web', name: 'web-1' },
        '100000x20',
      ),
      series(
        X.cadvisor.cpuPeriod,
        { [CADVISOR_SERVICE_LABEL]: 'web', service: 'web', name: 'web-1' },
        '100000x20',
      ),
    ],
    checks: [
      silent('HighCPUUsage', '8m'),
      fires(
        'HighCPUUsage',
        '12m',
        { ...performance, service: 'api' },
        {
          summary: 'api uses 82% of its CPU limit',
          description:
            "api's containers have used 82% of their CPU limit for over 5 minutes (threshold 80%).",
        },
      ),
    ],
  },
  {
    title: 'HighMemoryUsage: 86% of the limit on api for 5m, 84% on web',
    input_series: [
      series(
        X.cadvisor.memoryWorkingSet,
        { [CADVISOR_SERVICE_LABEL]: 'api', service: 'api', name: 'api-1' },
        '860000000x20',
      ),
      series(
        X.cadvisor.memoryLimit,
        { [CADVISOR_SERVICE_LABEL]: 'api', service: 'api', name: 'api-1' },
        '1000000000x20',
      ),
      series(
        X.cadvisor.memoryWorkingSet,
        { [CADVISOR_SERVICE_LABEL]: 'web', service: 'web', name: 'web-1' },
        '840000000x20',
      ),
      series(
        X.cadvisor.memoryLimit,
        { [CADVISOR_SERVICE_LABEL]: 'web', service: 'web', name: 'web-1' },
        '1000000000x20',
      ),
      // A container without a memory limit (0) is never a ratio.
      series(
        X.cadvisor.memoryWorkingSet,
        { [CADVISOR_SERVICE_LABEL]: 'batch', service: 'batch', name: 'batch-1' },
        '990000000x20',
      ),
      series(
        X.cadvisor.memoryLimit,
        { [CADVISOR_SERVICE_LABEL]: 'batch', service: 'batch', name: 'batch-1' },
        '0x20',
      ),
    ],
    checks: [
      silent('HighMemoryUsage', '4m'),
      fires(
        'HighMemoryUsage',
        '8m',
        { ...performance, service: 'api' },
        {
          summary: 'api uses 86% of its memory limit',
          description:
            "api's containers' working set has been 86% of their memory limit for over 5 minutes (threshold 85%); the OOM killer acts at 100%.",
        },
      ),
    ],
  },
  {
    title: 'SlowDatabaseQueries: p95 above 1 s on api, below on web',
    input_series: [
      ...buckets(
        METRICS.dbClientOperationDuration.name,
        { service: 'api', [L.dbSystemName.name]: 'postgresql' },
        ['0.5', '1', '5', '+Inf'],
        '5',
        10,
        20,
      ),
      ...buckets(
        METRICS.dbClientOperationDuration.name,
        { service: 'web', [L.dbSystemName.name]: 'postgresql' },
        ['0.5', '1', '5', '+Inf'],
        '1',
        10,
        20,
      ),
    ],
    checks: [
      silent('SlowDatabaseQueries', '5m'),
      fires(
        'SlowDatabaseQueries',
        '8m',
        { ...performance, service: 'api', [L.dbSystemName.name]: 'postgresql' },
        {
          summary: 'api: p95 postgresql query time 4.8s',
          description: "The 95th percentile of api's postgresql operations has been 4.8s (threshold 1s).",
        },
      ),
    ],
  },
  {
    title:
      'UnusedService: 30 idle minutes on api; never for busy web with an idle route, a down service or one that never existed',
    input_series: [
      series(httpCount, { service: 'api', [L.httpRoute.name]: '/records' }, '0+10x30 300x40'),
      series(httpCount, { service: 'web', [L.httpRoute.name]: '/busy' }, '0+10x70'),
      series(httpCount, { service: 'web', [L.httpRoute.name]: '/idle' }, '5x70'),
      series(httpCount, { service: 'old', [L.httpRoute.name]: '/records' }, '7x70'),
      series(X.prometheus.up, { job: SERVICES_JOB, service: 'api' }, '1x70'),
      series(X.prometheus.up, { job: SERVICES_JOB, service: 'web' }, '1x70'),
      series(X.prometheus.up, { job: SERVICES_JOB, service: 'old' }, '0x70'),
      // Restarted 20 minutes ago, one request since: new, not unused.
      series(httpCount, { service: 'new', [L.httpRoute.name]: '/records' }, '_x50 1x20'),
      series(X.prometheus.up, { job: SERVICES_JOB, service: 'new' }, '1x70'),
    ],
    checks: [
      silent('UnusedService', '59m'),
      fires(
        'UnusedService',
        '62m',
        { severity: 'info', category: 'cost', service: 'api' },
        {
          summary: 'api has had no traffic for 30 minutes',
          description:
            'api is up but served no HTTP request in the last 30 minutes: scale it down or retire it.',
        },
      ),
    ],
  },
  {
    title: `HighAICosts: api's pace of 518 USD a day fires after 15m, web's 490 does not (budget ${String(thresholds.aiDailyBudgetUsd)})`,
    input_series: [
      series(METRICS.aiCost.name, { service: 'api', [L.genAiProviderName.name]: 'openai' }, '0+0.36x100'),
      series(METRICS.aiCost.name, { service: 'web', [L.genAiProviderName.name]: 'openai' }, '0+0.34x100'),
    ],
    checks: [
      silent('HighAICosts', '70m'),
      fires(
        'HighAICosts',
        '80m',
        { severity: 'warning', category: 'cost', service: 'api' },
        {
          summary: 'api: AI spend trending to 518.40 USD a day',
          description: "At the last hour's pace api spends 518.40 USD a day on AI APIs (budget 500 USD).",
        },
      ),
    ],
  },
  {
    title:
      'InefficientResources: 60% of the CPU limit with 0.5 requests/s; not with 5 requests/s, nor at 40% CPU',
    input_series: [
      ...['api', 'web', 'idle'].flatMap((service) => [
        series(X.cadvisor.cpuQuota, { [CADVISOR_SERVICE_LABEL]: service, service }, '100000x60'),
        series(X.cadvisor.cpuPeriod, { [CADVISOR_SERVICE_LABEL]: service, service }, '100000x60'),
      ]),
      series(X.cadvisor.cpuSeconds, { [CADVISOR_SERVICE_LABEL]: 'api', service: 'api' }, '0+36x60'),
      series(X.cadvisor.cpuSeconds, { [CADVISOR_SERVICE_LABEL]: 'web', service: 'web' }, '0+36x60'),
      series(X.cadvisor.cpuSeconds, { [CADVISOR_SERVICE_LABEL]: 'idle', service: 'idle' }, '0+24x60'),
      series(httpCount, { service: 'api' }, '0+30x60'),
      series(httpCount, { service: 'web' }, '0+300x60'),
      series(httpCount, { service: 'idle' }, '0+30x60'),
    ],
    checks: [
      silent('InefficientResources', '25m'),
      fires(
        'InefficientResources',
        '40m',
        { severity: 'warning', category: 'cost', service: 'api' },
        {
          summary: 'api uses 60% of its CPU limit with little traffic',
          description:
            'api has used 60% of its CPU limit for 30 minutes while serving under 1 requests a second: a busy loop, a leak or work in the wrong place.',
        },
      ),
    ],
  },
  {
    title: `LowUserEngagement: 9 sessions an hour across the platform (threshold ${String(thresholds.minSessionsPerHour)})`,
    interval: '5m',
    input_series: [
      series(METRICS.userSessionsStarted.name, { service: 'auth' }, '0+0.5x40'),
      series(METRICS.userSessionsStarted.name, { service: 'web' }, '0+0.25x40'),
    ],
    checks: [
      silent('LowUserEngagement', '80m'),
      fires(
        'LowUserEngagement',
        '100m',
        { severity: 'warning', category: 'business' },
        {
          summary: 'Only 9 sessions started in the last hour',
          description: 'Users started 9 sessions across the platform in the last hour (threshold 10).',
        },
      ),
    ],
  },
  {
    title: 'LowUserEngagement: 12 sessions an hour is enough',
    interval: '5m',
    input_series: [series(METRICS.userSessionsStarted.name, { service: 'auth' }, '0+1x40')],
    checks: [silent('LowUserEngagement', '100m'), silent('LowUserEngagement', '180m')],
  },
  {
    title:
      'HighWorkflowFailures: 20% of api/sync fails; 5% of web/import and a rare workflow below the volume floor do not',
    input_series: [
      series(
        METRICS.workflowExecutions.name,
        { service: 'api', [L.workflowName.name]: 'sync', [L.workflowStatus.name]: 'failure' },
        '0+2x30',
      ),
      series(
        METRICS.workflowExecutions.name,
        { service: 'api', [L.workflowName.name]: 'sync', [L.workflowStatus.name]: 'success' },
        '0+8x30',
      ),
      series(
        METRICS.workflowExecutions.name,
        { service: 'web', [L.workflowName.name]: 'import', [L.workflowStatus.name]: 'timeout' },
        '0+1x30',
      ),
      series(
        METRICS.workflowExecutions.name,
        { service: 'web', [L.workflowName.name]: 'import', [L.workflowStatus.name]: 'success' },
        '0+19x30',
      ),
      series(
        METRICS.workflowExecutions.name,
        { service: 'web', [L.workflowName.name]: 'rare', [L.workflowStatus.name]: 'failure' },
        '0+0.2x30',
      ),
    ],
    checks: [
      silent('HighWorkflowFailures', '5m'),
      fires(
        'HighWorkflowFailures',
        '20m',
        { severity: 'warning', category: 'business', service: 'api', [L.workflowName.name]: 'sync' },
        {
          summary: 'api: 20% of sync runs fail',
          description:
            "20% of the sync workflow's executions failed or timed out over the last 15 minutes (threshold 10%).",
        },
      ),
    ],
  },
];

describe('runbooks', () => {
  const runbooks = fileURLToPath(new URL('../../../docs/runbooks/', import.meta.url));
  it.each(ALERT_NAMES)('%s has a runbook that states its thresholds', (alert) => {
    const path = join(runbooks, `${alert}.md`);
    expect(existsSync(path), path).toBe(true);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain(`# ${alert}`);
    // The open thresholds are stated with the production value the rules use.
    const stated: Partial<Record<AlertName, string[]>> = {
      DatabaseCritical: [`dbErrorRatio = ${String(thresholds.dbErrorRatio)}`],
      SecurityIncident: [`authFailuresPerMinute = ${String(thresholds.authFailuresPerMinute)}`],
      HighAICosts: [`${String(thresholds.aiDailyBudgetUsd)} USD in production`],
      InefficientResources: [
        `inefficientCpuRatio = ${String(thresholds.inefficientCpuRatio)}`,
        `inefficientMaxRequestsPerSecond = ${String(thresholds.inefficientMaxRequestsPerSecond)}`,
      ],
      LowUserEngagement: [`minSessionsPerHour = ${String(thresholds.minSessionsPerHour)}`],
      HighWorkflowFailures: [`workflowMinExecutions = ${String(thresholds.workflowMinExecutions)}`],
    };
    for (const phrase of stated[alert] ?? []) expect(text).toContain(phrase);
  });
});

describe.runIf(engineAvailable(ENGINES.promtool))('alert rules under promtool test rules', () => {
  it('covers every alert with a firing and a silent check', () => {
    for (const alert of ALERT_NAMES) {
      const checks = CASES.flatMap((testCase) => testCase.checks).filter(
        (check) => check.alertname === alert,
      );
      expect(
        checks.some((check) => check.exp_alerts.length > 0),
        `${alert} fires somewhere`,
      ).toBe(true);
      expect(
        checks.some((check) => check.exp_alerts.length === 0),
        `${alert} stays silent somewhere`,
      ).toBe(true);
    }
  });

  it.each(CASES)('$title', (testCase) => {
    const file = join(dir.path, `test-${String(CASES.indexOf(testCase))}.yml`);
    writeFileSync(
      file,
      stringify({
        rule_files: ['rules.yml'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: testCase.interval ?? '1m',
            input_series: testCase.input_series,
            alert_rule_test: testCase.checks,
          },
        ],
      }),
    );
    const result = runEngine(ENGINES.promtool, ['test', 'rules', file], { cwd: dir.path });
    expect(result.stdout + result.stderr, 'promtool test rules').toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('a wrong expectation fails (negative control)', () => {
    const file = join(dir.path, 'negative.yml');
    const [first] = CASES;
    writeFileSync(
      file,
      stringify({
        rule_files: ['rules.yml'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: first?.input_series,
            alert_rule_test: [silent('ServiceDown', '5m')],
          },
        ],
      }),
    );
    const result = runEngine(ENGINES.promtool, ['test', 'rules', file], { cwd: dir.path });
    expect(result.status).not.toBe(0);
  });
});
