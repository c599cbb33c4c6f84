/**
 * Alerts: firing ones from Alertmanager (what was notified) and pending ones from Prometheus
 * (waiting out their `for`), with labels, summary, runbook and the panel that shows the signal.
 */
import type { VNode } from 'preact';
import { getJson } from '../api.js';
import { Link, Status, html, useLoad } from '../html.js';

interface ManagedAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  status: { state: string };
}
interface RuleAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
  activeAt?: string;
}

/** A Grafana panel link (`.../d/<uid>?viewPanel=<id>`) as this UI's dashboard view. */
export function localDashboardLink(dashboardUrl: string | undefined): string | undefined {
  const match = /\/d\/([^/?#]+)/.exec(dashboardUrl ?? '');
  return match === null ? undefined : `/dashboards/${match[1] ?? ''}`;
}

function AlertRow(props: {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
  since: string | undefined;
}): VNode {
  const { labels, annotations } = props;
  const dashboard = localDashboardLink(annotations['dashboard_url']);
  const others = Object.entries(labels).filter(([key]) => key !== 'alertname' && key !== 'severity');
  return html`<tr>
    <th scope="row">${labels['alertname']}</th>
    <td><span class=${`badge ${props.state}`}>${props.state}</span></td>
    <td>${labels['severity'] ?? ''}</td>
    <td>
      ${annotations['summary'] ?? ''}
      <div class="hint">${others.map(([key, value]) => `${key}=${value}`).join(' ')}</div>
    </td>
    <td>
      ${props.since === undefined ? '' : new Date(props.since).toLocaleTimeString(undefined, { hour12: false })}
    </td>
    <td>
      ${annotations['runbook_url'] !== undefined && html`<a href=${annotations['runbook_url']}>runbook</a>`}
      ${dashboard !== undefined && html` <${Link} href=${dashboard}>dashboard<//>`}
    </td>
  </tr>` as VNode;
}

export function AlertsView(): VNode {
  const firing = useLoad('alertmanager-alerts', () =>
    getJson<ManagedAlert[]>('/api/alertmanager/api/v2/alerts'),
  );
  const pending = useLoad('prometheus-alerts', () =>
    getJson<{ data: { alerts: RuleAlert[] } }>('/api/prometheus/api/v1/alerts'),
  );
  const waiting = (pending.data?.data.alerts ?? []).filter((alert) => alert.state === 'pending');
  const active = firing.data ?? [];
  return html`<section aria-labelledby="alerts-title">
    <h1 id="alerts-title">Alerts</h1>
    <${Status} loaded=${firing} />
    ${pending.error !== undefined && html`<p class="notice">Pending alerts need Prometheus: ${pending.error}</p>`}
    ${firing.data !== undefined && active.length + waiting.length === 0 && html`<p class="notice">No alert is firing or pending.</p>`}
    ${
      active.length + waiting.length > 0 &&
      html`<table class="grid" data-testid="alerts">
        <thead>
          <tr>
            <th scope="col">Alert</th>
            <th scope="col">State</th>
            <th scope="col">Severity</th>
            <th scope="col">Summary and labels</th>
            <th scope="col">Since</th>
            <th scope="col">Links</th>
          </tr>
        </thead>
        <tbody>
          ${active.map((alert) => html`<${AlertRow} labels=${alert.labels} annotations=${alert.annotations} state=${alert.status.state === 'active' ? 'firing' : alert.status.state} since=${alert.startsAt} />`)}
          ${waiting.map((alert) => html`<${AlertRow} labels=${alert.labels} annotations=${alert.annotations} state="pending" since=${alert.activeAt} />`)}
        </tbody>
      </table>`
    }
  </section>` as VNode;
}
