/**
 * Health probes and port checks, the same for `obs up` (waiting for a start), `obs status`,
 * `obs verify` and `obs doctor`: an HTTP GET answering 2xx, a Redis PING answering PONG, or a
 * TCP connect, each with a short deadline.
 */
import { request } from 'node:http';
import { createConnection, createServer } from 'node:net';
import type { Health } from './engines.js';

export interface ProbeResult {
  readonly healthy: boolean;
  readonly detail: string;
}

function httpProbe(url: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const call = request(url, { timeout: timeoutMs, agent: false }, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      resolve({ healthy: status >= 200 && status < 300, detail: `HTTP ${String(status)}` });
    });
    call.on('timeout', () => call.destroy(new Error(`no answer within ${String(timeoutMs)} ms`)));
    call.on('error', (error: NodeJS.ErrnoException) => {
      resolve({
        healthy: false,
        detail: error.code === 'ECONNREFUSED' ? 'connection refused' : error.message,
      });
    });
    call.end();
  });
}

function socketProbe(port: number, ping: boolean, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const finish = (result: ProbeResult): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => {
      finish({ healthy: false, detail: `no answer within ${String(timeoutMs)} ms` });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      finish({
        healthy: false,
        detail: error.code === 'ECONNREFUSED' ? 'connection refused' : error.message,
      });
    });
    socket.on('connect', () => {
      if (!ping) finish({ healthy: true, detail: 'accepts connections' });
      else socket.write('PING\r\n');
    });
    socket.on('data', (data) => {
      const answer = data.toString('utf8').trim();
      finish({ healthy: answer === '+PONG', detail: answer === '+PONG' ? 'PONG' : answer.slice(0, 80) });
    });
  });
}

export function probe(health: Health, baseUrl: string, port: number, timeoutMs = 2000): Promise<ProbeResult> {
  if (health.kind === 'http') return httpProbe(`${baseUrl}${health.path}`, timeoutMs);
  return socketProbe(port, health.kind === 'redis', timeoutMs);
}

/** Polls until healthy or the deadline; resolves with the last result. */
export async function waitHealthy(
  check: () => Promise<ProbeResult>,
  deadlineMs: number,
  stillRunning: () => boolean = () => true,
): Promise<ProbeResult> {
  const deadline = Date.now() + deadlineMs;
  let last: ProbeResult = { healthy: false, detail: 'not probed' };
  while (Date.now() < deadline) {
    last = await check();
    if (last.healthy || !stillRunning()) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return last;
}

/** Polls `check` until it holds or the deadline passes; a check that throws counts as false. */
export async function pollUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Whether a loopback port can be bound now (false: something else holds it). */
export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => {
      resolve(false);
    });
    server.listen(port, host, () => {
      server.close(() => {
        resolve(true);
      });
    });
  });
}
