/**
 * The model as Grafana's JSON: every panel where the model puts it, each query on the
 * environment's Prometheus, thresholds drawn at the alert's value, the variables Grafana needs,
 * and each alert's panel found.
 */
import { describe, expect, it } from 'vitest';
import { ALERT_NAMES, SPEC_THRESHOLDS } from '@pyairtable/conventions';
import type { Dashboard } from '@pyairtable/dashboards';
import {
  DASHBOARD_FOLDERS,
  alertPanels,
  buildDashboards,
  grafanaDashboard,
  panelAddresses,
} from '@pyairtable/dashboards';
import { PROFILES } from '@pyairtable/stack';

const thresholds = { ...SPEC_THRESHOLDS, ...PROFILES.production.alerts };
const dashboards = buildDashboards(thresholds);

interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { uid: string };
  targets?: { expr: string; refId: string; datasource: { uid: string } }[];
  fieldConfig?: {
    defaults: { unit?: string; thresholds?: { steps: { value: number | null; color: string }[] } };
  };
}

const grafanaPanels = (dashboard: Dashboard): GrafanaPanel[] =>
  (grafanaDashboard(dashboard).panels ?? []) as unknown as GrafanaPanel[];

describe('Grafana dashboards', () => {
  it('come in the three folders, each with its own uid', () => {
    expect(new Set(dashboards.map((dashboard) => dashboard.folder))).toEqual(
      new Set(Object.keys(DASHBOARD_FOLDERS)),
    );
    expect(new Set(dashboards.map((dashboard) => dashboard.uid)).size).toBe(dashboards.length);
  });

  it.each(dashboards.map((dashboard) => [dashboard.uid, dashboard] as const))(
    '%s: every panel at its id, on the grid, reading the environment variable’s Prometheus',
    (_uid, dashboard) => {
      const panels = grafanaPanels(dashboard);
      const byId = new Map(panels.map((panel) => [panel.id, panel]));
      expect(byId.size).toBe(panels.length);
      for (const address of panelAddresses(dashboard)) {
        const panel = byId.get(address.id);
        expect(panel?.title).toBe(address.panel.title);
        expect(panel?.type).toBe(address.panel.kind);
        expect(panel?.fieldConfig?.defaults.unit).toBe(address.panel.unit);
        expect(panel?.targets?.map((target) => target.expr)).toEqual(
          address.panel.queries.map((query) => query.expr),
        );
        for (const target of panel?.targets ?? []) expect(target.datasource.uid).toBe('${environment}');
        expect((panel?.gridPos.x ?? 0) + (panel?.gridPos.w ?? 99)).toBeLessThanOrEqual(24);
      }
      const json = grafanaDashboard(dashboard);
      expect(json.templating.list?.map((variable) => variable.name)).toEqual(
        dashboard.variables.map((variable) => variable.name),
      );
    },
  );

  it('draws each threshold at its value, with the alert’s colour above it (or below, for "up")', () => {
    const overview = dashboards[0];
    if (overview === undefined) throw new Error('no overview');
    const panels = grafanaPanels(overview);
    const errors = panels.find((panel) => panel.title === 'Error ratio');
    expect(errors?.fieldConfig?.defaults.thresholds?.steps).toEqual([
      { value: null, color: 'green' },
      { value: SPEC_THRESHOLDS.errorRatio, color: 'red' },
    ]);
    const up = panels.find((panel) => panel.title === 'Services up');
    expect(up?.fieldConfig?.defaults.thresholds?.steps).toEqual([
      { value: null, color: 'red' },
      { value: 1, color: 'green' },
    ]);
  });
});

describe('alerts and their panels', () => {
  it('every alert of every profile has a panel drawing its threshold', () => {
    for (const profile of Object.values(PROFILES)) {
      const panels = alertPanels(buildDashboards({ ...SPEC_THRESHOLDS, ...profile.alerts }));
      const expected = ALERT_NAMES.filter(
        (alert) => alert !== 'LowUserEngagement' || profile.alerts.minSessionsPerHour !== undefined,
      );
      expect([...panels.keys()].sort()).toEqual([...expected].sort());
    }
  });

  it('draws the profile’s own numbers, not the spec defaults', () => {
    const development = buildDashboards({ ...SPEC_THRESHOLDS, ...PROFILES.development.alerts });
    const budget = alertPanels(development).get('HighAICosts')?.[0];
    expect(budget?.panel.thresholds?.find((threshold) => threshold.alert === 'HighAICosts')?.value).toBe(
      PROFILES.development.alerts.aiDailyBudgetUsd,
    );
  });
});
