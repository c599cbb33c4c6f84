/**
 * `runTraffic`: requests through the api-gateway at a fixed, bounded rate for a bounded time,
 * a mix of the platform's routes, with optional incidents switched on through each service's
 * `/demo/faults` for the run and switched off at its end (also when aborted).
 *
 * Open loop: request i is sent at start + i/rate whatever earlier requests are doing, so a slow
 * service shows up as latency and concurrency, as it would with real users, not as a lower
 * rate. `maxInFlight` bounds the concurrency; a request due while it is reached is skipped and
 * counted. So at most ceil(rate x duration) requests are sent.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { BUSINESS_HEADERS } from '@pyairtable/conventions';
import { DEMO_BASES, DEMO_WORKFLOW_NAMES } from './catalog.js';
import type { Faults } from './faults.js';
import { FAULTS_PATH } from './faults.js';
import type { InstrumentedServiceName } from './services.js';
import { DEFAULT_DEMO_API_KEY, DEMO_HOST, INSTRUMENTED_SERVICE_NAMES, demoService } from './services.js';

/** Incidents a run can cause. */
export const TRAFFIC_FAULTS = [
  'errors',
  'latency',
  'authFailures',
  'aiCostSpike',
  'workflowFailures',
] as const;
export type TrafficFault = (typeof TRAFFIC_FAULTS)[number];

/** The services behind the gateway; `idle` names one of them. */
export const BACKEND_SERVICES = ['airtable-gateway', 'llm-orchestrator', 'automation-services'] as const;
export type BackendService = (typeof BACKEND_SERVICES)[number];

export const TRAFFIC_LIMITS = {
  ratePerSecond: { default: 5, max: 200 },
  durationMs: { default: 60_000, max: 3_600_000 },
  maxInFlight: { default: 500, max: 10_000 },
  requestTimeoutMs: { default: 15_000, max: 120_000 },
} as const;

/**
 * What each incident switches on, and where. Sized to cross the development profile's alert
 * thresholds at the default rate: errors above the 10% error ratio, the records route's p95
 * above 2 s, AI spend at the hour's pace above the 20 USD daily budget, workflow failures above
 * 10%, and (client side, no switch) more than 60 rejected API keys a minute.
 */
export const TRAFFIC_FAULT_PLAN: Readonly<
  Record<
    TrafficFault,
    { readonly service: InstrumentedServiceName; readonly faults: Partial<Faults> } | undefined
  >
> = {
  errors: { service: 'airtable-gateway', faults: { errorRate: 0.5 } },
  latency: { service: 'airtable-gateway', faults: { latencyMs: 2_500 } },
  aiCostSpike: { service: 'llm-orchestrator', faults: { aiTokensMultiplier: 50 } },
  workflowFailures: { service: 'automation-services', faults: { workflowFailureRate: 0.8 } },
  authFailures: undefined,
};

/** Share of requests sent with a wrong or missing API key under `authFailures`. */
export const AUTH_FAILURE_SHARE = 0.5;

/** Relative frequency of each route in the mix (records lists dominate, as on the platform). */
const ROUTE_WEIGHTS: Readonly<Record<BackendService, number>> = {
  'airtable-gateway': 5,
  'llm-orchestrator': 2,
  'automation-services': 2,
};

const CHAT_MESSAGES = [
  'Which orders are overdue?',
  'Summarise the Projects table by status.',
  'How did sales change last month?',
  'Who owns the most open tasks?',
] as const;

export interface TrafficOptions {
  /** The api-gateway's base URL, e.g. `http://127.0.0.1:8000`. */
  readonly gatewayUrl: string;
  /** Base URLs of the services whose `/demo/faults` a run switches (default: the table's ports on 127.0.0.1). */
  readonly serviceUrls?: Partial<Record<InstrumentedServiceName, string>>;
  /** The key the gateway accepts (default {@link DEFAULT_DEMO_API_KEY}). */
  readonly apiKey?: string;
  /** Requests a second, above 0 and at most 200 (default 5). */
  readonly ratePerSecond?: number;
  /** Milliseconds, above 0 and at most one hour (default 60 000). */
  readonly durationMs?: number;
  readonly faults?: readonly TrafficFault[];
  /** A backend that gets no traffic for the run (its routes are left out of the mix). */
  readonly idle?: BackendService;
  /** Stops the run early; in-flight requests are cancelled and the faults reset. */
  readonly signal?: AbortSignal;
  /** Called about once a second. Exceptions it throws are ignored (noted in `warnings`). */
  readonly onProgress?: (progress: TrafficProgress) => void;
  /** Concurrency bound (default 500). */
  readonly maxInFlight?: number;
  /** Deadline of one request (default 15 s). */
  readonly requestTimeoutMs?: number;
}

export interface TrafficCounts {
  /** Requests started. Equals the sum of `byStatus` plus `failed` plus `cancelled` once the run is over. */
  readonly sent: number;
  /** Answers by HTTP status code. */
  readonly byStatus: Readonly<Record<string, number>>;
  /** Requests that got no answer: connection refused, reset, or over `requestTimeoutMs`. */
  readonly failed: number;
  /** Requests in flight when the run was aborted. */
  readonly cancelled: number;
  /** Requests not sent because `maxInFlight` were already in flight. */
  readonly skipped: number;
  /** Requests started per backend service. */
  readonly byService: Readonly<Record<BackendService, number>>;
}

export interface TrafficProgress extends TrafficCounts {
  readonly elapsedMs: number;
  readonly inFlight: number;
}

export interface TrafficResult extends TrafficCounts {
  readonly elapsedMs: number;
  readonly aborted: boolean;
  /** The fault switches set for the run, per service (all reset at its end). */
  readonly faultsApplied: readonly {
    readonly service: InstrumentedServiceName;
    readonly faults: Partial<Faults>;
  }[];
  /** Problems that did not stop the run, such as a service whose faults could not be reset. */
  readonly warnings: readonly string[];
}

/** Options that cannot run, or faults that could not be switched on (nothing was sent). */
export class TrafficError extends Error {
  override readonly name = 'TrafficError';
}

interface Resolved {
  readonly gatewayUrl: string;
  readonly apiKey: string;
  readonly rate: number;
  readonly durationMs: number;
  readonly maxInFlight: number;
  readonly requestTimeoutMs: number;
  readonly faults: ReadonlySet<TrafficFault>;
  readonly backends: readonly BackendService[];
  readonly serviceUrl: (service: InstrumentedServiceName) => string;
}

function bounded(
  name: string,
  value: number | undefined,
  limit: { readonly default: number; readonly max: number },
  integer = false,
): number {
  if (value === undefined) return limit.default;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value <= 0 ||
    value > limit.max ||
    (integer && !Number.isInteger(value))
  )
    throw new TrafficError(
      `${name} must be ${integer ? 'a whole number' : 'a number'} above 0 and at most ${limit.max} (got ${String(value)})`,
    );
  return value;
}

function baseUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TrafficError(`${name} must be an http:// URL (got "${value}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TrafficError(`${name} must be an http:// URL (got "${value}")`);
  return value.replace(/\/+$/, '');
}

function resolveOptions(options: TrafficOptions): Resolved {
  const faults = new Set<TrafficFault>();
  for (const fault of options.faults ?? []) {
    if (!(TRAFFIC_FAULTS as readonly string[]).includes(fault))
      throw new TrafficError(`unknown fault "${fault}"; known: ${TRAFFIC_FAULTS.join(', ')}`);
    faults.add(fault);
  }
  if (options.idle !== undefined && !(BACKEND_SERVICES as readonly string[]).includes(options.idle))
    throw new TrafficError(`idle must be one of ${BACKEND_SERVICES.join(', ')} (got "${options.idle}")`);
  // Only the demo services' entries are read: a caller may pass a wider table of addresses.
  const serviceUrls: Partial<Record<InstrumentedServiceName, string>> = {};
  for (const service of INSTRUMENTED_SERVICE_NAMES) {
    const url = options.serviceUrls?.[service];
    if (url !== undefined) serviceUrls[service] = baseUrl(`serviceUrls.${service}`, url);
  }
  return {
    gatewayUrl: baseUrl('gatewayUrl', options.gatewayUrl),
    apiKey: options.apiKey ?? DEFAULT_DEMO_API_KEY,
    rate: bounded('ratePerSecond', options.ratePerSecond, TRAFFIC_LIMITS.ratePerSecond),
    durationMs: bounded('durationMs', options.durationMs, TRAFFIC_LIMITS.durationMs),
    maxInFlight: bounded('maxInFlight', options.maxInFlight, TRAFFIC_LIMITS.maxInFlight, true),
    requestTimeoutMs: bounded('requestTimeoutMs', options.requestTimeoutMs, TRAFFIC_LIMITS.requestTimeoutMs),
    faults,
    backends: BACKEND_SERVICES.filter((service) => service !== options.idle),
    serviceUrl: (service) => serviceUrls[service] ?? `http://${DEMO_HOST}:${demoService(service).port}`,
  };
}

function pick<T>(items: readonly T[]): T {
  const item = items[Math.floor(Math.random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

function pickBackend(backends: readonly BackendService[]): BackendService {
  const total = backends.reduce((sum, service) => sum + ROUTE_WEIGHTS[service], 0);
  let ticket = Math.random() * total;
  for (const service of backends) {
    ticket -= ROUTE_WEIGHTS[service];
    if (ticket < 0) return service;
  }
  return pick(backends);
}

interface PlannedRequest {
  readonly path: string;
  readonly init: { method: 'GET' | 'POST'; body?: string };
}

function planRequest(service: BackendService): PlannedRequest {
  switch (service) {
    case 'airtable-gateway': {
      const base = pick(DEMO_BASES);
      return {
        path: `/api/bases/${base.id}/tables/${encodeURIComponent(pick(base.tables))}/records?maxRecords=20`,
        init: { method: 'GET' },
      };
    }
    case 'llm-orchestrator':
      return {
        path: '/api/chat',
        init: { method: 'POST', body: JSON.stringify({ message: pick(CHAT_MESSAGES) }) },
      };
    case 'automation-services':
      return {
        path: `/api/workflows/${pick(DEMO_WORKFLOW_NAMES)}/run`,
        init: { method: 'POST', body: '{}' },
      };
  }
}

/** The key a request presents: the right one, or under `authFailures` sometimes a wrong or missing one. */
function apiKeyFor(resolved: Resolved): string | undefined {
  if (!resolved.faults.has('authFailures') || Math.random() >= AUTH_FAILURE_SHARE) return resolved.apiKey;
  // Mostly wrong keys (a broken client, stuffing), some missing ones.
  return Math.random() < 0.8 ? `wrong-${randomUUID()}` : undefined;
}

async function callFaults(url: string, method: 'POST' | 'DELETE', body?: Partial<Faults>): Promise<void> {
  const response = await fetch(`${url}${FAULTS_PATH}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(5_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${response.status} ${text}`);
}

/** The switches to set, merged per service (two incidents may touch the same one). */
function faultPlan(
  faults: ReadonlySet<TrafficFault>,
): { service: InstrumentedServiceName; faults: Partial<Faults> }[] {
  const byService = new Map<InstrumentedServiceName, Partial<Faults>>();
  for (const fault of faults) {
    const step = TRAFFIC_FAULT_PLAN[fault];
    if (step === undefined) continue;
    byService.set(step.service, { ...byService.get(step.service), ...step.faults });
  }
  return [...byService].map(([service, switches]) => ({ service, faults: switches }));
}

export async function runTraffic(options: TrafficOptions): Promise<TrafficResult> {
  const resolved = resolveOptions(options);
  const signal = options.signal;
  const warnings: string[] = [];
  const byStatus: Record<string, number> = {};
  const byService: Record<BackendService, number> = {
    'airtable-gateway': 0,
    'llm-orchestrator': 0,
    'automation-services': 0,
  };
  let sent = 0;
  let failed = 0;
  let cancelled = 0;
  let skipped = 0;
  const aborted = (): boolean => signal?.aborted === true;
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  const counts = (): TrafficCounts => ({
    sent,
    byStatus: { ...byStatus },
    failed,
    cancelled,
    skipped,
    byService: { ...byService },
  });

  // Switch the incidents on before the first request; if one cannot be, undo the others and stop.
  const plan = aborted() ? [] : faultPlan(resolved.faults);
  const applied: typeof plan = [];
  const resetFaults = async (): Promise<void> => {
    await Promise.all(
      applied.map(async ({ service }) => {
        try {
          await callFaults(resolved.serviceUrl(service), 'DELETE');
        } catch (error) {
          warnings.push(
            `could not reset the faults of ${service}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }),
    );
  };
  for (const step of plan) {
    try {
      await callFaults(resolved.serviceUrl(step.service), 'POST', step.faults);
      applied.push(step);
    } catch (error) {
      await resetFaults();
      throw new TrafficError(
        `could not switch on ${JSON.stringify(step.faults)} at ${resolved.serviceUrl(step.service)}${FAULTS_PATH} (${step.service}): ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  const send = async (service: BackendService): Promise<void> => {
    const { path, init } = planRequest(service);
    const headers: Record<string, string> = {
      [BUSINESS_HEADERS.userId]: `usr_demo_${1 + Math.floor(Math.random() * 20)}`,
      [BUSINESS_HEADERS.tenantId]: pick(['tenant-acme', 'tenant-globex', 'tenant-initech']),
    };
    const key = apiKeyFor(resolved);
    if (key !== undefined) headers[BUSINESS_HEADERS.apiKey] = key;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const timeout = AbortSignal.timeout(resolved.requestTimeoutMs);
    try {
      const response = await fetch(`${resolved.gatewayUrl}${path}`, {
        ...init,
        headers,
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
      // Read the body so the connection goes back to the pool.
      await response.arrayBuffer();
      byStatus[response.status] = (byStatus[response.status] ?? 0) + 1;
    } catch {
      if (aborted()) cancelled++;
      else failed++;
    }
  };

  const progress = options.onProgress;
  const ticker =
    progress === undefined
      ? undefined
      : setInterval(() => {
          try {
            progress({ ...counts(), elapsedMs: elapsed(), inFlight: inFlight.size });
          } catch (error) {
            if (warnings.length < 10)
              warnings.push(`onProgress threw: ${error instanceof Error ? error.message : String(error)}`);
          }
        }, 1_000);

  try {
    const total = Math.ceil((resolved.rate * resolved.durationMs) / 1000);
    for (let index = 0; index < total && !aborted(); index++) {
      const wait = (index * 1000) / resolved.rate - (performance.now() - started);
      if (wait > 0)
        await sleep(wait, undefined, signal === undefined ? {} : { signal }).catch(() => undefined);
      if (aborted()) break;
      if (inFlight.size >= resolved.maxInFlight) {
        skipped++;
        continue;
      }
      const service = pickBackend(resolved.backends);
      sent++;
      byService[service]++;
      const request = send(service).finally(() => {
        inFlight.delete(request);
      });
      inFlight.add(request);
    }
    await Promise.all(inFlight);
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
    await resetFaults();
  }
  return {
    ...counts(),
    elapsedMs: elapsed(),
    aborted: aborted(),
    faultsApplied: applied,
    warnings,
  };
}
