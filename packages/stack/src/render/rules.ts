/**
 * The Prometheus rule file: recording rules first (every alert and dashboard reads their
 * series), then the alerts with their runbook links. Evaluated at the model's interval.
 */
import type { AlertRule } from '../alerts.js';
import { alertRules, recordingRules } from '../alerts.js';
import type { StackModel } from '../model.js';
import { renderYaml } from './yaml.js';

export const RULE_GROUPS = { recording: 'pyairtable-recording', alerts: 'pyairtable-alerts' } as const;

/** An alert rule as Prometheus loads it, with its runbook link. */
export function renderedAlert(model: StackModel, rule: AlertRule): Record<string, unknown> {
  return {
    alert: rule.alert,
    expr: rule.expr,
    for: rule.for,
    labels: { ...rule.labels },
    annotations: { ...rule.annotations, runbook_url: `${model.runbookBaseUrl}/${rule.alert}.md` },
  };
}

export function rulesDocument(model: StackModel): object {
  return {
    groups: [
      { name: RULE_GROUPS.recording, rules: recordingRules(model.timeScale) },
      {
        name: RULE_GROUPS.alerts,
        rules: alertRules(model.settings.alerts, model.timeScale).map((rule) => renderedAlert(model, rule)),
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
