// The same hello world with @pyairtable/telemetry: server spans exported over OTLP/protobuf,
// the contract's RED metrics, one access log record per request on stdout.
import Fastify from 'fastify';
import handlers from './handlers.cjs';
import { METRICS } from '@pyairtable/conventions';
import { initTelemetry } from '@pyairtable/telemetry';
import { fastifyTelemetry } from '@pyairtable/telemetry/fastify';

const telemetry = initTelemetry({ serviceName: 'bench-service', serviceTier: 'gateway' });
const app = Fastify({ logger: false });
await app.register(fastifyTelemetry(telemetry));
app.get('/metrics', async (_request, reply) => {
  const { contentType, body } = await telemetry.metrics.render();
  return reply.type(contentType).send(body);
});
const handler = handlers[process.env.HANDLER ?? 'hello'];
app.get('/hello/:name', async (request) => handler(request.params.name));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.send?.('listening');
process.on('message', async (message) => {
  if (message === 'flush') {
    await telemetry.forceFlush();
    // Access records dropped because stdout did not keep up, for the benchmark to report.
    const { body } = await telemetry.metrics.render();
    const line = body.split('\n').find((text) => text.startsWith(METRICS.telemetryLogRecordsDropped.name));
    process.send?.({ droppedLogRecords: line === undefined ? 0 : Number(line.split(' ').at(-1)) });
  }
});
