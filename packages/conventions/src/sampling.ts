/**
 * Trace sampling policy per environment, as data. The production collector's `tail_sampling`
 * processor is rendered from it and the hub evaluates it with `tailSamplingDecision`, so both
 * keep exactly the same traces.
 *
 * "Always keep errors, slow requests and critical services" can only be decided once a trace
 * has ended, so the policy is a tail policy. Services therefore export every span
 * (`headSamplingRatio` 1) and the collector or hub decides; head sampling in the SDK is opt-in
 * (`OTEL_SAMPLING_RATIO`) and trades the guarantees for less export traffic.
 */
import type { Environment, PlatformServiceName } from './platform.js';
import { CRITICAL_SERVICES } from './platform.js';
import { SLOW_REQUEST_SECONDS } from './thresholds.js';

export interface SamplingPolicy {
  /** Share of the remaining traces kept at random, in percent (0–100). */
  readonly probabilisticPercent: number;
  /** Keep every trace that has a span with status ERROR. */
  readonly keepErrors: boolean;
  /** Keep every trace lasting at least this long (first span start to last span end); none when absent. */
  readonly keepSlowerThanMs?: number;
  /** Keep every trace that has a span from one of these services (`service.name`). */
  readonly keepServices: readonly string[];
  /** How long after a trace's first span the decision is taken; later spans follow the decision. */
  readonly decisionWaitSeconds: number;
  /** Ratio the SDK samples at the head by default; 1 means every span reaches the tail sampler. */
  readonly headSamplingRatio: number;
}

const SLOW_TRACE_MS = SLOW_REQUEST_SECONDS * 1000;

/**
 * Ten seconds covers the SDK's default 5 s batch export delay plus a trace at the slow
 * threshold, so a request's spans are normally all in before the decision.
 */
const DECISION_WAIT_SECONDS = 10;

export const SAMPLING_POLICIES: Readonly<Record<Environment, SamplingPolicy>> = {
  development: {
    probabilisticPercent: 100,
    keepErrors: true,
    keepSlowerThanMs: SLOW_TRACE_MS,
    keepServices: [],
    decisionWaitSeconds: DECISION_WAIT_SECONDS,
    headSamplingRatio: 1,
  },
  staging: {
    probabilisticPercent: 50,
    keepErrors: true,
    keepSlowerThanMs: SLOW_TRACE_MS,
    keepServices: [],
    decisionWaitSeconds: DECISION_WAIT_SECONDS,
    headSamplingRatio: 1,
  },
  production: {
    probabilisticPercent: 10,
    keepErrors: true,
    keepSlowerThanMs: SLOW_TRACE_MS,
    keepServices: CRITICAL_SERVICES satisfies readonly PlatformServiceName[],
    decisionWaitSeconds: DECISION_WAIT_SECONDS,
    headSamplingRatio: 1,
  },
};

/** Why a trace was kept or dropped; also the `reason` label of the hub's sampling counters. */
export const SAMPLING_REASONS = [
  'error',
  'slow',
  'critical_service',
  'probabilistic',
  'not_sampled',
] as const;
export type SamplingReason = (typeof SAMPLING_REASONS)[number];

/** What the tail sampler knows of a trace when it decides. */
export interface TraceSummary {
  readonly hasError: boolean;
  readonly durationMs: number;
  readonly serviceNames: Iterable<string>;
}

export interface SamplingDecision {
  readonly keep: boolean;
  readonly reason: SamplingReason;
}

/** The collector's default `hash_salt` of the probabilistic tail-sampling policy. */
export const DEFAULT_SAMPLING_HASH_SALT = 'default-hash-seed';

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const UINT64_MAX = 0xffffffffffffffffn;

/**
 * Whether a trace id falls in the probabilistic share, computed exactly as the collector's
 * tail-sampling `probabilistic` policy does: FNV-1a 64 over the salt's bytes then the 16 trace
 * id bytes, kept when the hash is at most `percent / 100` of the 64-bit range. The hub uses it
 * so that it keeps the same traces the production collector would.
 */
export function inProbabilisticShare(
  traceIdHex: string,
  percent: number,
  salt: string = DEFAULT_SAMPLING_HASH_SALT,
): boolean {
  if (percent >= 100) return true;
  if (!(percent > 0)) return false;
  const hash = fnv1a64(new TextEncoder().encode(salt), hexBytes(traceIdHex));
  // The collector multiplies in big.Float by the float64 ratio; the result differs from this
  // integer one by a few hundred out of 2^64, a window no real trace id falls in (p < 1e-16).
  const threshold = (UINT64_MAX * BigInt(Math.round(percent * 1e6))) / 100_000_000n;
  return hash <= threshold;
}

function hexBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length >> 1);
  for (let index = 0; index < bytes.length; index++)
    bytes[index] = Number.parseInt(hex.slice(index * 2, index * 2 + 2), 16) || 0;
  return bytes;
}

/** 64-bit FNV-1a over the bytes of each chunk in turn. */
export function fnv1a64(...chunks: readonly Uint8Array[]): bigint {
  let hash = FNV64_OFFSET;
  for (const chunk of chunks)
    for (const byte of chunk) {
      hash ^= BigInt(byte);
      hash = (hash * FNV64_PRIME) & UINT64_MAX;
    }
  return hash;
}

/**
 * The policy's decision for one trace. Rules are OR-ed as in the collector's tail sampler;
 * the reason is the first rule that keeps it, in the order error, slow, critical service,
 * probabilistic. `sampledByProbability` is whether the trace id falls in the random share
 * (`inProbabilisticShare`).
 */
export function tailSamplingDecision(
  trace: TraceSummary,
  policy: SamplingPolicy,
  sampledByProbability: boolean,
): SamplingDecision {
  if (policy.keepErrors && trace.hasError) return { keep: true, reason: 'error' };
  if (policy.keepSlowerThanMs !== undefined && trace.durationMs >= policy.keepSlowerThanMs)
    return { keep: true, reason: 'slow' };
  if (policy.keepServices.length > 0) {
    for (const service of trace.serviceNames)
      if (policy.keepServices.includes(service)) return { keep: true, reason: 'critical_service' };
  }
  if (sampledByProbability) return { keep: true, reason: 'probabilistic' };
  return { keep: false, reason: 'not_sampled' };
}
