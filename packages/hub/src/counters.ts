/**
 * The hub's own counters, on `/metrics` of the query listener: what arrived, what was stored,
 * what the sampler removed and why, and what was refused and why. Never silent loss: every span
 * the hub does not keep is in one of these.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { LOG_CATEGORIES, SAMPLING_REASONS } from '@pyairtable/conventions';

export const REFUSAL_REASONS = [
  'malformed',
  'too_large',
  'too_slow',
  'unsupported_type',
  'unauthorized',
  'queue_full',
  'memory_limit',
  'store_error',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export class HubCounters {
  readonly registry = new Registry();
  readonly received = new Counter({
    name: 'pyairtable_hub_spans_received_total',
    help: 'Spans decoded from accepted requests.',
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'pyairtable_hub_spans_rejected_total',
    help: 'Spans refused one by one (invalid ids), reported to the client as a partial success.',
    registers: [this.registry],
  });
  readonly stored = new Counter({
    name: 'pyairtable_hub_spans_stored_total',
    help: 'Spans committed to the store.',
    registers: [this.registry],
  });
  readonly commits = new Counter({
    name: 'pyairtable_hub_span_commits_total',
    help: 'Transactions that committed spans; under concurrent senders one commit carries several requests.',
    registers: [this.registry],
  });
  readonly sampledOut = new Counter({
    name: 'pyairtable_hub_spans_sampled_out_total',
    help: 'Spans of traces the tail-sampling policy dropped, by reason.',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly tracesDecided = new Counter({
    name: 'pyairtable_hub_traces_decided_total',
    help: 'Tail-sampling decisions, by outcome and the rule that decided.',
    labelNames: ['decision', 'reason'],
    registers: [this.registry],
  });
  readonly refused = new Counter({
    name: 'pyairtable_hub_requests_refused_total',
    help: 'Ingest requests refused whole, by reason (the client was told, with a 4xx or 503).',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly evicted = new Counter({
    name: 'pyairtable_hub_spans_evicted_total',
    help: 'Spans deleted by retention: older than the retention (age) or beyond the size cap (size).',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly logsStored = new Counter({
    name: 'pyairtable_hub_log_records_stored_total',
    help: 'Log records committed to the store.',
    registers: [this.registry],
  });
  readonly logBytesStored = new Counter({
    name: 'pyairtable_hub_log_bytes_stored_total',
    help: "Bytes of log records committed to the store (each record's JSON), by category.",
    labelNames: ['category'],
    registers: [this.registry],
  });
  readonly spanBytesStored = new Counter({
    name: 'pyairtable_hub_span_bytes_stored_total',
    help: 'Bytes of spans committed to the store, uncompressed (names, attributes and the span as JSON, and the fixed columns).',
    registers: [this.registry],
  });
  readonly logsRejected = new Counter({
    name: 'pyairtable_hub_log_records_rejected_total',
    help: 'Log lines refused because they are not records of the contract (reported per line to the sender).',
    registers: [this.registry],
  });
  readonly logsEvicted = new Counter({
    name: 'pyairtable_hub_log_records_evicted_total',
    help: "Log records deleted at the end of their category's retention.",
    registers: [this.registry],
  });
  readonly metricPointsReceived = new Counter({
    name: 'pyairtable_hub_metric_points_received_total',
    help: 'OTLP metric data points received.',
    registers: [this.registry],
  });
  readonly metricPointsRejected = new Counter({
    name: 'pyairtable_hub_metric_points_rejected_total',
    help: 'OTLP metric data points refused one by one (unsupported type, type conflict, series limit), reported as a partial success.',
    registers: [this.registry],
  });
  readonly metricSeries = new Gauge({
    name: 'pyairtable_hub_metric_series',
    help: 'Metric series held for Prometheus to scrape.',
    registers: [this.registry],
  });
  readonly pendingTraces = new Gauge({
    name: 'pyairtable_hub_traces_pending_decision',
    help: 'Traces waiting for their tail-sampling decision.',
    registers: [this.registry],
  });

  readonly backgroundFailures = new Counter({
    name: 'pyairtable_hub_background_failures_total',
    help: 'Background tasks that failed (tail-sampling decisions, retention passes); the hub log has each.',
    labelNames: ['task'],
    registers: [this.registry],
  });
  private readHeld: () => number = () => 0;
  /** Set when scraped, from what the ingest counts (`watchMemory`). */
  readonly memoryHeld: Gauge = new Gauge({
    name: 'pyairtable_hub_memory_held_bytes',
    help: 'Memory the hub holds for data by its own count: request bodies, decoded requests, pending traces, metric series.',
    registers: [this.registry],
    collect: () => {
      this.memoryHeld.set(this.readHeld());
    },
  });
  readonly memoryBudget = new Gauge({
    name: 'pyairtable_hub_memory_budget_bytes',
    help: 'What the hub may hold for data before ingest answers 503: the memory bound less the working set and DuckDB.',
    registers: [this.registry],
  });

  /** Reads what is held at each scrape. */
  watchMemory(held: () => number, budget: number): void {
    this.memoryBudget.set(budget);
    this.readHeld = held;
  }

  constructor() {
    // Every label value exists from the start, so a rate over a new series is never missed.
    for (const reason of REFUSAL_REASONS) this.refused.inc({ reason }, 0);
    for (const reason of ['age', 'size']) this.evicted.inc({ reason }, 0);
    for (const task of ['decide', 'retention']) this.backgroundFailures.inc({ task }, 0);
    for (const category of LOG_CATEGORIES) this.logBytesStored.inc({ category }, 0);
    for (const reason of SAMPLING_REASONS) {
      this.tracesDecided.inc({ decision: reason === 'not_sampled' ? 'drop' : 'keep', reason }, 0);
      if (reason === 'not_sampled') this.sampledOut.inc({ reason }, 0);
    }
  }
}
