/**
 * The service map: services placed in columns by how far down the call chain they sit, each
 * call between two services an arrow labelled with its count and failing share. The table under
 * it says the same for keyboards and screen readers.
 */
import type { VNode } from 'preact';
import { getJson } from '../api.js';
import { percent } from '../format.js';
import { Link, Status, html, navigate, useLoad } from '../html.js';
import { LOOKBACKS } from './search.js';

export interface Edge {
  parent: string;
  child: string;
  callCount: number;
  errorCount: number;
}

/** Each service's column: the longest chain of callers above it (cycles cut). */
export function columns(edges: readonly Edge[]): Map<string, number> {
  const depth = new Map<string, number>();
  for (const edge of edges) {
    depth.set(edge.parent, depth.get(edge.parent) ?? 0);
    depth.set(edge.child, depth.get(edge.child) ?? 0);
  }
  for (let round = 0; round < depth.size; round += 1)
    for (const edge of edges) {
      const below = (depth.get(edge.parent) ?? 0) + 1;
      if (below > (depth.get(edge.child) ?? 0) && below < depth.size) depth.set(edge.child, below);
    }
  return depth;
}

const NODE_W = 170;
const NODE_H = 36;
const GAP_X = 120;
const GAP_Y = 44;
/** Room above the first row for calls that skip a column and arc over it. */
const TOP = 70;

export function MapView(props: { url: URL }): VNode {
  const lookback = props.url.searchParams.get('lookback') ?? '1h';
  const loaded = useLoad(`map-${lookback}`, () =>
    getJson<{ edges: Edge[] }>('/api/service-map', { lookback }),
  );
  const edges = loaded.data?.edges ?? [];
  const depth = columns(edges);
  const byColumn = new Map<number, string[]>();
  for (const [service, column] of [...depth].sort((a, b) => a[0].localeCompare(b[0])))
    byColumn.set(column, [...(byColumn.get(column) ?? []), service]);
  const position = new Map<string, { x: number; y: number }>();
  for (const [column, services] of byColumn)
    services.forEach((service, row) =>
      position.set(service, { x: 10 + column * (NODE_W + GAP_X), y: TOP + row * (NODE_H + GAP_Y) }),
    );
  const width = 20 + Math.max(1, byColumn.size) * (NODE_W + GAP_X);
  const height =
    TOP + 10 + Math.max(1, ...[...byColumn.values()].map((services) => services.length)) * (NODE_H + GAP_Y);
  return html`<section aria-labelledby="map-title">
    <h1 id="map-title">Service map</h1>
    <form
      class="filters"
      onChange=${(event: Event) => {
        const chosen = new FormData(event.currentTarget as HTMLFormElement).get('lookback');
        navigate(`/map?lookback=${typeof chosen === 'string' ? chosen : '1h'}`);
      }}
    >
      <label
        >Last
        <select name="lookback" value=${lookback}>
          ${Object.keys(LOOKBACKS).map((name) => html`<option value=${name}>${name}</option>`)}
        </select></label
      >
    </form>
    <${Status}
      loaded=${loaded}
      empty=${loaded.data !== undefined && edges.length === 0}
      emptyText="No call between two services in this time range."
    />
    ${
      edges.length > 0 &&
      html`<svg
        class="map"
        viewBox=${`0 0 ${String(width)} ${String(height)}`}
        role="img"
        aria-label=${`${String(depth.size)} services and ${String(edges.length)} calls between them`}
        data-testid="service-map"
      >
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerUnits="userSpaceOnUse"
            markerWidth="10"
            markerHeight="10"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" />
          </marker>
        </defs>
        ${edges.map((edge) => {
          const from = position.get(edge.parent);
          const to = position.get(edge.child);
          if (from === undefined || to === undefined) return null;
          const [x1, y1, x2, y2] = [from.x + NODE_W, from.y + NODE_H / 2, to.x, to.y + NODE_H / 2];
          const share = edge.callCount === 0 ? 0 : edge.errorCount / edge.callCount;
          // A call that skips a column arcs over the services between, not through them.
          const skips = (depth.get(edge.child) ?? 0) - (depth.get(edge.parent) ?? 0) > 1;
          // Control points above the rows: the curve's middle passes about TOP/2 above the first row.
          const [c1, c2] = skips ? [TOP / 2 - 60, TOP / 2 - 60] : [y1, y2];
          const labelY = skips ? TOP / 2 - 10 : (y1 + y2) / 2 - 8;
          return html`<g class=${share > 0.1 ? 'edge failing' : 'edge'}>
            <path
              d=${`M ${String(x1)} ${String(y1)} C ${String(x1 + 80)} ${String(c1)}, ${String(x2 - 80)} ${String(c2)}, ${String(x2)} ${String(y2)}`}
              marker-end="url(#arrow)"
            />
            <text x=${(x1 + x2) / 2} y=${labelY} text-anchor="middle"
              >${`${String(edge.callCount)} calls · ${percent(share)} failed`}</text
            >
          </g>`;
        })}
        ${[...position].map(
          ([service, at]) =>
            html`<g class="node"
              ><rect x=${at.x} y=${at.y} width=${NODE_W} height=${NODE_H} rx="6" /><text
                x=${at.x + NODE_W / 2}
                y=${at.y + NODE_H / 2 + 4}
                text-anchor="middle"
                >${service}</text
              ></g
            >`,
        )}
      </svg>`
    }
    ${
      edges.length > 0 &&
      html`<table class="grid" data-testid="map-edges">
        <caption>
          Calls between services
        </caption>
        <thead>
          <tr>
            <th scope="col">Caller</th>
            <th scope="col">Called</th>
            <th scope="col" class="num">Calls</th>
            <th scope="col" class="num">Failed</th>
          </tr>
        </thead>
        <tbody>
          ${edges.map(
            (edge) =>
              html`<tr>
                <td>
                  <${Link} href=${`/traces?service=${encodeURIComponent(edge.parent)}&lookback=${lookback}`}
                    >${edge.parent}<//
                  >
                </td>
                <td>
                  <${Link} href=${`/traces?service=${encodeURIComponent(edge.child)}&lookback=${lookback}`}
                    >${edge.child}<//
                  >
                </td>
                <td class="num">${edge.callCount}</td>
                <td class=${`num ${edge.errorCount / Math.max(1, edge.callCount) > 0.1 ? 'bad' : ''}`}>
                  ${percent(edge.errorCount / Math.max(1, edge.callCount))}
                </td>
              </tr>`,
          )}
        </tbody>
      </table>`
    }
  </section>` as VNode;
}
