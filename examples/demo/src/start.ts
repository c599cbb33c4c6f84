/**
 * `startService`: one demo service in this process, used by the command-line entry and by
 * tests. An instrumented service starts the SDK (process-global: one instrumented service per
 * process at a time; `close()` stops it so another may start), its HTTP listener on PORT and
 * the SDK's `/metrics` listener on METRICS_PORT, both on 127.0.0.1.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import type { InitOptions, Telemetry } from '@pyairtable/telemetry';
import { initTelemetry } from '@pyairtable/telemetry';
import { prepareAirtableGateway } from './airtable-gateway.js';
import { prepareApiGateway } from './api-gateway.js';
import { prepareAutomationServices } from './automation-services.js';
import type { DemoEnv } from './config.js';
import { readBaseUrl, readPort } from './config.js';
import type { FaultName } from './faults.js';
import { FaultSwitch } from './faults.js';
import { closeServer } from './http.js';
import { prepareLlmOrchestrator } from './llm-orchestrator.js';
import type { MockServer } from './mocks.js';
import { startMockAirtable, startMockLlm } from './mocks.js';
import type { PreparedService } from './service-context.js';
import type { DemoServiceName, InstrumentedServiceName } from './services.js';
import { DEFAULT_OTLP_ENDPOINT, DEMO_HOST, DEMO_SERVICES, demoService } from './services.js';

export interface StartServiceOptions {
  /** Where the demo's variables are read (default `process.env`). The SDK's own (`LOG_LEVEL`, ...) always come from `process.env`. */
  readonly env?: DemoEnv;
  /** Passed to `initTelemetry` over the service's own settings (tests: `logDestination`, `runtimeMetrics`). */
  readonly telemetry?: InitOptions;
}

export interface RunningService {
  readonly name: DemoServiceName;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `http://127.0.0.1:METRICS_PORT/metrics`; undefined for the mocks. */
  readonly metricsUrl: string | undefined;
  /** The mock's recorded requests (mocks only). */
  readonly mock: MockServer | undefined;
  /** The service's telemetry (instrumented services only). */
  readonly telemetry: Telemetry | undefined;
  /** Stops listening, then flushes and stops the SDK. Idempotent. */
  close(): Promise<void>;
}

const PREPARE: Readonly<Record<InstrumentedServiceName, (env: DemoEnv) => PreparedService>> = {
  'api-gateway': prepareApiGateway,
  'airtable-gateway': prepareAirtableGateway,
  'llm-orchestrator': prepareLlmOrchestrator,
  'automation-services': prepareAutomationServices,
};

/** The package's version: every service reports it as `service.version`. */
export const DEMO_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The service that has a fault switch, for a caller who set it on the wrong one. */
function serviceWithFault(name: FaultName): string | undefined {
  return DEMO_SERVICES.find((service) => service.faults.includes(name))?.name;
}

function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= close());
}

export async function startService(
  name: DemoServiceName,
  options: StartServiceOptions = {},
): Promise<RunningService> {
  const env = options.env ?? process.env;
  const service = demoService(name);
  const port = readPort(env, 'PORT', service.port);

  if (name === 'mock-airtable' || name === 'mock-llm') {
    const mock = await (name === 'mock-airtable' ? startMockAirtable : startMockLlm)({
      port,
      host: DEMO_HOST,
    });
    return {
      name,
      url: mock.url,
      metricsUrl: undefined,
      mock,
      telemetry: undefined,
      close: once(() => mock.close()),
    };
  }

  // Everything that can be wrong with the configuration is found before the SDK starts.
  const prepared = PREPARE[name](env);
  const metricsPort = readPort(env, 'METRICS_PORT', service.metricsPort ?? 0);
  const otlpEndpoint = readBaseUrl(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', DEFAULT_OTLP_ENDPOINT);

  const telemetry = initTelemetry({
    serviceName: name,
    serviceVersion: DEMO_VERSION,
    ...(service.tier === undefined ? {} : { serviceTier: service.tier }),
    otlpEndpoint,
    ...options.telemetry,
  });
  let listening: Awaited<ReturnType<PreparedService>> | undefined;
  let metricsServer: Server | undefined;
  try {
    const faults = new FaultSwitch(name, service.faults, serviceWithFault);
    listening = await prepared({ telemetry, faults, host: DEMO_HOST, port });
    metricsServer = await telemetry.startMetricsServer({ port: metricsPort, host: DEMO_HOST });
  } catch (error) {
    // A half-started service must not keep the process-global SDK: the caller may try again.
    await listening?.close();
    await telemetry.shutdown();
    throw error;
  }
  const url = `http://${DEMO_HOST}:${listening.port}`;
  const metricsUrl = `http://${DEMO_HOST}:${(metricsServer.address() as AddressInfo).port}/metrics`;
  telemetry.logger.info({ url, metricsUrl }, `${name} listening on ${url}; metrics on ${metricsUrl}`);
  const app = listening;
  const metrics = metricsServer;
  return {
    name,
    url,
    metricsUrl,
    mock: undefined,
    telemetry,
    close: once(async () => {
      await Promise.all([app.close(), closeServer(metrics)]);
      await telemetry.shutdown();
    }),
  };
}
