/**
 * The dashboards model as Grafana's dashboard JSON, through Grafana's own typed builders
 * (@grafana/grafana-foundation-sdk). Queries read the Prometheus chosen by the `environment`
 * variable, which defaults to the provisioned datasource's fixed UID.
 */
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as grafana from '@grafana/grafana-foundation-sdk/dashboard';
import * as gauge from '@grafana/grafana-foundation-sdk/gauge';
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import type { Dashboard, Panel, PanelKind, Threshold, Variable } from './model.js';
import { panelAddresses } from './model.js';
import { VARIABLES } from './promql.js';

/** Provisioned datasources have fixed UIDs: dashboards refer to them by UID. */
export const DATASOURCE_UIDS = {
  prometheus: 'pyairtable-prometheus',
  jaeger: 'pyairtable-jaeger',
  logs: 'pyairtable-logs',
  alertmanager: 'pyairtable-alertmanager',
} as const;

/** What every panel builder of the SDK offers (they share Grafana's panel options). */
type AnyPanelBuilder = cog.Builder<grafana.Panel> & {
  id(id: number): AnyPanelBuilder;
  title(title: string): AnyPanelBuilder;
  description(description: string): AnyPanelBuilder;
  datasource(datasource: common.DataSourceRef): AnyPanelBuilder;
  unit(unit: string): AnyPanelBuilder;
  min(min: number): AnyPanelBuilder;
  max(max: number): AnyPanelBuilder;
  span(width: number): AnyPanelBuilder;
  height(height: number): AnyPanelBuilder;
  thresholds(thresholds: cog.Builder<grafana.ThresholdsConfig>): AnyPanelBuilder;
  withTarget(target: cog.Builder<cog.Dataquery>): AnyPanelBuilder;
};

const PANEL_BUILDERS: Readonly<Record<PanelKind, () => AnyPanelBuilder>> = {
  timeseries: () => new timeseries.PanelBuilder(),
  stat: () => new stat.PanelBuilder(),
  gauge: () => new gauge.PanelBuilder(),
  bargauge: () => new bargauge.PanelBuilder(),
  table: () => new table.PanelBuilder(),
  heatmap: () => new heatmap.PanelBuilder(),
};

const datasource: common.DataSourceRef = { type: 'prometheus', uid: `\${${VARIABLES.environment}}` };

/** Grafana's steps: a base colour, then a colour from each value up. */
function thresholdSteps(thresholds: readonly Threshold[]): grafana.Threshold[] {
  const below = thresholds.filter((threshold) => threshold.below === true);
  if (below.length > 0) {
    const sorted = [...below].sort((a, b) => a.value - b.value);
    return [
      { value: null, color: sorted[0]?.color ?? 'red' },
      ...sorted.slice(1).map((threshold, index) => ({
        value: sorted[index]?.value ?? threshold.value,
        color: threshold.color,
      })),
      { value: sorted[sorted.length - 1]?.value ?? 0, color: 'green' },
    ];
  }
  return [
    { value: null, color: 'green' },
    ...[...thresholds]
      .sort((a, b) => a.value - b.value)
      .map((threshold) => ({ value: threshold.value, color: threshold.color })),
  ];
}

function panelBuilder(panel: Panel, id: number, rowWidth: number): AnyPanelBuilder {
  const builder = PANEL_BUILDERS[panel.kind]()
    .id(id)
    .title(panel.title)
    .description(panel.description)
    .datasource(datasource)
    .unit(panel.unit)
    .span(panel.width ?? rowWidth)
    .height(panel.height ?? 8);
  if (panel.min !== undefined) builder.min(panel.min);
  if (panel.max !== undefined) builder.max(panel.max);
  builder.thresholds(
    new grafana.ThresholdsConfigBuilder()
      .mode(grafana.ThresholdsMode.Absolute)
      .steps(thresholdSteps(panel.thresholds ?? [])),
  );
  panel.queries.forEach((query, index) => {
    const target = new prometheus.DataqueryBuilder()
      .refId(String.fromCharCode(65 + index))
      .datasource(datasource)
      .expr(query.expr)
      .legendFormat(query.legend ?? '__auto');
    if (query.instant === true)
      target
        .instant()
        .format(
          panel.kind === 'table' ? prometheus.PromQueryFormat.Table : prometheus.PromQueryFormat.TimeSeries,
        );
    else if (panel.kind === 'heatmap') target.format(prometheus.PromQueryFormat.Heatmap);
    else target.range();
    builder.withTarget(target);
  });
  return styled(builder, panel);
}

/**
 * Single values show the last one (Grafana leaves the calculation empty otherwise); time series
 * draw their thresholds as lines and stack where asked.
 */
function styled(builder: AnyPanelBuilder, panel: Panel): AnyPanelBuilder {
  if (
    builder instanceof stat.PanelBuilder ||
    builder instanceof gauge.PanelBuilder ||
    builder instanceof bargauge.PanelBuilder
  )
    builder.reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']));
  if (!(builder instanceof timeseries.PanelBuilder)) return builder;
  if ((panel.thresholds ?? []).length > 0)
    builder.thresholdsStyle(
      new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Line),
    );
  if (panel.stacked === true) {
    builder.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)).fillOpacity(30);
  }
  return builder;
}

function variableBuilder(variable: Variable): cog.Builder<grafana.VariableModel> {
  if (variable.kind === 'datasource')
    return new grafana.DatasourceVariableBuilder(variable.name)
      .label(variable.label)
      .type('prometheus')
      .current({ text: 'Prometheus', value: DATASOURCE_UIDS.prometheus });
  const selector =
    variable.matchers === undefined ? variable.metric : `${variable.metric}{${variable.matchers}}`;
  const definition = `label_values(${selector}, ${variable.from ?? variable.name})`;
  return new grafana.QueryVariableBuilder(variable.name)
    .label(variable.label)
    .datasource(datasource)
    .query({ query: definition, refId: 'PrometheusVariableQueryEditor-VariableQuery' })
    .definition(definition)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ text: 'All', value: '$__all' })
    .refresh(grafana.VariableRefresh.OnTimeRangeChanged)
    .sort(grafana.VariableSort.AlphabeticalAsc);
}

/**
 * The dashboard as Grafana's JSON model (what a provisioning directory holds). The SDK marks
 * this classic model deprecated in favour of v2, a Kubernetes-style resource for Grafana's API;
 * file provisioning, which the stack uses, reads the classic model.
 */
// eslint-disable-next-line @typescript-eslint/no-deprecated -- file provisioning reads the classic model
export function grafanaDashboard(dashboard: Dashboard): grafana.Dashboard {
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- as above
  const builder = new grafana.DashboardBuilder(dashboard.title)
    .uid(dashboard.uid)
    .description(dashboard.description)
    .tags([...dashboard.tags])
    .readonly()
    .tooltip(grafana.DashboardCursorSync.Crosshair)
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .timezone('browser')
    .variables(dashboard.variables.map(variableBuilder));
  const addresses = panelAddresses(dashboard);
  let id = 0;
  for (const row of dashboard.rows) {
    id += 1;
    builder.withRow(new grafana.RowBuilder(row.title).id(id));
    const rowWidth = Math.max(4, Math.floor(24 / Math.max(1, row.panels.length)));
    for (const panel of row.panels) {
      const address = addresses.find((candidate) => candidate.panel === panel);
      id = address?.id ?? id + 1;
      builder.withPanel(panelBuilder(panel, id, rowWidth));
    }
  }
  return builder.build();
}

/** Grafana's address of a panel on its own: `/d/<uid>?viewPanel=<id>`. */
export function panelPath(dashboardUid: string, panelId: number): string {
  return `/d/${dashboardUid}?viewPanel=${String(panelId)}`;
}
