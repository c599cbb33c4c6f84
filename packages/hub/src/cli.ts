/**
 * `pyairtable-hub` (and `obs hub`): the hub as a standalone process. Prints one JSON line with its addresses
 * once it listens (for scripts and `obs`), and closes cleanly on SIGINT and SIGTERM.
 */
import { parseArgs } from 'node:util';
import type { Environment } from '@pyairtable/conventions';
import { ENVIRONMENTS, SPEC_PORTS } from '@pyairtable/conventions';
import type { HubOptions } from './hub.js';
import { HUB_DEFAULTS, startHub } from './hub.js';

/** The help text, under the name the hub was started by (`pyairtable-hub` or `obs hub`). */
export function hubHelp(program = 'pyairtable-hub'): string {
  return `Usage: ${program} [options]

The Docker-free backend for traces, logs and metrics: OTLP in (HTTP and gRPC), a durable store,
Jaeger's query API out, and the received metrics for Prometheus to scrape.

Options:
  --data-dir <dir>          where the store lives (default: ./.pyairtable-hub)
  --profile <profile>       the sampling policy: development (keep all), staging, production
  --retention-days <n>      delete spans older than this (default: 7, the contract's trace retention)
  --max-size-mb <n>         size cap of the store; the oldest spans go first (default: 2048)
  --max-memory-mb <n>       the process's memory bound: its working set, DuckDB's share and what the hub
                            holds for data; past it ingest answers 503 Retry-After, below the working
                            set the hub does not start (default: 1024)
  --host <address>          interface to listen on (default: ${HUB_DEFAULTS.host})
  --otlp-http-port <n>      OTLP/HTTP port (default: ${String(HUB_DEFAULTS.otlpHttpPort)}; 0 picks a free one)
  --otlp-grpc-port <n>      OTLP/gRPC port (default: ${String(HUB_DEFAULTS.otlpGrpcPort)})
  --prometheus-port <n>     received metrics for Prometheus, at /metrics (default: ${String(HUB_DEFAULTS.prometheusPort)})
  --query-port <n>          the web UI and the query API: Jaeger's /api and /api/v3, /api/logs, /api/red
                            (default: ${String(HUB_DEFAULTS.queryPort)})
  --prometheus-url <url>    the Prometheus the UI's dashboards read (e.g. http://127.0.0.1:${String(SPEC_PORTS.prometheus)})
  --alertmanager-url <url>  the Alertmanager the UI's alerts view reads (e.g. http://127.0.0.1:${String(SPEC_PORTS.alertmanager)})
  -h, --help                this help

Environment: HUB_INGEST_TOKEN and HUB_API_TOKEN require bearer tokens for ingest and for the API;
HUB_ADMIN_TOKEN one for erasures (POST /admin/erase), which otherwise take the ingest token.

Once listening it prints one JSON line with its addresses; SIGINT or SIGTERM closes it cleanly.
`;
}
export const HUB_HELP = hubHelp();

class ArgumentError extends Error {}

/** An http(s) base URL, without its trailing slash. */
function httpUrl(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^https?:\/\/[^/\s]+/.test(value))
    throw new ArgumentError(
      `--${name} "${value}" is not an http(s) URL, e.g. http://127.0.0.1:${String(SPEC_PORTS.prometheus)}`,
    );
  return value.replace(/\/+$/, '');
}

function port(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) > 65535)
    throw new ArgumentError(`--${name} "${value}" is not a port (0-65535)`);
  return Number(value);
}

function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!(number > 0)) throw new ArgumentError(`--${name} "${value}" must be a positive number`);
  return number;
}

const PORT_FLAGS = ['otlp-http-port', 'otlp-grpc-port', 'prometheus-port', 'query-port'] as const;

/** Where the hub's command line writes (text ends with its own newline). */
export interface HubCliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const PROCESS_OUTPUT: HubCliOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export async function runHubCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  program = 'pyairtable-hub',
  output: HubCliOutput = PROCESS_OUTPUT,
): Promise<number> {
  const help = hubHelp(program);
  let options: HubOptions;
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        'data-dir': { type: 'string', default: '.pyairtable-hub' },
        profile: { type: 'string', default: 'development' },
        'retention-days': { type: 'string' },
        'max-size-mb': { type: 'string' },
        'max-memory-mb': { type: 'string' },
        host: { type: 'string', default: HUB_DEFAULTS.host },
        'otlp-http-port': { type: 'string' },
        'otlp-grpc-port': { type: 'string' },
        'prometheus-port': { type: 'string' },
        'query-port': { type: 'string' },
        'prometheus-url': { type: 'string' },
        'alertmanager-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help === true) {
      output.stdout(help);
      return 0;
    }
    const profile = values.profile;
    if (!(ENVIRONMENTS as readonly string[]).includes(profile))
      throw new ArgumentError(`--profile "${profile}" is unknown; use one of ${ENVIRONMENTS.join(', ')}`);
    const retentionDays = positive('retention-days', values['retention-days']);
    const maxSizeMb = positive('max-size-mb', values['max-size-mb']);
    const maxMemoryMb = positive('max-memory-mb', values['max-memory-mb']);
    const prometheus = httpUrl('prometheus-url', values['prometheus-url']);
    const alertmanager = httpUrl('alertmanager-url', values['alertmanager-url']);
    options = {
      dataDir: values['data-dir'],
      profile: profile as Environment,
      ...(retentionDays === undefined ? {} : { retentionDays }),
      ...(maxSizeMb === undefined ? {} : { maxStoreBytes: maxSizeMb * 1024 * 1024 }),
      ...(maxMemoryMb === undefined ? {} : { maxMemoryBytes: maxMemoryMb * 1024 * 1024 }),
      host: values.host,
      otlpHttpPort: port('otlp-http-port', values['otlp-http-port'], HUB_DEFAULTS.otlpHttpPort),
      otlpGrpcPort: port('otlp-grpc-port', values['otlp-grpc-port'], HUB_DEFAULTS.otlpGrpcPort),
      prometheusPort: port('prometheus-port', values['prometheus-port'], HUB_DEFAULTS.prometheusPort),
      queryPort: port('query-port', values['query-port'], HUB_DEFAULTS.queryPort),
      ...(env['HUB_INGEST_TOKEN'] === undefined ? {} : { ingestToken: env['HUB_INGEST_TOKEN'] }),
      ...(env['HUB_API_TOKEN'] === undefined ? {} : { apiToken: env['HUB_API_TOKEN'] }),
      ...(env['HUB_ADMIN_TOKEN'] === undefined ? {} : { adminToken: env['HUB_ADMIN_TOKEN'] }),
      ui: {
        ...(prometheus === undefined ? {} : { prometheus }),
        ...(alertmanager === undefined ? {} : { alertmanager }),
      },
    };
  } catch (error) {
    output.stderr(`${program}: ${(error as Error).message}\n\n${help}`);
    return 2;
  }
  let hub;
  try {
    hub = await startHub(options);
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { port?: number };
    output.stderr(
      `${program}: ${
        failure.code === 'EADDRINUSE'
          ? `${failure.message}: a port is already in use; choose others with ${PORT_FLAGS.map((name) => `--${name}`).join(', ')} (0 picks a free one)`
          : failure.message
      }\n`,
    );
    return 1;
  }
  output.stdout(
    `${JSON.stringify({
      otlpHttp: hub.otlpHttpUrl,
      otlpGrpc: hub.otlpGrpcAddress,
      prometheus: hub.prometheusUrl,
      query: hub.queryUrl,
      dataDir: options.dataDir,
    })}\n`,
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
