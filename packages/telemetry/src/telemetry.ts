/**
 * `initTelemetry`: one call gives a service its tracer, the contract's metrics, the structured
 * logger and the business helpers, and returns a handle whose `shutdown()` flushes within a
 * deadline. Apart from invalid options in code, nothing here throws into the host.
 */
import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type {
  AirtableOperation,
  AirtableResult,
  GenAiOperation,
  AuthEventName,
  AuthMethod,
  AuthReason,
  AuthResult,
  CostCenter,
  LogCategory,
  PriceTable,
  RateLimitScope,
  SecuritySeverity,
  SuspiciousActivityType,
  WorkflowStatus,
} from '@pyairtable/conventions';
import {
  AI_PRICE_TABLE,
  DEFAULT_COST_WEIGHT_BY_TIER,
  GEN_AI_PROVIDERS,
  SPAN_ATTRIBUTES as A,
  computeAiCostUsd,
  createPiiMasker,
  findModelPrice,
  mergePriceTables,
} from '@pyairtable/conventions';
import type { DestinationStream } from 'pino';
import { pino } from 'pino';
import type { Server } from 'node:http';
import { createApiKeyHasher } from './api-key.js';
import type { ResolvedConfig, TelemetryOptions } from './config.js';
import { resolveConfig } from './config.js';
import { TELEMETRY_ERROR_CODES, TelemetryConfigError, asException, errorMessage } from './errors.js';
import { instrumentHttpClients } from './http-client.js';
import { HttpServerInstrumentation } from './http-server.js';
import { serviceIdentity } from './identity.js';
import { startLogExport } from './log-export.js';
import { LineDestination } from './line-destination.js';
import type { TelemetryLogger } from './logger.js';
import { createLogger, loggerFor } from './logger.js';
import type { MetricsServerOptions } from './metrics.js';
import { ContractMetrics, startMetricsServer } from './metrics.js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { serviceResource, startTracing } from './tracing.js';
import { warnOnce } from './warnings.js';

export interface InitOptions extends TelemetryOptions {
  /** Where log lines go (default: stdout through an asynchronous, bounded buffer). */
  readonly logDestination?: DestinationStream;
  /** Replaces the OTLP span exporter (tests, custom backends). */
  readonly spanExporter?: SpanExporter;
  /** Extra or corrected model prices, merged over the contract's table. */
  readonly priceTable?: PriceTable;
  /** Node runtime metrics on `/metrics` (default true). */
  readonly runtimeMetrics?: boolean;
}

export interface AiUsage {
  readonly provider: string;
  readonly model: string;
  readonly operation?: GenAiOperation;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens?: number;
  /** Call duration, when the caller timed it. */
  readonly durationSeconds?: number;
  /** Cost the provider reported, which wins over the price table. */
  readonly reportedCostUsd?: number;
  readonly costCenter?: CostCenter;
}

export interface AuthEvent {
  readonly event: AuthEventName;
  readonly result: AuthResult;
  readonly reason?: AuthReason;
  readonly method?: AuthMethod;
  readonly userId?: string;
}

export interface BusinessAttributes {
  readonly userId?: string;
  readonly tenantId?: string;
  /** Hashed before it touches the span. */
  readonly apiKey?: string;
  readonly costCenter?: CostCenter;
}

export interface Telemetry {
  readonly config: ResolvedConfig;
  readonly tracer: Tracer;
  /** Application-category logger; `log(category)` for the others. */
  readonly logger: TelemetryLogger;
  log(category: LogCategory): TelemetryLogger;
  readonly metrics: ContractMetrics;
  /** `(req, res)` handler serving `/metrics`; mount it on your router. */
  readonly metricsHandler: ContractMetrics['handler'];
  /** A standalone listener for `/metrics` (loopback by default). */
  startMetricsServer(options: MetricsServerOptions): Promise<Server>;
  /** Internal to the framework adapters. */
  readonly http: HttpServerInstrumentation;

  /** Runs `fn` in a new active span, ending it (with the error recorded) however `fn` ends. */
  traceAsync<T>(name: string, fn: (span: Span) => Promise<T> | T, attributes?: Attributes): Promise<T>;
  /**
   * Records an error on the active span (status ERROR); inside a request it is also written as
   * the request's error-category log record.
   */
  recordException(error: unknown): void;
  /** Trace and span id of the active span, for correlating with systems outside tracing. */
  currentTraceIds(): { traceId: string; spanId: string } | undefined;
  addBusinessAttributes(span: Span | undefined, attributes: BusinessAttributes): void;
  hashApiKey(apiKey: string): string;
  /** Records a model call: `gen_ai.*` attributes, token and cost metrics. Returns the cost in USD when known. */
  recordAiUsage(usage: AiUsage): number | undefined;
  recordAuthEvent(event: AuthEvent): void;
  recordRateLimitRejection(scope: RateLimitScope): void;
  recordSuspiciousActivity(
    type: SuspiciousActivityType,
    severity: SecuritySeverity,
    details?: Record<string, unknown>,
  ): void;
  recordAirtableCall(operation: AirtableOperation, result: AirtableResult): void;
  recordCacheLookup(cache: string, hit: boolean): void;
  /** Times a database operation in a client span and the duration metric. */
  timeDbOperation<T>(system: string, operation: string, fn: () => Promise<T> | T): Promise<T>;
  /** Runs a workflow in a span and counts its execution by final status. */
  runWorkflow<T>(
    name: string,
    fn: (span: Span) => Promise<T> | T,
    classify?: (error: unknown) => WorkflowStatus,
  ): Promise<T>;
  sessionStarted(): void;
  sessionEnded(): void;
  forceFlush(): Promise<void>;
  /** Flushes spans and logs and stops; resolves by the deadline whatever the backends do. */
  shutdown(): Promise<void>;
}

let running: Telemetry | undefined;

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function withDeadline(work: Promise<unknown>, milliseconds: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      warnOnce(
        'shutdown-deadline',
        `telemetry shutdown did not finish within ${milliseconds} ms; continuing.`,
      );
      resolve();
    }, milliseconds);
    timer.unref();
    work.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (error: unknown) => {
        clearTimeout(timer);
        warnOnce('shutdown-error', `telemetry shutdown: ${errorMessage(error)}`);
        resolve();
      },
    );
  });
}

export function initTelemetry(options: InitOptions = {}): Telemetry {
  if (running !== undefined)
    throw new TelemetryConfigError(
      'initTelemetry',
      'a second call',
      'one running telemetry per process; call shutdown() on the first handle before starting another',
      TELEMETRY_ERROR_CODES.alreadyStarted,
    );
  const { logDestination, spanExporter, priceTable, runtimeMetrics, ...telemetryOptions } = options;
  const config = resolveConfig(telemetryOptions);
  const masker = createPiiMasker();
  const prices = priceTable === undefined ? AI_PRICE_TABLE : mergePriceTables(AI_PRICE_TABLE, priceTable);
  // Who this process is, decided once: every signal below describes it from these two.
  const identity = serviceIdentity(config);
  const resource = serviceResource(identity);

  const metrics = new ContractMetrics(identity, { runtimeMetrics: runtimeMetrics ?? true });
  const tracing = startTracing(
    config,
    resource,
    masker,
    (outcome, count) => {
      metrics.inc('telemetrySpans', { pyairtable_telemetry_outcome: outcome }, count);
    },
    spanExporter,
  );

  // Lines are written in chunks of at least 8 KiB, at least every 200 ms, on exit and on
  // shutdown; beyond 16 MiB waiting (stdout blocked) lines are dropped and counted rather than held.
  const ownStdout = logDestination === undefined ? new LineDestination({ fd: 1 }) : undefined;
  const stdout: DestinationStream = logDestination ?? (ownStdout as LineDestination);
  ownStdout?.on('drop', () => {
    metrics.inc('telemetryLogRecordsDropped', {}, 1);
    warnOnce('log-drop', 'stdout is not keeping up; log records are being dropped and counted.');
  });
  ownStdout?.on('write-error', (error: Error) => {
    warnOnce('log-write', `log lines could not be written to stdout (${error.message}).`);
  });
  const logExport = config.exportLogs ? startLogExport(config, resource) : undefined;
  const destination =
    logExport === undefined ? stdout : pino.multistream([{ stream: stdout }, { stream: logExport.stream }]);
  const rootLogger = createLogger({
    identity,
    level: config.logLevel,
    masker: config.maskLogs ? masker : undefined,
    destination,
  });
  const categoryLoggers = new Map<LogCategory, TelemetryLogger>();
  const log = (category: LogCategory): TelemetryLogger => {
    let child = categoryLoggers.get(category);
    if (child === undefined) {
      child = loggerFor(rootLogger, category);
      categoryLoggers.set(category, child);
    }
    return child;
  };
  const logger = log('application');

  const hashApiKey = createApiKeyHasher(config.apiKeyHmacSecret, config.environment);
  const http = new HttpServerInstrumentation({
    tracing,
    metrics,
    accessLog: log('access'),
    errorLog: log('error'),
    hashApiKey,
    costCenter: config.costCenter,
    defaultCostWeight: DEFAULT_COST_WEIGHT_BY_TIER[config.serviceTier],
    maskString: (value) => (config.maskLogs ? masker.maskString(value) : value),
  });
  const clients = instrumentHttpClients(tracing.tracer, metrics);

  const tracer = tracing.tracer;
  const safely = (name: string, work: () => void): void => {
    try {
      work();
    } catch (error) {
      warnOnce(`helper:${name}`, `${name} not recorded: ${errorMessage(error)}`);
    }
  };

  const traceAsync = async <T>(
    name: string,
    fn: (span: Span) => Promise<T> | T,
    attributes?: Attributes,
  ): Promise<T> => {
    const span = tracer.startSpan(name, attributes === undefined ? {} : { attributes });
    return context.with(trace.setSpan(context.active(), span), async () => {
      try {
        return await fn(span);
      } catch (error) {
        span.recordException(asException(error));
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: errorMessage(error),
        });
        throw error;
      } finally {
        span.end();
      }
    });
  };

  let stopping: Promise<void> | undefined;
  const onSigterm = (): void => {
    void handle.shutdown().finally(() => process.exit(0));
  };

  const handle: Telemetry = {
    config,
    tracer,
    logger,
    log,
    metrics,
    metricsHandler: metrics.handler,
    startMetricsServer: (serverOptions) => startMetricsServer(metrics, serverOptions),
    http,
    traceAsync,
    recordException(error) {
      safely('recordException', () => {
        const span = trace.getActiveSpan();
        const scope = http.scopeOf(span);
        if (scope !== undefined) scope.recordException(error);
        else if (span !== undefined) {
          span.recordException(asException(error));
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: errorMessage(error),
          });
        }
      });
    },
    currentTraceIds() {
      const span = trace.getActiveSpan();
      if (span === undefined) return undefined;
      const { traceId, spanId } = span.spanContext();
      return { traceId, spanId };
    },
    addBusinessAttributes(span, attributes) {
      safely('addBusinessAttributes', () => {
        const target = span ?? trace.getActiveSpan();
        if (target === undefined) return;
        if (attributes.userId !== undefined) target.setAttribute(A.userId, attributes.userId);
        if (attributes.tenantId !== undefined) target.setAttribute(A.tenantId, attributes.tenantId);
        if (attributes.apiKey !== undefined) target.setAttribute(A.apiKeyHash, hashApiKey(attributes.apiKey));
        if (attributes.costCenter !== undefined) target.setAttribute(A.costCenter, attributes.costCenter);
      });
    },
    hashApiKey,
    recordAiUsage(usage) {
      let cost: number | undefined;
      safely('recordAiUsage', () => {
        const counts: unknown[] = [usage.inputTokens, usage.outputTokens, usage.cachedInputTokens ?? 0];
        if (!counts.every(isCount)) {
          warnOnce(
            'ai-usage-tokens',
            `recordAiUsage: token counts must be non-negative integers (got ${counts.join(', ')}); call ignored.`,
          );
          return;
        }
        const provider = (GEN_AI_PROVIDERS as readonly string[]).includes(usage.provider)
          ? (usage.provider as (typeof GEN_AI_PROVIDERS)[number])
          : '_OTHER';
        const operation = usage.operation ?? 'chat';
        const price = findModelPrice(prices, provider, usage.model);
        let source: 'provider' | 'price_table' | undefined;
        if (
          usage.reportedCostUsd !== undefined &&
          Number.isFinite(usage.reportedCostUsd) &&
          usage.reportedCostUsd >= 0
        ) {
          cost = usage.reportedCostUsd;
          source = 'provider';
        } else if (price !== undefined) {
          cost = computeAiCostUsd(usage, price);
          source = 'price_table';
        } else {
          warnOnce(
            `ai-price:${provider}/${usage.model}`,
            `no price for ${provider}/${usage.model}; its cost is not counted (add it with the priceTable option).`,
          );
        }
        const labels = {
          gen_ai_operation_name: operation,
          gen_ai_provider_name: provider,
          gen_ai_request_model: usage.model,
        };
        metrics.observe('genAiTokenUsage', { ...labels, gen_ai_token_type: 'input' }, usage.inputTokens);
        metrics.observe('genAiTokenUsage', { ...labels, gen_ai_token_type: 'output' }, usage.outputTokens);
        if (usage.durationSeconds !== undefined)
          metrics.observe('genAiOperationDuration', labels, usage.durationSeconds);
        if (cost !== undefined)
          metrics.inc(
            'aiCost',
            {
              gen_ai_provider_name: provider,
              gen_ai_request_model: usage.model,
              pyairtable_cost_center: usage.costCenter ?? config.costCenter,
            },
            cost,
          );
        const span = trace.getActiveSpan();
        if (span !== undefined) {
          span.setAttributes({
            [A.genAiProviderName]: provider,
            [A.genAiOperationName]: operation,
            [A.genAiRequestModel]: usage.model,
            [A.genAiUsageInputTokens]: usage.inputTokens,
            [A.genAiUsageOutputTokens]: usage.outputTokens,
          });
          if (cost !== undefined && source !== undefined)
            span.setAttributes({ [A.genAiCostUsd]: cost, [A.genAiCostSource]: source });
        }
      });
      return cost;
    },
    recordAuthEvent(event) {
      safely('recordAuthEvent', () => {
        const reason = event.reason ?? (event.result === 'success' ? 'none' : 'invalid_credentials');
        metrics.inc(
          'authEvents',
          {
            pyairtable_auth_event: event.event,
            pyairtable_auth_result: event.result,
            pyairtable_auth_reason: reason,
          },
          1,
        );
        if (event.event === 'login' && event.result === 'success')
          metrics.inc('userLogins', { pyairtable_auth_method: event.method ?? 'password' }, 1);
        trace.getActiveSpan()?.addEvent('auth', {
          [A.authEvent]: event.event,
          [A.authResult]: event.result,
          [A.authReason]: reason,
        });
        const record: Record<string, unknown> = {
          event: { action: `auth.${event.event}`, outcome: event.result, reason },
        };
        if (event.userId !== undefined) record['user'] = { id: event.userId };
        const security = log('security');
        if (event.result === 'failure') security.warn(record, `${event.event} failed: ${reason}`);
        else security.info(record, `${event.event} succeeded`);
      });
    },
    recordRateLimitRejection(scope) {
      safely('recordRateLimitRejection', () => {
        metrics.inc('rateLimitRejections', { pyairtable_rate_limit_scope: scope }, 1);
      });
    },
    recordSuspiciousActivity(type, severity, details) {
      safely('recordSuspiciousActivity', () => {
        metrics.inc(
          'suspiciousActivity',
          { pyairtable_security_activity_type: type, pyairtable_security_severity: severity },
          1,
        );
        log('security').warn(
          { ...details, event: { action: `security.${type}`, outcome: 'unknown', reason: severity } },
          `suspicious activity: ${type} (${severity})`,
        );
      });
    },
    recordAirtableCall(operation, result) {
      safely('recordAirtableCall', () => {
        metrics.inc(
          'airtableApiCalls',
          { pyairtable_airtable_operation: operation, pyairtable_airtable_result: result },
          1,
        );
      });
    },
    recordCacheLookup(cache, hit) {
      safely('recordCacheLookup', () => {
        metrics.inc(
          'cacheLookups',
          { pyairtable_cache_name: cache, pyairtable_cache_result: hit ? 'hit' : 'miss' },
          1,
        );
      });
    },
    async timeDbOperation(system, operation, fn) {
      const started = performance.now();
      const span = tracer.startSpan(`${operation} ${system}`, {
        kind: SpanKind.CLIENT,
        attributes: { [A.dbSystemName]: system, [A.dbOperationName]: operation },
      });
      let errorType: string | undefined;
      try {
        return await context.with(trace.setSpan(context.active(), span), fn);
      } catch (error) {
        errorType = error instanceof Error ? error.name : 'error';
        span.recordException(asException(error));
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        safely('timeDbOperation', () => {
          const labels = {
            db_system_name: system,
            db_operation_name: operation,
            error_type: errorType ?? '',
          };
          metrics.observe('dbClientOperationDuration', labels, (performance.now() - started) / 1000);
        });
        span.end();
      }
    },
    async runWorkflow(name, fn, classify) {
      const started = performance.now();
      let status: WorkflowStatus = 'success';
      try {
        return await traceAsync(`workflow ${name}`, fn, { [A.workflowName]: name });
      } catch (error) {
        status = classify?.(error) ?? 'failure';
        throw error;
      } finally {
        safely('runWorkflow', () => {
          const labels = { pyairtable_workflow_name: name, pyairtable_workflow_status: status };
          metrics.inc('workflowExecutions', labels, 1);
          metrics.observe('workflowExecutionDuration', labels, (performance.now() - started) / 1000);
        });
      }
    },
    sessionStarted() {
      safely('sessionStarted', () => {
        metrics.inc('userSessionsStarted', {}, 1);
        metrics.add('userSessionsActive', {}, 1);
      });
    },
    sessionEnded() {
      safely('sessionEnded', () => {
        metrics.add('userSessionsActive', {}, -1);
      });
    },
    forceFlush: () =>
      withDeadline(Promise.all([tracing.forceFlush(), logExport?.forceFlush()]), config.shutdownTimeoutMs),
    shutdown() {
      stopping ??= (async () => {
        process.off('SIGTERM', onSigterm);
        clients.disable();
        await withDeadline(
          Promise.allSettled([
            tracing.shutdown(),
            logExport?.shutdown(),
            ownStdout?.close() ?? flushDestination(stdout),
          ]),
          config.shutdownTimeoutMs,
        );
        trace.disable();
        context.disable();
        propagation.disable();
        if (running === handle) running = undefined;
      })();
      return stopping;
    },
  };
  if (config.handleSigterm) process.once('SIGTERM', onSigterm);
  running = handle;
  return handle;
}

function flushDestination(stream: DestinationStream): Promise<void> {
  const flushable = stream as DestinationStream & { flush?: (callback: (error?: Error) => void) => void };
  if (typeof flushable.flush !== 'function') return Promise.resolve();
  return new Promise((resolve) => {
    try {
      flushable.flush?.(() => {
        resolve();
      });
    } catch {
      resolve();
    }
  });
}
