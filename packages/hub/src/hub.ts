/**
 * The hub process: an OTLP/HTTP receiver (the collector's role) and a Jaeger-compatible query
 * API (Jaeger's role) over one durable store. Both listen on 127.0.0.1 unless told otherwise.
 *
 * Ingest follows the OTLP/HTTP specification: protobuf or JSON, gzip, 200 with a (partial)
 * success answer in the request's encoding, 400 with the reason for a malformed body, 413 over
 * the size limit, 415 for another content type, 503 with Retry-After when the write queue is
 * full, so a client retries rather than losing data silently. A request is answered 200 only
 * after its spans are committed.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzip } from 'node:zlib';
import type { Environment, LogRecord } from '@pyairtable/conventions';
import {
  RESOURCE_ATTRIBUTES,
  SAMPLING_POLICIES,
  TRACES_RETENTION,
  createPiiMasker,
  validateLogRecord,
} from '@pyairtable/conventions';
import type { RefusalReason } from './counters.js';
import { HubCounters } from './counters.js';
import { TailSampler, maskSpan } from './pipeline.js';
import { decodeLogs } from './otlp/logs.js';
import { ExportLogsServiceResponse, ExportTraceServiceResponse, RpcStatus } from './otlp/proto.js';
import type { DecodedTraces } from './otlp/spans.js';
import { PayloadError, decodeTraceJson, decodeTraceProtobuf } from './otlp/spans.js';
import { handleLegacyQuery } from './legacy-api.js';
import { handleQuery } from './query-api.js';
import { SpanStore } from './store.js';

export interface HubOptions {
  readonly dataDir: string;
  /** The sampling policy's profile (default development: everything kept). */
  readonly profile?: Environment;
  /** Mask PII with the contract's rules before storing (default true). */
  readonly maskPii?: boolean;
  /** Tests: the clock the sampler's decision wait and retention run on (milliseconds). */
  readonly now?: () => number;
  /** Spans older than this are deleted (default: the contract's trace retention, 7 days). */
  readonly retentionDays?: number;
  /** The store's size cap; beyond it the oldest spans go first (default 2 GiB). */
  readonly maxStoreBytes?: number;
  readonly host?: string;
  /** OTLP/HTTP port (default 4318; 0 picks a free one). */
  readonly otlpHttpPort?: number;
  /** Query API port (default 16686, the spec's Jaeger port). */
  readonly queryPort?: number;
  /** Largest request body accepted, after decompression (default 16 MiB). */
  readonly maxBodyBytes?: number;
  /** Batches waiting to be written before ingest answers 503 (default 64). */
  readonly maxQueuedBatches?: number;
  readonly ingestToken?: string;
  readonly apiToken?: string;
}

export interface Hub {
  readonly otlpHttpUrl: string;
  readonly queryUrl: string;
  readonly store: SpanStore;
  readonly counters: HubCounters;
  /** Decides every trace whose wait is over now (the hub also does it every second). */
  decideDue(): Promise<void>;
  /** Applies retention now (the hub also does it every minute). */
  enforceRetention(): Promise<{ deletedByAge: number; deletedBySize: number }>;
  close(): Promise<void>;
}

export const HUB_DEFAULTS = {
  host: '127.0.0.1',
  otlpHttpPort: 4318,
  queryPort: 16686,
  maxBodyBytes: 16 * 1024 * 1024,
  maxQueuedBatches: 64,
  maxStoreBytes: 2 * 1024 ** 3,
} as const;

/** Where files in the collector file exporter's format are imported (on the ingest listener). */
export const IMPORT_PATH = '/import/otlp-json';
/** Where services' stdout log lines in the contract's schema are sent (on the ingest listener). */
export const LOG_LINES_PATH = '/ingest/logs';

const GRPC_INVALID_ARGUMENT = 3;
const GRPC_UNAVAILABLE = 14;

class BodyTooLarge extends Error {}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    request.on('error', reject);
  });
}

function gunzipLimited(body: Buffer, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    gunzip(body, { maxOutputLength: limit }, (error, result) => {
      if (error === null) resolve(result);
      else if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') reject(new BodyTooLarge());
      else reject(new PayloadError(`gzip body could not be decompressed: ${error.message}`));
    });
  });
}

export function bearerAllowed(request: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const header = request.headers.authorization ?? '';
  const expected = Buffer.from(`Bearer ${token}`);
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      resolve(`http://${host}:${String(address.port)}`);
    });
  });
}

export async function startHub(options: HubOptions): Promise<Hub> {
  const host = options.host ?? HUB_DEFAULTS.host;
  const maxBody = options.maxBodyBytes ?? HUB_DEFAULTS.maxBodyBytes;
  const maxQueued = options.maxQueuedBatches ?? HUB_DEFAULTS.maxQueuedBatches;
  const store = await SpanStore.open(options.dataDir);
  const serviceKey = RESOURCE_ATTRIBUTES.serviceName;
  const counters = new HubCounters();
  const masker = options.maskPii === false ? undefined : createPiiMasker();
  const sampler = new TailSampler(SAMPLING_POLICIES[options.profile ?? 'development'], options.now);

  // One writer: batches commit in arrival order; `queued` bounds what waits.
  let queued = 0;
  let tail: Promise<void> = Promise.resolve();
  const serialised = (work: () => Promise<void>): Promise<void> => {
    queued++;
    const done = tail.then(work);
    tail = done.then(
      () => undefined,
      () => undefined,
    );
    return done.finally(() => {
      queued--;
    });
  };
  const write = (decoded: DecodedTraces): Promise<void> => {
    counters.received.inc(decoded.spans.length);
    counters.rejected.inc(decoded.rejected);
    const masked = masker === undefined ? decoded.spans : decoded.spans.map((span) => maskSpan(masker, span));
    const { keep, lateDropped } = sampler.observe(masked);
    if (lateDropped > 0) counters.sampledOut.inc({ reason: 'not_sampled' }, lateDropped);
    return serialised(async () => {
      await store.append(keep);
      counters.stored.inc(keep.length);
    });
  };
  const decideDue = async (): Promise<void> => {
    const decisions = sampler.due();
    counters.pendingTraces.set(sampler.pendingTraces);
    if (decisions.length === 0) return;
    for (const decision of decisions)
      counters.tracesDecided.inc({ decision: decision.keep ? 'keep' : 'drop', reason: decision.reason });
    const dropped = decisions.filter((decision) => !decision.keep);
    if (dropped.length === 0) return;
    await serialised(async () => {
      await store.deleteTraces(dropped.map((decision) => decision.traceId));
      counters.sampledOut.inc(
        { reason: 'not_sampled' },
        dropped.reduce((sum, decision) => sum + decision.spans, 0),
      );
    });
  };
  const decider = setInterval(() => {
    decideDue().catch(() => undefined);
  }, 1000);
  decider.unref();
  const clock = options.now ?? Date.now;
  const maxAgeNs =
    BigInt(Math.round((options.retentionDays ?? TRACES_RETENTION.deleteAfterDays) * 86_400)) * 1_000_000_000n;
  const enforceRetention = async (): Promise<{ deletedByAge: number; deletedBySize: number }> => {
    let outcome = { deletedByAge: 0, deletedBySize: 0 };
    await serialised(async () => {
      outcome = await store.enforceRetention({
        nowNs: BigInt(clock()) * 1_000_000n,
        maxAgeNs,
        maxBytes: options.maxStoreBytes ?? HUB_DEFAULTS.maxStoreBytes,
      });
      counters.logsEvicted.inc(await store.enforceLogRetention(BigInt(clock()) * 1_000_000n));
    });
    counters.evicted.inc({ reason: 'age' }, outcome.deletedByAge);
    counters.evicted.inc({ reason: 'size' }, outcome.deletedBySize);
    return outcome;
  };
  const retention = setInterval(() => {
    enforceRetention().catch(() => undefined);
  }, 60_000);
  retention.unref();
  const refuse = (reason: RefusalReason): void => {
    counters.refused.inc({ reason });
  };
  /** The body, decompressed, within the size limit. */
  const readRequestBody = async (request: IncomingMessage): Promise<Buffer> => {
    const body = await readBody(request, maxBody);
    const encoding = (request.headers['content-encoding'] ?? '').toLowerCase();
    if (encoding === 'gzip') return gunzipLimited(body, maxBody);
    if (encoding !== '' && encoding !== 'identity')
      throw new PayloadError(`content-encoding ${encoding} is not supported; use gzip or none`);
    return body;
  };
  /** Answers 401 and returns false when a bearer token is required and this request has none. */
  const authorised = (request: IncomingMessage, response: ServerResponse, json: boolean): boolean => {
    if (bearerAllowed(request, options.ingestToken)) return true;
    refuse('unauthorized');
    answer(
      response,
      401,
      json,
      { code: 16, message: 'a valid bearer token is required' },
      { 'www-authenticate': 'Bearer' },
    );
    request.resume();
    return false;
  };
  /** The answer to an ingest that failed: 413, 400 with the reason, or 503 so the client retries. */
  const answerFailure = (response: ServerResponse, error: unknown, json: boolean): void => {
    if (error instanceof BodyTooLarge) {
      refuse('too_large');
      answer(response, 413, json, {
        code: GRPC_INVALID_ARGUMENT,
        message: `the body exceeds ${String(maxBody)} bytes`,
      });
    } else if (error instanceof PayloadError) {
      refuse('malformed');
      answer(response, 400, json, { code: GRPC_INVALID_ARGUMENT, message: error.message });
    } else {
      refuse('store_error');
      answer(
        response,
        503,
        json,
        { code: GRPC_UNAVAILABLE, message: 'the store could not write; retry' },
        { 'retry-after': '1' },
      );
    }
  };

  const answer = (
    response: ServerResponse,
    status: number,
    json: boolean,
    body: object,
    headers: Record<string, string> = {},
    okType = ExportTraceServiceResponse,
  ): void => {
    if (json) {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
      return;
    }
    const type = status === 200 ? okType : RpcStatus;
    response.writeHead(status, { 'content-type': 'application/x-protobuf', ...headers });
    response.end(type.encode(type.fromObject(body)).finish());
  };

  /**
   * Files in the collector file exporter's format (one OTLP/JSON trace request per line), as
   * exported by `/api/v3/traces/{id}?format=file`. Masked like any span; not sampled: an
   * import is deliberate. Lines that cannot be read are reported by number; the rest are stored.
   */
  const importFile = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const body = await readRequestBody(request);
      const errors: { line: number; message: string }[] = [];
      let imported = 0;
      let rejected = 0;
      const lines = body.toString('utf8').split('\n');
      for (const [index, line] of lines.entries()) {
        if (line.trim() === '') continue;
        try {
          const decoded = decodeTraceJson(Buffer.from(line), serviceKey);
          const spans =
            masker === undefined ? decoded.spans : decoded.spans.map((span) => maskSpan(masker, span));
          counters.received.inc(decoded.spans.length);
          counters.rejected.inc(decoded.rejected);
          rejected += decoded.rejected;
          await serialised(async () => {
            await store.append(spans);
            counters.stored.inc(spans.length);
          });
          imported += spans.length;
        } catch (error) {
          if (!(error instanceof PayloadError)) throw error;
          if (errors.length < 100) errors.push({ line: index + 1, message: error.message });
        }
      }
      answer(response, errors.length > 0 && imported === 0 ? 400 : 200, true, { imported, rejected, errors });
    } catch (error) {
      answerFailure(response, error, true);
    }
  };

  /**
   * JSON lines in the contract's log schema (what the SDK writes on stdout). Each line is
   * validated; a line that is not a contract record is reported by number with its problems,
   * the others are masked and stored. All refused: 400.
   */
  const ingestLogLines = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const body = await readRequestBody(request);
      const records: LogRecord[] = [];
      const errors: { line: number; message: string }[] = [];
      for (const [index, line] of body.toString('utf8').split('\n').entries()) {
        if (line.trim() === '') continue;
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          errors.push({ line: index + 1, message: 'not JSON' });
          continue;
        }
        const validation = validateLogRecord(parsed);
        if (validation.ok)
          records.push(
            masker === undefined ? validation.value : (masker.maskValue(validation.value) as LogRecord),
          );
        else
          errors.push({
            line: index + 1,
            message: validation.problems.map((problem) => `${problem.path}: ${problem.message}`).join('; '),
          });
      }
      counters.logsRejected.inc(errors.length);
      await serialised(async () => {
        await store.appendLogs(records);
        counters.logsStored.inc(records.length);
      });
      answer(response, records.length === 0 && errors.length > 0 ? 400 : 200, true, {
        stored: records.length,
        rejected: errors.length,
        errors: errors.slice(0, 100),
      });
    } catch (error) {
      answerFailure(response, error, true);
    }
  };

  const ingest = createServer((request, response) => {
    void (async () => {
      const path = (request.url ?? '').split('?')[0];
      const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      const json = contentType === 'application/json';
      if (request.method === 'POST' && path === LOG_LINES_PATH) {
        if (!authorised(request, response, true)) return;
        await ingestLogLines(request, response);
        return;
      }
      if (request.method === 'POST' && path === IMPORT_PATH) {
        if (!authorised(request, response, true)) return;
        await importFile(request, response);
        return;
      }
      const logs = path === '/v1/logs';
      if (request.method !== 'POST' || (path !== '/v1/traces' && !logs)) {
        answer(response, path === '/v1/metrics' ? 501 : 404, true, {
          code: 12,
          message: `${request.method ?? ''} ${path ?? ''} is not served here; send traces to POST /v1/traces and logs to POST /v1/logs`,
        });
        request.resume();
        return;
      }
      if (!authorised(request, response, json)) return;
      if (!json && contentType !== 'application/x-protobuf') {
        refuse('unsupported_type');
        answer(response, 415, true, {
          code: GRPC_INVALID_ARGUMENT,
          message: 'use application/x-protobuf or application/json',
        });
        request.resume();
        return;
      }
      try {
        const body = await readRequestBody(request);
        if (logs) {
          const decodedLogs = decodeLogs(body, json);
          counters.logsRejected.inc(decodedLogs.rejected);
          const records =
            masker === undefined
              ? decodedLogs.records
              : decodedLogs.records.map((record) => masker.maskValue(record) as LogRecord);
          await serialised(async () => {
            await store.appendLogs(records);
            counters.logsStored.inc(records.length);
          });
          answer(
            response,
            200,
            json,
            decodedLogs.rejected === 0
              ? {}
              : {
                  partialSuccess: {
                    rejectedLogRecords: String(decodedLogs.rejected),
                    errorMessage: decodedLogs.rejectReason ?? '',
                  },
                },
            {},
            ExportLogsServiceResponse,
          );
          return;
        }
        const decoded = json ? decodeTraceJson(body, serviceKey) : decodeTraceProtobuf(body, serviceKey);
        if (queued >= maxQueued) {
          refuse('queue_full');
          answer(
            response,
            503,
            json,
            { code: GRPC_UNAVAILABLE, message: 'the write queue is full; retry' },
            { 'retry-after': '1' },
          );
          return;
        }
        await write(decoded);
        answer(
          response,
          200,
          json,
          decoded.rejected === 0
            ? {}
            : {
                partialSuccess: {
                  rejectedSpans: String(decoded.rejected),
                  errorMessage: decoded.rejectReason ?? '',
                },
              },
        );
      } catch (error) {
        answerFailure(response, error, json);
      }
    })().catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
    });
  });

  const query = createServer((request, response) => {
    if (!bearerAllowed(request, options.apiToken)) {
      response.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
      response.end(JSON.stringify({ error: { code: 16, message: 'a valid bearer token is required' } }));
      return;
    }
    if (request.url === '/metrics') {
      counters.registry
        .metrics()
        .then((text) => {
          response.writeHead(200, { 'content-type': counters.registry.contentType });
          response.end(text);
        })
        .catch(() => response.writeHead(500).end());
      return;
    }
    handleLegacyQuery(store, request, response)
      .then((handled) => (handled ? undefined : handleQuery(store, request, response)))
      .catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { code: 13, message: (error as Error).message } }));
      });
  });

  const otlpHttpUrl = await listen(ingest, options.otlpHttpPort ?? HUB_DEFAULTS.otlpHttpPort, host);
  const queryUrl = await listen(query, options.queryPort ?? HUB_DEFAULTS.queryPort, host);
  return {
    otlpHttpUrl,
    queryUrl,
    store,
    counters,
    decideDue,
    enforceRetention,
    async close() {
      clearInterval(decider);
      clearInterval(retention);
      await Promise.all(
        [ingest, query].map(
          (server) =>
            new Promise((resolve) => {
              server.close(resolve);
              server.closeAllConnections();
            }),
        ),
      );
      await tail;
      store.close();
    },
  };
}
