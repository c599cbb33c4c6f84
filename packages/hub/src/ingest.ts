/**
 * What the receivers hand their decoded requests to, whatever the transport (OTLP/HTTP,
 * OTLP/gRPC, log lines, file import): admission (the write queue and the memory bound), PII
 * masking, tail sampling, and one serial writer, so batches commit in arrival order and a request
 * is acknowledged only once what it carried is committed.
 */
import type { LogRecord, PiiMasker } from '@pyairtable/conventions';
import type { HubCounters } from './counters.js';
import type { MetricStore } from './metric-store.js';
import type { DecodedMetrics } from './otlp/metrics.js';
import type { DecodedTraces, SpanRecord } from './otlp/spans.js';
import type { TailSampler } from './pipeline.js';
import { maskSpan } from './pipeline.js';
import type { SpanStore } from './store.js';

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
  readonly store: SpanStore;
  readonly counters: HubCounters;
  readonly metrics: MetricStore;
  readonly sampler: TailSampler;
  readonly masker: PiiMasker | undefined;
  /** Requests in flight (reading, decoding or waiting for their commit) before new ones are refused. */
  readonly maxInFlightRequests: number;
  /** Resident memory above which new requests are refused. */
  readonly maxMemoryBytes: number;
  readonly residentMemory: () => number;
  readonly now: () => number;
  readonly maxAgeNs: bigint;
  readonly maxStoreBytes: number;
}

export class Ingest {
  /** Requests admitted (from before their body is read) and not yet answered. */
  private inFlight = 0;
  private tail: Promise<void> = Promise.resolve();
  private waitingSpans: { spans: SpanRecord[]; resolve: () => void; reject: (error: unknown) => void }[] = [];

  constructor(private readonly options: IngestOptions) {}

  /**
   * Admits a request before its body is read, or throws `Overloaded` when the requests in
   * flight or the memory bound are at their limit. The caller releases the slot when answered.
   */
  admit(): () => void {
    const { counters, maxInFlightRequests, maxMemoryBytes, residentMemory } = this.options;
    if (this.inFlight >= maxInFlightRequests) {
      counters.refused.inc({ reason: 'queue_full' });
      throw new Overloaded(
        'queue_full',
        `${String(maxInFlightRequests)} requests are already in flight; retry`,
      );
    }
    const resident = residentMemory();
    if (resident > maxMemoryBytes) {
      counters.refused.inc({ reason: 'memory_limit' });
      throw new Overloaded(
        'memory_limit',
        `the hub is at its memory bound (${String(Math.round(resident / 2 ** 20))} MiB resident, limit ${String(Math.round(maxMemoryBytes / 2 ** 20))} MiB); retry`,
      );
    }
    this.inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
    };
  }

  /** Runs `work` after every write queued before it. */
  private serialised(work: () => Promise<void>): Promise<void> {
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
            await store.append(
              entries.length === 1 ? (entries[0]?.spans ?? []) : entries.flatMap((entry) => entry.spans),
            );
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
      await store.appendLogs(masked);
      counters.logsStored.inc(masked.length);
    });
  }

  /** Metric points into the in-memory series; what the store refuses is added to the decoder's rejects. */
  metrics(decoded: DecodedMetrics): { rejected: number; rejectReason?: string } {
    const { counters, metrics } = this.options;
    const applied = metrics.apply(decoded.points);
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
      const nowNs = BigInt(now()) * 1_000_000n;
      outcome = await store.enforceRetention({ nowNs, maxAgeNs, maxBytes: maxStoreBytes });
      counters.logsEvicted.inc(await store.enforceLogRetention(nowNs));
    });
    counters.evicted.inc({ reason: 'age' }, outcome.deletedByAge);
    counters.evicted.inc({ reason: 'size' }, outcome.deletedBySize);
    return outcome;
  }

  /** Resolves when every write queued so far is done. */
  drained(): Promise<void> {
    return this.tail;
  }
}
