/**
 * The dashboards the stack renders for Grafana, drawn here from the same model: Prometheus's
 * answers through the hub, a time picker, refresh, and the dashboards' variables.
 */
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import type { Dashboard, LabelVariable, Panel } from '@pyairtable/dashboards/model';
import { getJson } from '../api.js';
import { Chart } from '../chart.js';
import { Link, Status, html, navigate, useLoad } from '../html.js';
import type { Range } from '../promql-client.js';
import { fillMacros, queryInstant, queryRange } from '../promql-client.js';
import { formatValue } from '../units.js';

export interface DashboardsAnswer {
  dashboards: Dashboard[];
  prometheus: boolean;
}

export const RANGES: Readonly<Record<string, number>> = {
  '15m': 900,
  '1h': 3_600,
  '6h': 21_600,
  '24h': 86_400,
};
const FOLDER_TITLES: Readonly<Record<string, string>> = {
  platform: 'Platform',
  infrastructure: 'Infrastructure',
  cost: 'Cost',
};

function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function thresholdColor(panel: Panel, value: number): string {
  let color = '';
  for (const level of [...(panel.thresholds ?? [])].sort((a, b) => a.value - b.value))
    if (level.below === true ? value < level.value : value >= level.value) color = level.color;
  return color;
}

function PanelView(props: {
  panel: Panel;
  range: Range;
  variables: Record<string, string>;
  tick: number;
}): VNode {
  const { panel, range, variables } = props;
  const exprs = panel.queries.map((query) => fillMacros(query.expr, range, variables));
  const key = `${exprs.join('|')}-${String(range.seconds)}-${String(props.tick)}`;
  const instant = panel.queries.some((query) => query.instant === true);
  const loaded = useLoad(key, async () => {
    if (instant) {
      const values = await Promise.all(
        panel.queries.map((query, index) => queryInstant(exprs[index] ?? '', query.legend)),
      );
      return { instant: values.flat(), times: [] as number[], series: [] };
    }
    const answers = await Promise.all(
      panel.queries.map((query, index) => queryRange(exprs[index] ?? '', query.legend, range)),
    );
    return {
      instant: [],
      times: answers[0]?.times ?? [],
      series: answers.flatMap((answer) => answer.series),
    };
  });
  const data = loaded.data;
  const empty = data !== undefined && data.instant.length === 0 && data.series.length === 0;
  return html`<article
    class=${`panel panel-${panel.kind}`}
    style=${`grid-column: span ${String(panel.width ?? 8)}`}
    aria-label=${panel.title}
  >
    <h3 title=${panel.description}>${panel.title}</h3>
    <p class="hint">${panel.description}</p>
    <${Status} loaded=${loaded} empty=${empty} emptyText="No data in this range." />
    ${
      data !== undefined &&
      data.series.length > 0 &&
      html`<${Chart}
        times=${data.times}
        series=${data.series}
        unit=${panel.unit}
        thresholds=${panel.thresholds ?? []}
        stacked=${panel.stacked === true}
        label=${`${panel.title}: ${String(data.series.length)} series`}
      />`
    }
    ${
      data !== undefined &&
      data.instant.length > 0 &&
      html`<ul class="values" data-series=${data.instant.length}>
        ${data.instant.map(
          (entry) =>
            html`<li class=${`value ${thresholdColor(panel, entry.value)}`}>
              <span class="value-name">${entry.name}</span
              ><strong>${formatValue(panel.unit, entry.value)}</strong>
            </li>`,
        )}
      </ul>`
    }
  </article>` as VNode;
}

function VariableSelect(props: {
  variable: LabelVariable;
  value: string;
  onChange: (value: string) => void;
}): VNode {
  const { variable } = props;
  const label = variable.from ?? variable.name;
  const options = useLoad(`var-${variable.metric}-${label}`, () =>
    getJson<{ data: string[] }>(`/api/prometheus/api/v1/label/${label}/values`, {
      'match[]': variable.metric,
    }),
  );
  return html`<label
    >${variable.label}
    <select
      value=${props.value}
      onChange=${(event: Event) => {
        props.onChange((event.currentTarget as HTMLSelectElement).value);
      }}
    >
      <option value="">All</option>
      ${(options.data?.data ?? []).map((value) => html`<option value=${value}>${value}</option>`)}
    </select></label
  >` as VNode;
}

function DashboardView(props: { dashboard: Dashboard; url: URL }): VNode {
  const { dashboard, url } = props;
  const rangeName = url.searchParams.get('range') ?? '15m';
  const [tick, setTick] = useState(0);
  const range: Range = { seconds: RANGES[rangeName] ?? 3_600, end: Math.floor(Date.now() / 1000) + tick * 0 };
  const labelVariables = dashboard.variables.filter(
    (variable): variable is LabelVariable => variable.kind === 'label',
  );
  const variables = Object.fromEntries(
    labelVariables.map((variable) => {
      const chosen = url.searchParams.get(`var-${variable.name}`) ?? '';
      return [variable.name, chosen === '' ? '.*' : escapeRegex(chosen)];
    }),
  );
  const go = (name: string, value: string): void => {
    const next = new URLSearchParams(url.searchParams);
    if (value === '') next.delete(name);
    else next.set(name, value);
    navigate(`${url.pathname}?${next.toString()}`);
  };
  return html`<section aria-labelledby="dashboard-title">
    <p><${Link} href="/dashboards">Dashboards<//> / ${FOLDER_TITLES[dashboard.folder] ?? dashboard.folder}</p>
    <h1 id="dashboard-title">${dashboard.title}</h1>
    <p class="hint">${dashboard.description}</p>
    <div class="filters">
      ${labelVariables.map(
        (variable) =>
          html`<${VariableSelect}
            variable=${variable}
            value=${url.searchParams.get(`var-${variable.name}`) ?? ''}
            onChange=${(value: string) => {
              go(`var-${variable.name}`, value);
            }}
          />`,
      )}
      <label
        >Last
        <select
          value=${rangeName}
          onChange=${(event: Event) => {
            go('range', (event.currentTarget as HTMLSelectElement).value);
          }}
        >
          ${Object.keys(RANGES).map((name) => html`<option value=${name}>${name}</option>`)}
        </select></label
      >
      <button
        type="button"
        onClick=${() => {
          setTick(tick + 1);
        }}
      >
        Refresh
      </button>
    </div>
    ${dashboard.rows.map(
      (row) =>
        html`<section class="dash-row" aria-label=${row.title}>
          <h2>${row.title}</h2>
          <div class="panels">
            ${row.panels.map(
              (panel) =>
                html`<${PanelView}
                  key=${panel.title}
                  panel=${{ ...panel, width: panel.width ?? Math.max(6, Math.floor(24 / row.panels.length)) }}
                  range=${range}
                  variables=${variables}
                  tick=${tick}
                />`,
            )}
          </div>
        </section>`,
    )}
  </section>` as VNode;
}

export function DashboardsView(props: { url: URL }): VNode {
  const loaded = useLoad('dashboards', () => getJson<DashboardsAnswer>('/api/dashboards'));
  const uid = props.url.pathname.split('/')[2];
  const dashboards = loaded.data?.dashboards ?? [];
  if (loaded.data !== undefined && !loaded.data.prometheus)
    return html`<section>
      <h1>Dashboards</h1>
      <p class="notice error" role="alert">
        No Prometheus is configured for this hub, so the dashboards have no data. <code>obs up</code> starts
        one when the <code>prometheus</code> package is installed (<code>sudo apt-get install prometheus</code
        >); a hub started alone takes <code>--prometheus-url</code> with its address.
      </p>
    </section>` as VNode;
  const chosen = dashboards.find((dashboard) => dashboard.uid === uid);
  if (chosen !== undefined) return html`<${DashboardView} dashboard=${chosen} url=${props.url} />` as VNode;
  return html`<section aria-labelledby="dashboards-title">
    <h1 id="dashboards-title">Dashboards</h1>
    <p class="hint">
      The dashboards Grafana shows in production, drawn from the same model with this machine's Prometheus.
    </p>
    <${Status}
      loaded=${loaded}
      empty=${loaded.data !== undefined && dashboards.length === 0}
      emptyText="No dashboards are configured for this hub (obs up configures them)."
    />
    ${Object.keys(FOLDER_TITLES).map((folder) => {
      const inFolder = dashboards.filter((dashboard) => dashboard.folder === folder);
      return inFolder.length === 0
        ? null
        : html`<section aria-label=${FOLDER_TITLES[folder]}>
            <h2>${FOLDER_TITLES[folder]}</h2>
            <ul class="dashboard-list">
              ${inFolder.map(
                (dashboard) =>
                  html`<li>
                    <${Link} href=${`/dashboards/${dashboard.uid}`}>${dashboard.title}<//>
                    <span class="hint">${dashboard.description}</span>
                  </li>`,
              )}
            </ul>
          </section>`;
    })}
  </section>` as VNode;
}
