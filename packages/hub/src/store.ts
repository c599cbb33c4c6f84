/**
 * The hub's durable store: DuckDB in one file of the data directory. Columnar and fast at
 * appends and at the percentile queries RED needs (bench/hub-store.mjs measured it before it
 * was chosen). A batch is acknowledged only after its transaction has committed to DuckDB's
 * write-ahead log, so acknowledged data survives a restart and `kill -9`. One writer; reads go
 * through their own connection.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DuckDBInstance } from '@duckdb/node-api';
import type { KeyValue, SpanRecord } from './otlp/spans.js';

export const STORE_FILE = 'hub.duckdb';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS spans (
     trace_id VARCHAR NOT NULL,
     span_id VARCHAR NOT NULL,
     parent_span_id VARCHAR NOT NULL,
     service VARCHAR NOT NULL,
     name VARCHAR NOT NULL,
     kind TINYINT NOT NULL,
     start_ns BIGINT NOT NULL,
     end_ns BIGINT NOT NULL,
     duration_ns BIGINT NOT NULL,
     status_code TINYINT NOT NULL,
     attrs JSON NOT NULL,
     record JSON NOT NULL
   )`,
];

export interface TraceQuery {
  readonly service?: string;
  readonly operation?: string;
  /** Span attributes that must all match (string form of the value). */
  readonly attributes?: Readonly<Record<string, string>>;
  readonly startMinNs?: bigint;
  readonly startMaxNs?: bigint;
  readonly durationMinNs?: bigint;
  readonly durationMaxNs?: bigint;
  readonly limit?: number;
}

/** An attribute's value as the text searches compare with. */
function attributeText(entry: KeyValue): string {
  const { value } = entry;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return value.intValue;
  if (value.doubleValue !== undefined) return String(value.doubleValue);
  if (value.boolValue !== undefined) return String(value.boolValue);
  return JSON.stringify(value);
}

const serialiseRecord = (span: SpanRecord): string =>
  JSON.stringify(span, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));

function parseRecord(text: string): SpanRecord {
  const raw = JSON.parse(text) as Record<string, unknown>;
  return {
    ...(raw as unknown as SpanRecord),
    startTimeUnixNano: BigInt(raw['startTimeUnixNano'] as string),
    endTimeUnixNano: BigInt(raw['endTimeUnixNano'] as string),
  };
}

export class SpanStore {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly reader: DuckDBConnection,
  ) {}

  static async open(dataDir: string, options: { memoryLimit?: string } = {}): Promise<SpanStore> {
    mkdirSync(dataDir, { recursive: true });
    const instance = await DuckDBInstance.create(join(dataDir, STORE_FILE), {
      threads: '2',
      memory_limit: options.memoryLimit ?? '256MB',
    });
    const writer = await instance.connect();
    for (const statement of SCHEMA) await writer.run(statement);
    const reader = await instance.connect();
    return new SpanStore(instance, writer, reader);
  }

  /** Appends a batch in one transaction; resolves once it is committed (durable). */
  async append(spans: readonly SpanRecord[]): Promise<void> {
    if (spans.length === 0) return;
    const appender = await this.writer.createAppender('spans');
    try {
      for (const span of spans) {
        appender.appendVarchar(span.traceId);
        appender.appendVarchar(span.spanId);
        appender.appendVarchar(span.parentSpanId);
        appender.appendVarchar(span.serviceName);
        appender.appendVarchar(span.name);
        appender.appendTinyInt(span.kind);
        appender.appendBigInt(span.startTimeUnixNano);
        appender.appendBigInt(span.endTimeUnixNano);
        appender.appendBigInt(span.endTimeUnixNano - span.startTimeUnixNano);
        appender.appendTinyInt(span.statusCode);
        appender.appendVarchar(
          JSON.stringify(
            Object.fromEntries(span.attributes.map((entry) => [entry.key, attributeText(entry)])),
          ),
        );
        appender.appendVarchar(serialiseRecord(span));
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  async services(): Promise<string[]> {
    const result = await this.reader.runAndReadAll('SELECT DISTINCT service FROM spans ORDER BY service');
    return result.getRows().map((row) => String(row[0]));
  }

  async operations(service: string, spanKind?: number): Promise<{ name: string; kind: number }[]> {
    const result = await this.reader.runAndReadAll(
      spanKind === undefined
        ? 'SELECT DISTINCT name, kind FROM spans WHERE service = $1 ORDER BY name, kind'
        : 'SELECT DISTINCT name, kind FROM spans WHERE service = $1 AND kind = $2 ORDER BY name, kind',
      spanKind === undefined ? [service] : [service, spanKind],
    );
    return result.getRows().map((row) => ({ name: String(row[0]), kind: Number(row[1]) }));
  }

  async trace(traceId: string): Promise<SpanRecord[]> {
    const result = await this.reader.runAndReadAll(
      'SELECT record FROM spans WHERE trace_id = $1 ORDER BY start_ns',
      [traceId],
    );
    return result.getRows().map((row) => parseRecord(String(row[0])));
  }

  /** Traces with at least one span matching every condition, newest first, whole. */
  async findTraces(query: TraceQuery): Promise<SpanRecord[][]> {
    const conditions: string[] = [];
    const values: (string | bigint)[] = [];
    const bind = (value: string | bigint): string => {
      values.push(value);
      return `$${String(values.length)}`;
    };
    if (query.service !== undefined) conditions.push(`service = ${bind(query.service)}`);
    if (query.operation !== undefined) conditions.push(`name = ${bind(query.operation)}`);
    if (query.startMinNs !== undefined) conditions.push(`start_ns >= ${bind(query.startMinNs)}`);
    if (query.startMaxNs !== undefined) conditions.push(`start_ns <= ${bind(query.startMaxNs)}`);
    if (query.durationMinNs !== undefined) conditions.push(`duration_ns >= ${bind(query.durationMinNs)}`);
    if (query.durationMaxNs !== undefined) conditions.push(`duration_ns <= ${bind(query.durationMaxNs)}`);
    for (const [key, value] of Object.entries(query.attributes ?? {}))
      conditions.push(
        `json_extract_string(attrs, ${bind(`$."${key.replace(/["\\]/g, '')}"`)}) = ${bind(value)}`,
      );
    const limit = Math.min(Math.max(1, query.limit ?? 20), 1000);
    const ids = await this.reader.runAndReadAll(
      `SELECT trace_id, max(start_ns) AS latest FROM spans ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
       GROUP BY trace_id ORDER BY latest DESC LIMIT ${String(limit)}`,
      values,
    );
    const traceIds = ids.getRows().map((row) => String(row[0]));
    if (traceIds.length === 0) return [];
    const spans = await this.reader.runAndReadAll(
      `SELECT trace_id, record FROM spans WHERE trace_id IN (${traceIds.map((_id, index) => `$${String(index + 1)}`).join(', ')}) ORDER BY start_ns`,
      traceIds,
    );
    const byTrace = new Map<string, SpanRecord[]>(traceIds.map((id) => [id, []]));
    for (const row of spans.getRows()) byTrace.get(String(row[0]))?.push(parseRecord(String(row[1])));
    return [...byTrace.values()];
  }

  async spanCount(): Promise<number> {
    const result = await this.reader.runAndReadAll('SELECT count(*) FROM spans');
    return Number(result.getRows()[0]?.[0] ?? 0);
  }

  close(): void {
    this.reader.closeSync();
    this.writer.closeSync();
    this.instance.closeSync();
  }
}
