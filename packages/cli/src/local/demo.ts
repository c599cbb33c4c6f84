/**
 * The demo platform (`examples/demo`) as local mode runs it: every service as its own process on
 * its port plus the run's offset, sending to the hub, using Redis and PostgreSQL when they run;
 * and the light background traffic `obs up --demo` keeps going so there is always something to see.
 */
import type * as Demo from '@pyairtable/demo';
import type { DemoServiceName, InstrumentedServiceName } from '@pyairtable/demo';
import { UsageError } from '../errors.js';
import type { DemoLaunch } from './supervisor.js';
import type { LocalState } from './state.js';

export const DEMO_HEALTH_PATH = '/health';

/** The demo platform's module, loaded only by the commands that use it. */
export type DemoModule = typeof Demo;

/**
 * Loads the demo platform (`obs up --demo`, `obs traffic`), so the rest of the CLI runs without
 * the example and the SDK it carries. Not installed: a usage error saying how to get it.
 */
export async function loadDemo(specifier = '@pyairtable/demo'): Promise<DemoModule> {
  try {
    return (await import(specifier)) as DemoModule;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new UsageError(
      `the demo platform (${specifier}) is not installed; obs up --demo and obs traffic need it: npm install ${specifier}`,
    );
  }
}

/** Every port the demo takes (HTTP and metrics listeners), for the check before anything starts. */
export function demoPorts(demo: DemoModule, portOffset: number): number[] {
  return demo.DEMO_SERVICES.flatMap((service) =>
    [service.port, service.metricsPort]
      .filter((port): port is number => port !== undefined)
      .map((port) => port + portOffset),
  );
}

export function demoLaunches(
  demo: DemoModule,
  context: {
    readonly otlpHttpUrl: string;
    readonly redisUrl?: string;
    readonly databaseUrl?: string;
    readonly portOffset: number;
  },
): DemoLaunch[] {
  const ports = Object.fromEntries(
    demo.DEMO_SERVICES.map((service) => [service.name, service.port + context.portOffset]),
  ) as Record<DemoServiceName, number>;
  const metricsPorts = Object.fromEntries(
    demo.DEMO_SERVICES.filter((service) => service.metricsPort !== undefined).map((service) => [
      service.name,
      (service.metricsPort ?? 0) + context.portOffset,
    ]),
  ) as Record<InstrumentedServiceName, number>;
  return demo.DEMO_SERVICES.map((service) => {
    const launch = demo.demoServiceLaunch(service.name, {
      ports,
      metricsPorts,
      otlpEndpoint: context.otlpHttpUrl,
      ...(context.redisUrl === undefined ? {} : { redisUrl: context.redisUrl }),
      ...(context.databaseUrl === undefined ? {} : { databaseUrl: context.databaseUrl }),
    });
    const metricsPort =
      service.metricsPort === undefined ? undefined : metricsPorts[service.name as InstrumentedServiceName];
    return {
      name: service.name,
      purpose: `Demo: ${service.description}`,
      port: ports[service.name],
      metricsPort,
      tier: service.tier,
      command: launch.command,
      args: launch.args,
      env: launch.env,
      healthPath: DEMO_HEALTH_PATH,
    };
  });
}

/** Two requests a second against the gateway until aborted: enough for every panel and rule. */
export function startDemoTraffic(demo: DemoModule, state: LocalState): AbortController {
  const controller = new AbortController();
  const gatewayUrl = state.gatewayUrl;
  if (gatewayUrl === undefined) return controller;
  const serviceUrls = Object.fromEntries(
    state.components.map((component) => [component.name, component.url]),
  );
  // One run lasts at most an hour; the next starts where it ends.
  const loop = async (): Promise<void> => {
    while (!controller.signal.aborted)
      await demo.runTraffic({
        gatewayUrl,
        serviceUrls,
        ratePerSecond: 2,
        durationMs: demo.TRAFFIC_LIMITS.durationMs.max,
        signal: controller.signal,
      });
  };
  void loop().catch(() => undefined);
  return controller;
}
