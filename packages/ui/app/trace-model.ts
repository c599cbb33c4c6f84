/**
 * A trace from api_v3's OTLP/JSON as rows for the waterfall: depth-first in start order, each
 * span with its service, its children, and whether it lies on the critical path.
 */
import { RESOURCE_ATTRIBUTES, UNKNOWN_SERVICE_NAME } from '@pyairtable/conventions/attributes';

export interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
  bytesValue?: string;
}
export interface OtlpKeyValue {
  key: string;
  value?: OtlpValue;
}
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: OtlpKeyValue[];
  events?: { name: string; timeUnixNano: string; attributes?: OtlpKeyValue[] }[];
  links?: { traceId: string; spanId: string; attributes?: OtlpKeyValue[] }[];
  status?: { code?: number; message?: string };
}
export interface TracesData {
  resourceSpans?: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: { scope?: { name?: string; version?: string }; spans?: OtlpSpan[] }[];
  }[];
}

export interface SpanRow {
  readonly span: OtlpSpan;
  readonly service: string;
  readonly resource: readonly OtlpKeyValue[];
  readonly depth: number;
  readonly startMs: number;
  readonly durationMs: number;
  readonly error: boolean;
  readonly children: SpanRow[];
  critical: boolean;
}

export function valueText(value: OtlpValue | undefined): string {
  if (value === undefined) return '';
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return String(value.intValue);
  if (value.doubleValue !== undefined) return String(value.doubleValue);
  if (value.boolValue !== undefined) return String(value.boolValue);
  if (value.arrayValue !== undefined) return `[${(value.arrayValue.values ?? []).map(valueText).join(', ')}]`;
  if (value.kvlistValue !== undefined)
    return `{${(value.kvlistValue.values ?? []).map((entry) => `${entry.key}: ${valueText(entry.value)}`).join(', ')}}`;
  return value.bytesValue ?? '';
}

const ms = (ns: string): number => Number(BigInt(ns) / 1000n) / 1000;

/** Rows in waterfall order, roots first (orphans, whose parent is missing, are roots too). */
export function traceRows(data: TracesData): SpanRow[] {
  const rows = new Map<string, SpanRow>();
  const parents = new Map<string, string | undefined>();
  for (const resourceSpans of data.resourceSpans ?? []) {
    const resource = resourceSpans.resource?.attributes ?? [];
    const service =
      valueText(resource.find((entry) => entry.key === RESOURCE_ATTRIBUTES.serviceName)?.value) ||
      UNKNOWN_SERVICE_NAME;
    for (const scope of resourceSpans.scopeSpans ?? [])
      for (const span of scope.spans ?? []) {
        const startMs = ms(span.startTimeUnixNano);
        rows.set(span.spanId, {
          span,
          service,
          resource,
          depth: 0,
          startMs,
          durationMs: ms(span.endTimeUnixNano) - startMs,
          error: span.status?.code === 2,
          children: [],
          critical: false,
        });
        parents.set(span.spanId, span.parentSpanId === '' ? undefined : span.parentSpanId);
      }
  }
  const roots: SpanRow[] = [];
  for (const [id, row] of rows) {
    const parent = parents.get(id);
    const parentRow = parent === undefined ? undefined : rows.get(parent);
    if (parentRow === undefined) roots.push(row);
    else parentRow.children.push(row);
  }
  const ordered: SpanRow[] = [];
  const visit = (row: SpanRow, depth: number): void => {
    ordered.push({ ...row, depth, children: row.children });
    const placed = ordered[ordered.length - 1];
    if (placed !== undefined) rowsById.set(row.span.spanId, placed);
    for (const child of [...row.children].sort((a, b) => a.startMs - b.startMs)) visit(child, depth + 1);
  };
  const rowsById = new Map<string, SpanRow>();
  for (const root of roots.sort((a, b) => a.startMs - b.startMs)) visit(root, 0);
  for (const root of roots) markCritical(root, rowsById);
  return ordered;
}

/**
 * The critical path: from a span's end, the child that finished last before it, then what ran
 * before that child started, and so on (Jaeger's approach, without splitting a span's own time).
 */
function markCritical(row: SpanRow, rowsById: ReadonlyMap<string, SpanRow>): void {
  const placed = rowsById.get(row.span.spanId);
  if (placed !== undefined) placed.critical = true;
  let until = row.startMs + row.durationMs;
  const children = [...row.children].sort((a, b) => b.startMs + b.durationMs - (a.startMs + a.durationMs));
  for (const child of children) {
    const end = child.startMs + child.durationMs;
    if (end <= until + 1e-6) {
      markCritical(child, rowsById);
      until = child.startMs;
    }
  }
}

/** The rows shown: descendants of a collapsed span are hidden. */
export function visibleRows(rows: readonly SpanRow[], collapsed: ReadonlySet<string>): SpanRow[] {
  const shown: SpanRow[] = [];
  let hideDeeperThan: number | undefined;
  for (const row of rows) {
    if (hideDeeperThan !== undefined && row.depth > hideDeeperThan) continue;
    hideDeeperThan = collapsed.has(row.span.spanId) ? row.depth : undefined;
    shown.push(row);
  }
  return shown;
}

/** Whether a row matches a search within the trace: name, service, span id, or any attribute. */
export function rowMatches(row: SpanRow, text: string): boolean {
  const needle = text.toLowerCase();
  if (needle === '') return false;
  const haystack = [
    row.span.name,
    row.service,
    row.span.spanId,
    ...(row.span.attributes ?? []).flatMap((entry) => [entry.key, valueText(entry.value)]),
  ];
  return haystack.some((value) => value.toLowerCase().includes(needle));
}
