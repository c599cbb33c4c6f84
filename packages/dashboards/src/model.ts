/**
 * Dashboards as data: what a panel shows and how, independent of the tool that draws it.
 * Grafana's JSON is one rendering (`grafana.ts`); the hub's UI draws the same model.
 */
import type { AlertName } from '@pyairtable/conventions';

/** The folders Grafana shows, each provisioned from its own directory. */
export const DASHBOARD_FOLDERS = {
  platform: { title: 'PyAirtable platform', uid: 'pyairtable-platform' },
  infrastructure: { title: 'PyAirtable infrastructure', uid: 'pyairtable-infrastructure' },
  cost: { title: 'PyAirtable cost', uid: 'pyairtable-cost' },
} as const;
export type DashboardFolder = keyof typeof DASHBOARD_FOLDERS;

export type PanelKind = 'timeseries' | 'stat' | 'gauge' | 'bargauge' | 'table' | 'heatmap';

/**
 * Units by Grafana's ids: `s` seconds, `bytes` IEC bytes, `percentunit` a 0-1 ratio, `reqps`,
 * `ops`, `short` a plain number, `currencyUSD`, `Bps` bytes per second, `none`.
 */
export type Unit = 's' | 'bytes' | 'Bps' | 'percentunit' | 'reqps' | 'ops' | 'short' | 'currencyUSD' | 'none';

export interface Query {
  /** PromQL; may use Grafana's `$__rate_interval`, `$__range` and the dashboard's variables. */
  readonly expr: string;
  /** Series name template (`{{service}}`). */
  readonly legend?: string;
  /** One value per series at the end of the range (stat, gauge, bar gauge, table). */
  readonly instant?: boolean;
}

/** A level drawn on the panel: the alert that decides at it, when one does. */
export interface Threshold {
  readonly value: number;
  readonly color: 'orange' | 'red';
  /** Bad below the value (up, sessions), not above it. */
  readonly below?: boolean;
  readonly alert?: AlertName;
  /** Of an alert with several rules: the labels of the rule this panel shows (`database`). */
  readonly alertLabels?: Readonly<Record<string, string>>;
}

export interface Panel {
  readonly title: string;
  /** What it shows and how to read it: Grafana's panel info tooltip. */
  readonly description: string;
  readonly kind: PanelKind;
  readonly unit: Unit;
  readonly queries: readonly Query[];
  readonly thresholds?: readonly Threshold[];
  readonly min?: number;
  readonly max?: number;
  /** Grid columns out of 24; the row's panels share the width when left out. */
  readonly width?: number;
  readonly height?: number;
  /** Time series stacked (shares of a whole). */
  readonly stacked?: boolean;
}

export interface Row {
  readonly title: string;
  readonly panels: readonly Panel[];
}

/** A template variable whose values come from a label of a metric. */
export interface LabelVariable {
  readonly kind: 'label';
  readonly name: string;
  readonly label: string;
  /** The metric whose label values are offered. */
  readonly metric: string;
  /** Label matchers on that metric, using earlier variables (`service=~"$service"`). */
  readonly matchers?: string;
  /** The label whose values are offered (default: the variable's name). */
  readonly from?: string;
}

/**
 * The Prometheus to read: one per environment (the stack's Prometheus carries the environment as
 * an external label, not as a series label), so the environment is chosen by datasource.
 */
export interface DatasourceVariable {
  readonly kind: 'datasource';
  readonly name: string;
  readonly label: string;
}

export type Variable = LabelVariable | DatasourceVariable;

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly folder: DashboardFolder;
  readonly description: string;
  readonly tags: readonly string[];
  readonly variables: readonly Variable[];
  readonly rows: readonly Row[];
}

/** Where a panel is: its dashboard and its id in the rendered dashboard (1-based, row order). */
export interface PanelAddress {
  readonly dashboard: Dashboard;
  readonly panel: Panel;
  readonly id: number;
}

/**
 * Every panel with the id the renderers give it: rows take ids too, so a panel's id counts the
 * rows and panels before it.
 */
export function panelAddresses(dashboard: Dashboard): PanelAddress[] {
  const addresses: PanelAddress[] = [];
  let id = 0;
  for (const row of dashboard.rows) {
    id += 1;
    for (const panel of row.panels) {
      id += 1;
      addresses.push({ dashboard, panel, id });
    }
  }
  return addresses;
}
