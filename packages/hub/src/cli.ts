/**
 * `pyairtable-hub`: the hub as a standalone process. Prints one JSON line with its addresses
 * once it listens (for scripts and `obs`), and closes cleanly on SIGINT and SIGTERM.
 */
import { parseArgs } from 'node:util';
import type { Environment } from '@pyairtable/conventions';
import { ENVIRONMENTS } from '@pyairtable/conventions';
import { HUB_DEFAULTS, startHub } from './hub.js';

export const HUB_HELP = `Usage: pyairtable-hub [options]

The Docker-free backend for traces: OTLP/HTTP in, a durable store, Jaeger's query API out.

Options:
  --data-dir <dir>      where the store lives (default: ./.pyairtable-hub)
  --profile <profile>   the sampling policy: development (keep all), staging, production
  --retention-days <n>  delete spans older than this (default: 7, the contract's trace retention)
  --max-size-mb <n>     size cap of the store; the oldest spans go first (default: 2048)
  --host <address>      interface to listen on (default: ${HUB_DEFAULTS.host})
  --otlp-http-port <n>  OTLP/HTTP port (default: ${String(HUB_DEFAULTS.otlpHttpPort)}; 0 picks a free one)
  --query-port <n>      query API port (default: ${String(HUB_DEFAULTS.queryPort)})
  -h, --help            this help

Environment: HUB_INGEST_TOKEN and HUB_API_TOKEN require bearer tokens for ingest and for the API.
`;

function port(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) > 65535)
    throw new Error(`--${name} "${value}" is not a port (0-65535)`);
  return Number(value);
}

export async function runHubCli(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        'data-dir': { type: 'string', default: '.pyairtable-hub' },
        profile: { type: 'string', default: 'development' },
        'retention-days': { type: 'string' },
        'max-size-mb': { type: 'string' },
        host: { type: 'string', default: HUB_DEFAULTS.host },
        'otlp-http-port': { type: 'string' },
        'query-port': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`pyairtable-hub: ${(error as Error).message}\n\n${HUB_HELP}`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(HUB_HELP);
    return 0;
  }
  if (!(ENVIRONMENTS as readonly string[]).includes(values.profile)) {
    process.stderr.write(
      `pyairtable-hub: --profile "${values.profile}" is unknown; use one of ${ENVIRONMENTS.join(', ')}\n`,
    );
    return 2;
  }
  const positive = (name: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const number = Number(value);
    if (!(number > 0)) throw new Error(`--${name} "${value}" must be a positive number`);
    return number;
  };
  let retentionDays: number | undefined;
  let maxSizeMb: number | undefined;
  try {
    retentionDays = positive('retention-days', values['retention-days']);
    maxSizeMb = positive('max-size-mb', values['max-size-mb']);
  } catch (error) {
    process.stderr.write(`pyairtable-hub: ${(error as Error).message}\n`);
    return 2;
  }
  let hub;
  try {
    hub = await startHub({
      dataDir: values['data-dir'],
      profile: values.profile as Environment,
      ...(retentionDays === undefined ? {} : { retentionDays }),
      ...(maxSizeMb === undefined ? {} : { maxStoreBytes: maxSizeMb * 1024 * 1024 }),
      host: values.host,
      otlpHttpPort: port('otlp-http-port', values['otlp-http-port'], HUB_DEFAULTS.otlpHttpPort),
      queryPort: port('query-port', values['query-port'], HUB_DEFAULTS.queryPort),
      ...(env['HUB_INGEST_TOKEN'] === undefined ? {} : { ingestToken: env['HUB_INGEST_TOKEN'] }),
      ...(env['HUB_API_TOKEN'] === undefined ? {} : { apiToken: env['HUB_API_TOKEN'] }),
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    process.stderr.write(
      `pyairtable-hub: ${code === 'EADDRINUSE' ? 'a port is already in use; choose another with --otlp-http-port/--query-port' : (error as Error).message}\n`,
    );
    return 1;
  }
  process.stdout.write(
    `${JSON.stringify({ otlpHttp: hub.otlpHttpUrl, query: hub.queryUrl, dataDir: values['data-dir'] })}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await hub.close();
  return 0;
}
