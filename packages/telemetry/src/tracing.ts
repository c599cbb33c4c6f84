/**
 * The trace pipeline. Together with `log-export.ts` this is the only module that imports the
 * OpenTelemetry SDK packages (the rest of the SDK uses `@opentelemetry/api`), so moving to the
 * 3.x line when Node 20 support ends touches these two files.
 *
 * spans ─ CountingProcessor ─ BatchSpanProcessor (bounded queue) ─ MaskingExporter ─ OTLP
 */
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import {
  CompositePropagator,
  ExportResultCode,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
  setGlobalErrorHandler,
} from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Resource } from '@opentelemetry/resources';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import type { IdGenerator, ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  RandomIdGenerator,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { PiiMasker } from '@pyairtable/conventions';
import { RESOURCE_ATTRIBUTES, SERVICE_NAMESPACE, TRACE_ID_PATTERN, setOwn } from '@pyairtable/conventions';
import type { ResolvedConfig } from './config.js';
import type { ServiceIdentity } from './identity.js';
import { warnOnce } from './warnings.js';
import { errorMessage } from './errors.js';

/** What happened to the spans the service ended; feeds `pyairtable_telemetry_spans_total`. */
export interface SpanOutcomeCounter {
  (outcome: 'exported' | 'export_failed' | 'dropped', count: number): void;
}

/** The process's resource, built once by `initTelemetry` and given to every signal's provider. */
export function serviceResource(identity: ServiceIdentity): Resource {
  const ours = resourceFromAttributes({
    [RESOURCE_ATTRIBUTES.serviceName]: identity.name,
    [RESOURCE_ATTRIBUTES.serviceVersion]: identity.version,
    [RESOURCE_ATTRIBUTES.serviceNamespace]: SERVICE_NAMESPACE,
    [RESOURCE_ATTRIBUTES.serviceInstanceId]: identity.instanceId,
    [RESOURCE_ATTRIBUTES.deploymentEnvironment]: identity.environment,
    [RESOURCE_ATTRIBUTES.serviceTier]: identity.tier,
    [RESOURCE_ATTRIBUTES.costCenter]: identity.costCenter,
  });
  // OTEL_RESOURCE_ATTRIBUTES may add attributes; ours win where both set one.
  return detectResources({ detectors: [envDetector] }).merge(ours);
}

/**
 * Random ids, except that the next root trace may be given its trace id: an incoming request
 * with `x-trace-id` but no `traceparent` continues the caller's correlation id as its trace id.
 * `startSpan` calls `generateTraceId` synchronously, so a slot filled just before it is safe.
 */
class CorrelatingIdGenerator implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  private nextTraceId: string | undefined;

  generateTraceId(): string {
    const given = this.nextTraceId;
    this.nextTraceId = undefined;
    return given ?? this.random.generateTraceId();
  }

  generateSpanId(): string {
    return this.random.generateSpanId();
  }

  startRootWithTraceId(traceId: string, start: () => Span): Span {
    this.nextTraceId = TRACE_ID_PATTERN.test(traceId) ? traceId : undefined;
    try {
      return start();
    } finally {
      this.nextTraceId = undefined;
    }
  }
}

function maskAttributes(masker: PiiMasker, attributes: Attributes): Attributes {
  let masked: Record<string, unknown> | undefined;
  for (const key in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
    const value = attributes[key];
    const next = masker.maskValue(value, key);
    if (next !== value && !(Array.isArray(value) && JSON.stringify(next) === JSON.stringify(value))) {
      masked ??= { ...attributes };
      setOwn(masked, key, next);
    }
  }
  return (masked as Attributes | undefined) ?? attributes;
}

/** Events or links with their attributes masked: the same array when none needed it. */
function maskAttributesOfEach<T extends { readonly attributes?: Attributes }>(
  masker: PiiMasker,
  items: readonly T[],
): readonly T[] {
  let out: T[] | undefined;
  items.forEach((item, index) => {
    const masked = item.attributes === undefined ? undefined : maskAttributes(masker, item.attributes);
    if (masked !== undefined && masked !== item.attributes)
      (out ??= [...items])[index] = { ...item, attributes: masked };
  });
  return out ?? items;
}

/**
 * The span itself when nothing in it needs masking (the common case, and free), otherwise a
 * view of it with its name, attributes, events, links and status message masked (the hub masks
 * the same parts).
 */
function maskedSpan(masker: PiiMasker, span: ReadableSpan): ReadableSpan {
  const attributes = maskAttributes(masker, span.attributes);
  const events = maskAttributesOfEach(masker, span.events);
  const links = maskAttributesOfEach(masker, span.links);
  const message = span.status.message;
  const maskedMessage = message === undefined ? undefined : masker.maskString(message);
  const name = masker.maskString(span.name);
  if (
    attributes === span.attributes &&
    events === span.events &&
    links === span.links &&
    maskedMessage === message &&
    name === span.name
  )
    return span;
  const view = Object.create(span) as ReadableSpan;
  Object.defineProperties(view, {
    name: { value: name, enumerable: true },
    attributes: { value: attributes, enumerable: true },
    events: { value: events, enumerable: true },
    links: { value: links, enumerable: true },
    status: {
      value: maskedMessage === message ? span.status : { ...span.status, message: maskedMessage },
      enumerable: true,
    },
  });
  return view;
}

class MaskingCountingExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly masker: PiiMasker,
    private readonly count: SpanOutcomeCounter,
    private readonly onBatchTaken: (size: number) => void,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.onBatchTaken(spans.length);
    let masked: ReadableSpan[];
    try {
      masked = spans.map((span) => maskedSpan(this.masker, span));
    } catch (error) {
      // Never export what could not be masked.
      this.count('export_failed', spans.length);
      resultCallback({ code: ExportResultCode.FAILED, error: error as Error });
      return;
    }
    this.inner.export(masked, (result) => {
      if (result.code === ExportResultCode.SUCCESS) this.count('exported', spans.length);
      else {
        this.count('export_failed', spans.length);
        warnOnce(
          'export-failed',
          `span export failed (${result.error?.message ?? 'unknown error'}); spans are dropped and counted in the telemetry spans metric. Is the collector or hub running?`,
        );
      }
      resultCallback(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/**
 * Counts spans the batch processor will drop because its queue is full (it drops silently),
 * by mirroring the queue's length: +1 per sampled span ended, −batch when a batch is taken.
 */
class CountingProcessor implements SpanProcessor {
  private queued = 0;

  constructor(
    private readonly inner: SpanProcessor,
    private readonly maxQueueSize: number,
    private readonly count: SpanOutcomeCounter,
  ) {}

  batchTaken(size: number): void {
    this.queued = Math.max(0, this.queued - size);
  }

  onStart(span: Parameters<SpanProcessor['onStart']>[0], parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & 1) === 1) {
      if (this.queued >= this.maxQueueSize) {
        this.count('dropped', 1);
        warnOnce(
          'queue-full',
          `span queue full (${this.maxQueueSize} spans); further spans are dropped until export catches up.`,
        );
      } else this.queued++;
    }
    this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

function createExporter(config: ResolvedConfig): SpanExporter {
  const timeoutMillis = 10_000;
  switch (config.otlpProtocol) {
    case 'grpc':
      return new GrpcExporter({ url: config.tracesEndpoint ?? config.otlpEndpoint, timeoutMillis });
    case 'http/json':
      return new JsonExporter({
        url: config.tracesEndpoint ?? `${config.otlpEndpoint}/v1/traces`,
        timeoutMillis,
      });
    case 'http/protobuf':
      return new ProtoExporter({
        url: config.tracesEndpoint ?? `${config.otlpEndpoint}/v1/traces`,
        timeoutMillis,
      });
  }
}

export interface TracingPipeline {
  readonly tracer: Tracer;
  readonly propagator: CompositePropagator;
  /** Starts a root span whose trace id is `traceId` (when it is a valid W3C trace id). */
  startRootWithTraceId(traceId: string, start: () => Span): Span;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Builds and registers (globally) the tracer provider for this service. */
export function startTracing(
  config: ResolvedConfig,
  resource: Resource,
  masker: PiiMasker,
  count: SpanOutcomeCounter,
  exporterOverride?: SpanExporter,
): TracingPipeline {
  diag.setLogger(
    {
      error: (message) => {
        warnOnce(`diag:${message}`, message);
      },
      warn: (message) => {
        warnOnce(`diag:${message}`, message);
      },
      info: (message) => {
        if (config.debug) process.stderr.write(`[otel] ${message}\n`);
      },
      debug: (message) => {
        if (config.debug) process.stderr.write(`[otel] ${message}\n`);
      },
      verbose: (message) => {
        if (config.debug) process.stderr.write(`[otel] ${message}\n`);
      },
    },
    { logLevel: config.debug ? DiagLogLevel.DEBUG : DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  setGlobalErrorHandler((error) => {
    const message = errorMessage(error);
    warnOnce(`otel-error:${message}`, `OpenTelemetry: ${message}`);
  });

  const idGenerator = new CorrelatingIdGenerator();
  const processors: SpanProcessor[] = [];
  if (config.exportTraces || exporterOverride) {
    // The exporter reports each batch the processor takes; both exist before the first export.
    const exporter = new MaskingCountingExporter(
      exporterOverride ?? createExporter(config),
      masker,
      count,
      (size) => {
        counting.batchTaken(size);
      },
    );
    const batch = new BatchSpanProcessor(exporter, {
      maxQueueSize: config.maxQueueSize,
      maxExportBatchSize: Math.min(512, config.maxQueueSize),
      scheduledDelayMillis: 2000,
      exportTimeoutMillis: 15_000,
    });
    const counting = new CountingProcessor(batch, config.maxQueueSize, count);
    processors.push(counting);
  }
  const root =
    config.samplingRatio >= 1 ? new AlwaysOnSampler() : new TraceIdRatioBasedSampler(config.samplingRatio);
  const provider = new NodeTracerProvider({
    resource,
    sampler: new ParentBasedSampler({ root }),
    idGenerator,
    spanProcessors: processors,
  });
  const propagator = new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  });
  provider.register({ propagator });

  const tracer = provider.getTracer('@pyairtable/telemetry');
  return {
    tracer,
    propagator,
    startRootWithTraceId: (traceId, start) => idGenerator.startRootWithTraceId(traceId, start),
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
