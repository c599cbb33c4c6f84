// Would exporting spans from a worker thread pay? The request thread would still have to hand
// each span over. This times, per span and side by side, what the request thread spends today
// (OTLP/protobuf encoding of a batch of 512 server spans as the SDK makes them) against the
// cheapest handovers: a compact array per span posted to a MessageChannel (structured clone),
// or as JSON text.
//
//   npm run build && node bench/export-handover.mjs
import { MessageChannel } from 'node:worker_threads';
import { SpanKind } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { RESOURCE_ATTRIBUTES, SPAN_ATTRIBUTES as A } from '@pyairtable/conventions';
import { compare, report } from './harness.mjs';

const recorded = new InMemorySpanExporter();
const tracer = new BasicTracerProvider({
  resource: resourceFromAttributes({
    [RESOURCE_ATTRIBUTES.serviceName]: 'bench-service',
    [RESOURCE_ATTRIBUTES.serviceVersion]: '1.0.0',
  }),
  spanProcessors: [new SimpleSpanProcessor(recorded)],
}).getTracer('@pyairtable/telemetry');
for (let index = 0; index < 512; index++) {
  const span = tracer.startSpan('GET', {
    kind: SpanKind.SERVER,
    attributes: {
      [A.httpRequestMethod]: 'GET',
      [A.urlPath]: `/hello/user${String(index % 50)}`,
      [A.urlScheme]: 'http',
      [A.userAgentOriginal]: 'lightMyRequest',
    },
  });
  span.updateName('GET /hello/:name');
  span.setAttribute(A.httpRoute, '/hello/:name');
  span.setAttribute(A.httpResponseStatusCode, 200);
  span.end();
}
const batch = recorded.getFinishedSpans();

/** What a worker would need of a span, as one array. */
const compact = (span) => {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return [
    traceId,
    spanId,
    span.parentSpanContext?.spanId,
    traceFlags,
    span.name,
    span.kind,
    span.startTime,
    span.endTime,
    span.attributes,
    span.status.code,
    span.status.message,
    span.events.length > 0 ? span.events : undefined,
    span.links.length > 0 ? span.links : undefined,
  ];
};

const { port1, port2 } = new MessageChannel();
port2.on('message', () => {});
const ROUNDS_OF_BATCHES = 400;
/** Spans per CPU-second of the request thread's part. */
const spansPerCpuSecond = (work) => {
  const before = process.cpuUsage();
  for (let index = 0; index < ROUNDS_OF_BATCHES; index++) work();
  const used = process.cpuUsage(before);
  return (ROUNDS_OF_BATCHES * batch.length) / ((used.user + used.system) / 1e6);
};

const medians = await compare({
  'protobuf encoding (today)': () => spansPerCpuSecond(() => ProtobufTraceSerializer.serializeRequest(batch)),
  'compact array, postMessage': () => spansPerCpuSecond(() => port1.postMessage(batch.map(compact))),
  'compact array, JSON text': () => spansPerCpuSecond(() => JSON.stringify(batch.map(compact))),
});
port1.close();
report(
  'Span handover, batches of 512 (median of 5 rounds)',
  medians,
  'spans/CPU-s',
  'protobuf encoding (today)',
);
