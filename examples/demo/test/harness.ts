/**
 * Starting demo services as their own processes, exactly as a supervisor does: the built entry
 * (`demoServiceLaunch`), configured by environment variables, ready when it logs where it
 * listens. `npm test` builds before it runs the tests; run `npm run build` after changing the
 * sources when running these alone.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { DemoServiceName } from '@pyairtable/demo';
import { SERVICE_ENTRY, demoServiceLaunch } from '@pyairtable/demo';
import { plainFetch } from '@pyairtable/test-support';

export interface ServiceProcess {
  readonly name: DemoServiceName;
  readonly url: string;
  readonly metricsUrl: string;
  readonly child: ChildProcess;
  /** Everything it wrote so far, stdout and stderr, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

const LISTENING = /listening on (\S+); metrics on (\S+?)"/;

/** Children still running; killed if this test process exits without stopping them (a failed hook). */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function spawnService(name: DemoServiceName, env: Record<string, string>): Promise<ServiceProcess> {
  if (!existsSync(SERVICE_ENTRY))
    return Promise.reject(new Error(`${SERVICE_ENTRY} is missing: run npm run build first`));
  const launch = demoServiceLaunch(name);
  // ENVIRONMENT wins over the NODE_ENV=test Vitest sets, which the SDK would warn about.
  const child = spawn(launch.command, launch.args, {
    env: { ...process.env, ...launch.env, ENVIRONMENT: 'development', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      child.once('exit', () => {
        resolve();
      });
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${name} did not say it was listening within 15 s:\n${output}`));
    }, 15_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = LISTENING.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      resolve({
        name,
        url: match[1] ?? '',
        metricsUrl: match[2] ?? '',
        child,
        output: () => output,
        stop,
      });
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${String(code)}) before listening:\n${output}`));
    });
  });
}

export interface JsonAnswer<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

/** A JSON request from the test itself (outside any trace of the in-process service). */
export async function requestJson<T = Record<string, unknown>>(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<JsonAnswer<T>> {
  const headers = { ...init.headers };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await plainFetch(url, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as T };
}

export async function metricsText(url: string): Promise<string> {
  return (await plainFetch(url)).text();
}
