/**
 * Log records in the contract's schema (the Filebeat, Logstash and Elasticsearch roles): JSON
 * lines validated against the contract, masked, stored in the same DuckDB file as the spans,
 * searched by time, service, level, category, trace id and text, and kept per category for
 * the contract's retention.
 */
import type { DuckDBConnection, DuckDBResultReader } from '@duckdb/node-api';
import type { LogCategory, LogRecord } from '@pyairtable/conventions';
import { LOG_CATEGORIES, LOG_FIELDS, LOG_RETENTION } from '@pyairtable/conventions';
import { appendAtomically } from './appender.js';
import type { LogQuery, LogReader, LogWriter } from './store-api.js';

export const LOG_SCHEMA = `CREATE TABLE IF NOT EXISTS logs (
  time_ns BIGINT NOT NULL,
  service VARCHAR NOT NULL,
  level VARCHAR NOT NULL,
  category VARCHAR NOT NULL,
  trace_id VARCHAR NOT NULL,
  message VARCHAR NOT NULL,
  record VARCHAR NOT NULL
)`;

const timeNs = (record: LogRecord): bigint => BigInt(Date.parse(record[LOG_FIELDS.timestamp])) * 1_000_000n;

/** Why a valid contract record cannot be stored, or undefined: its time must fit int64 nanoseconds. */
export function unstorableLogRecord(record: LogRecord): string | undefined {
  const stamp = record[LOG_FIELDS.timestamp];
  if (Number.isNaN(Date.parse(stamp))) return `${LOG_FIELDS.timestamp}: ${stamp} is not a time`;
  const ns = timeNs(record);
  if (ns < -(2n ** 63n) || ns >= 2n ** 63n)
    return `${LOG_FIELDS.timestamp}: ${stamp} lies outside 1677-09-21 to 2262-04-11, the times the store holds`;
  return undefined;
}

/**
 * Appends records checked by unstorableLogRecord, committed whole when the appender flushes.
 * `bytesByCategory` gets each record's JSON size in bytes added, counted here so nothing serialises twice.
 */
export async function appendLogs(
  writer: DuckDBConnection,
  records: readonly LogRecord[],
  bytesByCategory?: Map<LogCategory, number>,
): Promise<number> {
  if (records.length === 0) return 0;
  return appendAtomically(writer, 'logs', (appender) => {
    let bytes = 0;
    for (const record of records) {
      appender.appendBigInt(timeNs(record));
      appender.appendVarchar(record.service.name);
      appender.appendVarchar(record.log_level);
      appender.appendVarchar(record.category);
      appender.appendVarchar(record.trace?.id ?? '');
      appender.appendVarchar(record.message);
      const text = JSON.stringify(record);
      appender.appendVarchar(text);
      appender.endRow();
      bytes += text.length + record.message.length + 64;
      bytesByCategory?.set(
        record.category,
        (bytesByCategory.get(record.category) ?? 0) + Buffer.byteLength(text),
      );
    }
    return bytes;
  });
}

/** A read on the store's reading connection: what the store hands the log store. */
export type ReadQuery = (sql: string, values?: (string | bigint | number)[]) => Promise<DuckDBResultReader>;

export async function searchLogs(read: ReadQuery, query: LogQuery): Promise<unknown[]> {
  const conditions: string[] = [];
  const values: (string | bigint)[] = [];
  const bind = (value: string | bigint): string => `$${String(values.push(value))}`;
  if (query.startNs !== undefined) conditions.push(`time_ns >= ${bind(query.startNs)}`);
  if (query.endNs !== undefined) conditions.push(`time_ns <= ${bind(query.endNs)}`);
  if (query.service !== undefined) conditions.push(`service = ${bind(query.service)}`);
  if (query.level !== undefined) conditions.push(`level = ${bind(query.level.toUpperCase())}`);
  if (query.category !== undefined) conditions.push(`category = ${bind(query.category)}`);
  if (query.traceId !== undefined) conditions.push(`trace_id = ${bind(query.traceId.toLowerCase())}`);
  for (const word of (query.text ?? '').split(/\s+/).filter(Boolean))
    conditions.push(`contains(lower(record), ${bind(word.toLowerCase())})`);
  const limit = Math.min(Math.max(1, query.limit ?? 100), 1000);
  const result = await read(
    `SELECT record FROM logs ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
     ORDER BY time_ns DESC LIMIT ${String(limit)}`,
    values,
  );
  return result.getRows().map((row) => JSON.parse(String(row[0])) as unknown);
}

/** Deletes each category's records older than its retention; returns how many went. */
export async function enforceLogRetention(writer: DuckDBConnection, nowNs: bigint): Promise<number> {
  let deleted = 0;
  for (const category of LOG_CATEGORIES as readonly LogCategory[]) {
    const maxAgeNs = BigInt(LOG_RETENTION[category].deleteAfterDays) * 86_400_000_000_000n;
    const result = await writer.runAndReadAll('DELETE FROM logs WHERE category = $1 AND time_ns < $2', [
      category,
      nowNs - maxAgeNs,
    ]);
    deleted += result.rowsChanged;
  }
  return deleted;
}

/** The log records' table: written by the ingest, searched by the API, kept per category. */
export class LogStore implements LogWriter, LogReader {
  /** `writer` is asked each time: the store's connections change when it is compacted. */
  constructor(
    private readonly writer: () => DuckDBConnection,
    private readonly read: ReadQuery,
  ) {}

  /** Appends records: all of them are committed, or none (see appendLogs). */
  append(records: readonly LogRecord[], bytesByCategory?: Map<LogCategory, number>): Promise<number> {
    return appendLogs(this.writer(), records, bytesByCategory);
  }

  search(query: LogQuery): Promise<unknown[]> {
    return searchLogs(this.read, query);
  }

  enforceRetention(nowNs: bigint): Promise<number> {
    return enforceLogRetention(this.writer(), nowNs);
  }
}
