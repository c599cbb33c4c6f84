/**
 * What the rest of the hub may do with the store: the ingest writes through the writers, the
 * query APIs read through the readers. DuckDB is one implementation (store.ts, log-store.ts);
 * another store would implement these and change nothing else, as Jaeger v2's storage does.
 */
import type { LogCategory, LogRecord } from '@pyairtable/conventions';
import type { SpanRecord } from './span-record.js';

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

export interface LogQuery {
  readonly startNs?: bigint;
  readonly endNs?: bigint;
  readonly service?: string;
  readonly level?: string;
  readonly category?: string;
  readonly traceId?: string;
  /** Words that must all appear in the record (message or fields), case-insensitively. */
  readonly text?: string;
  readonly limit?: number;
}

export interface RedRow {
  readonly service: string;
  readonly operation: string;
  readonly requests: number;
  readonly errors: number;
  readonly p50Ns: number;
  readonly p95Ns: number;
  readonly p99Ns: number;
}

export interface SpanWriter {
  /** Commits a batch whole or not at all; resolves with about the bytes it added. */
  append(spans: readonly SpanRecord[]): Promise<number>;
  /** Removes whole traces (the sampler's drops). */
  deleteTraces(traceIds: readonly string[]): Promise<void>;
  /** Deletes by age, then the oldest beyond the size cap. */
  enforceRetention(limits: {
    readonly nowNs: bigint;
    readonly maxAgeNs: bigint;
    readonly maxBytes: number;
  }): Promise<{ deletedByAge: number; deletedBySize: number }>;
  /**
   * Moves what the write-ahead log holds into the database file, off the event loop. The store
   * does not do it by itself on a commit (that stalled the hub for up to a second); the ingest
   * asks for it as data arrives.
   */
  checkpoint(): Promise<void>;
  /** Deletes a data subject's traces and log records (see SpanStore.erase). */
  erase(subject: ErasureSubject): Promise<ErasureCounts>;
  /** Rewrites the store so that deleted rows are gone from its file too. */
  compact(): Promise<void>;
}

/** Whose data `obs erase` removes: a user, within one tenant when given. */
export interface ErasureSubject {
  readonly userId: string;
  readonly tenantId?: string;
}

/** What an erasure deleted. */
export interface ErasureCounts {
  readonly traces: number;
  readonly spans: number;
  readonly logRecords: number;
}

export interface DependencyEdge {
  readonly parent: string;
  readonly child: string;
  readonly callCount: number;
  /** Calls whose span (the callee's) ended in error. */
  readonly errorCount: number;
}

export interface SpanReader {
  services(): Promise<string[]>;
  operations(service: string, spanKind?: number): Promise<{ name: string; kind: number }[]>;
  trace(traceId: string): Promise<SpanRecord[]>;
  /** Traces with at least one span matching every condition, newest first, whole. */
  findTraces(query: TraceQuery): Promise<SpanRecord[][]>;
  /** Calls between services (a span whose parent is another service's), failed ones counted too. */
  dependencies(startNs: bigint, endNs: bigint): Promise<DependencyEdge[]>;
  red(query: {
    readonly startNs: bigint;
    readonly endNs: bigint;
    readonly service?: string;
    readonly kinds?: readonly number[];
  }): Promise<RedRow[]>;
  /** Requests and errors of each service in equal time buckets (server and consumer spans). */
  requestSeries(query: {
    readonly startNs: bigint;
    readonly endNs: bigint;
    readonly bucketNs: bigint;
  }): Promise<{ service: string; bucket: number; requests: number; errors: number }[]>;
}

export interface LogWriter {
  /** Appends all of them or none; returns about how many bytes, and adds each record's JSON length to `bytesByCategory`. */
  append(records: readonly LogRecord[], bytesByCategory?: Map<LogCategory, number>): Promise<number>;
  /** Deletes each category's records older than its retention; returns how many went. */
  enforceRetention(nowNs: bigint): Promise<number>;
}

export interface LogReader {
  search(query: LogQuery): Promise<unknown[]>;
}

/** What the query APIs see: spans and logs, to read. */
export type StoreReaders = SpanReader & { readonly logs: LogReader };
/** What the ingest sees: spans and logs, to write. */
export type StoreWriters = SpanWriter & { readonly logs: LogWriter };
