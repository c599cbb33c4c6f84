/**
 * Logs: search by service, level, category, trace id and words over a time range, all in the
 * URL; live tail with pause and clear; each record's fields; a record's trace one click away.
 */
import type { VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { LOG_CATEGORIES, LOG_FIELDS, LOG_LEVELS } from '@pyairtable/conventions/log-fields';
import type { LogRecord } from '../api.js';
import { ago, field, getJson } from '../api.js';
import { Link, Status, html, navigate, useLoad } from '../html.js';
import { LOOKBACKS } from './search.js';

const TAIL_MS = 2_000;

function Record(props: { record: LogRecord }): VNode {
  const { record } = props;
  const traceId = field(record, LOG_FIELDS.traceId);
  const level = field(record, LOG_FIELDS.level);
  return html`<li class=${`log level-${level}`}>
    <details>
      <summary>
        <time>${field(record, LOG_FIELDS.timestamp)}</time>
        <span class="level">${level}</span>
        <b>${field(record, LOG_FIELDS.serviceName)}</b>
        <span class="category">${field(record, LOG_FIELDS.category)}</span>
        <span class="message">${field(record, LOG_FIELDS.message)}</span>
      </summary>
      ${traceId !== '' && html`<p><${Link} href=${`/trace/${traceId}`}>Open trace ${traceId}<//></p>`}
      <dl class="attributes">
        ${Object.entries(record).map(
          ([key, value]) =>
            html`<dt>${key}</dt>
              <dd>${typeof value === 'string' ? value : JSON.stringify(value)}</dd>`,
        )}
      </dl>
    </details>
  </li>` as VNode;
}

export function LogsView(props: { url: URL; services: readonly string[] }): VNode {
  const q = props.url.searchParams;
  const lookback = q.get('lookback') ?? '1h';
  const [tail, setTail] = useState(false);
  const [tick, setTick] = useState(0);
  const [clearedAt, setClearedAt] = useState<string | undefined>(undefined);
  useEffect(() => {
    if (!tail) return;
    const timer = setInterval(() => {
      setTick((n) => n + 1);
    }, TAIL_MS);
    return () => {
      clearInterval(timer);
    };
  }, [tail]);
  const loaded = useLoad(`logs-${q.toString()}-${String(tick)}-${clearedAt ?? ''}`, () =>
    getJson<{ logs: LogRecord[] }>('/api/logs', {
      service: q.get('service') ?? '',
      level: q.get('level') ?? '',
      category: q.get('category') ?? '',
      trace_id: q.get('trace_id') ?? '',
      q: q.get('q') ?? '',
      limit: q.get('limit') ?? '200',
      ...(clearedAt !== undefined
        ? { start: clearedAt }
        : q.get('trace_id')
          ? {}
          : { start: ago(LOOKBACKS[lookback] ?? 3_600_000) }),
    }),
  );
  const submit = (event: SubmitEvent): void => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const next = new URLSearchParams();
    for (const [name, value] of form)
      if (typeof value === 'string' && value.trim() !== '') next.set(name, value.trim());
    setClearedAt(undefined);
    navigate(`/logs?${next.toString()}`);
  };
  const records = loaded.data?.logs ?? [];
  const select = (name: string, label: string, options: readonly string[]): VNode =>
    html`<label
      >${label}
      <select name=${name} value=${q.get(name) ?? ''}>
        <option value="">all</option>
        ${options.map((option) => html`<option value=${option}>${option}</option>`)}
      </select></label
    >` as VNode;
  return html`<section aria-labelledby="logs-title">
    <h1 id="logs-title">Logs</h1>
    <form class="filters" onSubmit=${submit} role="search" aria-label="Search logs">
      ${select('service', 'Service', props.services)} ${select('level', 'Level', LOG_LEVELS)}
      ${select('category', 'Category', LOG_CATEGORIES)}
      <label>Trace id <input name="trace_id" size="34" value=${q.get('trace_id') ?? ''} /></label>
      <label>Words <input name="q" value=${q.get('q') ?? ''} placeholder="timeout airtable" /></label>
      ${select('lookback', 'Last', Object.keys(LOOKBACKS))}
      <button type="submit">Search logs</button>
    </form>
    <div class="toolbar">
      <button
        type="button"
        aria-pressed=${tail}
        onClick=${() => {
          setTail(!tail);
        }}
      >
        ${tail ? 'Pause live tail' : 'Live tail'}
      </button>
      <button
        type="button"
        onClick=${() => {
          setClearedAt(new Date().toISOString());
        }}
      >
        Clear
      </button>
      <span aria-live="polite">${records.length} records${tail ? ', refreshing every 2 s' : ''}</span>
    </div>
    <${Status}
      loaded=${loaded}
      empty=${loaded.data !== undefined && records.length === 0}
      emptyText="No log record matches."
    />
    <ul class="logs" data-testid="logs">
      ${records.map((record, index) => html`<${Record} key=${index} record=${record} />`)}
    </ul>
  </section>` as VNode;
}
