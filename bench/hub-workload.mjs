// What the hub benchmarks send: batches of 512 server spans from the plain OpenTelemetry JS SDK
// and batches of 512 log records the way the SDK's log export sends them (the record's parts as
// dotted attributes), six services, 40 routes. hub-ingest.mjs sends them to a running hub;
// hub-ceilings.mjs times the hub's parts alone on the same batches.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { LOG_FIELDS, RESOURCE_ATTRIBUTES, SPAN_ATTRIBUTES } from '@pyairtable/conventions';

export const BATCH = 512;
export const SERVICES = [
  'api-gateway',
  'platform-services',
  'airtable-gateway',
  'llm-orchestrator',
  'automation-services',
  'frontend',
];
const TIERS = ['gateway', 'platform', 'gateway', 'ai-ml', 'automation', 'frontend'];
export const ROUTES = Array.from({ length: 40 }, (_unused, index) => `GET /api/v1/resource${String(index)}`);
/** Words of text to search for: one of 1,000 per record. */
export const word = (index) => `word${String(index % 1000)}`;

/** A source of span batches: `batch(i)` is the i-th batch of ended spans, for an exporter. */
export function spanBatches() {
  const collected = [];
  const collector = {
    onStart() {},
    onEnd: (span) => collected.push(span),
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const tracers = SERVICES.map((service) =>
    new BasicTracerProvider({
      resource: resourceFromAttributes({
        [RESOURCE_ATTRIBUTES.serviceName]: service,
        [RESOURCE_ATTRIBUTES.serviceVersion]: '1.0.0',
      }),
      spanProcessors: [collector],
    }).getTracer('bench'),
  );
  return (batchIndex) => {
    collected.length = 0;
    const tracer = tracers[batchIndex % SERVICES.length];
    for (let index = 0; index < BATCH; index++) {
      const span = tracer.startSpan(ROUTES[index % ROUTES.length], {
        kind: SpanKind.SERVER,
        attributes: {
          [SPAN_ATTRIBUTES.httpRoute]: ROUTES[index % ROUTES.length],
          [SPAN_ATTRIBUTES.httpResponseStatusCode]: 200,
          [SPAN_ATTRIBUTES.userId]: `usr_${String(index % 997)}`,
        },
      });
      if (index % 50 === 0) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    return collected.splice(0);
  };
}

/** A record's parts as flat attributes named by dotted path. */
const dotted = (parts, prefix = '', into = {}) => {
  for (const [key, value] of Object.entries(parts))
    if (typeof value === 'object') dotted(value, `${prefix}${key}.`, into);
    else into[`${prefix}${key}`] = value;
  return into;
};

/** A source of log batches: `batch(i)` is the i-th batch of emitted records, for an exporter. */
export function logBatches() {
  const emitted = [];
  const collector = {
    onEmit: (record) => emitted.push(record),
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const loggers = SERVICES.map((service) =>
    new LoggerProvider({
      resource: resourceFromAttributes({ [RESOURCE_ATTRIBUTES.serviceName]: service }),
      processors: [collector],
    }).getLogger('bench'),
  );
  return (batchIndex) => {
    emitted.length = 0;
    const logger = loggers[batchIndex % SERVICES.length];
    for (let index = 0; index < BATCH; index++) {
      const route = ROUTES[index % ROUTES.length];
      const failed = index % 50 === 0;
      logger.emit({
        body: `${route} ${failed ? '500' : '200'} ${word(batchIndex * BATCH + index)}`,
        severityText: failed ? 'ERROR' : 'INFO',
        severityNumber: failed ? SeverityNumber.ERROR : SeverityNumber.INFO,
        // As the SDK's log export sends a record: its parts by dotted path.
        attributes: dotted({
          service: {
            name: SERVICES[batchIndex % SERVICES.length],
            tier: TIERS[batchIndex % SERVICES.length],
            version: '1.0.0',
            environment: 'production',
          },
          [LOG_FIELDS.category]: 'access',
          http: { method: 'GET', route, status_code: failed ? 500 : 200, response_time_ms: index % 97 },
          user: { id: `usr_${String(index % 997)}` },
          trace: { id: (batchIndex * BATCH + index + 1).toString(16).padStart(32, '0') },
        }),
      });
    }
    return emitted.splice(0);
  };
}
