/**
 * The infrastructure folder: the host, the containers against their limits, PostgreSQL, Redis
 * and the observability stack itself.
 */
import { SERVICES_JOB } from '@pyairtable/conventions';
import { CADVISOR_SERVICE_LABEL, EXPORTER_METRICS as X } from '../exporters.js';
import type { Dashboard, Panel } from '../model.js';
import { RANGE, eq, increase, instanceMatch, ne, rate, selector, serviceMatch, sumBy } from '../promql.js';
import type { DashboardThresholds } from './common.js';
import {
  SERVICE,
  environmentVariable,
  instanceVariable,
  instant,
  legend,
  query,
  serviceVariable,
} from './common.js';

const INSTANCE = 'instance';

export function host(): Dashboard {
  const node = X.node;
  const realFilesystems = [instanceMatch, ne('fstype', 'tmpfs'), ne('fstype', 'overlay')] as const;
  return {
    uid: 'pyairtable-host',
    title: 'Host',
    folder: 'infrastructure',
    description:
      'The machines the stack runs on, from the node exporter: CPU, memory, load, filesystems, network, disks.',
    tags: ['pyairtable', 'infrastructure', 'node-exporter'],
    variables: [environmentVariable, instanceVariable(node.load1)],
    rows: [
      {
        title: 'Compute',
        panels: [
          {
            title: 'CPU busy',
            description: 'Share of CPU time not idle, averaged over the cores.',
            kind: 'timeseries',
            unit: 'percentunit',
            min: 0,
            max: 1,
            queries: [
              query(
                `1 - avg by (${INSTANCE}) (${rate(node.cpuSeconds, instanceMatch, eq('mode', 'idle'))})`,
                legend(INSTANCE),
              ),
            ],
          },
          {
            title: 'Memory used',
            description: 'Share of memory not available to new work (MemAvailable against MemTotal).',
            kind: 'gauge',
            unit: 'percentunit',
            min: 0,
            max: 1,
            queries: [
              instant(
                `1 - ${selector(node.memoryAvailable, instanceMatch)} / ${selector(node.memoryTotal, instanceMatch)}`,
                legend(INSTANCE),
              ),
            ],
            thresholds: [
              { value: 0.8, color: 'orange' },
              { value: 0.9, color: 'red' },
            ],
          },
          {
            title: 'Load',
            description: 'Runnable and waiting tasks, averaged over 1, 5 and 15 minutes.',
            kind: 'timeseries',
            unit: 'short',
            queries: [
              query(selector(node.load1, instanceMatch), `${legend(INSTANCE)} 1m`),
              query(selector(node.load5, instanceMatch), `${legend(INSTANCE)} 5m`),
              query(selector(node.load15, instanceMatch), `${legend(INSTANCE)} 15m`),
            ],
          },
        ],
      },
      {
        title: 'Storage and network',
        panels: [
          {
            title: 'Filesystem fill',
            description: 'Share of each filesystem in use (tmpfs and overlay left out).',
            kind: 'bargauge',
            unit: 'percentunit',
            min: 0,
            max: 1,
            queries: [
              instant(
                `1 - ${selector(node.filesystemAvailable, ...realFilesystems)} / ${selector(node.filesystemSize, ...realFilesystems)}`,
                legend(INSTANCE, 'mountpoint'),
              ),
            ],
            thresholds: [
              { value: 0.8, color: 'orange' },
              { value: 0.9, color: 'red' },
            ],
          },
          {
            title: 'Network',
            description: 'Bytes a second received and sent, by interface (loopback left out).',
            kind: 'timeseries',
            unit: 'Bps',
            queries: [
              query(rate(node.networkReceived, instanceMatch, ne('device', 'lo')), `${legend('device')} in`),
              query(
                rate(node.networkTransmitted, instanceMatch, ne('device', 'lo')),
                `${legend('device')} out`,
              ),
            ],
          },
          {
            title: 'Disk throughput',
            description: 'Bytes a second read and written, by disk.',
            kind: 'timeseries',
            unit: 'Bps',
            queries: [
              query(rate(node.diskRead, instanceMatch), `${legend('device')} read`),
              query(rate(node.diskWritten, instanceMatch), `${legend('device')} written`),
            ],
          },
        ],
      },
    ],
  };
}

/** The share of a container's limit in use, by service, as the HighCPUUsage and HighMemoryUsage rules compute it. */
const containerServices = [ne(CADVISOR_SERVICE_LABEL, ''), serviceMatch] as const;

export function containerCpuRatio(): string {
  const c = X.cadvisor;
  const services = containerServices;
  return (
    sumBy([SERVICE], rate(c.cpuSeconds, ...services)) +
    ` / ${sumBy([SERVICE], `${selector(c.cpuQuota, ...services)} / ${selector(c.cpuPeriod, ...services)}`)}`
  );
}

function containerMemoryRatio(): string {
  const c = X.cadvisor;
  const services = containerServices;
  return (
    sumBy([SERVICE], selector(c.memoryWorkingSet, ...services)) +
    ` / ${sumBy([SERVICE], `${selector(c.memoryLimit, ...services)} > 0`)}`
  );
}

export function containers(t: DashboardThresholds): Dashboard {
  const c = X.cadvisor;
  const services = containerServices;
  return {
    uid: 'pyairtable-containers',
    title: 'Containers',
    folder: 'infrastructure',
    description:
      "The services' containers from cAdvisor: CPU and memory against their limits (the alert rules' series), network.",
    tags: ['pyairtable', 'infrastructure', 'cadvisor'],
    variables: [environmentVariable, serviceVariable],
    rows: [
      {
        title: 'Against limits',
        panels: [
          {
            title: 'CPU against limit',
            description: 'CPU used as a share of the container’s limit. HighCPUUsage fires above the line.',
            kind: 'timeseries',
            unit: 'percentunit',
            queries: [query(containerCpuRatio(), legend(SERVICE))],
            thresholds: [{ value: t.cpuRatio, color: 'red', alert: 'HighCPUUsage' }],
          },
          {
            title: 'Memory against limit',
            description:
              'Working set as a share of the container’s memory limit. HighMemoryUsage fires above the line.',
            kind: 'timeseries',
            unit: 'percentunit',
            queries: [query(containerMemoryRatio(), legend(SERVICE))],
            thresholds: [{ value: t.memoryRatio, color: 'red', alert: 'HighMemoryUsage' }],
          },
        ],
      },
      {
        title: 'Usage',
        panels: [
          {
            title: 'CPU cores used',
            description: 'CPU cores each service’s containers use.',
            kind: 'timeseries',
            unit: 'short',
            queries: [query(sumBy([SERVICE], rate(c.cpuSeconds, ...services)), legend(SERVICE))],
          },
          {
            title: 'Memory working set',
            description: 'Memory the kernel will not reclaim from each service’s containers.',
            kind: 'timeseries',
            unit: 'bytes',
            queries: [query(sumBy([SERVICE], selector(c.memoryWorkingSet, ...services)), legend(SERVICE))],
          },
          {
            title: 'Network',
            description: 'Bytes a second received and sent by each service’s containers.',
            kind: 'timeseries',
            unit: 'Bps',
            queries: [
              query(sumBy([SERVICE], rate(c.networkReceived, ...services)), `${legend(SERVICE)} in`),
              query(sumBy([SERVICE], rate(c.networkTransmitted, ...services)), `${legend(SERVICE)} out`),
            ],
          },
        ],
      },
    ],
  };
}

export function postgresql(): Dashboard {
  const pg = X.postgres;
  const databases = [instanceMatch, ne('datname', '')] as const;
  return {
    uid: 'pyairtable-postgresql',
    title: 'PostgreSQL',
    folder: 'infrastructure',
    description:
      'PostgreSQL from its exporter: reachability, connections, transactions, cache hit ratio, deadlocks.',
    tags: ['pyairtable', 'infrastructure', 'postgresql'],
    variables: [environmentVariable, instanceVariable(pg.up)],
    rows: [
      {
        title: 'PostgreSQL',
        panels: [
          {
            title: 'Reachable',
            description:
              'Whether the exporter reached PostgreSQL at its last scrape. DatabaseCritical fires when it did not.',
            kind: 'stat',
            unit: 'none',
            queries: [instant(selector(pg.up, instanceMatch), legend(INSTANCE))],
            thresholds: [
              {
                value: 1,
                color: 'red',
                below: true,
                alert: 'DatabaseCritical',
                alertLabels: { database: 'postgresql' },
              },
            ],
          },
          {
            title: 'Connections in use',
            description: 'Backends connected, as a share of max_connections.',
            kind: 'gauge',
            unit: 'percentunit',
            min: 0,
            max: 1,
            queries: [
              instant(
                `sum by (${INSTANCE}) (${selector(pg.backends, instanceMatch)}) / max by (${INSTANCE}) (${selector(pg.maxConnections, instanceMatch)})`,
                legend(INSTANCE),
              ),
            ],
            thresholds: [
              { value: 0.8, color: 'orange' },
              { value: 0.95, color: 'red' },
            ],
          },
          {
            title: 'Transactions',
            description: 'Commits and rollbacks a second, by database.',
            kind: 'timeseries',
            unit: 'ops',
            queries: [
              query(sumBy(['datname'], rate(pg.commits, ...databases)), `${legend('datname')} commit`),
              query(sumBy(['datname'], rate(pg.rollbacks, ...databases)), `${legend('datname')} rollback`),
            ],
          },
          {
            title: 'Cache hit ratio',
            description:
              'Share of block reads served from shared buffers since the statistics were reset, by database (an idle database keeps its ratio instead of showing none).',
            kind: 'timeseries',
            unit: 'percentunit',
            min: 0,
            max: 1,
            queries: [
              query(
                `${sumBy(['datname'], selector(pg.blocksHit, ...databases))} / (${sumBy(['datname'], selector(pg.blocksHit, ...databases))} + ${sumBy(['datname'], selector(pg.blocksRead, ...databases))} > 0)`,
                legend('datname'),
              ),
            ],
          },
          {
            title: 'Deadlocks',
            description: 'Deadlocks detected over the range, by database.',
            kind: 'stat',
            unit: 'short',
            queries: [
              instant(sumBy(['datname'], increase(pg.deadlocks, RANGE, ...databases)), legend('datname')),
            ],
            thresholds: [{ value: 1, color: 'orange' }],
          },
        ],
      },
    ],
  };
}

export function redis(): Dashboard {
  const r = X.redis;
  return {
    uid: 'pyairtable-redis',
    title: 'Redis',
    folder: 'infrastructure',
    description: 'Redis from its exporter: reachability, operations, hit ratio, memory, evictions, clients.',
    tags: ['pyairtable', 'infrastructure', 'redis'],
    variables: [environmentVariable, instanceVariable(r.up)],
    rows: [
      {
        title: 'Redis',
        panels: [
          {
            title: 'Reachable',
            description:
              'Whether the exporter reached Redis at its last scrape. DatabaseCritical fires when it did not.',
            kind: 'stat',
            unit: 'none',
            queries: [instant(selector(r.up, instanceMatch), legend(INSTANCE))],
            thresholds: [
              {
                value: 1,
                color: 'red',
                below: true,
                alert: 'DatabaseCritical',
                alertLabels: { database: 'redis' },
              },
            ],
          },
          {
            title: 'Operations',
            description: 'Commands processed a second.',
            kind: 'timeseries',
            unit: 'ops',
            queries: [query(rate(r.commands, instanceMatch), legend(INSTANCE))],
          },
          {
            title: 'Keyspace hit ratio',
            description: 'Share of key lookups that found the key.',
            kind: 'timeseries',
            unit: 'percentunit',
            min: 0,
            max: 1,
            queries: [
              query(
                `${rate(r.keyspaceHits, instanceMatch)} / (${rate(r.keyspaceHits, instanceMatch)} + ${rate(r.keyspaceMisses, instanceMatch)} > 0)`,
                legend(INSTANCE),
              ),
            ],
          },
          {
            title: 'Memory',
            description: 'Memory Redis uses, and its maxmemory where one is set.',
            kind: 'timeseries',
            unit: 'bytes',
            queries: [
              query(selector(r.memoryUsed, instanceMatch), `${legend(INSTANCE)} used`),
              query(`${selector(r.memoryMax, instanceMatch)} > 0`, `${legend(INSTANCE)} max`),
            ],
          },
          {
            title: 'Evictions',
            description: 'Keys evicted a second to stay under maxmemory.',
            kind: 'timeseries',
            unit: 'ops',
            queries: [query(rate(r.evictedKeys, instanceMatch), legend(INSTANCE))],
          },
          {
            title: 'Clients',
            description: 'Client connections open.',
            kind: 'timeseries',
            unit: 'short',
            queries: [query(selector(r.clients, instanceMatch), legend(INSTANCE))],
          },
        ],
      },
    ],
  };
}

function collectorPanels(): Panel[] {
  const o = X.otelcol;
  return [
    {
      title: 'Collector spans',
      description: 'Spans the OpenTelemetry Collector accepted, refused, sent and failed to send, a second.',
      kind: 'timeseries',
      unit: 'ops',
      queries: [
        query(sumBy([], rate(o.acceptedSpans)), 'accepted'),
        query(sumBy([], rate(o.refusedSpans)), 'refused'),
        query(sumBy([], rate(o.sentSpans)), 'sent'),
        query(sumBy([], rate(o.failedSpans)), 'failed'),
      ],
    },
    {
      title: 'Collector export queue',
      description: 'Batches waiting in each exporter’s queue, as a share of its capacity.',
      kind: 'timeseries',
      unit: 'percentunit',
      queries: [
        query(
          `max by (exporter) (${o.queueSize}) / max by (exporter) (${o.queueCapacity})`,
          legend('exporter'),
        ),
      ],
      thresholds: [{ value: 0.8, color: 'red' }],
    },
  ];
}

function hubPanels(): Panel[] {
  const h = X.hub;
  return [
    {
      title: 'Hub spans and logs',
      description:
        'Spans and log records the hub (local mode) received and stored, and spans evicted by retention, a second.',
      kind: 'timeseries',
      unit: 'ops',
      queries: [
        query(sumBy([], rate(h.spansReceived)), 'spans received'),
        query(sumBy([], rate(h.spansStored)), 'spans stored'),
        query(sumBy([], rate(h.spansEvicted)), 'spans evicted'),
        query(sumBy([], rate(h.logRecordsStored)), 'log records stored'),
      ],
    },
    {
      title: 'Hub refusals',
      description: 'Requests the hub refused, by reason, over the range.',
      kind: 'bargauge',
      unit: 'short',
      queries: [instant(sumBy(['reason'], increase(h.requestsRefused, RANGE)), legend('reason'))],
    },
    {
      title: 'Hub memory',
      description: 'Memory held by requests being decoded, against the hub’s budget.',
      kind: 'timeseries',
      unit: 'bytes',
      queries: [query(sumBy([], h.memoryHeld), 'held'), query(sumBy([], h.memoryBudget), 'budget')],
    },
  ];
}

export function observabilityStack(): Dashboard {
  const p = X.prometheus;
  const a = X.alertmanager;
  return {
    uid: 'pyairtable-observability',
    title: 'Observability stack',
    folder: 'infrastructure',
    description:
      'The stack watching itself: scrapes, Prometheus storage and rules, Alertmanager, the collector (Compose) or the hub (local mode).',
    tags: ['pyairtable', 'infrastructure', 'observability'],
    variables: [environmentVariable],
    rows: [
      {
        title: 'Prometheus',
        panels: [
          {
            title: 'Targets up by job',
            description: 'Scrape targets that answered, out of all, by job.',
            kind: 'table',
            unit: 'short',
            queries: [instant(`sum by (job) (${p.up})`, 'up'), instant(`count by (job) (${p.up})`, 'all')],
          },
          {
            title: 'Scrape duration',
            description: 'Slowest scrape of each job.',
            kind: 'timeseries',
            unit: 's',
            queries: [query(`max by (job) (${p.scrapeDuration})`, legend('job'))],
          },
          {
            title: 'Head series and samples',
            description: 'Series in the head block, and samples appended a second.',
            kind: 'timeseries',
            unit: 'short',
            queries: [
              query(sumBy([], p.headSeries), 'series'),
              query(sumBy([], rate(p.samplesAppended)), 'samples/s'),
            ],
          },
          {
            title: 'Rule evaluation failures',
            description: 'Rule evaluations that failed over the range (recording and alert rules).',
            kind: 'stat',
            unit: 'short',
            queries: [instant(sumBy([], increase(p.ruleEvaluationFailures, RANGE)), 'failures')],
            thresholds: [{ value: 1, color: 'red' }],
          },
          {
            title: 'Storage',
            description: 'Bytes of persisted blocks.',
            kind: 'stat',
            unit: 'bytes',
            queries: [instant(sumBy([], p.storageBytes), 'blocks')],
          },
        ],
      },
      {
        title: 'Alertmanager',
        panels: [
          {
            title: 'Alerts by state',
            description: 'Alerts Alertmanager holds, active or suppressed.',
            kind: 'timeseries',
            unit: 'short',
            queries: [query(sumBy(['state'], a.alerts), legend('state'))],
          },
          {
            title: 'Notifications',
            description: 'Notifications sent and failed a second, by integration.',
            kind: 'timeseries',
            unit: 'ops',
            queries: [
              query(sumBy(['integration'], rate(a.notifications)), `${legend('integration')} sent`),
              query(sumBy(['integration'], rate(a.notificationsFailed)), `${legend('integration')} failed`),
            ],
          },
          {
            title: 'Prometheus notifications dropped',
            description: 'Alerts Prometheus could not deliver to Alertmanager over the range.',
            kind: 'stat',
            unit: 'short',
            queries: [instant(sumBy([], increase(p.notificationsDropped, RANGE)), 'dropped')],
            thresholds: [{ value: 1, color: 'red' }],
          },
        ],
      },
      { title: 'Trace pipeline: collector', panels: collectorPanels() },
      { title: 'Trace pipeline: hub (local mode)', panels: hubPanels() },
      {
        title: 'Services scraped',
        panels: [
          {
            title: 'Service scrape health',
            description: 'Whether each PyAirtable service answered its last scrape.',
            kind: 'stat',
            unit: 'none',
            queries: [
              instant(`min by (${SERVICE}) (${selector(p.up, eq('job', SERVICES_JOB))})`, legend(SERVICE)),
            ],
            thresholds: [{ value: 1, color: 'red', below: true }],
          },
        ],
      },
    ],
  };
}
