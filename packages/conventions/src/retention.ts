/**
 * Retention per data type. Metrics, traces and the application, security and audit logs are
 * the spec's table; access and error logs are ours (the spec lists those categories but gives
 * them no retention), with the reasons beside them. Ages are whole days from ingestion; the
 * renderers turn them into each engine's syntax (`15d` for Prometheus, ILM phases for
 * Elasticsearch, the hub's own eviction).
 */
import type { LogCategory } from './log-record.js';

/** A storage tier an index moves through; Elasticsearch ILM phases by the same names. */
export type StorageTier = 'hot' | 'warm' | 'cold';

export interface TierPhase {
  readonly tier: StorageTier;
  /** Age in days at which data enters this tier. The first phase starts at 0. */
  readonly fromDay: number;
}

export interface RetentionRule {
  /** Age in days after which data is deleted. */
  readonly deleteAfterDays: number;
  /** Tiers the data moves through before deletion, oldest last. */
  readonly tiers: readonly TierPhase[];
  /** How the spec or we describe the storage optimisation. */
  readonly storage: string;
  /** Why this number; present where the spec gives none. */
  readonly rationale?: string;
}

const HOT_ONLY: readonly TierPhase[] = [{ tier: 'hot', fromDay: 0 }];

export const METRICS_RETENTION: RetentionRule = {
  deleteAfterDays: 15,
  tiers: HOT_ONLY,
  storage:
    'Aggregation after 7 days (spec). Prometheus does not downsample; raw samples live the full 15 days and ' +
    'long-range panels read recording rules instead of raw series.',
};

export const TRACES_RETENTION: RetentionRule = {
  deleteAfterDays: 7,
  tiers: HOT_ONLY,
  storage: 'Compressed storage: daily trace indices, rolled over and deleted by age.',
};

export const LOG_RETENTION: Readonly<Record<LogCategory, RetentionRule>> = {
  application: {
    deleteAfterDays: 30,
    tiers: [
      { tier: 'hot', fromDay: 0 },
      { tier: 'warm', fromDay: 7 },
      { tier: 'cold', fromDay: 14 },
    ],
    storage: 'Hot/warm/cold tiers.',
  },
  access: {
    deleteAfterDays: 14,
    tiers: [
      { tier: 'hot', fromDay: 0 },
      { tier: 'warm', fromDay: 3 },
    ],
    storage: 'Hot for three days, then warm until deletion.',
    rationale:
      'Access logs are the largest category (one record per request) and carry user ids and client addresses, ' +
      'so GDPR data minimisation argues for the shortest useful life. Their aggregate value is already kept as ' +
      'RED metrics for 15 days; two weeks of records covers debugging a release cycle. Authentication failures ' +
      'and abuse are logged separately as security records, which live 90 days.',
  },
  error: {
    deleteAfterDays: 60,
    tiers: [
      { tier: 'hot', fromDay: 0 },
      { tier: 'warm', fromDay: 7 },
      { tier: 'cold', fromDay: 30 },
    ],
    storage: 'Hot/warm/cold tiers.',
    rationale:
      'Error records are a small fraction of the volume but are what incident reviews and regression hunts read, ' +
      'often weeks later and across two monthly release cycles; 60 days doubles the application window at little ' +
      'cost while staying well short of the compliance-driven security and audit periods.',
  },
  security: {
    deleteAfterDays: 90,
    tiers: [
      { tier: 'hot', fromDay: 0 },
      { tier: 'warm', fromDay: 7 },
      { tier: 'cold', fromDay: 30 },
    ],
    storage: 'Compliance requirement.',
  },
  audit: {
    deleteAfterDays: 365,
    tiers: [
      { tier: 'hot', fromDay: 0 },
      { tier: 'warm', fromDay: 7 },
      { tier: 'cold', fromDay: 30 },
    ],
    storage: 'Archive to cold storage.',
  },
};

export type DataType = 'metrics' | 'traces' | `logs.${LogCategory}`;

/** Every data type's retention, keyed as the spec's table reads. */
export const RETENTION: Readonly<Record<DataType, RetentionRule>> = {
  metrics: METRICS_RETENTION,
  traces: TRACES_RETENTION,
  'logs.application': LOG_RETENTION.application,
  'logs.access': LOG_RETENTION.access,
  'logs.error': LOG_RETENTION.error,
  'logs.security': LOG_RETENTION.security,
  'logs.audit': LOG_RETENTION.audit,
};
