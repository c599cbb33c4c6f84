/**
 * The demo platform as a table: which services exist, what each one runs on, where it listens
 * by default, and how a supervisor starts one as its own process. Each instrumented service is
 * a separate process because the SDK's telemetry is process-global (one service name, one
 * tracer provider, one `/metrics` registry per process).
 */
import { fileURLToPath } from 'node:url';
import type { ServiceTier } from '@pyairtable/conventions';
import { BUSINESS_HEADERS, PLATFORM_SERVICES } from '@pyairtable/conventions';
import { DEFAULT_OTLP_HTTP_ENDPOINT } from '@pyairtable/telemetry';
import type { FaultName } from './faults.js';

/** Every listener of the demo binds loopback: nothing here is meant to be reachable from outside. */
export const DEMO_HOST = '127.0.0.1';

/** The local hub's OTLP/HTTP receiver, where the services send traces unless told otherwise. */
export const DEFAULT_OTLP_ENDPOINT = DEFAULT_OTLP_HTTP_ENDPOINT;

/** The API key the gateway accepts unless `DEMO_API_KEY` says otherwise. Local demo only. */
export const DEFAULT_DEMO_API_KEY = 'pyairtable-demo-key';

export const INSTRUMENTED_SERVICE_NAMES = [
  'api-gateway',
  'airtable-gateway',
  'llm-orchestrator',
  'automation-services',
] as const;
export type InstrumentedServiceName = (typeof INSTRUMENTED_SERVICE_NAMES)[number];

/** The "external" systems the services call: plain servers, deliberately not instrumented. */
export const MOCK_SERVICE_NAMES = ['mock-airtable', 'mock-llm'] as const;
export type MockServiceName = (typeof MOCK_SERVICE_NAMES)[number];

export type DemoServiceName = InstrumentedServiceName | MockServiceName;

export type DemoFramework = 'fastify' | 'express' | 'hono' | 'node:http';

export interface DemoService {
  readonly name: DemoServiceName;
  readonly framework: DemoFramework;
  /** Whether the service runs the SDK (the mocks stand for systems outside the platform). */
  readonly instrumented: boolean;
  /** The contract's tier, for instrumented services. */
  readonly tier: ServiceTier | undefined;
  /** Default HTTP port (`PORT`). */
  readonly port: number;
  /** Default port of the standalone `/metrics` listener (`METRICS_PORT`); undefined for the mocks. */
  readonly metricsPort: number | undefined;
  /** Fault switches `POST /demo/faults` accepts on this service (none on the mocks). */
  readonly faults: readonly FaultName[];
  readonly description: string;
}

function tierOf(name: InstrumentedServiceName): ServiceTier {
  const known = PLATFORM_SERVICES.find((service) => service.name === name);
  if (known === undefined) throw new Error(`${name} is not one of the contract's platform services`);
  return known.tier;
}

/**
 * The demo services in start order: the mocks first, the gateway last, so every service's
 * upstream is listening before anything calls it. Ports follow the PyAirtable platform's
 * (api-gateway 8000, airtable-gateway 8002, llm-orchestrator 8003, automation-services 8006);
 * metrics listeners are 9400 plus the same offset.
 */
export const DEMO_SERVICES: readonly DemoService[] = [
  {
    name: 'mock-airtable',
    framework: 'node:http',
    instrumented: false,
    tier: undefined,
    port: 8090,
    metricsPort: undefined,
    faults: [],
    description: 'Stand-in for the Airtable REST API: GET /v0/{baseId}/{table} returns generated records.',
  },
  {
    name: 'mock-llm',
    framework: 'node:http',
    instrumented: false,
    tier: undefined,
    port: 8091,
    metricsPort: undefined,
    faults: [],
    description: 'Stand-in for an OpenAI-compatible provider: POST /v1/chat/completions with token usage.',
  },
  {
    name: 'airtable-gateway',
    framework: 'express',
    instrumented: true,
    tier: tierOf('airtable-gateway'),
    port: 8002,
    metricsPort: 9402,
    faults: ['errorRate', 'latencyMs'],
    description:
      'Lists Airtable records through the mock Airtable API, cached in Redis when REDIS_URL is set.',
  },
  {
    name: 'llm-orchestrator',
    framework: 'hono',
    instrumented: true,
    tier: tierOf('llm-orchestrator'),
    port: 8003,
    metricsPort: 9403,
    faults: ['errorRate', 'latencyMs', 'aiTokensMultiplier'],
    description: 'Answers chat messages through the mock LLM provider and records tokens and cost.',
  },
  {
    name: 'automation-services',
    framework: 'node:http',
    instrumented: true,
    tier: tierOf('automation-services'),
    port: 8006,
    metricsPort: 9406,
    faults: ['errorRate', 'latencyMs', 'workflowFailureRate'],
    description:
      'Runs named workflows (sync-base, generate-report, send-digest) with simulated database work.',
  },
  {
    name: 'api-gateway',
    framework: 'fastify',
    instrumented: true,
    tier: tierOf('api-gateway'),
    port: 8000,
    metricsPort: 9400,
    faults: ['errorRate', 'latencyMs'],
    description: `Public entry: checks ${BUSINESS_HEADERS.apiKey} and routes /api/* to the three services behind it.`,
  },
];

export function isDemoServiceName(name: string): name is DemoServiceName {
  return DEMO_SERVICES.some((service) => service.name === name);
}

/** The table entry of a service. */
export function demoService(name: DemoServiceName): DemoService {
  const service = DEMO_SERVICES.find((candidate) => candidate.name === name);
  if (service === undefined)
    throw new Error(
      `unknown demo service "${name}"; known: ${DEMO_SERVICES.map((known) => known.name).join(', ')}`,
    );
  return service;
}

/**
 * The built entry point (`node <entry> <service>`). `../dist` from both `src/` and `dist/`, so
 * it names the built file whichever of the two this module was loaded from.
 */
export const SERVICE_ENTRY = fileURLToPath(new URL('../dist/service.js', import.meta.url));

export interface DemoLaunchOptions {
  /** HTTP ports in place of the table's, for any service (upstream URLs follow them). */
  readonly ports?: Partial<Record<DemoServiceName, number>>;
  /** `/metrics` ports in place of the table's. */
  readonly metricsPorts?: Partial<Record<InstrumentedServiceName, number>>;
  /** Where traces go (default: the local hub, {@link DEFAULT_OTLP_ENDPOINT}). */
  readonly otlpEndpoint?: string;
  /** The key the gateway accepts (default {@link DEFAULT_DEMO_API_KEY}). */
  readonly apiKey?: string;
  /** Redis for airtable-gateway's cache; without it the service runs uncached. */
  readonly redisUrl?: string;
  /** PostgreSQL for automation-services (see the README: its operations are simulated). */
  readonly databaseUrl?: string;
}

export interface DemoLaunch {
  /** The Node executable running this process. */
  readonly command: string;
  readonly args: readonly string[];
  /** The demo's variables only: spawn with `{ ...process.env, ...launch.env }`. */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * How to start one service as its own process, with every address it needs derived from the
 * same port plan, so a supervisor that moves one port moves its callers' upstream URLs too.
 */
export function demoServiceLaunch(name: DemoServiceName, options: DemoLaunchOptions = {}): DemoLaunch {
  const service = demoService(name);
  const portOf = (other: DemoServiceName): number => options.ports?.[other] ?? demoService(other).port;
  const urlOf = (other: DemoServiceName): string => `http://${DEMO_HOST}:${portOf(other)}`;
  const env: Record<string, string> = { PORT: String(portOf(name)) };
  if (service.instrumented) {
    const metricsPort = options.metricsPorts?.[name as InstrumentedServiceName] ?? service.metricsPort ?? 0;
    env['METRICS_PORT'] = String(metricsPort);
    env['OTEL_EXPORTER_OTLP_ENDPOINT'] = options.otlpEndpoint ?? DEFAULT_OTLP_ENDPOINT;
  }
  switch (name) {
    case 'api-gateway':
      env['DEMO_API_KEY'] = options.apiKey ?? DEFAULT_DEMO_API_KEY;
      env['DEMO_UPSTREAM_AIRTABLE_GATEWAY'] = urlOf('airtable-gateway');
      env['DEMO_UPSTREAM_LLM_ORCHESTRATOR'] = urlOf('llm-orchestrator');
      env['DEMO_UPSTREAM_AUTOMATION_SERVICES'] = urlOf('automation-services');
      break;
    case 'airtable-gateway':
      env['DEMO_AIRTABLE_URL'] = urlOf('mock-airtable');
      if (options.redisUrl !== undefined) env['REDIS_URL'] = options.redisUrl;
      break;
    case 'llm-orchestrator':
      env['DEMO_LLM_URL'] = urlOf('mock-llm');
      break;
    case 'automation-services':
      env['DEMO_UPSTREAM_AIRTABLE_GATEWAY'] = urlOf('airtable-gateway');
      if (options.databaseUrl !== undefined) env['DATABASE_URL'] = options.databaseUrl;
      break;
    case 'mock-airtable':
    case 'mock-llm':
      break;
  }
  return { command: process.execPath, args: [SERVICE_ENTRY, name], env };
}
