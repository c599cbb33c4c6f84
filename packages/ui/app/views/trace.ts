/**
 * One trace: the waterfall (virtualised rows, collapse and expand, the critical path marked),
 * search within the trace, the selected span's detail, the trace's logs, and a download in the
 * collector's file format.
 */
import type { VNode } from 'preact';
import { useMemo, useRef, useState } from 'preact/hooks';
import { LOG_FIELDS } from '@pyairtable/conventions/log-fields';
import type { LogRecord } from '../api.js';
import { field, getJson } from '../api.js';
import { duration } from '../format.js';
import { Link, Status, html, useLoad } from '../html.js';
import type { OtlpKeyValue, SpanRow, TracesData } from '../trace-model.js';
import { rowMatches, traceRows, valueText, visibleRows } from '../trace-model.js';
import { useVirtualList } from '../virtual.js';

const ROW_HEIGHT = 28;
const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

function Attributes(props: { title: string; entries: readonly OtlpKeyValue[] }): VNode | null {
  if (props.entries.length === 0) return null;
  return html`<details open>
    <summary>${props.title} (${props.entries.length})</summary>
    <dl class="attributes">
      ${props.entries.map(
        (entry) =>
          html`<dt>${entry.key}</dt>
            <dd>${valueText(entry.value)}</dd>`,
      )}
    </dl>
  </details>` as VNode;
}

function SpanDetail(props: { row: SpanRow; traceStart: number }): VNode {
  const { row } = props;
  const span = row.span;
  return html`<aside class="detail" aria-label="Span detail" data-testid="span-detail">
    <h2>${row.service}: ${span.name}</h2>
    <p>
      ${KINDS[span.kind ?? 0] ?? 'unspecified'} · starts at ${duration(row.startMs - props.traceStart)} ·
      lasts ${duration(row.durationMs)} · status
      ${span.status?.code === 2 ? html`<strong class="bad">error</strong>` : span.status?.code === 1 ? 'ok' : 'unset'}${span.status?.message ? `: ${span.status.message}` : ''}
    </p>
    <p>
      span ${span.spanId} ·
      <${Link} href=${`/logs?trace_id=${span.traceId}&q=${span.spanId}`}>this span's logs<//>
    </p>
    <${Attributes} title="Attributes" entries=${span.attributes ?? []} />
    ${
      (span.events ?? []).length > 0 &&
      html`<details open>
        <summary>Events (${(span.events ?? []).length})</summary>
        <ul>
          ${(span.events ?? []).map((event) => html`<li><strong>${event.name}</strong> ${(event.attributes ?? []).map((entry) => `${entry.key}=${valueText(entry.value)}`).join(' ')}</li>`)}
        </ul>
      </details>`
    }
    ${
      (span.links ?? []).length > 0 &&
      html`<details open>
        <summary>Links (${(span.links ?? []).length})</summary>
        <ul>
          ${(span.links ?? []).map((link) => html`<li><${Link} href=${`/trace/${link.traceId}`}>trace ${link.traceId}<//> span ${link.spanId}</li>`)}
        </ul>
      </details>`
    }
    <${Attributes} title="Resource" entries=${row.resource} />
  </aside>` as VNode;
}

async function download(traceId: string): Promise<void> {
  const token = localStorage.getItem('pyairtable-obs-token');
  const response = await fetch(`/api/v3/traces/${traceId}?format=file`, {
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
  const url = URL.createObjectURL(await response.blob());
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = `trace-${traceId}.jsonl`;
  anchor.click();
  URL.revokeObjectURL(url);
}

function TraceLogs(props: { traceId: string }): VNode {
  const logs = useLoad(`trace-logs-${props.traceId}`, () =>
    getJson<{ logs: LogRecord[] }>('/api/logs', { trace_id: props.traceId, limit: '200' }),
  );
  const records = logs.data?.logs ?? [];
  return html`<section aria-labelledby="trace-logs-title">
    <h2 id="trace-logs-title">Logs of this trace (${records.length})</h2>
    <${Status}
      loaded=${logs}
      empty=${logs.data !== undefined && records.length === 0}
      emptyText="No log record carries this trace id."
    />
    <ul class="log-lines" data-testid="trace-logs">
      ${records.map(
        (record) =>
          html`<li class=${`level-${field(record, LOG_FIELDS.level)}`}>
            <time>${field(record, LOG_FIELDS.timestamp)}</time>
            <b>${field(record, LOG_FIELDS.serviceName)}</b> ${field(record, LOG_FIELDS.message)}
          </li>`,
      )}
    </ul>
  </section>` as VNode;
}

export function TraceView(props: { traceId: string }): VNode {
  const { traceId } = props;
  const loaded = useLoad(`trace-${traceId}`, () =>
    getJson<{ result: TracesData }>(`/api/v3/traces/${traceId}`),
  );
  const rows = useMemo(() => (loaded.data === undefined ? [] : traceRows(loaded.data.result)), [loaded.data]);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const [find, setFind] = useState('');
  const shown = useMemo(() => visibleRows(rows, collapsed), [rows, collapsed]);
  const matches = useMemo(
    () => shown.flatMap((row, index) => (rowMatches(row, find) ? [index] : [])),
    [shown, find],
  );
  const scroller = useRef<HTMLDivElement>(null);
  const list = useVirtualList(shown.length, ROW_HEIGHT, scroller);
  const start = Math.min(...rows.map((row) => row.startMs));
  const total = Math.max(1e-3, Math.max(...rows.map((row) => row.startMs + row.durationMs)) - start);
  const toggle = (id: string): void => {
    const next = new Set(collapsed);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setCollapsed(next);
  };
  const selectedRow = rows.find((row) => row.span.spanId === selected);
  const services = new Set(rows.map((row) => row.service));
  const onKey = (event: KeyboardEvent, row: SpanRow, index: number): void => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      setSelected(row.span.spanId);
    } else if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
      if (row.children.length > 0 && collapsed.has(row.span.spanId) === (event.key === 'ArrowRight'))
        toggle(row.span.spanId);
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const next = Math.max(0, Math.min(shown.length - 1, index + (event.key === 'ArrowDown' ? 1 : -1)));
      list.scrollToIndex(next);
      requestAnimationFrame(() =>
        scroller.current?.querySelector<HTMLElement>(`[data-index="${String(next)}"]`)?.focus(),
      );
    }
  };
  return html`<section aria-labelledby="trace-title" class="trace">
    <h1 id="trace-title">Trace <code>${traceId}</code></h1>
    <${Status} loaded=${loaded} />
    ${
      rows.length > 0 &&
      html`<div class="toolbar">
          <span
            >${rows.length} spans · ${services.size} services · ${duration(total)} ·
            ${rows.filter((row) => row.error).length} errors</span
          >
          <label
            >Find in trace
            <input
              type="search"
              value=${find}
              placeholder="name, service, attribute"
              onInput=${(event: Event) => {
                setFind((event.currentTarget as HTMLInputElement).value);
              }}
              onKeyDown=${(event: KeyboardEvent) => {
                if (event.key === 'Enter' && matches.length > 0) list.scrollToIndex(matches[0] ?? 0);
              }}
          /></label>
          <span aria-live="polite" data-testid="find-count"
            >${find === '' ? '' : `${String(matches.length)} matching spans`}</span
          >
          <button
            type="button"
            onClick=${() => {
              setCollapsed(new Set());
            }}
          >
            Expand all
          </button>
          <button
            type="button"
            onClick=${() => {
              setCollapsed(
                new Set(
                  rows
                    .filter((row) => row.children.length > 0 && row.depth > 0)
                    .map((row) => row.span.spanId),
                ),
              );
            }}
          >
            Collapse all
          </button>
          <button type="button" onClick=${() => void download(traceId)}>Download (OTLP/JSON)</button>
          <${Link} href=${`/logs?trace_id=${traceId}`}>Logs of this trace<//>
        </div>
        <div class="waterfall-layout">
          <div
            class="waterfall"
            ref=${scroller}
            role="tree"
            aria-label="Spans of the trace"
            data-testid="waterfall"
          >
            <div style=${`height:${String(list.totalSize)}px;position:relative`}>
              ${list.items.map((item) => {
                const row = shown[item.index];
                if (row === undefined) return null;
                const left = ((row.startMs - start) / total) * 100;
                const width = Math.max(0.3, (row.durationMs / total) * 100);
                const classes = [
                  'span-row',
                  row.error ? 'error' : '',
                  row.critical ? 'critical' : '',
                  row.span.spanId === selected ? 'selected' : '',
                  rowMatches(row, find) ? 'match' : '',
                ].join(' ');
                return html`<div
                  key=${row.span.spanId}
                  class=${classes}
                  data-index=${item.index}
                  role="treeitem"
                  aria-level=${row.depth + 1}
                  aria-expanded=${row.children.length > 0 ? !collapsed.has(row.span.spanId) : undefined}
                  aria-selected=${row.span.spanId === selected}
                  tabindex="0"
                  style=${`transform:translateY(${String(item.start)}px);height:${String(ROW_HEIGHT)}px`}
                  onClick=${() => {
                    setSelected(row.span.spanId);
                  }}
                  onKeyDown=${(event: KeyboardEvent) => {
                    onKey(event, row, item.index);
                  }}
                >
                  <span class="label" style=${`padding-left:${String(row.depth * 14)}px`}>
                    ${
                      row.children.length > 0
                        ? html`<button
                            type="button"
                            class="twisty"
                            aria-label=${collapsed.has(row.span.spanId) ? 'Expand' : 'Collapse'}
                            tabindex="-1"
                            onClick=${(event: MouseEvent) => {
                              event.stopPropagation();
                              toggle(row.span.spanId);
                            }}
                          >
                            ${collapsed.has(row.span.spanId) ? '▸' : '▾'}
                          </button>`
                        : html`<span class="twisty"></span>`
                    }
                    <b>${row.service}</b> ${row.span.name}
                  </span>
                  <span class="bar-track"
                    ><span class="bar" style=${`left:${left.toFixed(3)}%;width:${width.toFixed(3)}%`}></span
                    ><span
                      class="bar-text"
                      style=${left + width > 80 ? `right:${(100 - left).toFixed(3)}%;padding-right:4px` : `left:${(left + width).toFixed(3)}%;padding-left:4px`}
                      >${duration(row.durationMs)}</span
                    ></span
                  >
                </div>`;
              })}
            </div>
          </div>
          ${selectedRow !== undefined && html`<${SpanDetail} row=${selectedRow} traceStart=${start} />`}
        </div>
        <${TraceLogs} traceId=${traceId} />`
    }
  </section>` as VNode;
}
