/**
 * Optional OTLP export of the log records (off by default), for a service whose stdout nothing
 * collects: the hub or collector then receives its logs without a Filebeat. (`obs up --demo`
 * does not turn it on: it forwards its services' stdout lines to the hub itself.) The JSON lines
 * the logger writes to stdout are parsed back and emitted as OTLP log records: body = message,
 * attributes = the record's other fields by dotted path, trace correlation from `trace.id` /
 * `trace.span_id`.
 */
import type { AnyValue, LogAttributes } from '@opentelemetry/api-logs';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import type { Resource } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import type { LogLevel } from '@pyairtable/conventions';
import { LOG_FIELDS, SPEC_PORTS, TRACE_ID_PATTERN } from '@pyairtable/conventions';
import { Writable } from 'node:stream';
import type { ResolvedConfig } from './config.js';
import { warnOnce } from './warnings.js';
import { errorMessage } from './errors.js';

const SEVERITY: Readonly<Record<LogLevel, SeverityNumber>> = {
  TRACE: SeverityNumber.TRACE,
  DEBUG: SeverityNumber.DEBUG,
  INFO: SeverityNumber.INFO,
  WARN: SeverityNumber.WARN,
  ERROR: SeverityNumber.ERROR,
  FATAL: SeverityNumber.FATAL,
};

function flatten(target: LogAttributes, prefix: string, value: unknown): void {
  if (value === null || value === undefined) return;
  if (typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value))
      flatten(target, prefix === '' ? key : `${prefix}.${key}`, child);
  } else target[prefix] = value as AnyValue;
}

export interface LogExport {
  readonly stream: Writable;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** `resource` is the process's one resource, the same object the tracer provider has. */
export function startLogExport(config: ResolvedConfig, resource: Resource): LogExport {
  // Logs go over OTLP/HTTP: with gRPC for traces, the same host's HTTP port takes them.
  const endpoint =
    config.otlpProtocol === 'grpc'
      ? config.otlpEndpoint.replace(
          new RegExp(`:${String(SPEC_PORTS.otlpGrpc)}$`),
          `:${String(SPEC_PORTS.otlpHttp)}`,
        )
      : config.otlpEndpoint;
  const provider = new LoggerProvider({
    resource,
    processors: [
      new BatchLogRecordProcessor({
        // Logs always go over OTLP/HTTP: JSON when traces use JSON, protobuf otherwise (gRPC included).
        exporter:
          config.otlpProtocol === 'http/json'
            ? new JsonLogExporter({ url: `${endpoint}/v1/logs`, timeoutMillis: 10_000 })
            : new ProtoLogExporter({ url: `${endpoint}/v1/logs`, timeoutMillis: 10_000 }),
        maxQueueSize: config.maxQueueSize,
        scheduledDelayMillis: 2000,
      }),
    ],
  });
  const otelLogger = provider.getLogger('@pyairtable/telemetry');
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      try {
        for (const line of chunk.toString().split('\n')) {
          if (line === '') continue;
          const record = JSON.parse(line) as Record<string, unknown>;
          const {
            message,
            log_level: level,
            [LOG_FIELDS.timestamp]: timestamp,
            trace: traceFields,
            ...rest
          } = record;
          const attributes: LogAttributes = {};
          flatten(attributes, '', rest);
          const ids = traceFields as { id?: string; span_id?: string } | undefined;
          const correlated =
            ids?.id !== undefined && ids.span_id !== undefined && TRACE_ID_PATTERN.test(ids.id)
              ? trace.setSpanContext(ROOT_CONTEXT, {
                  traceId: ids.id,
                  spanId: ids.span_id,
                  traceFlags: TraceFlags.SAMPLED,
                })
              : undefined;
          otelLogger.emit({
            body: typeof message === 'string' ? message : '',
            severityText: typeof level === 'string' ? level : 'INFO',
            severityNumber:
              (SEVERITY as Partial<Record<string, SeverityNumber>>)[String(level)] ?? SeverityNumber.INFO,
            ...(typeof timestamp === 'string' ? { timestamp: new Date(timestamp) } : {}),
            attributes,
            ...(correlated === undefined ? {} : { context: correlated }),
          });
        }
      } catch (error) {
        warnOnce('log-export', `a log record was not exported over OTLP: ${errorMessage(error)}`);
      }
      callback();
    },
  });
  return {
    stream,
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
