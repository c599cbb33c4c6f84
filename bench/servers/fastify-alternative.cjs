// The usual alternative: @opentelemetry/auto-instrumentations-node (loaded with
// `--require @opentelemetry/auto-instrumentations-node/register`, exporting spans over
// OTLP/protobuf), fastify-metrics for Prometheus, and Fastify's own pino request logging.
const Fastify = require('fastify');
const metrics = require('fastify-metrics');
const handlers = require('./handlers.cjs');

async function main() {
  const app = Fastify({ logger: true });
  await app.register(metrics, { endpoint: '/metrics' });
  const handler = handlers[process.env.HANDLER || 'hello'];
  app.get('/hello/:name', async (request) => handler(request.params.name));
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
  if (process.send) process.send('listening');
}
process.on('message', (message) => {
  // The auto-instrumentation SDK flushes on its own schedule; give it one export interval.
  if (message === 'flush') setTimeout(() => process.send && process.send('flushed'), 6000);
});
void main();
