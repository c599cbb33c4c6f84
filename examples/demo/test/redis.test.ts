/**
 * airtable-gateway's Redis cache: with a real Redis (the Debian `redis-server`; skipped with
 * the install command when it is not installed) pages are served from the cache and counted
 * as hits; with Redis unreachable or gone the service keeps answering from Airtable and warns
 * once. The gateway runs in this process, the only instrumented service here.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_FIELDS, METRICS, METRIC_LABELS as L } from '@pyairtable/conventions';
import type { LineCapture } from '@pyairtable/test-support';
import { captureLines, isInstalled, sampleValue } from '@pyairtable/test-support';
import type { RunningService } from '@pyairtable/demo';
import { RECORDS_CACHE, startService } from '@pyairtable/demo';
import { RedisCache } from '../src/redis.js';
import { metricsText, requestJson } from './harness.js';

const REDIS = { command: 'redis-server', debianPackage: 'redis-server' };
const haveRedis = isInstalled(REDIS);
if (!haveRedis) console.warn('skipping the tests against a real Redis: apt-get install redis-server');

const RECORDS = '/bases/appDemoOps0000001/tables/Projects/records?maxRecords=5';
const PASSWORD = 'demo-redis-password';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

interface RedisProcess {
  readonly port: number;
  stop(): Promise<void>;
}

async function startRedis(port: number): Promise<RedisProcess> {
  const child: ChildProcess = spawn(
    REDIS.command,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--requirepass',
      PASSWORD,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => {
      reject(new Error(`redis-server exited (${String(code)}): ${output}`));
    });
  });
  return {
    port,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => {
          resolve();
        });
        child.kill('SIGKILL');
      }),
  };
}

function recordingLogger(): {
  warnings: string[];
  infos: string[];
  warn(m: string): void;
  info(m: string): void;
} {
  const warnings: string[] = [];
  const infos: string[] = [];
  return {
    warnings,
    infos,
    warn: (message) => warnings.push(message),
    info: (message) => infos.push(message),
  };
}

let mockAirtable: RunningService;

beforeAll(async () => {
  mockAirtable = await startService('mock-airtable', { env: { PORT: '0' } });
});

afterAll(async () => {
  await mockAirtable.close();
});

async function startGateway(redisUrl: string, logs: LineCapture): Promise<RunningService> {
  return startService('airtable-gateway', {
    env: { PORT: '0', METRICS_PORT: '0', DEMO_AIRTABLE_URL: mockAirtable.url, REDIS_URL: redisUrl },
    telemetry: {
      exportTraces: false,
      environment: 'development',
      logDestination: logs.stream,
      runtimeMetrics: false,
    },
  });
}

const warningsIn = (logs: LineCapture): string[] =>
  logs.lines
    .filter((line) => line[LOG_FIELDS.level] === 'WARN')
    .map((line) => String(line[LOG_FIELDS.message]));

describe('airtable-gateway with Redis unreachable', () => {
  it('answers every request from Airtable and warns once', async () => {
    const logs = captureLines();
    const gateway = await startGateway(`redis://127.0.0.1:${await freePort()}`, logs);
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const answer = await requestJson(`${gateway.url}${RECORDS}`);
        expect(answer.status).toBe(200);
        expect(answer.body.source).toBe('airtable');
      }
      await gateway.telemetry?.forceFlush();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const warnings = warningsIn(logs);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^redis at 127\.0\.0\.1:\d+ is unavailable .*serving without cache/);
    } finally {
      await gateway.close();
    }
  });
});

describe.runIf(haveRedis)('airtable-gateway with a real Redis', () => {
  let redis: RedisProcess;

  beforeAll(async () => {
    redis = await startRedis(await freePort());
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('serves a repeated page from the cache, counting the miss and the hit', async () => {
    const logs = captureLines();
    const gateway = await startGateway(`redis://:${PASSWORD}@127.0.0.1:${redis.port}/3`, logs);
    try {
      const first = await requestJson<{ source: string; records: unknown[] }>(`${gateway.url}${RECORDS}`);
      const second = await requestJson<{ source: string; records: unknown[] }>(`${gateway.url}${RECORDS}`);
      expect(first.body.source).toBe('airtable');
      expect(second.body.source).toBe('cache');
      expect(second.body.records).toEqual(first.body.records);

      const metrics = await metricsText(gateway.metricsUrl ?? '');
      const lookups = (result: string): number | undefined =>
        sampleValue(metrics, METRICS.cacheLookups.name, {
          [L.cacheName.name]: RECORDS_CACHE,
          [L.cacheResult.name]: result,
        });
      expect(lookups('miss')).toBe(1);
      expect(lookups('hit')).toBe(1);
      expect(warningsIn(logs)).toEqual([]);
    } finally {
      await gateway.close();
    }
  });

  it('RedisCache logs in, selects the database, and recovers when Redis comes back', async () => {
    const logger = recordingLogger();
    const url = new URL(`redis://:${PASSWORD}@127.0.0.1:${redis.port}/2`);
    const cache = new RedisCache(url, logger, { retryAfterMs: 100 });
    try {
      await cache.set('demo:test:key', 'välue with ünïcode', 60);
      expect(await cache.get('demo:test:key')).toBe('välue with ünïcode');
      expect(await cache.get('demo:test:missing')).toBeUndefined();

      await redis.stop();
      await expect(cache.get('demo:test:key')).rejects.toThrow();
      expect(cache.available).toBe(false);
      await expect(cache.get('demo:test:key')).rejects.toThrow(/backing off/);
      expect(logger.warnings).toHaveLength(1);

      redis = await startRedis(redis.port);
      await new Promise((resolve) => setTimeout(resolve, 150));
      // Redis restarted empty: reachable again, and the old key is gone.
      expect(await cache.get('demo:test:key')).toBeUndefined();
      expect(logger.infos).toEqual([`redis at 127.0.0.1:${redis.port} is reachable again; caching resumed`]);
    } finally {
      cache.close();
    }
  });

  it('RedisCache with a wrong password fails (once warned), never hangs', async () => {
    const logger = recordingLogger();
    const cache = new RedisCache(new URL(`redis://:wrong@127.0.0.1:${redis.port}`), logger);
    try {
      await expect(cache.get('demo:test:key')).rejects.toThrow(/WRONGPASS|invalid password/i);
      expect(logger.warnings).toHaveLength(1);
    } finally {
      cache.close();
    }
  });
});
