/**
 * What the receivers hand their decoded requests to, whatever the transport (OTLP/HTTP,
 * OTLP/gRPC, log lines, file import): admission (the write queue and the memory bound), PII
 * masking, tail sampling, and one serial writer, so batches commit in arrival order and a request
 * is acknowledged only once what it carried is committed.
 */
import type { LogCategory, LogRecord, PiiMasker } from '@pyairtable/conventions';
import type { HubCounters } from './counters.js';
import type { MetricStore } from './metric-store.js';
import type { DecodedMetrics } from './otlp/metrics.js';
import type { DecodedTraces, SpanRecord } from './span-record.js';
import type { TailSampler } from './pipeline.js';
import { maskMetricPoints, maskSpan } from './pipeline.js';
import type { StoreWriters } from './store-api.js';
import type { ErasureOutcome, ErasureRequest } from './erasure.js';
import { erasureAuditRecord, newErasureId } from './erasure.js';

/** The hub cannot take this request now; the client should retry after a pause. */
export class Overloaded extends Error {
  override readonly name = 'Overloaded';
  constructor(
    readonly reason: 'queue_full' | 'memory_limit',
    message: string,
  ) {
    super(message);
  }
}

export interface IngestOptions {
  readonly store: StoreWriters;
  readonly counters: HubCounters;
  readonly metrics: MetricStore;
  readonly sampler: TailSampler;
  readonly masker: PiiMasker | undefined;
  /** Requests being decoded or waiting for their commit before new ones are refused. */
  readonly maxInFlightRequests: number;
  /** What the hub may hold for its data (see `memoryHeld`) before new requests are refused. */
  readonly memoryBudgetBytes: number;
  /** Tests: what the hub holds, in place of its own count. */
  readonly memoryHeld?: () => number;
  readonly now: () => number;
  readonly maxAgeNs: bigint;
  readonly maxStoreBytes: number;
}

/**
 * Decoded requests take several times their body in objects (measured with the plain OTel SDK's
 * protobuf spans: about 6 bytes of heap per byte of body); their admission counts them so.
 */
export const DECODED_BYTES_PER_BODY_BYTE = 6;
/**
 * The share of the size cap live data may use. DuckDB writes changed blocks anew at each
 * checkpoint and reuses the freed ones later rather than returning them, so its file measured
 * about twice its live data under steady ingest and eviction (test/hostile.test.ts); keeping the
 * live data under this share keeps the file on disk, WAL included, within the cap.
 */
export const LIVE_SHARE_OF_DISK = 0.45;
/** A trace the tail sampler waits on: its ids, times and flags (a bound from above). */
const PENDING_TRACE_BYTES = 512;
/**
 * Bytes appended between checkpoints: DuckDB's own default threshold for its write-ahead log,
 * run asynchronously here so that no commit stops the event loop (`SpanWriter.checkpoint`).
 */
export const CHECKPOINT_EVERY_BYTES = 16 * 2 ** 20;

/** A body being read: counts its bytes as they arrive and refuses more past the budget. */
export interface BodyReading {
  /** Adds bytes read (or decompressed); throws Overloaded past the memory budget. */
  add(bytes: number): void;
  /** The body is read or abandoned: its bytes are no longer counted here. */
  done(): void;
}

export class Ingest {
  /** Requests admitted (body read) and not yet answered. */
  private inFlight = 0;
  /** Bytes of bodies being read, and the decoded size of admitted requests: what requests hold. */
  private requestBytes = 0;
  private tail: Promise<void> = Promise.resolve();
  private writtenSinceRetention = 0;
  private writtenSinceCheckpoint = 0;
  private checkpointQueued = false;
  private retentionQueued = false;
  private waitingSpans: { spans: SpanRecord[]; resolve: () => void; reject: (error: unknown) => void }[] = [];

  constructor(private readonly options: IngestOptions) {}

  /**
   * What the hub holds for data, by its own count, so it falls as soon as the work is done:
   * request bodies and decoded requests, the sampler's pending traces and the metric series.
   * DuckDB is bounded apart by its own memory_limit, the process's baseline by the check at start.
   */
  memoryHeld(): number {
    const { memoryHeld, metrics, sampler } = this.options;
    if (memoryHeld !== undefined) return memoryHeld();
    return this.requestBytes + metrics.heldBytes + sampler.pendingTraces * PENDING_TRACE_BYTES;
  }

  private refuseOverMemory(incoming: number): void {
    const { counters, memoryBudgetBytes } = this.options;
    const held = this.memoryHeld();
    if (held + incoming <= memoryBudgetBytes) return;
    counters.refused.inc({ reason: 'memory_limit' });
    const mib = (bytes: number): string => String(Math.round(bytes / 2 ** 20));
    throw new Overloaded(
      'memory_limit',
      `the hub is at its memory bound (${mib(held)} MiB held for data, ${mib(memoryBudgetBytes)} MiB allowed); retry`,
    );
  }

  /**
   * Starts counting a body as it is read. Refuses at once when the hub is at its memory bound,
   * and mid-body when the body would take it past. Reading takes no request slot, so a slow
   * sender holds only the bytes it has sent.
   */
  startReading(): BodyReading {
    this.refuseOverMemory(0);
    let counted = 0;
    return {
      add: (bytes) => {
        this.refuseOverMemory(bytes);
        counted += bytes;
        this.requestBytes += bytes;
      },
      done: () => {
        this.requestBytes -= counted;
        counted = 0;
      },
    };
  }

  /**
   * Admits a read body for decoding and commit, or throws `Overloaded` when the requests in
   * flight or the memory bound are at their limit. The caller releases it when answered.
   */
  admit(bodyBytes: number): () => void {
    const { counters, maxInFlightRequests } = this.options;
    if (this.inFlight >= maxInFlightRequests) {
      counters.refused.inc({ reason: 'queue_full' });
      throw new Overloaded(
        'queue_full',
        `${String(maxInFlightRequests)} requests are already being decoded or committed; retry`,
      );
    }
    const decoded = bodyBytes * DECODED_BYTES_PER_BODY_BYTE;
    this.refuseOverMemory(decoded);
    this.inFlight++;
    this.requestBytes += decoded;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      this.requestBytes -= decoded;
    };
  }

  /**
   * Counts bytes written; once a twentieth of the size cap has been written since the last
   * retention pass, runs one (after the writes queued before it), so the store keeps near its
   * cap as data arrives rather than once a minute.
   */
  private appended(bytes: number): void {
    this.writtenSinceCheckpoint += bytes;
    if (this.writtenSinceCheckpoint >= CHECKPOINT_EVERY_BYTES && !this.checkpointQueued) {
      this.checkpointQueued = true;
      this.writtenSinceCheckpoint = 0;
      void this.serialised(() => this.options.store.checkpoint())
        .catch(() => undefined)
        .finally(() => {
          this.checkpointQueued = false;
        });
    }
    this.writtenSinceRetention += bytes;
    const every = Math.max(2 ** 20, this.options.maxStoreBytes / 20);
    if (this.writtenSinceRetention < every || this.retentionQueued) return;
    this.retentionQueued = true;
    this.enforceRetention()
      .catch(() => undefined)
      .finally(() => {
        this.retentionQueued = false;
      });
  }

  /** Runs `work` after every write queued before it. */
  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const done = this.tail.then(work);
    this.tail = done.then(
      () => undefined,
      () => undefined,
    );
    return done;
  }

  private mask(spans: SpanRecord[]): SpanRecord[] {
    const { masker } = this.options;
    return masker === undefined ? spans : spans.map((span) => maskSpan(masker, span));
  }

  /** Spans from a client: masked, sampled, committed. Resolves once committed. */
  traces(decoded: DecodedTraces): Promise<void> {
    const { counters, sampler } = this.options;
    counters.received.inc(decoded.spans.length);
    counters.rejected.inc(decoded.rejected);
    const { keep, lateDropped } = sampler.observe(this.mask(decoded.spans));
    if (lateDropped > 0) counters.sampledOut.inc({ reason: 'not_sampled' }, lateDropped);
    return this.commitSpans(keep);
  }

  /** Spans from an import file: masked, not sampled (an import is deliberate). */
  importSpans(decoded: DecodedTraces): Promise<void> {
    const { counters } = this.options;
    counters.received.inc(decoded.spans.length);
    counters.rejected.inc(decoded.rejected);
    return this.commitSpans(this.mask(decoded.spans));
  }

  /**
   * Group commit: batches that arrive while a write runs are committed together by the next
   * one (one appender, one transaction), and each is answered when that commit is done. With
   * several senders this costs one commit per group instead of one per request.
   */
  private commitSpans(spans: SpanRecord[]): Promise<void> {
    if (spans.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waitingSpans.push({ spans, resolve, reject });
      if (this.waitingSpans.length === 1)
        void this.serialised(async () => {
          const group = this.waitingSpans.splice(0);
          const { store, counters } = this.options;
          const commit = async (entries: typeof group): Promise<void> => {
            const bytes = await store.append(
              entries.length === 1 ? (entries[0]?.spans ?? []) : entries.flatMap((entry) => entry.spans),
            );
            this.appended(bytes);
            counters.spanBytesStored.inc(bytes);
            counters.commits.inc();
            for (const entry of entries) {
              counters.stored.inc(entry.spans.length);
              entry.resolve();
            }
          };
          try {
            await commit(group);
          } catch (error) {
            if (group.length === 1) {
              group[0]?.reject(error);
              return;
            }
            // One request's spans must not fail the others committed with it: each alone.
            for (const entry of group) await commit([entry]).catch(entry.reject);
          }
        });
    });
  }

  /** Contract log records (already validated); `rejected` were refused by the decoder. */
  logs(records: readonly LogRecord[], rejected: number): Promise<void> {
    const { counters, masker, store } = this.options;
    counters.logsRejected.inc(rejected);
    const masked =
      masker === undefined ? records : records.map((record) => masker.maskValue(record) as LogRecord);
    return this.serialised(async () => {
      const bytesByCategory = new Map<LogCategory, number>();
      this.appended(await store.logs.append(masked, bytesByCategory));
      counters.logsStored.inc(masked.length);
      for (const [category, bytes] of bytesByCategory) counters.logBytesStored.inc({ category }, bytes);
    });
  }

  /**
   * Metric points, their label values masked, into the in-memory series; what the store refuses
   * is added to the decoder's rejects.
   */
  metrics(decoded: DecodedMetrics): { rejected: number; rejectReason?: string } {
    const { counters, masker, metrics } = this.options;
    const applied = metrics.apply(
      masker === undefined ? decoded.points : maskMetricPoints(masker, decoded.points),
    );
    counters.metricPointsReceived.inc(decoded.points.length + decoded.rejected);
    const rejected = decoded.rejected + applied.rejected;
    counters.metricPointsRejected.inc(rejected);
    counters.metricSeries.set(metrics.size);
    const rejectReason = decoded.rejectReason ?? applied.rejectReason;
    return { rejected, ...(rejectReason === undefined ? {} : { rejectReason }) };
  }

  /** Decides every trace whose wait is over; dropped traces are deleted from the store. */
  async decideDue(): Promise<void> {
    const { counters, sampler, store } = this.options;
    const decisions = sampler.due();
    counters.pendingTraces.set(sampler.pendingTraces);
    if (decisions.length === 0) return;
    for (const decision of decisions)
      counters.tracesDecided.inc({ decision: decision.keep ? 'keep' : 'drop', reason: decision.reason });
    const dropped = decisions.filter((decision) => !decision.keep);
    if (dropped.length === 0) return;
    await this.serialised(async () => {
      await store.deleteTraces(dropped.map((decision) => decision.traceId));
      counters.sampledOut.inc(
        { reason: 'not_sampled' },
        dropped.reduce((sum, decision) => sum + decision.spans, 0),
      );
    });
  }

  async enforceRetention(): Promise<{ deletedByAge: number; deletedBySize: number }> {
    const { counters, store, now, maxAgeNs, maxStoreBytes } = this.options;
    let outcome = { deletedByAge: 0, deletedBySize: 0 };
    await this.serialised(async () => {
      this.writtenSinceRetention = 0;
      const nowNs = BigInt(now()) * 1_000_000n;
      outcome = await store.enforceRetention({
        nowNs,
        maxAgeNs,
        maxBytes: maxStoreBytes * LIVE_SHARE_OF_DISK,
      });
      counters.logsEvicted.inc(await store.logs.enforceRetention(nowNs));
    });
    counters.evicted.inc({ reason: 'age' }, outcome.deletedByAge);
    counters.evicted.inc({ reason: 'size' }, outcome.deletedBySize);
    return outcome;
  }

  /**
   * Erases a data subject after every write queued before it: their traces and log records are
   * deleted and the erasure's audit record stored (one after the other, so no deletion goes
   * unrecorded), then the store is rewritten without them, so nothing of them is left in its
   * file. A rewrite that fails is reported in the outcome: the deletion stands, and the deleted
   * rows' bytes stay in the file until a later rewrite. Writes queued after it wait.
   */
  erase(request: ErasureRequest): Promise<ErasureOutcome> {
    const { counters, now, store } = this.options;
    return this.serialised(async () => {
      const counts = await store.erase(request.subject);
      const recorded = { ...counts, erasureId: newErasureId() };
      await store.logs.append([erasureAuditRecord(request, recorded, now())]);
      counters.logsStored.inc(1);
      try {
        await store.compact();
        return { ...recorded, compacted: true };
      } catch (error) {
        return { ...recorded, compacted: false, compactionError: (error as Error).message };
      }
    });
  }

  /** Resolves when every write queued so far is done. */
  drained(): Promise<void> {
    return this.tail;
  }
}
