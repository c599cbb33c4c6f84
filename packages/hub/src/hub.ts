/**
 * The hub process: the collector's role (OTLP/HTTP on 4318, OTLP/gRPC on 4317, metrics for
 * Prometheus on 8889) and Jaeger's role (the query API on 16686) over one durable store. Every
 * listener is on 127.0.0.1 unless told otherwise. A request is answered 200 only after what it
 * carried is committed; see ingest.ts for admission and otlp-http.ts for the answers.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Environment } from '@pyairtable/conventions';
import { SAMPLING_POLICIES, SPEC_PORTS, TRACES_RETENTION, createPiiMasker } from '@pyairtable/conventions';
import { HubCounters } from './counters.js';
import { DECODED_BYTES_PER_BODY_BYTE, Ingest } from './ingest.js';
import { METRIC_STORE_DEFAULTS, MetricStore } from './metric-store.js';
import { hostPort, startOtlpGrpc } from './otlp-grpc.js';
import { createOtlpHttpServer } from './otlp-http.js';
import { bearerAllowed } from './receiver.js';
import { TailSampler } from './pipeline.js';
import { handleLegacyQuery } from './legacy-api.js';
import { serveUi } from './ui-routes.js';
import type { StoreStatus, UiConfig } from './upstreams.js';
import { handleUiApi } from './upstreams.js';
import { handleQuery } from './query-api.js';
import { RPC, errorBody } from './query-params.js';
import { SpanStore } from './store.js';

export interface HubOptions {
  readonly dataDir: string;
  /** The sampling policy's profile (default development: everything kept). */
  readonly profile?: Environment;
  /** The UI's Prometheus, Alertmanager and dashboards (also settable later: `Hub.configureUi`). */
  readonly ui?: UiConfig;
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
  /** OTLP/gRPC port (default 4317; 0 picks a free one). */
  readonly otlpGrpcPort?: number;
  /** Where Prometheus scrapes the metrics received over OTLP (default 8889, the collector exporter's). */
  readonly prometheusPort?: number;
  /** Query API port (default 16686, the spec's Jaeger port). */
  readonly queryPort?: number;
  /** Largest request body accepted, after decompression (default 16 MiB). */
  readonly maxBodyBytes?: number;
  /** Requests of any signal being read, decoded or committed before ingest answers 503 (default 64). */
  readonly maxInFlightRequests?: number;
  /**
   * The process's memory bound (default 1 GiB): its working set at start, DuckDB's share (its
   * own memory_limit) and what the hub holds for data. Past it ingest answers 503 until what
   * the hub holds falls; a bound below the working set refuses to start.
   */
  readonly maxMemoryBytes?: number;
  /** Embedders and tests: the budget for data, in place of the one derived from maxMemoryBytes. */
  readonly memoryBudgetBytes?: number;
  /** Tests: what the hub holds for data, in place of its own count. */
  readonly memoryHeld?: () => number;
  /** Longest a client may take to send a request's headers (default 10 s). */
  readonly headersTimeoutMs?: number;
  /** Longest a client may take to send a whole request, body included (default 30 s): 408 after. */
  readonly requestTimeoutMs?: number;
  /** Metric series held for Prometheus before new ones are refused (default 50 000). */
  readonly maxMetricSeries?: number;
  readonly ingestToken?: string;
  /** Bearer token for erasures (`obs erase`); the ingest token guards them when unset. */
  readonly adminToken?: string;
  readonly apiToken?: string;
  /** Where internal failures are reported (default: a JSON line on stderr); clients see none of it. */
  readonly reportError?: (where: string, error: unknown) => void;
}

export interface Hub {
  readonly otlpHttpUrl: string;
  /** host:port, as gRPC clients take it (with http:// in front for the OpenTelemetry exporters). */
  readonly otlpGrpcAddress: string;
  /** Where the metrics received over OTLP are served in Prometheus' format (`/metrics`). */
  readonly prometheusUrl: string;
  readonly queryUrl: string;
  readonly store: SpanStore;
  readonly metrics: MetricStore;
  readonly counters: HubCounters;
  /** Decides every trace whose wait is over now (the hub also does it every second). */
  decideDue(): Promise<void>;
  /** Applies retention now (the hub also does it every minute). */
  enforceRetention(): Promise<{ deletedByAge: number; deletedBySize: number }>;
  /** What the hub holds for data by its own count (see HubOptions.maxMemoryBytes). */
  memoryHeld(): number;
  /** What the web UI shows beyond the hub's data: Prometheus, Alertmanager, the dashboards. */
  configureUi(config: UiConfig): void;
  close(): Promise<void>;
}

export const HUB_DEFAULTS = {
  host: '127.0.0.1',
  otlpHttpPort: SPEC_PORTS.otlpHttp,
  otlpGrpcPort: SPEC_PORTS.otlpGrpc,
  prometheusPort: SPEC_PORTS.otlpMetricsExporter,
  queryPort: SPEC_PORTS.jaeger,
  maxBodyBytes: 16 * 1024 * 1024,
  maxInFlightRequests: 64,
  maxMemoryBytes: 1024 ** 3,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxStoreBytes: 2 * 1024 ** 3,
  maxMetricSeries: METRIC_STORE_DEFAULTS.maxSeries,
} as const;

function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      resolve(`http://${hostPort(host, address.port)}`);
    });
  });
}

/** Answers 401 unless the API token (when one is set) is given. */
function apiAuthorised(
  request: IncomingMessage,
  response: ServerResponse,
  token: string | undefined,
): boolean {
  if (bearerAllowed(request, token)) return true;
  response.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
  response.end(JSON.stringify(errorBody(401, RPC.unauthenticated, 'a valid bearer token is required')));
  return false;
}

type ErrorReporter = (where: string, error: unknown) => void;

/** A JSON line on stderr, as the hub's other log lines. */
const reportToStderr: ErrorReporter = (where, error) => {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`${JSON.stringify({ level: 'error', message: `${where} failed`, error: detail })}\n`);
};

/**
 * Serves the exposition piece by piece. A failure while rendering ends this answer (500 if
 * nothing was sent yet) and is reported; it never escapes into the process.
 */
function writeExposition(metrics: MetricStore, response: ServerResponse, report: ErrorReporter): void {
  try {
    let started = false;
    for (const chunk of metrics.expositionChunks()) {
      if (!started) {
        response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        started = true;
      }
      response.write(chunk);
    }
    if (!started) response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    response.end();
  } catch (error) {
    report('the metrics exposition', error);
    if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
    response.end('the exposition could not be rendered; see the hub log\n');
  }
}

/** DuckDB's share of the bound: an eighth, within 32 MiB to 256 MiB. */
export const duckDbMemoryBytes = (maxMemoryBytes: number): number =>
  Math.min(256 * 2 ** 20, Math.max(32 * 2 ** 20, Math.floor(maxMemoryBytes / 8)));

/**
 * What the hub may hold for data under `maxMemoryBytes`, once the process's working set and
 * DuckDB's share are taken; an error naming the smallest workable bound when not even one
 * request of the largest size would fit.
 */
export function memoryBudget(maxMemoryBytes: number, workingSetBytes: number, maxBodyBytes: number): number {
  const budget = maxMemoryBytes - workingSetBytes - duckDbMemoryBytes(maxMemoryBytes);
  const oneRequest = maxBodyBytes * (1 + DECODED_BYTES_PER_BODY_BYTE);
  if (budget >= oneRequest) return budget;
  const mib = (bytes: number): number => Math.ceil(bytes / 2 ** 20);
  const needed = workingSetBytes + oneRequest + 32 * 2 ** 20;
  throw new Error(
    `a memory bound of ${String(mib(maxMemoryBytes))} MiB is below what the hub needs: ${String(mib(workingSetBytes))} MiB of working set at start, ` +
      `${String(mib(duckDbMemoryBytes(maxMemoryBytes)))} MiB for DuckDB and ${String(mib(oneRequest))} MiB for one request of the largest size; ` +
      `give at least ${String(mib(Math.max(needed, (needed * 8) / 7)))} MiB (--max-memory-mb), or a smaller --max-body-mb`,
  );
}

export async function startHub(options: HubOptions): Promise<Hub> {
  const host = options.host ?? HUB_DEFAULTS.host;
  const maxBodyBytes = options.maxBodyBytes ?? HUB_DEFAULTS.maxBodyBytes;
  const maxMemoryBytes = options.maxMemoryBytes ?? HUB_DEFAULTS.maxMemoryBytes;
  const store = await SpanStore.open(options.dataDir, {
    memoryLimitBytes: duckDbMemoryBytes(maxMemoryBytes),
  });
  let memoryBudgetBytes: number;
  try {
    memoryBudgetBytes =
      options.memoryBudgetBytes ?? memoryBudget(maxMemoryBytes, process.memoryUsage.rss(), maxBodyBytes);
  } catch (error) {
    store.close();
    throw error;
  }
  const counters = new HubCounters();
  const clock = options.now ?? Date.now;
  const reportError = options.reportError ?? reportToStderr;
  const metrics = new MetricStore({
    maxSeries: options.maxMetricSeries ?? HUB_DEFAULTS.maxMetricSeries,
    now: clock,
  });
  const ingest = new Ingest({
    store,
    counters,
    metrics,
    sampler: new TailSampler(SAMPLING_POLICIES[options.profile ?? 'development'], options.now),
    masker: options.maskPii === false ? undefined : createPiiMasker(),
    maxInFlightRequests: options.maxInFlightRequests ?? HUB_DEFAULTS.maxInFlightRequests,
    memoryBudgetBytes,
    ...(options.memoryHeld === undefined ? {} : { memoryHeld: options.memoryHeld }),
    now: clock,
    maxAgeNs:
      BigInt(Math.round((options.retentionDays ?? TRACES_RETENTION.deleteAfterDays) * 86_400)) *
      1_000_000_000n,
    maxStoreBytes: options.maxStoreBytes ?? HUB_DEFAULTS.maxStoreBytes,
  });
  counters.watchMemory(() => ingest.memoryHeld(), memoryBudgetBytes);
  const decider = setInterval(() => {
    ingest.decideDue().catch((error: unknown) => {
      counters.backgroundFailures.inc({ task: 'decide' });
      reportError('a tail-sampling decision pass', error);
    });
  }, 1000);
  decider.unref();
  const retention = setInterval(() => {
    ingest.enforceRetention().catch((error: unknown) => {
      counters.backgroundFailures.inc({ task: 'retention' });
      reportError('a retention pass', error);
    });
  }, 60_000);
  retention.unref();

  const receiver = {
    ingest,
    counters,
    maxBodyBytes,
    ingestToken: options.ingestToken,
    adminToken: options.adminToken,
    headersTimeoutMs: options.headersTimeoutMs ?? HUB_DEFAULTS.headersTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs ?? HUB_DEFAULTS.requestTimeoutMs,
  };
  const otlpHttp = createOtlpHttpServer(receiver);
  const prometheus = createServer((request, response) => {
    if (!apiAuthorised(request, response, options.apiToken)) return;
    if ((request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('scrape /metrics\n');
      return;
    }
    writeExposition(metrics, response, reportError);
  });
  let uiConfig: UiConfig = options.ui ?? {};
  const storeStatus = async (): Promise<StoreStatus> => {
    const evicted = await counters.evicted.get();
    const count = (reason: string): number =>
      evicted.values.find((value) => value.labels['reason'] === reason)?.value ?? 0;
    return {
      retentionDays: options.retentionDays ?? TRACES_RETENTION.deleteAfterDays,
      maxStoreBytes: options.maxStoreBytes ?? HUB_DEFAULTS.maxStoreBytes,
      spansEvicted: { age: count('age'), size: count('size') },
    };
  };
  const query = createServer((request, response) => {
    if (serveUi(request, response)) return;
    if (!apiAuthorised(request, response, options.apiToken)) return;
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
    handleUiApi(request, response, uiConfig, storeStatus)
      .then((handled) => (handled ? true : handleLegacyQuery(store, request, response)))
      .then((handled) => (handled ? undefined : handleQuery(store, request, response)))
      .catch((error: unknown) => {
        // The engine's or runtime's message stays in the hub's log: it says nothing to a client.
        reportError(`${request.method ?? ''} ${request.url ?? ''}`, error);
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify(errorBody(500, RPC.internal, 'internal error in the hub; its log has the details')),
        );
      });
  });

  const servers: Server[] = [];
  const closeServers = (): Promise<unknown> =>
    Promise.all(
      servers.map(
        (server) =>
          new Promise((resolve) => {
            server.close(resolve);
            server.closeAllConnections();
          }),
      ),
    );
  try {
    const bind = async (server: Server, port: number): Promise<string> => {
      const url = await listen(server, port, host);
      servers.push(server);
      return url;
    };
    const otlpHttpUrl = await bind(otlpHttp, options.otlpHttpPort ?? HUB_DEFAULTS.otlpHttpPort);
    const queryUrl = await bind(query, options.queryPort ?? HUB_DEFAULTS.queryPort);
    const prometheusUrl = await bind(prometheus, options.prometheusPort ?? HUB_DEFAULTS.prometheusPort);
    const grpc = await startOtlpGrpc(receiver, host, options.otlpGrpcPort ?? HUB_DEFAULTS.otlpGrpcPort);
    return {
      otlpHttpUrl,
      otlpGrpcAddress: hostPort(host, grpc.port),
      prometheusUrl,
      queryUrl,
      store,
      metrics,
      counters,
      decideDue: () => ingest.decideDue(),
      enforceRetention: () => ingest.enforceRetention(),
      memoryHeld: () => ingest.memoryHeld(),
      configureUi: (config) => {
        uiConfig = { ...uiConfig, ...config };
      },
      async close() {
        clearInterval(decider);
        clearInterval(retention);
        await Promise.all([closeServers(), grpc.close()]);
        await ingest.drained();
        store.close();
      },
    };
  } catch (error) {
    // A port in use: what was opened is closed again, so a retry finds the store free.
    clearInterval(decider);
    clearInterval(retention);
    await closeServers();
    store.close();
    throw error;
  }
}
