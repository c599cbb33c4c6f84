// An OTLP/HTTP sink in its own process, so that what it spends receiving is not counted as the
// sender's: it reads every request, answers 200, and tells its parent its URL.
import { createServer } from 'node:http';

const sink = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/x-protobuf' });
    response.end();
  });
});
sink.listen(0, '127.0.0.1', () => {
  process.send?.(`http://127.0.0.1:${String(sink.address().port)}`);
});
process.on('disconnect', () => process.exit(0));
