export { DASHBOARD_FOLDERS, panelAddresses } from './model.js';
export type {
  Dashboard,
  DashboardFolder,
  DatasourceVariable,
  LabelVariable,
  Panel,
  PanelAddress,
  PanelKind,
  Query,
  Row,
  Threshold,
  Unit,
  Variable,
} from './model.js';
export { buildDashboards, alertPanels, panelForRule } from './dashboards/index.js';
export type { DashboardThresholds } from './dashboards/index.js';
export { EXPORTER_METRICS, LOCAL_EXPORTERS, CADVISOR_SERVICE_LABEL } from './exporters.js';
export type { Exporter } from './exporters.js';
export { DATASOURCE_UIDS, grafanaDashboard, panelPath } from './grafana.js';
export { RATE_INTERVAL, RANGE, VARIABLES } from './promql.js';
export { lintDashboards, parsePromql, substituteMacros, lookUp } from './lint.js';
export type { LintProblem, MetricCatalog, MetricFacts, MetricType } from './lint.js';
export { EXPORTER_CATALOG_FILES, contractCatalog, mergeCatalogs, readExporterCatalog } from './catalog.js';
