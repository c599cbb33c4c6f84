/**
 * The platform folder: the overview of every service, one service in depth, the calls between
 * services, business activity and security.
 */
import { METRICS, METRIC_LABELS as L, SERVICES_JOB } from '@pyairtable/conventions';
import { EXPORTER_METRICS as X } from '../exporters.js';
import type { Dashboard } from '../model.js';
import {
  RANGE,
  eq,
  increase,
  ne,
  quantile,
  rate,
  re,
  selector,
  series,
  serviceMatch,
  sumBy,
} from '../promql.js';
import type { DashboardThresholds } from './common.js';
import {
  SERVICE,
  environmentVariable,
  failingShare,
  forServices,
  httpErrorRatio,
  instant,
  legend,
  query,
  requestRate,
  serviceVariable,
} from './common.js';

const http = METRICS.httpServerRequestDuration;
const client = METRICS.httpClientRequestDuration;
const db = METRICS.dbClientOperationDuration;
const servicesUp = selector(X.prometheus.up, eq('job', SERVICES_JOB), serviceMatch);

export function platformOverview(t: DashboardThresholds): Dashboard {
  return {
    uid: 'pyairtable-platform-overview',
    title: 'Platform overview',
    folder: 'platform',
    description: 'Every service at a glance: up, traffic, errors, latency, saturation and firing alerts.',
    tags: ['pyairtable', 'platform', 'red'],
    variables: [environmentVariable, serviceVariable],
    rows: [
      {
        title: 'Now',
        panels: [
          {
            title: 'Services up',
            description: 'Whether Prometheus reached each service at its last scrape (1 up, 0 down).',
            kind: 'stat',
            unit: 'none',
            queries: [instant(`min by (${SERVICE}) (${servicesUp})`, legend(SERVICE))],
            thresholds: [{ value: 1, color: 'red', below: true, alert: 'ServiceDown' }],
            width: 12,
          },
          {
            title: 'Firing alerts',
            description: 'Alerts firing now, by name and severity (pending ones are not counted).',
            kind: 'table',
            unit: 'none',
            queries: [
              instant(
                `count by (alertname, severity) (${selector(X.prometheus.alerts, eq('alertstate', 'firing'))})`,
              ),
            ],
            width: 12,
          },
        ],
      },
      {
        title: 'Golden signals',
        panels: [
          {
            title: 'Request rate',
            description: 'HTTP requests served a second, by service.',
            kind: 'timeseries',
            unit: 'reqps',
            queries: [query(requestRate([SERVICE]), legend(SERVICE))],
          },
          {
            title: 'Error ratio',
            description: 'Share of requests answered 5xx. HighErrorRate fires above the line.',
            kind: 'timeseries',
            unit: 'percentunit',
            queries: [query(httpErrorRatio([SERVICE]), legend(SERVICE))],
            thresholds: [{ value: t.errorRatio, color: 'red', alert: 'HighErrorRate' }],
          },
          {
            title: 'Latency p95',
            description: '95th percentile of request duration. HighResponseTime fires above the line.',
            kind: 'timeseries',
            unit: 's',
            queries: [query(quantile(0.95, http, [SERVICE], serviceMatch), legend(SERVICE))],
            thresholds: [{ value: t.p95Seconds, color: 'red', alert: 'HighResponseTime' }],
          },
        ],
      },
      {
        title: 'Latency and saturation',
        panels: [
          {
            title: 'Latency p50, p95, p99',
            description: 'Request duration percentiles across the selected services.',
            kind: 'timeseries',
            unit: 's',
            queries: [0.5, 0.95, 0.99].map((q) =>
              query(quantile(q, http, [], serviceMatch), `p${String(q * 100)}`),
            ),
          },
          {
            title: 'Requests in flight',
            description: 'Requests being served right now, by service: queueing shows here first.',
            kind: 'timeseries',
            unit: 'short',
            queries: [
              query(sumBy([SERVICE], forServices(METRICS.httpServerActiveRequests.name)), legend(SERVICE)),
            ],
          },
          {
            title: 'Event loop lag p99',
            description:
              "The Node event loop's 99th percentile delay, by service: a busy process answers late.",
            kind: 'timeseries',
            unit: 's',
            queries: [
              query(`max by (${SERVICE}) (${forServices(X.runtime.eventLoopLagP99)})`, legend(SERVICE)),
            ],
          },
        ],
      },
    ],
  };
}

export function serviceDrillDown(t: DashboardThresholds): Dashboard {
  const route = L.httpRoute.name;
  const status = L.httpResponseStatusCode.name;
  const peer = L.serverAddress.name;
  const system = L.dbSystemName.name;
  const operation = L.dbOperationName.name;
  return {
    uid: 'pyairtable-service',
    title: 'Service drill-down',
    folder: 'platform',
    description:
      'One service in depth: RED per route, status codes, its outgoing calls and databases, its runtime.',
    tags: ['pyairtable', 'platform', 'red'],
    variables: [environmentVariable, serviceVariable],
    rows: [
      {
        title: 'Routes',
        panels: [
          {
            title: 'Requests by route',
            description: 'Requests a second, by route.',
            kind: 'timeseries',
            unit: 'reqps',
            queries: [query(requestRate([SERVICE, route]), legend(SERVICE, route))],
          },
          {
            title: 'Error ratio by route',
            description: 'Share of each route’s requests answered 5xx.',
            kind: 'timeseries',
            unit: 'percentunit',
            queries: [query(httpErrorRatio([SERVICE, route]), legend(SERVICE, route))],
            thresholds: [{ value: t.errorRatio, color: 'red', alert: 'HighErrorRate' }],
          },
          {
            title: 'Latency p95 by route',
            description: '95th percentile of request duration, by route.',
            kind: 'timeseries',
            unit: 's',
            queries: [query(quantile(0.95, http, [SERVICE, route], serviceMatch), legend(SERVICE, route))],
            thresholds: [{ value: t.p95Seconds, color: 'red', alert: 'HighResponseTime' }],
          },
          {
            title: 'Latency distribution',
            description:
              'Requests a second by duration bucket: where the bulk of requests lands, and the tail.',
            kind: 'heatmap',
            unit: 's',
            queries: [query(sumBy(['le'], rate(series(http, 'bucket'), serviceMatch)), legend('le'))],
          },
          {
            title: 'Status codes',
            description: 'Responses a second, by status code.',
            kind: 'timeseries',
            unit: 'reqps',
            stacked: true,
            queries: [query(requestRate([status]), legend(status))],
          },
        ],
      },
      {
        title: 'Outgoing calls',
        panels: [
          {
            title: 'Calls by destination',
            description: 'HTTP calls this service makes a second, by the server called.',
            kind: 'timeseries',
            unit: 'reqps',
            queries: [
              query(
                sumBy([SERVICE, peer], rate(series(client, 'count'), serviceMatch)),
                legend(SERVICE, peer),
              ),
            ],
          },
          {
            title: 'Call latency p95 by destination',
            description: '95th percentile of outgoing call duration, by the server called.',
            kind: 'timeseries',
            unit: 's',
            queries: [query(quantile(0.95, client, [SERVICE, peer], serviceMatch), legend(SERVICE, peer))],
          },
        ],
      },
      {
        title: 'Databases',
        panels: [
          {
            title: 'Database operations',
            description: 'Database and cache operations a second, by system and operation.',
            kind: 'timeseries',
            unit: 'ops',
            queries: [
              query(
                sumBy([system, operation], rate(series(db, 'count'), serviceMatch)),
                legend(system, operation),
              ),
            ],
          },
          {
            title: 'Database operation p95',
            description:
              '95th percentile of database operation time. SlowDatabaseQueries fires above the line.',
            kind: 'timeseries',
            unit: 's',
            queries: [query(quantile(0.95, db, [SERVICE, system], serviceMatch), legend(SERVICE, system))],
            thresholds: [{ value: t.slowQuerySeconds, color: 'red', alert: 'SlowDatabaseQueries' }],
          },
          {
            title: 'Database operations failing',
            description: 'Share of database operations that failed. DatabaseCritical fires above the line.',
            kind: 'timeseries',
            unit: 'percentunit',
            queries: [
              query(
                failingShare(series(db, 'count'), ne(L.errorType.name, ''), [SERVICE, system]),
                legend(SERVICE, system),
              ),
            ],
            thresholds: [{ value: t.dbErrorRatio, color: 'red', alert: 'DatabaseCritical' }],
          },
        ],
      },
      {
        title: 'Runtime',
        panels: [
          {
            title: 'Event loop lag p99',
            description: "The Node event loop's 99th percentile delay.",
            kind: 'timeseries',
            unit: 's',
            queries: [
              query(`max by (${SERVICE}) (${forServices(X.runtime.eventLoopLagP99)})`, legend(SERVICE)),
            ],
          },
          {
            title: 'Heap',
            description: 'V8 heap used and its current size.',
            kind: 'timeseries',
            unit: 'bytes',
            queries: [
              query(sumBy([SERVICE], forServices(X.runtime.heapUsed)), `${legend(SERVICE)} used`),
              query(sumBy([SERVICE], forServices(X.runtime.heapTotal)), `${legend(SERVICE)} size`),
            ],
          },
          {
            title: 'Garbage collection',
            description: 'Share of time spent in garbage collection, by kind of collection.',
            kind: 'timeseries',
            unit: 'percentunit',
            stacked: true,
            queries: [
              query(
                sumBy([SERVICE, 'kind'], rate(`${X.runtime.gcDuration}_sum`, serviceMatch)),
                legend(SERVICE, 'kind'),
              ),
            ],
          },
          {
            title: 'Process CPU',
            description: 'CPU cores the process uses (user and system time).',
            kind: 'timeseries',
            unit: 'short',
            queries: [
              query(sumBy([SERVICE], rate(X.runtime.cpuSeconds, serviceMatch)), `${legend(SERVICE)} cores`),
            ],
          },
        ],
      },
    ],
  };
}

export function requestFlow(t: DashboardThresholds): Dashboard {
  const peer = L.serverAddress.name;
  const count = series(client, 'count');
  return {
    uid: 'pyairtable-request-flow',
    title: 'Request flow',
    folder: 'platform',
    description: 'Calls between services as the callers see them (the client side of each call).',
    tags: ['pyairtable', 'platform', 'dependencies'],
    variables: [environmentVariable, serviceVariable],
    rows: [
      {
        title: 'Calls',
        panels: [
          {
            title: 'Calls between services',
            description: 'Calls a second from each service (caller) to each server it calls, now.',
            kind: 'table',
            unit: 'reqps',
            queries: [instant(sumBy([SERVICE, peer], rate(count, serviceMatch)))],
          },
          {
            title: 'Call rate',
            description: 'Calls a second, by caller and destination.',
            kind: 'timeseries',
            unit: 'reqps',
            queries: [
              query(
                sumBy([SERVICE, peer], rate(count, serviceMatch)),
                `${legend(SERVICE)} → ${legend(peer)}`,
              ),
            ],
          },
          {
            title: 'Failing calls',
            description: 'Share of calls answered 5xx, by caller and destination.',
            kind: 'timeseries',
            unit: 'percentunit',
            queries: [
              query(
                failingShare(count, re(L.httpResponseStatusCode.name, '5..'), [SERVICE, peer]),
                `${legend(SERVICE)} → ${legend(peer)}`,
              ),
            ],
            thresholds: [{ value: t.errorRatio, color: 'red' }],
          },
          {
            title: 'Call latency p95',
            description: '95th percentile of call duration, by caller and destination.',
            kind: 'timeseries',
            unit: 's',
            queries: [
              query(
                quantile(0.95, client, [SERVICE, peer], serviceMatch),
                `${legend(SERVICE)} → ${legend(peer)}`,
              ),
            ],
            thresholds: [{ value: t.p95Seconds, color: 'orange' }],
          },
        ],
      },
    ],
  };
}

export function businessActivity(t: DashboardThresholds): Dashboard {
  const workflows = METRICS.workflowExecutions.name;
  const workflow = L.workflowName.name;
  const airtable = METRICS.airtableApiCalls.name;
  const cache = METRICS.cacheLookups.name;
  return {
    uid: 'pyairtable-business',
    title: 'Business activity',
    folder: 'platform',
    description: 'Sessions, logins, workflows, Airtable calls and the cache, as the services count them.',
    tags: ['pyairtable', 'platform', 'business'],
    variables: [environmentVariable, serviceVariable],
    rows: [
      {
        title: 'Users',
        panels: [
          {
            title: 'Sessions started per hour',
            description:
              'Sessions started over the last hour. LowUserEngagement fires below the line, where the profile sets one.',
            kind: 'timeseries',
            unit: 'short',
            queries: [
              query(sumBy([], increase(METRICS.userSessionsStarted.name, '1h', serviceMatch)), 'sessions'),
            ],
            ...(t.minSessionsPerHour === undefined
              ? {}
              : {
                  thresholds: [
                    { value: t.minSessionsPerHour, color: 'orange', below: true, alert: 'LowUserEngagement' },
                  ],
                }),
          },
          {
            title: 'Active sessions',
            description: 'Sessions open now, by service.',
            kind: 'timeseries',
            unit: 'short',
            queries: [query(sumBy([SERVICE], forServices(METRICS.userSessionsActive.name)), legend(SERVICE))],
          },
          {
            title: 'Logins by method',
            description: 'Successful logins a second, by method.',
            kind: 'timeseries',
            unit: 'ops',
            stacked: true,
            queries: [
              query(
                sumBy([L.authMethod.name], rate(METRICS.userLogins.name, serviceMatch)),
                legend(L.authMethod.name),
              ),
            ],
          },
        ],
      },
      {
        title: 'Workflows',
        panels: [
          {
            title: 'Workflow runs by status',
            description: 'Workflow executions a second, by outcome.',
            kind: 'timeseries',
            unit: 'ops',
            stacked: true,
            queries: [
              query(
                sumBy([L.workflowStatus.name], rate(workflows, serviceMatch)),
                legend(L.workflowStatus.name),
              ),
            ],
          },
          {
            title: 'Workflow failure ratio',
            description:
              'Share of each workflow’s runs failing or timing out. HighWorkflowFailures fires above the line.',
            kind: 'timeseries',
            unit: 'percentunit',
            queries: [
              query(
                failingShare(workflows, re(L.workflowStatus.name, 'failure|timeout'), [SERVICE, workflow]),
                legend(workflow),
              ),
            ],
            thresholds: [{ value: t.workflowFailureRatio, color: 'red', alert: 'HighWorkflowFailures' }],
          },
          {
            title: 'Workflow duration p95',
            description: '95th percentile of workflow run time, by workflow.',
            kind: 'timeseries',
            unit: 's',
            queries: [
              query(
                quantile(0.95, METRICS.workflowExecutionDuration, [workflow], serviceMatch),
                legend(workflow),
              ),
            ],
          },
        ],
      },
      {
        title: 'Airtable and cache',
        panels: [
          {
            title: 'Airtable calls by result',
            description: 'Calls to the Airtable API a second, by result.',
            kind: 'timeseries',
            unit: 'ops',
            stacked: true,
            queries: [
              query(
                sumBy([L.airtableResult.name], rate(airtable, serviceMatch)),
                legend(L.airtableResult.name),
              ),
            ],
          },
          {
            title: 'Airtable rate limits',
            description: 'Share of Airtable calls refused with 429 (rate limited).',
            kind: 'timeseries',
            unit: 'percentunit',
            queries: [
              query(
                failingShare(airtable, eq(L.airtableResult.name, 'rate_limited'), [SERVICE]),
                legend(SERVICE),
              ),
            ],
          },
          {
            title: 'Cache hit ratio',
            description: 'Share of cache lookups that found the value, by cache.',
            kind: 'timeseries',
            unit: 'percentunit',
            min: 0,
            max: 1,
            queries: [
              query(
                `1 - ${failingShare(cache, eq(L.cacheResult.name, 'miss'), [SERVICE, L.cacheName.name])}`,
                legend(L.cacheName.name),
              ),
            ],
          },
        ],
      },
    ],
  };
}

export function security(t: DashboardThresholds): Dashboard {
  const auth = METRICS.authEvents.name;
  const suspicious = METRICS.suspiciousActivity.name;
  return {
    uid: 'pyairtable-security',
    title: 'Security',
    folder: 'platform',
    description: 'Authentication failures, suspicious activity and rate limiting.',
    tags: ['pyairtable', 'platform', 'security'],
    variables: [environmentVariable, serviceVariable],
    rows: [
      {
        title: 'Authentication',
        panels: [
          {
            title: 'Authentication failures per minute',
            description:
              'Failed authentications a minute, by service. SecurityIncident fires above the line.',
            kind: 'timeseries',
            unit: 'short',
            queries: [
              query(
                `${sumBy([SERVICE], rate(auth, serviceMatch, eq(L.authResult.name, 'failure')))} * 60`,
                legend(SERVICE),
              ),
            ],
            thresholds: [{ value: t.authFailuresPerMinute, color: 'red', alert: 'SecurityIncident' }],
          },
          {
            title: 'Authentication events',
            description: 'Authentication events a second, by event and result.',
            kind: 'timeseries',
            unit: 'ops',
            queries: [
              query(
                sumBy([L.authEvent.name, L.authResult.name], rate(auth, serviceMatch)),
                legend(L.authEvent.name, L.authResult.name),
              ),
            ],
          },
          {
            title: 'Failure reasons',
            description: 'Failed authentications over the range, by reason.',
            kind: 'bargauge',
            unit: 'short',
            queries: [
              instant(
                sumBy(
                  [L.authReason.name],
                  increase(auth, RANGE, serviceMatch, eq(L.authResult.name, 'failure')),
                ),
                legend(L.authReason.name),
              ),
            ],
          },
        ],
      },
      {
        title: 'Threats',
        panels: [
          {
            title: 'Suspicious activity',
            description:
              'Suspicious activity over the range, by type and severity; high and critical raise SecurityIncident.',
            kind: 'bargauge',
            unit: 'short',
            queries: [
              instant(
                sumBy(
                  [L.suspiciousActivityType.name, L.securitySeverity.name],
                  increase(suspicious, RANGE, serviceMatch),
                ),
                legend(L.suspiciousActivityType.name, L.securitySeverity.name),
              ),
            ],
          },
          {
            title: 'Rate-limit rejections',
            description: 'Requests refused by rate limiting a second, by scope.',
            kind: 'timeseries',
            unit: 'reqps',
            stacked: true,
            queries: [
              query(
                sumBy([L.rateLimitScope.name], rate(METRICS.rateLimitRejections.name, serviceMatch)),
                legend(L.rateLimitScope.name),
              ),
            ],
          },
        ],
      },
    ],
  };
}
