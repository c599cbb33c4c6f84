/** Services home: every service's rate, error ratio and p95 over the last 15 minutes, from the hub's RED. */
import type { VNode } from 'preact';
import type { RedRow } from '../api.js';
import { getJson } from '../api.js';
import { duration, percent, rate } from '../format.js';
import { Link, Status, html, useLoad } from '../html.js';

interface ServiceRow {
  service: string;
  requests: number;
  ratePerSecond: number;
  errorRatio: number;
  p95Ms: number;
  operations: number;
}

export function byService(rows: readonly RedRow[]): ServiceRow[] {
  const services = new Map<string, ServiceRow>();
  for (const row of rows) {
    const entry = services.get(row.service) ?? {
      service: row.service,
      requests: 0,
      ratePerSecond: 0,
      errorRatio: 0,
      p95Ms: 0,
      operations: 0,
    };
    const errors = entry.errorRatio * entry.requests + row.errorRatio * row.requests;
    entry.requests += row.requests;
    entry.ratePerSecond += row.ratePerSecond;
    entry.errorRatio = entry.requests === 0 ? 0 : errors / entry.requests;
    // The slowest operation's p95 bounds the service's; an exact merge needs the raw durations.
    entry.p95Ms = Math.max(entry.p95Ms, row.p95Ms);
    entry.operations += 1;
    services.set(row.service, entry);
  }
  return [...services.values()].sort((a, b) => a.service.localeCompare(b.service));
}

interface SeriesAnswer {
  bucketSeconds: number;
  services: Record<string, { requests: number[]; errors: number[] } | undefined>;
}

/** Requests over the window as a small line, errors as red marks under it. */
function Sparkline(props: { requests: readonly number[]; errors: readonly number[]; label: string }): VNode {
  const max = Math.max(1, ...props.requests);
  const step = 100 / Math.max(1, props.requests.length - 1);
  const points = props.requests
    .map((count, index) => `${(index * step).toFixed(1)},${(22 - (count / max) * 20).toFixed(1)}`)
    .join(' ');
  return html`<svg
    class="spark"
    viewBox="0 0 100 24"
    preserveAspectRatio="none"
    role="img"
    aria-label=${props.label}
  >
    <polyline points=${points} />
    ${props.errors.map((count, index) =>
      count > 0
        ? html`<rect class="spark-error" x=${(index * step - 1).toFixed(1)} y="22" width="2" height="2" />`
        : null,
    )}
  </svg>` as VNode;
}

export function ServicesView(props: { refresh: number }): VNode {
  const loaded = useLoad(`red-${String(props.refresh)}`, () =>
    getJson<{ operations: RedRow[] }>('/api/red', { lookback: '15m' }),
  );
  const series = useLoad(`red-series-${String(props.refresh)}`, () =>
    getJson<SeriesAnswer>('/api/red/series', { lookback: '15m' }),
  );
  // Firing alerts by service, where an Alertmanager is configured (otherwise none are shown).
  const alerts = useLoad(`alerts-${String(props.refresh)}`, () =>
    getJson<{ labels: Record<string, string | undefined>; status: { state: string } }[]>(
      '/api/alertmanager/api/v2/alerts',
      { active: 'true', silenced: 'false', inhibited: 'false' },
    ),
  );
  const firing = new Map<string, number>();
  for (const alert of alerts.data ?? []) {
    const service = alert.labels['service'];
    if (service !== undefined) firing.set(service, (firing.get(service) ?? 0) + 1);
  }
  const rows = byService(loaded.data?.operations ?? []);
  return html`
    <section aria-labelledby="services-title">
      <h1 id="services-title">Services</h1>
      <p class="hint">Server spans of the last 15 minutes, from the hub's store.</p>
      <${Status}
        loaded=${loaded}
        empty=${loaded.data !== undefined && rows.length === 0}
        emptyText="No service has sent a server span in the last 15 minutes. Start one with the SDK, or run obs traffic."
      />
      ${
        rows.length > 0 &&
        html`<table class="grid" data-testid="services">
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col" class="num">Requests</th>
              <th scope="col" class="num">Rate</th>
              <th scope="col" class="num">Errors</th>
              <th scope="col" class="num">p95 (slowest operation)</th>
              <th scope="col">Last 15 minutes</th>
              <th scope="col" class="num">Firing alerts</th>
              <th scope="col" class="num">Operations</th>
              <th scope="col"><span class="sr-only">Links</span></th>
            </tr>
          </thead>
          <tbody>
            ${rows.map(
              (row) =>
                html`<tr key=${row.service}>
                  <th scope="row">
                    <${Link} href=${`/traces?service=${encodeURIComponent(row.service)}`}>${row.service}<//>
                  </th>
                  <td class="num">${row.requests}</td>
                  <td class="num">${rate(row.ratePerSecond)}</td>
                  <td class=${`num ${row.errorRatio > 0.1 ? 'bad' : ''}`}>${percent(row.errorRatio)}</td>
                  <td class="num">${duration(row.p95Ms)}</td>
                  <td>
                    ${
                      series.data?.services[row.service] !== undefined &&
                      html`<${Sparkline}
                        requests=${series.data.services[row.service]?.requests ?? []}
                        errors=${series.data.services[row.service]?.errors ?? []}
                        label=${`${row.service}: requests over the last 15 minutes`}
                      />`
                    }
                  </td>
                  <td class=${`num ${(firing.get(row.service) ?? 0) > 0 ? 'bad' : ''}`}>
                    ${
                      alerts.data === undefined
                        ? '–'
                        : html`<${Link} href="/alerts">${firing.get(row.service) ?? 0}<//>`
                    }
                  </td>
                  <td class="num">${row.operations}</td>
                  <td><${Link} href=${`/logs?service=${encodeURIComponent(row.service)}`}>logs<//></td>
                </tr>`,
            )}
          </tbody>
        </table>`
      }
    </section>
  ` as VNode;
}
