/**
 * Command-line entry: `node dist/service.js <service>` runs one demo service until SIGTERM or
 * SIGINT, configured by environment variables only (see the README). Instrumented services log
 * to stdout through the SDK, including the line saying where they listen; the mocks, being
 * outside the platform, say so on stderr so stdout stays contract log records.
 *
 * Exit codes: 0 after a clean stop, 1 when the service failed to start, 2 for a usage or
 * configuration error.
 */
import { DemoConfigError } from './config.js';
import { DEMO_SERVICES, isDemoServiceName } from './services.js';
import type { RunningService } from './start.js';
import { startService } from './start.js';

function usage(): string {
  return [
    'usage: node dist/service.js <service>',
    '',
    'services:',
    ...DEMO_SERVICES.map((service) => `  ${service.name.padEnd(20)} ${service.description}`),
    '',
    'Configuration comes from the environment: PORT, METRICS_PORT, OTEL_EXPORTER_OTLP_ENDPOINT, DEMO_*; see examples/demo/README.md.',
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const name = argv[0];
  if (name === '--help' || name === '-h') {
    console.log(usage());
    return 0;
  }
  if (name === undefined || argv.length !== 1 || !isDemoServiceName(name)) {
    console.error(name === undefined ? usage() : `unknown service "${name}"\n\n${usage()}`);
    return 2;
  }
  let running: RunningService;
  try {
    running = await startService(name);
  } catch (error) {
    if (error instanceof DemoConfigError) {
      console.error(`${name}: ${error.message}`);
      return 2;
    }
    console.error(`${name} failed to start: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  if (running.mock !== undefined) console.error(`${name} listening on ${running.url}`);

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (): void => {
      // A second signal means "now": skip the flush.
      if (stopping) process.exit(1);
      stopping = true;
      void running.close().finally(resolve);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  return 0;
}

// Exit explicitly: idle keep-alive sockets to upstreams would otherwise hold the process a while
// after everything that matters (listeners, telemetry) has been closed and flushed.
process.exit(await main(process.argv.slice(2)));
