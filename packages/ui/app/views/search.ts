/**
 * Trace search: service, operation, attributes (`key=value`), duration range, time range and
 * limit, all in the URL; the results as a list and as a duration-over-time scatter, errors marked.
 */
import type { VNode } from 'preact';
import { SPAN_ATTRIBUTES } from '@pyairtable/conventions/attributes';
import type { TraceSummary } from '../api.js';
import { ago, getJson, now } from '../api.js';
import { duration, nsToMs, time } from '../format.js';
import { Link, Status, html, navigate, useLoad } from '../html.js';

export const LOOKBACKS: Readonly<Record<string, number>> = {
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '6h': 6 * 3_600_000,
  '24h': 24 * 3_600_000,
  '7d': 7 * 24 * 3_600_000,
};

/** `key=value` pairs, separated by spaces or new lines, as api_v3's attribute map. */
export function attributesOf(text: string): Record<string, string> | undefined {
  const pairs = text
    .split(/\s+/)
    .filter((pair) => pair.includes('='))
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)] as const);
  return pairs.length === 0 ? undefined : Object.fromEntries(pairs);
}

function Scatter(props: { traces: readonly TraceSummary[] }): VNode {
  const points = props.traces.map((trace) => ({
    id: trace.traceId,
    start: nsToMs(trace.minStartTimeUnixNano),
    ms: nsToMs(trace.maxEndTimeUnixNano) - nsToMs(trace.minStartTimeUnixNano),
    error: trace.errorSpanCount > 0,
  }));
  const [minStart, maxStart] = [
    Math.min(...points.map((p) => p.start)),
    Math.max(...points.map((p) => p.start)),
  ];
  const maxMs = Math.max(1, ...points.map((p) => p.ms));
  const x = (start: number): number => 40 + ((start - minStart) / Math.max(1, maxStart - minStart)) * 540;
  const y = (ms: number): number => 130 - (ms / maxMs) * 120;
  return html`<svg
    class="scatter"
    viewBox="0 0 600 150"
    role="img"
    aria-label=${`Duration over time of ${String(points.length)} traces; errors in red`}
  >
    <line x1="40" y1="130" x2="590" y2="130" class="axis" />
    <text x="4" y="14" class="tick">${duration(maxMs)}</text>
    <text x="4" y="130" class="tick">0</text>
    <text x="40" y="146" class="tick">${time(minStart)}</text>
    <text x="590" y="146" class="tick" text-anchor="end">${time(maxStart)}</text>
    ${points.map(
      // A picture with a mouse shortcut: the table below is the accessible way to each trace.
      (point) =>
        html`<circle
          cx=${x(point.start)}
          cy=${y(point.ms)}
          r="4"
          class=${point.error ? 'dot error' : 'dot'}
          onClick=${() => {
            navigate(`/trace/${point.id}`);
          }}
          ><title>${`${duration(point.ms)} at ${time(point.start)}`}</title></circle
        >`,
    )}
  </svg>` as VNode;
}

export function SearchView(props: { url: URL; services: readonly string[] }): VNode {
  const q = props.url.searchParams;
  const service = q.get('service') ?? '';
  const lookback = q.get('lookback') ?? '1h';
  const key = q.toString();
  const operations = useLoad(`ops-${service}`, () =>
    service === ''
      ? Promise.resolve({ operations: [] })
      : getJson<{ operations: { name: string }[] }>('/api/v3/operations', { service }),
  );
  const attributes = attributesOf(q.get('tags') ?? '');
  const results = useLoad(`search-${key}`, () =>
    getJson<{ summaries: TraceSummary[] }>('/api/v3/trace-summaries', {
      'query.start_time_min': ago(LOOKBACKS[lookback] ?? 3_600_000),
      'query.start_time_max': now(),
      'query.service_name': service,
      'query.operation_name': q.get('operation') ?? '',
      'query.duration_min': q.get('minDuration') ?? '',
      'query.duration_max': q.get('maxDuration') ?? '',
      'query.search_depth': q.get('limit') ?? '50',
      'query.attributes': attributes === undefined ? '' : JSON.stringify(attributes),
    }),
  );
  const submit = (event: SubmitEvent): void => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const next = new URLSearchParams();
    for (const [name, value] of form)
      if (typeof value === 'string' && value.trim() !== '') next.set(name, value.trim());
    navigate(`/traces?${next.toString()}`);
  };
  const traces = results.data?.summaries ?? [];
  return html`
    <section aria-labelledby="search-title">
      <h1 id="search-title">Traces</h1>
      <form class="filters" onSubmit=${submit} role="search" aria-label="Search traces">
        <label
          >Service
          <select name="service" value=${service}>
            <option value="">all</option>
            ${props.services.map((name) => html`<option value=${name}>${name}</option>`)}
          </select></label
        >
        <label
          >Operation
          <select name="operation" value=${q.get('operation') ?? ''}>
            <option value="">all</option>
            ${(operations.data?.operations ?? []).map((op) => html`<option value=${op.name}>${op.name}</option>`)}
          </select></label
        >
        <label
          >Attributes
          <input
            name="tags"
            placeholder=${`${SPAN_ATTRIBUTES.httpRoute}=/api/chat`}
            value=${q.get('tags') ?? ''}
        /></label>
        <label
          >Min duration
          <input name="minDuration" placeholder="250ms" size="7" value=${q.get('minDuration') ?? ''}
        /></label>
        <label
          >Max duration
          <input name="maxDuration" placeholder="5s" size="7" value=${q.get('maxDuration') ?? ''}
        /></label>
        <label
          >Last
          <select name="lookback" value=${lookback}>
            ${Object.keys(LOOKBACKS).map((name) => html`<option value=${name}>${name}</option>`)}
          </select></label
        >
        <label
          >Limit
          <input name="limit" type="number" min="1" max="1000" size="5" value=${q.get('limit') ?? '50'}
        /></label>
        <button type="submit">Find traces</button>
      </form>
      <${Status}
        loaded=${results}
        empty=${results.data !== undefined && traces.length === 0}
        emptyText="No trace matches. Widen the time range or remove a filter."
      />
      ${traces.length > 0 && html`<${Scatter} traces=${traces} />`}
      ${
        traces.length > 0 &&
        html`<table class="grid" data-testid="trace-results">
          <thead>
            <tr>
              <th scope="col">Trace</th>
              <th scope="col">Started</th>
              <th scope="col" class="num">Duration</th>
              <th scope="col" class="num">Spans</th>
              <th scope="col" class="num">Errors</th>
              <th scope="col">Services</th>
            </tr>
          </thead>
          <tbody>
            ${traces.map((trace) => {
              const start = nsToMs(trace.minStartTimeUnixNano);
              return html`<tr key=${trace.traceId} class=${trace.errorSpanCount > 0 ? 'has-error' : ''}>
                <th scope="row">
                  <${Link} href=${`/trace/${trace.traceId}`}
                    >${trace.rootServiceName}: ${trace.rootOperationName}<//
                  >
                </th>
                <td>${time(start)}</td>
                <td class="num">${duration(nsToMs(trace.maxEndTimeUnixNano) - start)}</td>
                <td class="num">${trace.spanCount}</td>
                <td class=${`num ${trace.errorSpanCount > 0 ? 'bad' : ''}`}>${trace.errorSpanCount}</td>
                <td>${trace.services.map((entry) => entry.name).join(', ')}</td>
              </tr>`;
            })}
          </tbody>
        </table>`
      }
    </section>
  ` as VNode;
}
