/**
 * Every dashboard panel shows data, proven against the real engines: local mode with Prometheus,
 * Alertmanager, the node, Redis and PostgreSQL exporters, Redis, PostgreSQL and the demo under
 * traffic with its incidents switched on. Each query of each panel, with Grafana's macros and
 * the variables' "All" substituted, must return at least one series from Prometheus's HTTP API.
 * Panels over engines that cannot run here (cAdvisor, the collector) are checked by name only,
 * by the linter, against the metric names those exporters publish.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPEC_THRESHOLDS } from '@pyairtable/conventions';
import type { Dashboard, Panel } from '@pyairtable/dashboards';
import {
  buildDashboards,
  panelAddresses,
  parsePromql,
  readExporterCatalog,
  substituteMacros,
} from '@pyairtable/dashboards';
import { PROFILES } from '@pyairtable/stack';
import { ENGINES, engineAvailable, tempDir } from '@pyairtable/test-support';
import type { Up } from './obs-process.js';
import {
  PORT_OFFSETS,
  componentUrl,
  demoUpArgs,
  obs,
  removeRelocatedCluster,
  startUp,
  stopUp,
  until,
} from './obs-process.js';

const ENGINES_NEEDED = [
  ENGINES.prometheus,
  ENGINES.alertmanager,
  ENGINES.nodeExporter,
  ENGINES.redis,
  ENGINES.redisExporter,
  ENGINES.postgresExporter,
];

/**
 * Macros as Grafana fills them for the last minutes. The rate window is wider than four scrape
 * intervals (Grafana's least) so a rarely called path, such as an Airtable call on a cache miss,
 * has had a call in it.
 */
const LIVE_MACROS = { $__rate_interval: '1m', $__range: '10m', $__interval: '5s' };
/** The variables' "All". */
const ALL = { $service: '.*', $instance: '.*' };

function liveExpr(expr: string): string {
  let result = substituteMacros(expr, LIVE_MACROS);
  for (const [variable, value] of Object.entries(ALL)) result = result.split(variable).join(value);
  return result;
}

/** Metrics of exporters that do not run in local mode: their panels are checked by name only. */
const NAME_ONLY = new Set(
  (['cadvisor', 'otelcol'] as const).flatMap((exporter) => [...readExporterCatalog(exporter).keys()]),
);

function checkedByNameOnly(panel: Panel): boolean {
  return panel.queries.some((query) =>
    parsePromql(query.expr).selectors.some((selector) => NAME_ONLY.has(selector.metric)),
  );
}

async function seriesCount(prometheusUrl: string, expr: string): Promise<number> {
  const response = await fetch(`${prometheusUrl}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: liveExpr(expr) }),
  });
  const body = (await response.json()) as { status: string; error?: string; data?: { result: unknown[] } };
  if (body.status !== 'success') throw new Error(`Prometheus refused ${liveExpr(expr)}: ${body.error ?? ''}`);
  return body.data?.result.length ?? 0;
}

/** The queries of a panel that return nothing. */
async function emptyQueries(prometheusUrl: string, panel: Panel): Promise<string[]> {
  const empty: string[] = [];
  for (const query of panel.queries)
    if ((await seriesCount(prometheusUrl, query.expr)) === 0) empty.push(query.expr);
  return empty;
}

describe.runIf(ENGINES_NEEDED.every((engine) => engineAvailable(engine)))(
  'every dashboard panel against the real engines in local mode',
  () => {
    const dir = tempDir('obs-dashboards');
    const offset = PORT_OFFSETS.dashboardsLive;
    let up: Up | undefined;
    let traffic: Promise<unknown> | undefined;
    const dashboards: Dashboard[] = buildDashboards({ ...SPEC_THRESHOLDS, ...PROFILES.development.alerts });

    const url = (role: string): string => componentUrl(up, role);

    beforeAll(async () => {
      up = await startUp(demoUpArgs(dir.path, offset), process.env);
      // Every incident at once, long enough to fire their alerts; one request the hub refuses.
      traffic = obs(
        ['traffic', '--data-dir', dir.path, '--rate', '20', '--duration', '60'].concat(
          ['errors', 'auth-failures', 'workflow-failures', 'ai-cost-spike'].flatMap((fault) => [
            '--fault',
            fault,
          ]),
        ),
      );
      await fetch(`${up.state.otlpHttpUrl}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{not json',
      });
      const prometheus = url('prometheus');
      await until(
        async () =>
          (await seriesCount(prometheus, 'ALERTS{alertstate="firing", alertname="HighErrorRate"}')) > 0,
        60_000,
        'HighErrorRate firing',
        1_000,
      );
    }, 180_000);

    afterAll(async () => {
      await traffic;
      await stopUp(up);
      dir.cleanup();
      removeRelocatedCluster(dir.path);
    }, 120_000);

    it('runs PostgreSQL too, so its dashboard is proven live', () => {
      expect(up?.state.components.map((component) => component.name)).toContain('postgres');
    });

    it('every query of every panel returns data, except the panels over engines that cannot run here', async () => {
      const prometheus = url('prometheus');
      const panels = dashboards.flatMap((dashboard) =>
        panelAddresses(dashboard).map(({ panel }) => ({
          name: `${dashboard.title} / ${panel.title}`,
          panel,
        })),
      );
      const live = panels.filter(({ panel }) => !checkedByNameOnly(panel));
      // Each query must return series at least once within the deadline: a path the traffic
      // takes rarely may have had no call in one window, and a misspelt metric never has one.
      const waiting = new Map(live.map((entry) => [entry.name, entry.panel]));
      const lastEmpty = new Map<string, string[]>();
      const deadline = Date.now() + 45_000;
      while (waiting.size > 0 && Date.now() < deadline) {
        for (const [name, panel] of waiting) {
          const empty = await emptyQueries(prometheus, panel);
          if (empty.length === 0) waiting.delete(name);
          else lastEmpty.set(name, empty);
        }
        if (waiting.size > 0) await new Promise((resolve) => setTimeout(resolve, 3_000));
      }
      const failures = [...waiting.keys()].map(
        (name) => `${name}: no series for ${(lastEmpty.get(name) ?? []).join(' ; ')}`,
      );
      const byName = panels.length - live.length;
      console.info(
        `${String(live.length - waiting.size)} of ${String(panels.length)} panels return data live; ${String(byName)} checked by name`,
      );
      expect(failures).toEqual([]);
      expect(byName).toBeLessThan(panels.length / 4);
    }, 120_000);

    it('fails a panel over a misspelt metric (the negative control)', async () => {
      const misspelt: Panel = {
        title: 'misspelt',
        description: 'a request rate over a metric that does not exist',
        kind: 'timeseries',
        unit: 'reqps',
        queries: [
          {
            expr: 'sum(rate(http_server_request_duraton_seconds_count{service=~"$service"}[$__rate_interval]))',
          },
        ],
      };
      expect(await emptyQueries(url('prometheus'), misspelt)).toHaveLength(1);
    });
  },
);
