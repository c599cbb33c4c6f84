// Fastify hello world without any telemetry: the baseline.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/hello/:name', async (request) => ({ hello: request.params.name }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.send?.('listening');
process.on('message', (message) => {
  if (message === 'flush') process.send?.('flushed');
});
