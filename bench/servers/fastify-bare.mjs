// Fastify hello world without any telemetry: the baseline.
import Fastify from 'fastify';
import handlers from './handlers.cjs';

const app = Fastify({ logger: false });
const handler = handlers[process.env.HANDLER ?? 'hello'];
app.get('/hello/:name', async (request) => handler(request.params.name));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.send?.('listening');
process.on('message', (message) => {
  if (message === 'flush') process.send?.('flushed');
});
