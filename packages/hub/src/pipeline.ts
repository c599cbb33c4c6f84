/**
 * What happens to spans between decoding and the store, with the same semantics as the
 * rendered collector config: the contract's PII masking (the reference masker: key rules,
 * value rules, the Luhn check), and the contract's tail-sampling policy for the profile.
 *
 * Sampling waits `decisionWaitSeconds` after a trace's first span, as the collector does, but
 * spans are stored at once: an acknowledged span is durable, and a trace the policy drops is
 * deleted when its decision falls. A trace whose decision was pending when the hub stopped is
 * kept. Spans arriving after their trace was dropped are not stored.
 */
import type { PiiMasker, SamplingPolicy, SamplingReason } from '@pyairtable/conventions';
import {
  PII_MASK,
  PII_NEVER_MASKED_KEYS,
  inProbabilisticShare,
  setOwn,
  tailSamplingDecision,
} from '@pyairtable/conventions';
import type { MetricPoint } from './otlp/metrics.js';
import type { AnyValue, KeyValue, SpanRecord } from './span-record.js';

const STATUS_ERROR = 2;

function maskAnyValue(masker: PiiMasker, value: AnyValue): AnyValue {
  if (value.stringValue !== undefined) {
    const masked = masker.maskString(value.stringValue);
    return masked === value.stringValue ? value : { stringValue: masked };
  }
  if (value.arrayValue !== undefined) {
    const values = value.arrayValue.values.map((item) => maskAnyValue(masker, item));
    return values.every((item, index) => item === value.arrayValue?.values[index])
      ? value
      : { arrayValue: { values } };
  }
  if (value.kvlistValue !== undefined) {
    const values = maskKeyValues(masker, value.kvlistValue.values);
    return values === value.kvlistValue.values ? value : { kvlistValue: { values } };
  }
  return value;
}

/** Attributes with sensitive keys masked whole and every string scrubbed; the same list when nothing changed. */
export function maskKeyValues(masker: PiiMasker, attributes: KeyValue[]): KeyValue[] {
  let out: KeyValue[] | undefined;
  attributes.forEach((entry, index) => {
    const value = masker.isSensitiveKey(entry.key)
      ? entry.value.stringValue === undefined && Object.keys(entry.value).length === 0
        ? entry.value
        : { stringValue: PII_MASK }
      : maskAnyValue(masker, entry.value);
    if (value !== entry.value) (out ??= [...attributes])[index] = { key: entry.key, value };
  });
  return out ?? attributes;
}

/** A span with its name, attributes, events, links and status message masked. */
export function maskSpan(masker: PiiMasker, span: SpanRecord): SpanRecord {
  return {
    ...span,
    name: masker.maskString(span.name),
    statusMessage: masker.maskString(span.statusMessage),
    attributes: maskKeyValues(masker, span.attributes),
    events: span.events.map((event) => ({
      ...event,
      name: masker.maskString(event.name),
      attributes: maskKeyValues(masker, event.attributes),
    })),
    links: span.links.map((link) => ({ ...link, attributes: maskKeyValues(masker, link.attributes) })),
  };
}

/**
 * Never-masked keys as the metric decoder spells them as label names (`api_key.hash` is
 * `api_key_hash`), so that a label the collector leaves alone (it sees the attribute's own key)
 * is left alone here too rather than caught by a key rule (`api_key`).
 */
const NEVER_MASKED_LABELS = new Set(PII_NEVER_MASKED_KEYS.map((key) => key.replace(/[^a-zA-Z0-9_]/g, '_')));

/**
 * Label values with sensitive label names masked whole and every other value scrubbed, as the
 * collector's redaction processor does to data point and resource attributes before its
 * Prometheus exporter sees them; the same object when nothing changed.
 */
export function maskLabels(
  masker: PiiMasker,
  labels: Readonly<Record<string, string>>,
): Readonly<Record<string, string>> {
  let out: Record<string, string> | undefined;
  for (const [key, value] of Object.entries(labels)) {
    if (NEVER_MASKED_LABELS.has(key)) continue;
    const masked = masker.isSensitiveKey(key) ? PII_MASK : masker.maskString(value);
    if (masked !== value) setOwn((out ??= { ...labels }), key, masked);
  }
  return out ?? labels;
}

/** Metric points with their label values masked; the same list when nothing changed. */
export function maskMetricPoints(masker: PiiMasker, points: MetricPoint[]): MetricPoint[] {
  let out: MetricPoint[] | undefined;
  points.forEach((point, index) => {
    const labels = maskLabels(masker, point.labels);
    if (labels !== point.labels) (out ??= [...points])[index] = { ...point, labels };
  });
  return out ?? points;
}

interface PendingTrace {
  readonly firstSeenMs: number;
  hasError: boolean;
  startNs: bigint;
  endNs: bigint;
  readonly services: Set<string>;
  spans: number;
}

export interface Decision {
  readonly traceId: string;
  readonly keep: boolean;
  readonly reason: SamplingReason;
  readonly spans: number;
}

/** Traces awaiting a decision, at most; beyond it the oldest are decided early. */
export const MAX_PENDING_TRACES = 100_000;
/** Decisions remembered for late spans. */
const MAX_REMEMBERED = 200_000;

export class TailSampler {
  private readonly pending = new Map<string, PendingTrace>();
  private readonly decided = new Map<string, boolean>();

  constructor(
    private readonly policy: SamplingPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the policy can drop anything (development keeps everything: nothing to track). */
  get active(): boolean {
    return this.policy.probabilisticPercent < 100;
  }

  /**
   * Notes the spans' traces; returns the spans to store (those of traces not already dropped)
   * and how many were refused because their trace was dropped earlier.
   */
  observe(spans: readonly SpanRecord[]): { keep: SpanRecord[]; lateDropped: number } {
    if (!this.active) return { keep: [...spans], lateDropped: 0 };
    const keep: SpanRecord[] = [];
    let lateDropped = 0;
    for (const span of spans) {
      const decided = this.decided.get(span.traceId);
      if (decided === false) {
        lateDropped++;
        continue;
      }
      keep.push(span);
      if (decided === true) continue;
      let trace = this.pending.get(span.traceId);
      if (trace === undefined) {
        trace = {
          firstSeenMs: this.now(),
          hasError: false,
          startNs: span.startTimeUnixNano,
          endNs: span.endTimeUnixNano,
          services: new Set(),
          spans: 0,
        };
        this.pending.set(span.traceId, trace);
      }
      trace.spans++;
      trace.hasError ||= span.statusCode === STATUS_ERROR;
      if (span.startTimeUnixNano < trace.startNs) trace.startNs = span.startTimeUnixNano;
      if (span.endTimeUnixNano > trace.endNs) trace.endNs = span.endTimeUnixNano;
      trace.services.add(span.serviceName);
    }
    return { keep, lateDropped };
  }

  /** Decides every trace whose wait is over (and the oldest beyond the pending bound). */
  due(): Decision[] {
    const decisions: Decision[] = [];
    const cutoff = this.now() - this.policy.decisionWaitSeconds * 1000;
    let excess = this.pending.size - MAX_PENDING_TRACES;
    // Map order is insertion order: the oldest first.
    for (const [traceId, trace] of this.pending) {
      if (trace.firstSeenMs > cutoff && excess <= 0) break;
      excess--;
      this.pending.delete(traceId);
      const decision = tailSamplingDecision(
        {
          hasError: trace.hasError,
          durationMs: Number(trace.endNs - trace.startNs) / 1e6,
          serviceNames: trace.services,
        },
        this.policy,
        inProbabilisticShare(traceId, this.policy.probabilisticPercent),
      );
      this.remember(traceId, decision.keep);
      decisions.push({ traceId, keep: decision.keep, reason: decision.reason, spans: trace.spans });
    }
    return decisions;
  }

  get pendingTraces(): number {
    return this.pending.size;
  }

  private remember(traceId: string, keep: boolean): void {
    this.decided.set(traceId, keep);
    if (this.decided.size > MAX_REMEMBERED) {
      const oldest = this.decided.keys().next().value;
      if (oldest !== undefined) this.decided.delete(oldest);
    }
  }
}
