/**
 * The Prometheus rule file: recording rules first (every alert and dashboard reads their
 * series), then the alerts with their runbook links and the dashboard panel that shows each
 * one's signal. Evaluated at the model's interval.
 */
import type { AlertName } from '@pyairtable/conventions';
import type { PanelAddress } from '@pyairtable/dashboards';
import { alertPanels, panelForRule, panelPath } from '@pyairtable/dashboards';
import type { AlertRule } from '../alerts.js';
import { alertRules, recordingRules } from '../alerts.js';
import { modelDashboards } from '../dashboards.js';
import type { StackModel } from '../model.js';
import { renderYaml } from './yaml.js';

export const RULE_GROUPS = { recording: 'pyairtable-recording', alerts: 'pyairtable-alerts' } as const;

/** An alert rule as Prometheus loads it, with its runbook link and its panel's. */
export function renderedAlert(
  model: StackModel,
  rule: AlertRule,
  panels: ReadonlyMap<AlertName, readonly PanelAddress[]> = alertPanels(modelDashboards(model)),
): Record<string, unknown> {
  const panel = panelForRule(panels, rule.alert, rule.labels);
  return {
    alert: rule.alert,
    expr: rule.expr,
    for: rule.for,
    labels: { ...rule.labels },
    annotations: {
      ...rule.annotations,
      runbook_url: `${model.runbookBaseUrl}/${rule.alert}.md`,
      ...(panel === undefined
        ? {}
        : { dashboard_url: `${model.grafanaUrl}${panelPath(panel.dashboard.uid, panel.id)}` }),
    },
  };
}

export function rulesDocument(model: StackModel): object {
  const panels = alertPanels(modelDashboards(model));
  return {
    groups: [
      { name: RULE_GROUPS.recording, rules: recordingRules(model.timeScale) },
      {
        name: RULE_GROUPS.alerts,
        rules: alertRules(model.settings.alerts, model.timeScale).map((rule) =>
          renderedAlert(model, rule, panels),
        ),
      },
    ],
  };
}

export function renderRules(model: StackModel): string {
  return renderYaml(
    rulesDocument(model),
    `Prometheus recording and alerting rules, profile ${model.profile}`,
  );
}
