/**
 * airtable-gateway (Express): lists records from Airtable (the mock) for the platform, counting
 * every Airtable call by operation and result with the SDK's helper, and caching pages in Redis
 * when REDIS_URL is set. Redis is an optimisation: when it is down the service answers from
 * Airtable and says so once in its log.
 */
import { createServer } from 'node:http';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { AirtableResult } from '@pyairtable/conventions';
import { expressErrorTelemetry, expressTelemetry } from '@pyairtable/telemetry/express';
import type { DemoEnv } from './config.js';
import { readBaseUrl, readInteger, readOptionalUrl, readString } from './config.js';
import { FAULTS_PATH, InjectedFault } from './faults.js';
import { closeServer, IGNORED_PATHS, listen, MAX_BODY_BYTES } from './http.js';
import { RedisCache } from './redis.js';
import type { PreparedService } from './service-context.js';
import { DEMO_HOST, demoService } from './services.js';
import { UPSTREAM_TIMEOUT_MS } from './upstream.js';

/** The cache's name on `pyairtable_cache_lookups_total`. */
export const RECORDS_CACHE = 'airtable_records';

/** Airtable's base id shape: `app` and 14 letters or digits. */
const BASE_ID = /^app[A-Za-z0-9]{14}$/;
const TABLE_NAME = /^[\w .-]{1,64}$/;
const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

type ListRecords =
  | { readonly ok: true; readonly records: unknown[] }
  | { readonly ok: false; readonly status: number; readonly error: string };

function airtableResult(status: number): AirtableResult {
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server_error';
  if (status >= 400) return 'client_error';
  return 'success';
}

/** Answers of Airtable that the gateway passes on as they are; anything else is its own 502. */
function statusForCaller(airtableStatus: number): number {
  return airtableStatus === 404 || airtableStatus === 429 ? airtableStatus : 502;
}

export function prepareAirtableGateway(env: DemoEnv): PreparedService {
  const airtableUrl = readBaseUrl(
    env,
    'DEMO_AIRTABLE_URL',
    `http://${DEMO_HOST}:${demoService('mock-airtable').port}`,
  );
  const airtableToken = readString(env, 'DEMO_AIRTABLE_TOKEN', 'demo-airtable-token');
  const redisUrl = readOptionalUrl(env, 'REDIS_URL', ['redis:']);
  const cacheTtlSeconds = readInteger(env, 'DEMO_CACHE_TTL_SECONDS', 15, 1, 86_400);

  return async ({ telemetry, faults, host, port }) => {
    const cache =
      redisUrl === undefined
        ? undefined
        : new RedisCache(redisUrl, {
            warn: (message) => {
              telemetry.logger.warn(message);
            },
            info: (message) => {
              telemetry.logger.info(message);
            },
          });
    if (cache === undefined) telemetry.logger.info('REDIS_URL is not set; records are not cached');

    const listRecords = async (baseId: string, table: string, pageSize: number): Promise<ListRecords> => {
      let response: globalThis.Response;
      try {
        response = await fetch(
          `${airtableUrl}/v0/${encodeURIComponent(baseId)}/${encodeURIComponent(table)}?maxRecords=${pageSize}`,
          {
            headers: { authorization: `Bearer ${airtableToken}`, accept: 'application/json' },
            signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
          },
        );
      } catch (error) {
        telemetry.recordAirtableCall('list_records', 'network_error');
        telemetry.recordException(error);
        return { ok: false, status: 502, error: 'Airtable is unreachable' };
      }
      // A body that is not JSON (a proxy's error page) is judged by the status alone.
      const body: unknown = await response.json().catch(() => undefined);
      telemetry.recordAirtableCall('list_records', airtableResult(response.status));
      const records = (body as { records?: unknown } | null)?.records;
      if (!response.ok || !Array.isArray(records))
        return {
          ok: false,
          status: response.ok ? 502 : statusForCaller(response.status),
          error: `Airtable answered ${response.status}`,
        };
      return { ok: true, records };
    };

    /** The cached page, or undefined on a miss or when Redis is unavailable (the cache logs that). */
    const cachedRecords = async (key: string): Promise<unknown[] | undefined> => {
      if (cache?.available !== true) return undefined;
      try {
        const value = await telemetry.timeDbOperation('redis', 'GET', () => cache.get(key));
        telemetry.recordCacheLookup(RECORDS_CACHE, value !== undefined);
        return value === undefined ? undefined : (JSON.parse(value) as unknown[]);
      } catch {
        return undefined;
      }
    };

    const cacheRecords = async (key: string, records: unknown[]): Promise<void> => {
      if (cache?.available !== true) return;
      try {
        await telemetry.timeDbOperation('redis', 'SET', () =>
          cache.set(key, JSON.stringify(records), cacheTtlSeconds),
        );
      } catch {
        // Logged by the cache; the page is served all the same.
      }
    };

    const app = express();
    app.disable('x-powered-by');
    app.use(expressTelemetry(telemetry, { ignorePaths: IGNORED_PATHS }));
    app.use(express.json({ limit: MAX_BODY_BYTES }));

    app.get('/health', (_request, response) => {
      response.json({
        status: 'healthy',
        service: 'airtable-gateway',
        cache: cache === undefined ? 'off' : cache.available ? 'up' : 'down',
      });
    });
    app.all(FAULTS_PATH, (request, response) => {
      const answer = faults.handle(request.method, request.body);
      response.status(answer.status).json(answer.body);
    });

    // Faults act on the API, never on health, metrics or the fault switch itself. Route-level, so
    // a failed request is still labelled with its route.
    const injectFaults = (_request: Request, _response: Response, next: NextFunction): void => {
      faults.beforeRequest().then(() => {
        next();
      }, next);
    };
    app.get(
      '/bases/:baseId/tables/:table/records',
      injectFaults,
      async (request: Request<{ baseId: string; table: string }>, response: Response) => {
        const { baseId, table } = request.params;
        if (!BASE_ID.test(baseId)) {
          response.status(400).json({ error: 'baseId must be "app" followed by 14 letters or digits' });
          return;
        }
        if (!TABLE_NAME.test(table)) {
          response
            .status(400)
            .json({ error: 'table must be 1 to 64 letters, digits, spaces, dots, dashes or underscores' });
          return;
        }
        const requested = request.query['maxRecords'];
        const pageSize =
          typeof requested === 'string' && requested !== '' ? Number(requested) : DEFAULT_PAGE_SIZE;
        if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
          response
            .status(400)
            .json({ error: `maxRecords must be a whole number from 1 to ${MAX_PAGE_SIZE}` });
          return;
        }
        const key = `demo:airtable:list_records:${baseId}:${table}:${pageSize}`;
        const cached = await cachedRecords(key);
        if (cached !== undefined) {
          response.json({ records: cached, source: 'cache' });
          return;
        }
        const result = await listRecords(baseId, table, pageSize);
        if (!result.ok) {
          response.status(result.status).json({ error: result.error });
          return;
        }
        await cacheRecords(key, result.records);
        response.json({ records: result.records, source: 'airtable' });
      },
    );

    app.use((request, response) => {
      response.status(404).json({ error: `no route for ${request.method} ${request.path}` });
    });
    app.use(expressErrorTelemetry(telemetry));
    app.use((error: unknown, _request: Request, response: Response, _next: NextFunction) => {
      const status = (error as { status?: unknown } | null)?.status;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        response.status(status).json({ error: error instanceof Error ? error.message : 'bad request' });
        return;
      }
      response.status(500).json({ error: error instanceof InjectedFault ? error.message : 'internal error' });
    });

    const server = createServer(app);
    const bound = await listen(server, port, host);
    return {
      port: bound,
      close: async () => {
        cache?.close();
        await closeServer(server);
      },
    };
  };
}
