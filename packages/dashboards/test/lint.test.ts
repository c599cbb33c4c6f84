/**
 * Every dashboard passes the linter against the real catalogs, and the linter finds each kind of
 * defect it exists for (a misspelt metric, a rate over a gauge, a quantile over counts, a fixed
 * rate window, a missing variable matcher, broken PromQL, a panel without description or unit).
 */
import { describe, expect, it } from 'vitest';
import { METRICS, SPEC_THRESHOLDS } from '@pyairtable/conventions';
import type { Dashboard, Exporter, Panel } from '@pyairtable/dashboards';
import {
  EXPORTER_METRICS,
  buildDashboards,
  lintDashboards,
  lookUp,
  readExporterCatalog,
} from '@pyairtable/dashboards';
import { PROFILES } from '@pyairtable/stack';
import { fullCatalog } from './catalog.js';

const catalog = fullCatalog();
const thresholds = { ...SPEC_THRESHOLDS, ...PROFILES.production.alerts };
const dashboards = buildDashboards(thresholds);

/** One dashboard with one panel over the given query, with the `$service` variable. */
function withQuery(expr: string, overrides: Partial<Panel> = {}): Dashboard {
  const base = dashboards[0];
  if (base === undefined) throw new Error('no dashboards');
  return {
    ...base,
    rows: [
      {
        title: 'probe',
        panels: [
          {
            title: 'probe',
            description: 'probe',
            kind: 'timeseries',
            unit: 'short',
            queries: [{ expr }],
            ...overrides,
          },
        ],
      },
    ],
  };
}

const rulesFound = (dashboard: Dashboard): string[] =>
  lintDashboards([dashboard], catalog).map((problem) => problem.rule);

const http = METRICS.httpServerRequestDuration.name;

describe('the dashboard linter', () => {
  it('passes every dashboard of every profile', () => {
    for (const profile of Object.values(PROFILES)) {
      const problems = lintDashboards(buildDashboards({ ...SPEC_THRESHOLDS, ...profile.alerts }), catalog);
      expect(
        problems.map(
          (problem) => `${problem.dashboard} / ${problem.panel}: [${problem.rule}] ${problem.message}`,
        ),
      ).toEqual([]);
    }
  });

  it('accepts a well-formed query (the control for the defects below)', () => {
    expect(
      rulesFound(withQuery(`sum by (service) (rate(${http}_count{service=~"$service"}[$__rate_interval]))`)),
    ).toEqual([]);
  });

  it.each([
    ['known-metric', `sum(rate(${http}_cuont{service=~"$service"}[$__rate_interval]))`],
    [
      'known-metric',
      `sum(rate(pyairtable_user_sesions_started_total{service=~"$service"}[$__rate_interval]))`,
    ],
    ['rate-counters', `rate(${METRICS.userSessionsActive.name}{service=~"$service"}[$__rate_interval])`],
    [
      'quantile-buckets',
      `histogram_quantile(0.95, sum by (le) (rate(${http}_count{service=~"$service"}[$__rate_interval])))`,
    ],
    ['rate-interval', `rate(${http}_count{service=~"$service"}[5m])`],
    ['variable-matchers', `sum(rate(${http}_count[$__rate_interval]))`],
    ['promql-parses', `sum(rate(${http}_count{service=~"$service"}[$__rate_interval])`],
    ['promql-parses', `sum by service (${http}_count{service=~"$service"})`],
  ])('finds %s in %s', (rule, expr) => {
    expect(rulesFound(withQuery(expr))).toContain(rule);
  });

  it('finds a panel without description or unit', () => {
    const expr = `sum(rate(${http}_count{service=~"$service"}[$__rate_interval]))`;
    expect(rulesFound(withQuery(expr, { description: ' ' }))).toEqual(['description']);
    expect(rulesFound(withQuery(expr, { unit: '' as Panel['unit'] }))).toEqual(['unit']);
  });

  it('asks for $instance on the metrics of the exporter the variable lists', () => {
    const host = dashboards.find((dashboard) => dashboard.uid === 'pyairtable-host');
    if (host === undefined) throw new Error('no host dashboard');
    const probe = (expr: string): Dashboard => ({ ...withQuery(expr), variables: host.variables });
    expect(rulesFound(probe(EXPORTER_METRICS.node.load1))).toEqual(['variable-matchers']);
    expect(rulesFound(probe(`${EXPORTER_METRICS.node.load1}{instance=~"$instance"}`))).toEqual([]);
  });
});

describe('the exporter metrics the stack reads', () => {
  it('are each in the catalog of the exporter they are filed under', () => {
    for (const [exporter, metrics] of Object.entries(EXPORTER_METRICS) as [
      Exporter,
      Record<string, string>,
    ][]) {
      const recorded = ['runtime', 'hub'].includes(exporter) ? catalog : readExporterCatalog(exporter);
      for (const name of Object.values(metrics))
        expect(lookUp(recorded, name)?.source, `${exporter}: ${name}`).toBe(exporter);
    }
  });
});
