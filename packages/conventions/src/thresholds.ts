/**
 * The spec's alerts and the numbers they decide at. Latency thresholds are shared by the
 * histogram buckets (each is a bucket boundary, so an alert decides exactly at it instead of
 * interpolating inside a bucket), the tail sampler's "slow request" rule, the alert rules and the
 * dashboards' threshold lines.
 */

/** Spec: HighResponseTime fires when the 95th percentile exceeds 2 seconds. */
export const SLOW_REQUEST_SECONDS = 2;

/** Spec: SlowDatabaseQueries fires when query time exceeds 1 second. */
export const SLOW_QUERY_SECONDS = 1;

/** The spec's alerts, by name: the rules and the dashboard panels that show their signals. */
export const ALERT_NAMES = [
  'ServiceDown',
  'HighErrorRate',
  'DatabaseCritical',
  'SecurityIncident',
  'HighResponseTime',
  'HighCPUUsage',
  'HighMemoryUsage',
  'SlowDatabaseQueries',
  'UnusedService',
  'HighAICosts',
  'InefficientResources',
  'LowUserEngagement',
  'HighWorkflowFailures',
] as const;
export type AlertName = (typeof ALERT_NAMES)[number];

/** The spec's own numbers; not profile settings. */
export const SPEC_THRESHOLDS = {
  errorRatio: 0.1,
  p95Seconds: SLOW_REQUEST_SECONDS,
  cpuRatio: 0.8,
  memoryRatio: 0.85,
  slowQuerySeconds: SLOW_QUERY_SECONDS,
  unusedMinutes: 30,
  workflowFailureRatio: 0.1,
} as const;

/** Thresholds the spec leaves open, per profile (justified in each alert's runbook). */
export interface AlertThresholds {
  /** DatabaseCritical: share of an application's database operations failing. */
  readonly dbErrorRatio: number;
  /** SecurityIncident: failed authentications per minute, per service. */
  readonly authFailuresPerMinute: number;
  /** HighAICosts: daily AI spend per service the last hour's pace may not exceed, USD. */
  readonly aiDailyBudgetUsd: number;
  /** InefficientResources: CPU share of the limit used while serving fewer requests than below. */
  readonly inefficientCpuRatio: number;
  readonly inefficientMaxRequestsPerSecond: number;
  /** LowUserEngagement: sessions started per hour across the platform; undefined: no alert. */
  readonly minSessionsPerHour: number | undefined;
  /** HighWorkflowFailures: executions a workflow needs in the window before its ratio counts. */
  readonly workflowMinExecutions: number;
}

/** The Prometheus job scraping PyAirtable services (Docker discovery or static in local mode). */
export const SERVICES_JOB = 'pyairtable-services';
