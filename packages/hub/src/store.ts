/**
 * The hub's durable store: DuckDB in one file of the data directory, columnar and fast at the
 * percentile queries RED needs (bench/hub-ingest.mjs measures ingest, search latency and
 * memory). A batch is acknowledged only after its transaction has committed to DuckDB's
 * write-ahead log, so acknowledged data survives a restart and `kill -9`. One writer; reads go
 * through their own connection.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBResultReader } from '@duckdb/node-api';
import { DuckDBInstance } from '@duckdb/node-api';
import { appendAtomically } from './appender.js';
import { LOG_SCHEMA, LogStore } from './log-store.js';
import type {
  DependencyEdge,
  ErasureCounts,
  ErasureSubject,
  RedRow,
  SpanReader,
  SpanWriter,
  TraceQuery,
} from './store-api.js';
import { SPAN_ATTRIBUTES } from '@pyairtable/conventions';
import type { KeyValue, SpanRecord } from './span-record.js';

export const STORE_FILE = 'hub.duckdb';

const SCHEMA = [
  // Resource and scope are shared by every span of a batch: stored once, referenced by key.
  `CREATE TABLE IF NOT EXISTS origins (
     origin_key VARCHAR PRIMARY KEY,
     resource JSON NOT NULL,
     scope JSON NOT NULL
   )`,
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
     attrs VARCHAR NOT NULL,
     origin_key VARCHAR NOT NULL,
     record VARCHAR NOT NULL
   )`,
];

/** An attribute's value as the text searches compare with. */
function attributeText(entry: KeyValue): string {
  const { value } = entry;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return value.intValue;
  if (value.doubleValue !== undefined) return String(value.doubleValue);
  if (value.boolValue !== undefined) return String(value.boolValue);
  return JSON.stringify(value);
}

/**
 * What a span has beyond its columns and its origin, as compact JSON: empty lists and zero
 * counts left out, and string attributes left to the `attrs` column (the common case), so only
 * attributes of other types are repeated here with their type. Ingest cost follows the bytes
 * appended (bench/README.md), so each byte left out is throughput.
 */
function serialiseRecord(span: SpanRecord): string {
  const record: Record<string, unknown> = {};
  if (span.traceState !== '') record['traceState'] = span.traceState;
  if (span.flags !== 0) record['flags'] = span.flags;
  if (span.statusMessage !== '') record['statusMessage'] = span.statusMessage;
  const typed = span.attributes.filter((entry) => entry.value.stringValue === undefined);
  if (typed.length > 0) record['typed'] = typed;
  if (span.events.length > 0) record['events'] = span.events;
  if (span.links.length > 0) record['links'] = span.links;
  if (span.droppedAttributesCount > 0) record['droppedAttributesCount'] = span.droppedAttributesCount;
  if (span.droppedEventsCount > 0) record['droppedEventsCount'] = span.droppedEventsCount;
  if (span.droppedLinksCount > 0) record['droppedLinksCount'] = span.droppedLinksCount;
  return JSON.stringify(record);
}

/** The searchable attributes: each key with its value as text. */
const serialiseAttrs = (span: SpanRecord): string =>
  JSON.stringify(Object.fromEntries(span.attributes.map((entry) => [entry.key, attributeText(entry)])));

/** A span row's fixed columns (ids, times, kind, status) as text, about. */
const ROW_BYTES = 96;

/** Columns of the span queries, in this order. */
const SPAN_COLUMNS =
  's.trace_id, s.span_id, s.parent_span_id, s.service, s.name, s.kind, s.start_ns, s.end_ns, s.status_code, s.record, o.resource, o.scope, s.attrs';

interface StoredRecord {
  traceState?: string;
  flags?: number;
  statusMessage?: string;
  /** Attributes not of string type (all attributes, in records written before compaction). */
  typed?: KeyValue[];
  attributes?: KeyValue[];
  events?: SpanRecord['events'];
  links?: SpanRecord['links'];
  droppedAttributesCount?: number;
  droppedEventsCount?: number;
  droppedLinksCount?: number;
}

function spanFromRow(row: readonly unknown[]): SpanRecord {
  const record = JSON.parse(String(row[9])) as StoredRecord;
  let attributes = record.attributes;
  if (attributes === undefined) {
    // String attributes come from `attrs`, the others from `typed`, in the span's own order.
    const typed = new Map((record.typed ?? []).map((entry) => [entry.key, entry.value]));
    const texts = JSON.parse(String(row[12])) as Record<string, string>;
    attributes = Object.entries(texts).map(([key, text]) => ({
      key,
      value: typed.get(key) ?? { stringValue: text },
    }));
  }
  return {
    traceState: record.traceState ?? '',
    flags: record.flags ?? 0,
    statusMessage: record.statusMessage ?? '',
    attributes,
    events: record.events ?? [],
    links: record.links ?? [],
    droppedAttributesCount: record.droppedAttributesCount ?? 0,
    droppedEventsCount: record.droppedEventsCount ?? 0,
    droppedLinksCount: record.droppedLinksCount ?? 0,
    traceId: String(row[0]),
    spanId: String(row[1]),
    parentSpanId: String(row[2]),
    serviceName: String(row[3]),
    name: String(row[4]),
    kind: Number(row[5]),
    startTimeUnixNano: row[6] as bigint,
    endTimeUnixNano: row[7] as bigint,
    statusCode: Number(row[8]),
    resource: JSON.parse(String(row[10])) as KeyValue[],
    scope: JSON.parse(String(row[11])) as SpanRecord['scope'],
  };
}

/** Adds a query parameter and returns its placeholder. */
type Bind = (value: string | bigint) => string;
const binder =
  (values: (string | bigint)[]): Bind =>
  (value) =>
    `$${String(values.push(value))}`;

/**
 * Whether a span's `attrs` (JSON.stringify of {key: text}) has `key` with the text `value`: the
 * pair `"key":"value"` encoded the same way occurs right after `{` or `,` exactly when it does,
 * since inside a JSON string every quote is escaped, so no key or value can contain `,"` or
 * `{"`. Keys stay data, never JSON-path syntax.
 */
function attributeCondition(key: string, value: string, bind: Bind): string {
  return attrsCondition(key, JSON.stringify(value), bind);
}

/** Whether a span's `attrs` has `key` at all (see attributeCondition). */
function keyCondition(key: string, bind: Bind): string {
  return attrsCondition(key, '', bind);
}

/** `"key":` followed by `rest`, as the first member of `attrs` or a later one. */
function attrsCondition(key: string, rest: string, bind: Bind): string {
  const member = `${JSON.stringify(key)}:${rest}`;
  return `(contains(attrs, ${bind(`{${member}`)}) OR contains(attrs, ${bind(`,${member}`)}))`;
}

/** A string as an SQL literal. */
const sqlString = (value: string): string => `'${value.replaceAll("'", "''")}'`;
/** A name as an SQL identifier. */
const sqlIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** A DuckDB database open on the store's file: one writing connection, one reading. */
interface Database {
  readonly instance: DuckDBInstance;
  readonly writer: DuckDBConnection;
  readonly reader: DuckDBConnection;
}

async function openDatabase(file: string, memoryLimitBytes: number): Promise<Database> {
  const instance = await DuckDBInstance.create(file, {
    threads: '2',
    // DuckDB would checkpoint inside whichever commit crossed 16 MiB of log, and commits are
    // synchronous: the hub's event loop stopped for up to a second. The ingest checkpoints
    // asynchronously instead (`checkpoint`, `CHECKPOINT_EVERY_BYTES` in ingest.ts).
    wal_autocheckpoint: '1TB',
    memory_limit: `${String(Math.floor(memoryLimitBytes / 2 ** 20))}MiB`,
  });
  const writer = await instance.connect();
  for (const statement of [...SCHEMA, LOG_SCHEMA]) await writer.run(statement);
  return { instance, writer, reader: await instance.connect() };
}

const closeDatabase = (db: Database): void => {
  db.reader.closeSync();
  db.writer.closeSync();
  db.instance.closeSync();
};

/** Makes a rename in `directory` durable. */
function syncDirectory(directory: string): void {
  const descriptor = openSync(directory, 'r');
  try {
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
}

/** The file a compaction writes before it takes the store's place. */
const COMPACT_FILE = 'hub.compact.duckdb';

export class SpanStore implements SpanWriter, SpanReader {
  /** Origins already stored, by the resource object a decoded batch shares among its spans. */
  private readonly originKeys = new WeakMap<object, string>();
  private readonly knownOrigins = new Set<string>();
  /** Reads running on the reading connection, and what a compaction waits on for them. */
  private reads = 0;
  private readsDone: (() => void) | undefined;
  /** While a compaction swaps the file, reads wait for this. */
  private swapping: Promise<void> | undefined;

  /** The log records, in the same file: apart from the spans, on the same connections. */
  readonly logs: LogStore;

  private constructor(
    private db: Database,
    private readonly dataDir: string,
    private readonly memoryLimitBytes: number,
  ) {
    this.logs = new LogStore(
      () => this.db.writer,
      (sql, values) => this.read(sql, values),
    );
  }

  /** Opens (or creates) the store; DuckDB keeps within `memoryLimitBytes` (default 256 MiB). */
  static async open(dataDir: string, options: { memoryLimitBytes?: number } = {}): Promise<SpanStore> {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // A compaction that did not finish left its copy; the store's own file is whole.
    rmSync(join(dataDir, COMPACT_FILE), { force: true });
    const memoryLimitBytes = options.memoryLimitBytes ?? 256 * 2 ** 20;
    return new SpanStore(
      await openDatabase(join(dataDir, STORE_FILE), memoryLimitBytes),
      dataDir,
      memoryLimitBytes,
    );
  }

  /** A query on the reading connection, counted so that a compaction can wait for it. */
  private async read(sql: string, values?: (string | bigint | number)[]): Promise<DuckDBResultReader> {
    while (this.swapping !== undefined) await this.swapping;
    this.reads++;
    try {
      return await this.db.reader.runAndReadAll(sql, values);
    } finally {
      this.reads--;
      if (this.reads === 0) this.readsDone?.();
    }
  }

  /**
   * Appends a batch: committed whole when the appender flushes, or not at all (a failure clears
   * the appender before it closes). Resolves once committed (durable), with about how many
   * bytes it added before compression (what the size cap's checks count). An explicit
   * transaction around it cost 15% of ingest (bench/README.md) for nothing the appender lacks.
   */
  async append(spans: readonly SpanRecord[]): Promise<number> {
    if (spans.length === 0) return 0;
    const origins = new Map<string, { resource: string; scope: string }>();
    const originOf = (span: SpanRecord): string => {
      let key = this.originKeys.get(span.scope);
      if (key === undefined) {
        const resource = JSON.stringify(span.resource);
        const scope = JSON.stringify(span.scope);
        key = createHash('sha256').update(resource).update('\n').update(scope).digest('hex').slice(0, 16);
        this.originKeys.set(span.scope, key);
        if (!this.knownOrigins.has(key)) origins.set(key, { resource, scope });
      } else if (!this.knownOrigins.has(key) && !origins.has(key))
        // Seen in a batch that was rolled back: stored again with this one.
        origins.set(key, { resource: JSON.stringify(span.resource), scope: JSON.stringify(span.scope) });
      return key;
    };
    const keys = spans.map(originOf);
    for (const [key, origin] of origins)
      await this.db.writer.run('INSERT OR IGNORE INTO origins VALUES ($1, $2, $3)', [
        key,
        origin.resource,
        origin.scope,
      ]);
    const bytes = await appendAtomically(this.db.writer, 'spans', (appender) => {
      let appended = 0;
      for (const [index, span] of spans.entries()) {
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
        const attrs = serialiseAttrs(span);
        const record = serialiseRecord(span);
        appender.appendVarchar(attrs);
        appender.appendVarchar(keys[index] ?? '');
        appender.appendVarchar(record);
        appended += ROW_BYTES + attrs.length + record.length + span.name.length;
        appender.endRow();
      }
      return appended;
    });
    // Known once the spans that use them are in: after a failure they are inserted again.
    for (const key of origins.keys()) this.knownOrigins.add(key);
    return bytes;
  }

  /** Removes whole traces (the sampler's drops), in one transaction. */
  async deleteTraces(traceIds: readonly string[]): Promise<void> {
    for (let start = 0; start < traceIds.length; start += 1000) {
      const chunk = traceIds.slice(start, start + 1000);
      await this.db.writer.run(
        `DELETE FROM spans WHERE trace_id IN (${chunk.map((_id, index) => `$${String(index + 1)}`).join(', ')})`,
        [...chunk],
      );
    }
  }

  async services(): Promise<string[]> {
    const result = await this.read('SELECT DISTINCT service FROM spans ORDER BY service');
    return result.getRows().map((row) => String(row[0]));
  }

  async operations(service: string, spanKind?: number): Promise<{ name: string; kind: number }[]> {
    const result = await this.read(
      spanKind === undefined
        ? 'SELECT DISTINCT name, kind FROM spans WHERE service = $1 ORDER BY name, kind'
        : 'SELECT DISTINCT name, kind FROM spans WHERE service = $1 AND kind = $2 ORDER BY name, kind',
      spanKind === undefined ? [service] : [service, spanKind],
    );
    return result.getRows().map((row) => ({ name: String(row[0]), kind: Number(row[1]) }));
  }

  async trace(traceId: string): Promise<SpanRecord[]> {
    const result = await this.read(
      `SELECT ${SPAN_COLUMNS} FROM spans s JOIN origins o USING (origin_key) WHERE s.trace_id = $1 ORDER BY s.start_ns`,
      [traceId],
    );
    return result.getRows().map(spanFromRow);
  }

  /** Traces with at least one span matching every condition, newest first, whole. */
  async findTraces(query: TraceQuery): Promise<SpanRecord[][]> {
    const conditions: string[] = [];
    const values: (string | bigint)[] = [];
    const bind = binder(values);
    if (query.service !== undefined) conditions.push(`service = ${bind(query.service)}`);
    if (query.operation !== undefined) conditions.push(`name = ${bind(query.operation)}`);
    if (query.startMinNs !== undefined) conditions.push(`start_ns >= ${bind(query.startMinNs)}`);
    if (query.startMaxNs !== undefined) conditions.push(`start_ns <= ${bind(query.startMaxNs)}`);
    if (query.durationMinNs !== undefined) conditions.push(`duration_ns >= ${bind(query.durationMinNs)}`);
    if (query.durationMaxNs !== undefined) conditions.push(`duration_ns <= ${bind(query.durationMaxNs)}`);
    for (const [key, value] of Object.entries(query.attributes ?? {}))
      conditions.push(attributeCondition(key, value, bind));
    const limit = Math.min(Math.max(1, query.limit ?? 20), 1000);
    const ids = await this.read(
      `SELECT trace_id, max(start_ns) AS latest FROM spans ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
       GROUP BY trace_id ORDER BY latest DESC LIMIT ${String(limit)}`,
      values,
    );
    const traceIds = ids.getRows().map((row) => String(row[0]));
    if (traceIds.length === 0) return [];
    const spans = await this.read(
      `SELECT ${SPAN_COLUMNS} FROM spans s JOIN origins o USING (origin_key)
       WHERE s.trace_id IN (${traceIds.map((_id, index) => `$${String(index + 1)}`).join(', ')}) ORDER BY s.start_ns`,
      traceIds,
    );
    const byTrace = new Map<string, SpanRecord[]>(traceIds.map((id) => [id, []]));
    for (const row of spans.getRows()) byTrace.get(String(row[0]))?.push(spanFromRow(row));
    return [...byTrace.values()];
  }

  /** Calls between services: a span whose parent belongs to another service, counted per pair. */
  async dependencies(startNs: bigint, endNs: bigint): Promise<DependencyEdge[]> {
    const result = await this.read(
      `SELECT p.service, c.service, count(*), count(*) FILTER (WHERE c.status_code = 2) FROM spans c
       JOIN spans p ON c.trace_id = p.trace_id AND c.parent_span_id = p.span_id
       WHERE p.service <> c.service AND c.start_ns BETWEEN $1 AND $2
       GROUP BY 1, 2 ORDER BY 1, 2`,
      [startNs, endNs],
    );
    return result.getRows().map((row) => ({
      parent: String(row[0]),
      child: String(row[1]),
      callCount: Number(row[2]),
      errorCount: Number(row[3]),
    }));
  }

  /** RED per service and operation over a time window: requests, errors and latency quantiles. */
  async red(query: {
    readonly startNs: bigint;
    readonly endNs: bigint;
    readonly service?: string;
    /** Span kinds counted as requests (default server and consumer: what a service answers). */
    readonly kinds?: readonly number[];
  }): Promise<RedRow[]> {
    const kinds = (query.kinds ?? [2, 5]).filter((kind) => Number.isInteger(kind) && kind >= 0 && kind <= 5);
    const values: (string | bigint)[] = [query.startNs, query.endNs];
    const serviceCondition =
      query.service === undefined ? '' : `AND service = $${String(values.push(query.service))}`;
    const result = await this.read(
      `SELECT service, name, count(*), count(*) FILTER (WHERE status_code = 2),
              quantile_cont(duration_ns, 0.5), quantile_cont(duration_ns, 0.95), quantile_cont(duration_ns, 0.99)
       FROM spans WHERE start_ns BETWEEN $1 AND $2 ${serviceCondition}
         AND kind IN (${kinds.length > 0 ? kinds.join(', ') : '-1'})
       GROUP BY 1, 2 ORDER BY 1, 2`,
      values,
    );
    return result.getRows().map((row) => ({
      service: String(row[0]),
      operation: String(row[1]),
      requests: Number(row[2]),
      errors: Number(row[3]),
      p50Ns: Number(row[4]),
      p95Ns: Number(row[5]),
      p99Ns: Number(row[6]),
    }));
  }

  async requestSeries(query: {
    readonly startNs: bigint;
    readonly endNs: bigint;
    readonly bucketNs: bigint;
  }): Promise<{ service: string; bucket: number; requests: number; errors: number }[]> {
    const result = await this.read(
      `SELECT service, (start_ns - $1) // $3, count(*), count(*) FILTER (WHERE status_code = 2)
       FROM spans WHERE start_ns BETWEEN $1 AND $2 AND kind IN (2, 5)
       GROUP BY 1, 2 ORDER BY 1, 2`,
      [query.startNs, query.endNs, query.bucketNs],
    );
    return result.getRows().map((row) => ({
      service: String(row[0]),
      bucket: Number(row[1]),
      requests: Number(row[2]),
      errors: Number(row[3]),
    }));
  }

  /** Row groups of the span table: the unit in which DuckDB returns space after deletes. */
  async rowGroups(): Promise<number> {
    const result = await this.read("SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('spans')");
    return Number(result.getRows()[0]?.[0] ?? 0);
  }

  async checkpoint(): Promise<void> {
    await this.db.writer.run('CHECKPOINT');
  }

  /** Bytes the database's used blocks occupy (freed blocks are reused, so this falls after deletes). */
  async usedBytes(): Promise<number> {
    await this.db.writer.run('CHECKPOINT');
    const result = await this.read('SELECT used_blocks, block_size FROM pragma_database_size()');
    const row = result.getRows()[0];
    return row === undefined ? 0 : Number(row[0]) * Number(row[1]);
  }

  /**
   * Deletes spans older than `maxAgeNs` (by start time), then, while the store uses more than
   * `maxBytes`, the oldest spans beyond the share that brings it under the cap. Oldest first,
   * always: the newest data is what a developer is looking at.
   */
  async enforceRetention(limits: {
    readonly nowNs: bigint;
    readonly maxAgeNs: bigint;
    readonly maxBytes: number;
  }): Promise<{ deletedByAge: number; deletedBySize: number }> {
    const byAge = await this.db.writer.runAndReadAll('DELETE FROM spans WHERE start_ns < $1', [
      limits.nowNs - limits.maxAgeNs,
    ]);
    const deletedByAge = byAge.rowsChanged;
    let deletedBySize = 0;
    let previous = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 5; round++) {
      const used = await this.usedBytes();
      // DuckDB returns space a row group at a time (about 120,000 rows): when a pass freed
      // nothing, deleting more would not either, and would only lose data.
      if (used <= limits.maxBytes || used >= previous) break;
      previous = used;
      // Down to 90% of the cap, not just under it: a store at its cap would evict on every
      // batch; the slack also absorbs DuckDB returning space a row group at a time.
      const share = Math.min(1, (used - limits.maxBytes * 0.9) / used);
      const cutoff = await this.db.writer.runAndReadAll(
        'SELECT quantile_disc(start_ns, $1::DOUBLE) FROM spans',
        [share],
      );
      const value = cutoff.getRows()[0]?.[0];
      if (value === null || value === undefined) break;
      const deleted = await this.db.writer.runAndReadAll('DELETE FROM spans WHERE start_ns <= $1', [value]);
      deletedBySize += deleted.rowsChanged;
    }
    return { deletedByAge, deletedBySize };
  }

  async spanCount(): Promise<number> {
    const result = await this.read('SELECT count(*) FROM spans');
    return Number(result.getRows()[0]?.[0] ?? 0);
  }

  /**
   * Erases a data subject: every trace with a span whose `user.id` is `subject.userId` (and, when
   * a tenant is given, whose tenant is that one or unnamed), whole; and every log record whose
   * `user.id` is that id (the tenant likewise) or that belongs to one of those traces. One
   * transaction. Deleted rows stay in the file's blocks until `compact`.
   */
  async erase(subject: ErasureSubject): Promise<ErasureCounts> {
    const spanValues: string[] = [];
    const spanBind = binder(spanValues);
    const spanConditions = [attributeCondition(SPAN_ATTRIBUTES.userId, subject.userId, spanBind)];
    const logValues: string[] = [];
    const logBind = binder(logValues);
    const logConditions = [`json_extract_string(record, '$.user.id') = ${logBind(subject.userId)}`];
    if (subject.tenantId !== undefined) {
      const tenant = SPAN_ATTRIBUTES.tenantId;
      spanConditions.push(
        `(${attributeCondition(tenant, subject.tenantId, spanBind)} OR NOT ${keyCondition(tenant, spanBind)})`,
      );
      logConditions.push(
        `coalesce(json_extract_string(record, '$.tenant.id') = ${logBind(subject.tenantId)}, true)`,
      );
    }
    const { writer } = this.db;
    await writer.run('BEGIN TRANSACTION');
    try {
      await writer.run(
        `CREATE OR REPLACE TEMP TABLE erased_traces AS
         SELECT DISTINCT trace_id FROM spans WHERE ${spanConditions.join(' AND ')}`,
        spanValues,
      );
      const traces = await writer.runAndReadAll('SELECT count(*) FROM erased_traces');
      const spans = await writer.runAndReadAll(
        'DELETE FROM spans WHERE trace_id IN (SELECT trace_id FROM erased_traces)',
      );
      const logs = await writer.runAndReadAll(
        `DELETE FROM logs WHERE (${logConditions.join(' AND ')})
         OR trace_id IN (SELECT trace_id FROM erased_traces)`,
        logValues,
      );
      await writer.run('DROP TABLE erased_traces');
      await writer.run('COMMIT');
      return {
        traces: Number(traces.getRows()[0]?.[0] ?? 0),
        spans: spans.rowsChanged,
        logRecords: logs.rowsChanged,
      };
    } catch (error) {
      await writer.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /**
   * Rewrites the store into a fresh file that takes the old one's place, so deleted rows are
   * in no block of it (a checkpoint leaves them in the file until their block is reused). Reads
   * wait while the files swap; the caller runs no write beside it.
   */
  async compact(): Promise<void> {
    const compactFile = join(this.dataDir, COMPACT_FILE);
    rmSync(compactFile, { force: true });
    const { writer } = this.db;
    await writer.run('CHECKPOINT');
    const current = await writer.runAndReadAll('SELECT current_database()');
    const name = String(current.getRows()[0]?.[0]);
    await writer.run(`ATTACH ${sqlString(compactFile)} AS compacted`);
    try {
      await writer.run(`COPY FROM DATABASE ${sqlIdentifier(name)} TO compacted`);
    } finally {
      await writer.run('DETACH compacted');
    }
    let swapped = (): void => undefined;
    this.swapping = new Promise<void>((resolve) => {
      swapped = resolve;
    });
    try {
      if (this.reads > 0)
        await new Promise<void>((resolve) => {
          this.readsDone = resolve;
        });
      this.readsDone = undefined;
      await this.swapFiles(compactFile);
    } finally {
      this.swapping = undefined;
      swapped();
    }
  }

  /**
   * Closes the database, puts the compacted file in its place and opens it. Whatever fails,
   * the store ends open on a whole file: the old one if the new one did not take its place.
   */
  private async swapFiles(compactFile: string): Promise<void> {
    const storeFile = join(this.dataDir, STORE_FILE);
    closeDatabase(this.db);
    let swappedIn = false;
    try {
      // A write-ahead log left by the closed database would be replayed onto the new file.
      if (existsSync(`${storeFile}.wal`)) throw new Error(`${STORE_FILE}.wal was left after the checkpoint`);
      renameSync(compactFile, storeFile);
      swappedIn = true;
      syncDirectory(this.dataDir);
    } finally {
      if (!swappedIn) rmSync(compactFile, { force: true });
      this.db = await openDatabase(storeFile, this.memoryLimitBytes);
    }
  }

  close(): void {
    closeDatabase(this.db);
  }
}
