/**
 * A data subject's erasure (`obs erase`): the request the hub takes on `POST /admin/erase`, and
 * the audit record it keeps of it, which says who asked, when and how much went, never whose.
 */
import { randomUUID } from 'node:crypto';
import type { LogRecord } from '@pyairtable/conventions';
import { LOG_FIELDS } from '@pyairtable/conventions';
import { PayloadError } from './otlp/request.js';
import type { ErasureCounts, ErasureSubject } from './store-api.js';

export const ERASE_PATH = '/admin/erase';
/** The service name the hub's own records carry. */
export const HUB_SERVICE_NAME = 'pyairtable-hub';
const MAX_ID_LENGTH = 256;

export interface ErasureRequest {
  readonly subject: ErasureSubject;
  /** Who asked for it, as the audit record names them. */
  readonly actor: string;
}

/** What the hub answers: the counts, and the id under which the audit record keeps them. */
export interface ErasureOutcome extends ErasureCounts {
  readonly erasureId: string;
  /** Whether the store was rewritten without the deleted rows; why not, when it was not. */
  readonly compacted?: boolean;
  readonly compactionError?: string;
}

function hasControl(value: string): boolean {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** An id as the request must give it: a non-empty string of printable characters. */
function idField(body: Record<string, unknown>, field: string, required: boolean): string | undefined {
  const value = body[field];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value.trim() === '')
    throw new PayloadError(
      `"${field}" must be the ${field}'s id as a non-empty string; an erasure is never run without an explicit id`,
    );
  if (value.length > MAX_ID_LENGTH || hasControl(value))
    throw new PayloadError(`"${field}" must be at most ${String(MAX_ID_LENGTH)} printable characters`);
  return value;
}

/** The request body `{"user": id, "tenant"?: id, "actor"?: name}`, or a PayloadError saying what is wrong. */
export function parseErasureRequest(body: Buffer): ErasureRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new PayloadError(
      'the body is not JSON; send {"user": "<id>", "tenant": "<id>", "actor": "<name>"}',
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new PayloadError('the body must be a JSON object like {"user": "<id>"}');
  const fields = parsed as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !['user', 'tenant', 'actor'].includes(key));
  if (unknown.length > 0)
    throw new PayloadError(`unknown field(s) ${unknown.join(', ')}; the fields are user, tenant and actor`);
  const userId = idField(fields, 'user', true) ?? '';
  const tenantId = idField(fields, 'tenant', false);
  const actor = idField(fields, 'actor', false) ?? 'unknown';
  return { subject: tenantId === undefined ? { userId } : { userId, tenantId }, actor };
}

/** A fresh id for an erasure, printed to the operator and kept in the audit record. */
export const newErasureId = (): string => randomUUID();

/**
 * The audit record of an erasure: who, when, what counts, and whether it was within a tenant.
 * Neither id of the subject is in it: the record must not keep what it records the removal of.
 * `service` is who erased: the hub, or `obs erase` itself for Elasticsearch.
 */
export function erasureAuditRecord(
  request: ErasureRequest,
  outcome: ErasureOutcome,
  now: number,
  service: string = HUB_SERVICE_NAME,
): LogRecord {
  return {
    [LOG_FIELDS.timestamp]: new Date(now).toISOString(),
    service: { name: service, tier: 'platform' },
    log_level: 'INFO',
    message: `data subject erased: ${String(outcome.traces)} traces, ${String(outcome.spans)} spans, ${String(outcome.logRecords)} log records`,
    category: 'audit',
    event: { action: 'data_subject.erase', outcome: 'success' },
    attributes: {
      erasure_id: outcome.erasureId,
      actor: request.actor,
      within_tenant: request.subject.tenantId !== undefined,
      traces: outcome.traces,
      spans: outcome.spans,
      log_records: outcome.logRecords,
    },
  };
}
