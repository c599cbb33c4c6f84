/**
 * The spec's thirteen alerts and the recording rules they read, as data. Every expression
 * aggregates explicitly (`sum by (service, ...)` before any division, so a ratio is the
 * service's, not one series'), compares like with like (a per-hour threshold with an hourly
 * increase), and reads only metrics of the contract or of an exporter the stack deploys. Where
 * the spec gives no number, the threshold is a profile setting and its runbook says why.
 */
import type { AlertName, AlertThresholds } from '@pyairtable/conventions';
import {
  IDENTITY_LABELS,
  METRICS,
  METRIC_LABELS as L,
  SERVICES_JOB,
  SPEC_THRESHOLDS,
} from '@pyairtable/conventions';
import { scaledDuration } from './duration.js';
import { CADVISOR_SERVICE_LABEL, EXPORTER_METRICS as X } from '@pyairtable/dashboards';

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];
/** The spec's alert categories (its section titles), plus security. */
export const ALERT_CATEGORIES = ['critical', 'performance', 'cost', 'business', 'security'] as const;
export type AlertCategory = (typeof ALERT_CATEGORIES)[number];

export interface AlertRule {
  readonly alert: AlertName;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: Severity; readonly category: AlertCategory } & Readonly<
    Record<string, string>
  >;
  readonly annotations: { readonly summary: string; readonly description: string };
}

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
}

const SERVICE = IDENTITY_LABELS.service;
const httpDuration = METRICS.httpServerRequestDuration.name;
const dbDuration = METRICS.dbClientOperationDuration.name;

/** Recording rules: the RED series every alert and dashboard reads, computed once per interval. */
export const RECORDED = {
  requests: `${SERVICE}:${httpDuration.replace(/_duration_seconds$/, 's')}:rate5m`,
  errors: `${SERVICE}:${httpDuration.replace(/_request_duration_seconds$/, '_errors')}:rate5m`,
  p95: `${SERVICE}:${httpDuration}:p95_5m`,
  cpu: `${SERVICE}:container_cpu_limit:ratio`,
  memory: `${SERVICE}:container_memory_limit:ratio`,
} as const;

export function recordingRules(scale = 1): RecordingRule[] {
  const w5 = scaledDuration(300, scale);
  const services = `{${CADVISOR_SERVICE_LABEL}!=""}`;
  return [
    { record: RECORDED.requests, expr: `sum by (${SERVICE}) (rate(${httpDuration}_count[${w5}]))` },
    {
      record: RECORDED.errors,
      expr: `sum by (${SERVICE}) (rate(${httpDuration}_count{${L.httpResponseStatusCode.name}=~"5.."}[${w5}]))`,
    },
    {
      record: RECORDED.p95,
      expr: `histogram_quantile(0.95, sum by (${SERVICE}, le) (rate(${httpDuration}_bucket[${w5}])))`,
    },
    {
      // CPU used as a share of the container's limit (quota / period = cores).
      record: RECORDED.cpu,
      expr:
        `sum by (${SERVICE}) (rate(${X.cadvisor.cpuSeconds}${services}[${w5}]))` +
        ` / sum by (${SERVICE}) (${X.cadvisor.cpuQuota}${services} / ${X.cadvisor.cpuPeriod}${services})`,
    },
    {
      record: RECORDED.memory,
      expr:
        `sum by (${SERVICE}) (${X.cadvisor.memoryWorkingSet}${services})` +
        ` / sum by (${SERVICE}) (${X.cadvisor.memoryLimit}${services} > 0)`,
    },
  ];
}

const percent = '{{ $value | humanizePercentage }}';
const on = (labels: string): string => `{{ $labels.${labels} }}`;

export function alertRules(thresholds: AlertThresholds, scale = 1): AlertRule[] {
  const t = SPEC_THRESHOLDS;
  /** Minutes as a duration at the model's time scale. */
  const d = (minutes: number): string => scaledDuration(minutes * 60, scale);
  const svc = on(SERVICE);
  const workflow = L.workflowName.name;
  const dbSystem = L.dbSystemName.name;
  const byServiceWorkflow = `${SERVICE}, ${workflow}`;
  const workflows = METRICS.workflowExecutions.name;
  const suspicious = METRICS.suspiciousActivity.name;
  const activity = L.suspiciousActivityType.name;
  const rules: AlertRule[] = [
    {
      alert: 'ServiceDown',
      expr: `${X.prometheus.up}{job="${SERVICES_JOB}"} == 0`,
      for: d(1),
      labels: { severity: 'critical', category: 'critical' },
      annotations: {
        summary: `${svc} is down`,
        description: `Prometheus has not been able to scrape ${svc} at ${on('instance')} for over a minute.`,
      },
    },
    {
      alert: 'HighErrorRate',
      expr: `${RECORDED.errors} / ${RECORDED.requests} > ${String(t.errorRatio)}`,
      for: d(2),
      labels: { severity: 'critical', category: 'critical' },
      annotations: {
        summary: `${svc}: ${percent} of requests fail`,
        description: `${percent} of ${svc}'s HTTP requests answered 5xx over the last 5 minutes (threshold ${String(t.errorRatio * 100)}%).`,
      },
    },
    {
      alert: 'DatabaseCritical',
      expr: `${X.postgres.up} == 0`,
      for: d(1),
      labels: { severity: 'critical', category: 'critical', database: 'postgresql' },
      annotations: {
        summary: 'PostgreSQL is unreachable',
        description: `The PostgreSQL exporter at ${on('instance')} has not reached PostgreSQL for over a minute.`,
      },
    },
    {
      alert: 'DatabaseCritical',
      expr: `${X.redis.up} == 0`,
      for: d(1),
      labels: { severity: 'critical', category: 'critical', database: 'redis' },
      annotations: {
        summary: 'Redis is unreachable',
        description: `The Redis exporter at ${on('instance')} has not reached Redis for over a minute.`,
      },
    },
    {
      alert: 'DatabaseCritical',
      expr:
        `sum by (${SERVICE}, ${dbSystem}) (rate(${dbDuration}_count{${L.errorType.name}!=""}[${d(5)}]))` +
        ` / sum by (${SERVICE}, ${dbSystem}) (rate(${dbDuration}_count[${d(5)}])) > ${String(thresholds.dbErrorRatio)}`,
      for: d(2),
      labels: { severity: 'critical', category: 'critical' },
      annotations: {
        summary: `${svc}: ${percent} of ${on(dbSystem)} operations fail`,
        description: `${percent} of ${svc}'s ${on(dbSystem)} operations failed over the last 5 minutes (threshold ${String(thresholds.dbErrorRatio * 100)}%): connections refused or lost.`,
      },
    },
    {
      alert: 'SecurityIncident',
      // New series count too: a counter first seen at 1 has no increase, but it is new.
      expr:
        `sum by (${SERVICE}, ${activity}) (increase(${suspicious}{${L.securitySeverity.name}=~"high|critical"}[${d(5)}])) > 0` +
        ` or sum by (${SERVICE}, ${activity}) (${suspicious}{${L.securitySeverity.name}=~"high|critical"} unless ${suspicious} offset ${d(5)}) > 0`,
      for: d(0),
      labels: { severity: 'critical', category: 'security', reason: 'suspicious_activity' },
      annotations: {
        summary: `${svc}: ${on(activity)} detected`,
        description: `${svc} reported {{ $value | humanize }} high or critical ${on(activity)} events in the last 5 minutes.`,
      },
    },
    {
      alert: 'SecurityIncident',
      expr: `sum by (${SERVICE}) (rate(${METRICS.authEvents.name}{${L.authResult.name}="failure"}[${d(5)}])) * 60 > ${String(thresholds.authFailuresPerMinute)}`,
      for: d(5),
      labels: { severity: 'critical', category: 'security', reason: 'authentication_failures' },
      annotations: {
        summary: `${svc}: {{ $value | humanize }} failed authentications a minute`,
        description: `${svc} rejected {{ $value | humanize }} authentications a minute over the last 5 minutes (threshold ${String(thresholds.authFailuresPerMinute)}): credential stuffing, brute force or a broken client.`,
      },
    },
    {
      alert: 'HighResponseTime',
      expr: `${RECORDED.p95} > ${String(t.p95Seconds)}`,
      for: d(5),
      labels: { severity: 'warning', category: 'performance' },
      annotations: {
        summary: `${svc}: p95 latency {{ $value | humanizeDuration }}`,
        description: `The 95th percentile of ${svc}'s request duration has been {{ $value | humanizeDuration }} (threshold ${String(t.p95Seconds)}s).`,
      },
    },
    {
      alert: 'HighCPUUsage',
      expr: `${RECORDED.cpu} > ${String(t.cpuRatio)}`,
      for: d(5),
      labels: { severity: 'warning', category: 'performance' },
      annotations: {
        summary: `${svc} uses ${percent} of its CPU limit`,
        description: `${svc}'s containers have used ${percent} of their CPU limit for over 5 minutes (threshold ${String(t.cpuRatio * 100)}%).`,
      },
    },
    {
      alert: 'HighMemoryUsage',
      expr: `${RECORDED.memory} > ${String(t.memoryRatio)}`,
      for: d(5),
      labels: { severity: 'warning', category: 'performance' },
      annotations: {
        summary: `${svc} uses ${percent} of its memory limit`,
        description: `${svc}'s containers' working set has been ${percent} of their memory limit for over 5 minutes (threshold ${String(t.memoryRatio * 100)}%); the OOM killer acts at 100%.`,
      },
    },
    {
      alert: 'SlowDatabaseQueries',
      expr: `histogram_quantile(0.95, sum by (${SERVICE}, ${dbSystem}, le) (rate(${dbDuration}_bucket[${d(5)}]))) > ${String(t.slowQuerySeconds)}`,
      for: d(5),
      labels: { severity: 'warning', category: 'performance' },
      annotations: {
        summary: `${svc}: p95 ${on(dbSystem)} query time {{ $value | humanizeDuration }}`,
        description: `The 95th percentile of ${svc}'s ${on(dbSystem)} operations has been {{ $value | humanizeDuration }} (threshold ${String(t.slowQuerySeconds)}s).`,
      },
    },
    {
      alert: 'UnusedService',
      // Only services seen a full window ago (a counter first seen at 1 has no increase, so a
      // newly started service would otherwise look idle) and up now (down is ServiceDown's).
      expr:
        `sum by (${SERVICE}) (increase(${httpDuration}_count[${d(t.unusedMinutes)}])) == 0` +
        ` and on (${SERVICE}) count by (${SERVICE}) (${httpDuration}_count offset ${d(t.unusedMinutes)}) > 0` +
        ` and on (${SERVICE}) max by (${SERVICE}) (${X.prometheus.up}{job="${SERVICES_JOB}"}) == 1`,
      for: d(1),
      labels: { severity: 'info', category: 'cost' },
      annotations: {
        summary: `${svc} has had no traffic for ${String(t.unusedMinutes)} minutes`,
        description: `${svc} is up but served no HTTP request in the last ${String(t.unusedMinutes)} minutes: scale it down or retire it.`,
      },
    },
    {
      alert: 'HighAICosts',
      // The last hour's spend at a daily pace, against a daily budget.
      expr: `sum by (${SERVICE}) (increase(${METRICS.aiCost.name}[${d(60)}])) * 24 > ${String(thresholds.aiDailyBudgetUsd)}`,
      for: d(15),
      labels: { severity: 'warning', category: 'cost' },
      annotations: {
        summary: `${svc}: AI spend trending to {{ $value | printf "%.2f" }} USD a day`,
        description: `At the last hour's pace ${svc} spends {{ $value | printf "%.2f" }} USD a day on AI APIs (budget ${String(thresholds.aiDailyBudgetUsd)} USD).`,
      },
    },
    {
      alert: 'InefficientResources',
      expr:
        `${RECORDED.cpu} > ${String(thresholds.inefficientCpuRatio)}` +
        ` and on (${SERVICE}) ${RECORDED.requests} < ${String(thresholds.inefficientMaxRequestsPerSecond)}`,
      for: d(30),
      labels: { severity: 'warning', category: 'cost' },
      annotations: {
        summary: `${svc} uses ${percent} of its CPU limit with little traffic`,
        description: `${svc} has used ${percent} of its CPU limit for 30 minutes while serving under ${String(thresholds.inefficientMaxRequestsPerSecond)} requests a second: a busy loop, a leak or work in the wrong place.`,
      },
    },
    {
      alert: 'HighWorkflowFailures',
      expr:
        `sum by (${byServiceWorkflow}) (rate(${workflows}{${L.workflowStatus.name}=~"failure|timeout"}[${d(15)}]))` +
        ` / sum by (${byServiceWorkflow}) (rate(${workflows}[${d(15)}])) > ${String(t.workflowFailureRatio)}` +
        ` and on (${byServiceWorkflow}) sum by (${byServiceWorkflow}) (increase(${workflows}[${d(15)}])) >= ${String(thresholds.workflowMinExecutions)}`,
      for: d(5),
      labels: { severity: 'warning', category: 'business' },
      annotations: {
        summary: `${svc}: ${percent} of ${on(workflow)} runs fail`,
        description: `${percent} of the ${on(workflow)} workflow's executions failed or timed out over the last 15 minutes (threshold ${String(t.workflowFailureRatio * 100)}%).`,
      },
    },
  ];
  if (thresholds.minSessionsPerHour !== undefined)
    rules.push({
      alert: 'LowUserEngagement',
      // Only with a full hour of data: a partial window under-counts and would fire after every restart.
      expr:
        `sum(increase(${METRICS.userSessionsStarted.name}[${d(60)}])) < ${String(thresholds.minSessionsPerHour)}` +
        ` and on () count(${METRICS.userSessionsStarted.name} offset ${d(60)}) > 0`,
      for: d(30),
      labels: { severity: 'warning', category: 'business' },
      annotations: {
        summary: 'Only {{ $value | humanize }} sessions started in the last hour',
        description: `Users started {{ $value | humanize }} sessions across the platform in the last hour (threshold ${String(thresholds.minSessionsPerHour)}).`,
      },
    });
  return rules;
}
