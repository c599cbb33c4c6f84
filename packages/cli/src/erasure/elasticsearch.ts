/**
 * A data subject's erasure in the production stack's Elasticsearch: the traces Jaeger keeps in
 * its daily span indices, and the log data streams. The requests are typed with Elastic's own
 * client types, so what is sent has the shape Elasticsearch 9 takes.
 *
 *   1. search the span indices for the traces with a span tagged with the user (the tenant too)
 *   2. delete those traces' spans
 *   3. delete the log records of the user (the tenant likewise) or of those traces
 *   4. record the erasure in the audit data stream (who, when, counts; never whose)
 *
 * Steps 1-3 repeat until the search finds no more traces (a search returns 10,000 at most).
 */
import type { estypes } from '@elastic/elasticsearch';
import { LOG_FIELDS, SPAN_ATTRIBUTES } from '@pyairtable/conventions';
import type { ErasureCounts, ErasureRequest, ErasureSubject } from '@pyairtable/hub';
import { erasureAuditRecord } from '@pyairtable/hub';
import { JAEGER_INDEX_PREFIX, LOG_INDEX_PREFIX, logDataStream } from '@pyairtable/stack';
import { ElasticsearchError, READ_ONLY_HINT, sendToElasticsearch } from '../elasticsearch/client.js';
import type { ElasticsearchTarget, WireRequest } from '../elasticsearch/client.js';

export { ElasticsearchError, elasticAuthorization } from '../elasticsearch/client.js';
export type { ElasticsearchTarget, WireRequest } from '../elasticsearch/client.js';

export const SPAN_INDICES = `${JAEGER_INDEX_PREFIX}-jaeger-span-*`;
export const LOG_STREAMS = `${LOG_INDEX_PREFIX}*`;
/** A query as the search and delete-by-query requests take it. */
type Query = NonNullable<estypes.SearchRequest['query']>;

/** Trace ids one search returns; more are found by the next round. */
const TRACES_PER_ROUND = 10_000;
const MAX_ROUNDS = 100;
/** What `obs erase` names itself as in the audit record it writes to Elasticsearch. */
export const ERASE_SERVICE_NAME = 'obs-erase';

/** Jaeger keeps a span's tags as nested `{key, type, value}` objects. */
const spanTag = (key: string, value: string): Query => ({
  nested: {
    path: 'tags',
    query: { bool: { filter: [{ term: { 'tags.key': key } }, { term: { 'tags.value': value } }] } },
  },
});

const hasSpanTag = (key: string): Query => ({
  nested: { path: 'tags', query: { term: { 'tags.key': key } } },
});

/** Spans of the subject: tagged with the user and, given a tenant, with it or with none. */
export function subjectSpans(subject: ErasureSubject): Query {
  const filter = [spanTag(SPAN_ATTRIBUTES.userId, subject.userId)];
  if (subject.tenantId !== undefined)
    filter.push({
      bool: {
        should: [
          spanTag(SPAN_ATTRIBUTES.tenantId, subject.tenantId),
          { bool: { must_not: [hasSpanTag(SPAN_ATTRIBUTES.tenantId)] } },
        ],
        minimum_should_match: 1,
      },
    });
  return { bool: { filter } };
}

/** Log records of the subject (the tenant likewise), or of the given traces. */
export function subjectLogs(subject: ErasureSubject, traceIds: readonly string[]): Query {
  const filter: Query[] = [{ term: { [LOG_FIELDS.userId]: subject.userId } }];
  if (subject.tenantId !== undefined)
    filter.push({
      bool: {
        should: [
          { term: { [LOG_FIELDS.tenantId]: subject.tenantId } },
          { bool: { must_not: [{ exists: { field: LOG_FIELDS.tenantId } }] } },
        ],
        minimum_should_match: 1,
      },
    });
  const should: Query[] = [{ bool: { filter } }];
  if (traceIds.length > 0) should.push({ terms: { [LOG_FIELDS.traceId]: [...traceIds] } });
  return { bool: { should, minimum_should_match: 1 } };
}

export const traceSearch = (subject: ErasureSubject): estypes.SearchRequest => ({
  index: SPAN_INDICES,
  size: 0,
  query: subjectSpans(subject),
  aggs: { traces: { terms: { field: 'traceID', size: TRACES_PER_ROUND } } },
});

export const spanDeletion = (traceIds: readonly string[], asTask: boolean): estypes.DeleteByQueryRequest => ({
  index: SPAN_INDICES,
  conflicts: 'proceed',
  refresh: true,
  ...asTaskWhere(asTask),
  query: { terms: { traceID: [...traceIds] } },
});

export const logDeletion = (
  subject: ErasureSubject,
  traceIds: readonly string[],
  asTask: boolean,
): estypes.DeleteByQueryRequest => ({
  index: LOG_STREAMS,
  conflicts: 'proceed',
  refresh: true,
  ...asTaskWhere(asTask),
  query: subjectLogs(subject, traceIds),
});

/** A large deletion outlasts any request timeout: as a task, it is polled until done. */
const asTaskWhere = (asTask: boolean): Pick<estypes.DeleteByQueryRequest, 'wait_for_completion'> =>
  asTask ? { wait_for_completion: false } : {};

/**
 * Whether this user may read tasks (`GET _tasks/<id>` needs the cluster privilege `monitor`).
 * Without security there is nothing to check; without the privilege, deletions run in the
 * request, as before tasks (a very large one can then outlast the client's timeout).
 */
async function canReadTasks(target: ElasticsearchTarget): Promise<boolean> {
  try {
    const answer = await sendToElasticsearch(target, 'delete', {
      method: 'POST',
      path: '/_security/user/_has_privileges',
      body: { cluster: ['monitor'] } satisfies estypes.SecurityHasPrivilegesRequest,
    });
    return (answer as unknown as estypes.SecurityHasPrivilegesResponse).has_all_requested;
  } catch (error) {
    // Refused credentials are the user's to fix; anything else (security off) lets tasks be read.
    if (error instanceof ElasticsearchError && error.status !== undefined && error.status !== 401)
      return true;
    throw error;
  }
}

export function searchWire(request: estypes.SearchRequest): WireRequest {
  const { index, ...body } = request;
  return { method: 'POST', path: `/${String(index)}/_search`, body };
}

export function deleteWire(request: estypes.DeleteByQueryRequest): WireRequest {
  const { index, conflicts, refresh, wait_for_completion: wait, ...body } = request;
  const query = new URLSearchParams({
    ...(conflicts === undefined ? {} : { conflicts }),
    ...(refresh === undefined ? {} : { refresh: String(refresh) }),
    ...(wait === undefined ? {} : { wait_for_completion: String(wait) }),
  });
  return { method: 'POST', path: `/${String(index)}/_delete_by_query?${query.toString()}`, body };
}

export function auditWire(
  request: ErasureRequest,
  counts: ErasureCounts & { erasureId: string },
  now: number,
): WireRequest {
  const document: estypes.CreateRequest['document'] = erasureAuditRecord(
    request,
    counts,
    now,
    ERASE_SERVICE_NAME,
  );
  // A data stream takes documents by create only.
  return {
    method: 'PUT',
    path: `/${logDataStream('audit')}/_create/${counts.erasureId}?refresh=true`,
    body: document as object,
  };
}

/** How long one poll of a deletion task waits for it to finish before reporting its progress. */
const TASK_WAIT = '30s';

type TaskState = estypes.TasksGetResponse;

/** The task's state once done, or after TASK_WAIT with its progress (Elasticsearch's timeout). */
async function pollTask(target: ElasticsearchTarget, task: string): Promise<TaskState> {
  const path = `/_tasks/${encodeURIComponent(task)}`;
  try {
    return (await sendToElasticsearch(target, 'delete', {
      method: 'GET',
      path: `${path}?wait_for_completion=true&timeout=${TASK_WAIT}`,
    })) as unknown as TaskState;
  } catch (error) {
    if (error instanceof ElasticsearchError && error.status === 403)
      throw new ElasticsearchError(
        `${error.message} Reading the deletion's task needs the cluster privilege monitor; the task (${task}) runs on: GET /_tasks/${task} shows its outcome, POST /_tasks/${task}/_cancel stops it.`,
        error.errorType,
        error.status,
      );
    if (!(error instanceof ElasticsearchError) || error.errorType !== 'timeout_exception') throw error;
    return (await sendToElasticsearch(target, 'delete', { method: 'GET', path })) as unknown as TaskState;
  }
}

/**
 * Runs a delete-by-query and returns how many documents went: at once when Elasticsearch answers
 * with the result, otherwise by polling its task, reporting progress while it runs.
 */
async function runDeletion(
  target: ElasticsearchTarget,
  wire: WireRequest,
  progress: (line: string) => void,
): Promise<number> {
  const answer = (await sendToElasticsearch(target, 'delete', wire)) as estypes.DeleteByQueryResponse;
  if (answer.task === undefined) return deletedCount(answer as Record<string, unknown>, wire.path);
  const task = answer.task;
  for (;;) {
    const state = await pollTask(target, task);
    if (state.completed) {
      if (state.error !== undefined)
        throw new ElasticsearchError(
          `${wire.path} (task ${task}) failed: ${state.error.reason ?? state.error.type}`,
        );
      // Elasticsearch could not store the result: the count is unknown, not zero.
      if (state.response === undefined)
        throw new ElasticsearchError(
          `${wire.path} (task ${task}) finished but Elasticsearch kept no result; run obs erase again to verify (it searches afresh)`,
        );
      return deletedCount(state.response as Record<string, unknown>, wire.path);
    }
    const status = (state.task.status ?? {}) as { deleted?: number; total?: number };
    progress(
      `${wire.path.split('?')[0] ?? ''}: ${String(status.deleted ?? 0)} of ${String(status.total ?? '?')} deleted (task ${task})`,
    );
  }
}

const deletedCount = (answer: Record<string, unknown>, path: string): number => {
  const failures = answer['failures'];
  if (Array.isArray(failures) && failures.length > 0) {
    const first = JSON.stringify(failures[0]);
    throw new ElasticsearchError(
      `${path} left ${String(failures.length)} document(s) undeleted: ${first.slice(0, 300)}${first.includes('cluster_block_exception') ? `. ${READ_ONLY_HINT}` : ''}`,
    );
  }
  return Number(answer['deleted'] ?? 0);
};

/** Runs the erasure against Elasticsearch; the counts, and the audit record's id. */
export async function eraseInElasticsearch(
  target: ElasticsearchTarget,
  request: ErasureRequest,
  erasureId: string,
  now: () => number = Date.now,
  progress: (line: string) => void = () => undefined,
): Promise<ErasureCounts> {
  let traces = 0;
  let spans = 0;
  let logRecords = 0;
  const asTask = await canReadTasks(target);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const found = await sendToElasticsearch(target, 'delete', searchWire(traceSearch(request.subject)));
    const buckets =
      (found['aggregations'] as { traces?: { buckets?: { key: string }[] } } | undefined)?.traces?.buckets ??
      [];
    const traceIds = buckets.map((bucket) => bucket.key);
    if (traceIds.length > 0) {
      const wire = deleteWire(spanDeletion(traceIds, asTask));
      spans += await runDeletion(target, wire, progress);
    }
    logRecords += await runDeletion(
      target,
      deleteWire(logDeletion(request.subject, traceIds, asTask)),
      progress,
    );
    traces += traceIds.length;
    if (traceIds.length < TRACES_PER_ROUND) break;
    if (round === MAX_ROUNDS - 1)
      throw new ElasticsearchError(
        `${String(traces)} traces erased in ${String(MAX_ROUNDS)} rounds and more remain; run obs erase again to go on (no audit record was written yet)`,
      );
  }
  const counts = { traces, spans, logRecords };
  await sendToElasticsearch(target, 'delete', auditWire(request, { ...counts, erasureId }, now()));
  return counts;
}

/** The requests a dry run prints: the first round, with the trace ids step 1 would find left open. */
export function elasticDryRun(request: ErasureRequest): WireRequest[] {
  const placeholder = ['<trace ids found by the search above>'];
  return [
    searchWire(traceSearch(request.subject)),
    deleteWire(spanDeletion(placeholder, true)),
    deleteWire(logDeletion(request.subject, placeholder, true)),
  ];
}
