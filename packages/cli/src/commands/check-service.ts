/**
 * obs check-service: whether a running service, in any language, follows the contract: its
 * `/metrics` (the catalog and Prometheus's linter), trace propagation and its server span in the
 * hub, and its log lines. A report with each finding and its fix.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PROPAGATION_HEADERS } from '@pyairtable/conventions';
import { EXIT_CODES, UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { logChecks } from '../check-service/logs.js';
import { metricChecks, promtoolChecks } from '../check-service/metrics.js';
import { propagationChecks, serverSpanCheck } from '../check-service/propagation.js';
import type { Check } from '../check-service/report.js';
import { findExecutable } from '../local/engines.js';
import { DEFAULT_DATA_DIR, readState, resolveDataDir } from '../local/state.js';
import { table } from '../local/table.js';

export const CHECK_SERVICE_HELP = `Usage: obs check-service <url> --path <path> [options]

Checks a running service against the contract, whatever its language:
  metrics      its /metrics: every family of the catalog with the catalog's type, labels and
               buckets, route labels as templates, no unknown pyairtable_ family, and
               Prometheus's linter (promtool check metrics)
  propagation  requests to <url><path> with ${PROPAGATION_HEADERS.traceparent}, with ${PROPAGATION_HEADERS.traceId} alone and with
               neither: each response's ${PROPAGATION_HEADERS.traceId}
  hub          the server span of the traceparent request in the hub, named by its route
               template (give a path with an id in it, like /api/v1/records/rec123)
  logs         with --logs, each line of the file against the log record schema

Options:
  --path <path>         the request path to send (required; one the service instruments)
  --metrics <url>       where its metrics are (default: <url>/metrics)
  --hub <url>           the hub's query address (default: local mode's, from --data-dir)
  --data-dir <dir>      the local-mode data directory (default: ./${DEFAULT_DATA_DIR})
  --logs <file>         a file of the service's log lines ("-" for standard input)
  --timeout <seconds>   how long the span may take to reach the hub (default: 15)
  --json                the report as JSON
  -h, --help            this help

Exit code 0 when every check holds, 5 when any does not, 2 on a usage error.
`;

interface Options {
  readonly url: string;
  readonly path: string;
  readonly metricsUrl: string;
  readonly hubUrl: string | undefined;
  readonly logs: string | undefined;
  readonly timeoutMs: number;
  readonly json: boolean;
}

function parseOptions(args: readonly string[], io: CliIo): Options | undefined {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        path: { type: 'string' },
        metrics: { type: 'string' },
        hub: { type: 'string' },
        'data-dir': { type: 'string' },
        logs: { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${CHECK_SERVICE_HELP}`);
  }
  const { values, positionals } = parsed;
  if (values['help'] === true) {
    io.stdout(CHECK_SERVICE_HELP);
    return undefined;
  }
  const url = positionals[0];
  if (url === undefined || positionals.length > 1 || !/^https?:\/\//.test(url))
    throw new UsageError(
      `give the service's address, one, like http://127.0.0.1:8000\n\n${CHECK_SERVICE_HELP}`,
    );
  const path = values['path'];
  if (typeof path !== 'string' || !path.startsWith('/'))
    throw new UsageError(
      `--path must be a request path starting with /, like /api/v1/records/rec123\n\n${CHECK_SERVICE_HELP}`,
    );
  const timeout = values['timeout'] === undefined ? 15 : Number(values['timeout']);
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new UsageError(`--timeout must be a number of seconds above 0, not ${String(values['timeout'])}`);
  const base = url.replace(/\/+$/, '');
  const dataDir = resolveDataDir(
    io.cwd,
    typeof values['data-dir'] === 'string' ? values['data-dir'] : undefined,
  );
  return {
    url: base,
    path,
    metricsUrl: typeof values['metrics'] === 'string' ? values['metrics'] : `${base}/metrics`,
    hubUrl: typeof values['hub'] === 'string' ? values['hub'] : readState(dataDir)?.hubQueryUrl,
    logs: typeof values['logs'] === 'string' ? values['logs'] : undefined,
    timeoutMs: timeout * 1000,
    json: values['json'] === true,
  };
}

async function metricsSection(options: Options, io: CliIo): Promise<Check[]> {
  let text: string;
  try {
    const response = await fetch(options.metricsUrl, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`answered ${String(response.status)}`);
    text = await response.text();
  } catch (error) {
    return [
      {
        check: `metrics at ${options.metricsUrl}`,
        ok: false,
        detail: `could not be scraped: ${(error as Error).message}`,
        fix: 'serve the Prometheus exposition there (or give --metrics <url>)',
      },
    ];
  }
  return [...metricChecks(text), ...promtoolChecks(text, findExecutable('promtool', io.env))];
}

function readLogs(source: string): string {
  try {
    return readFileSync(source === '-' ? 0 : source, 'utf8');
  } catch (error) {
    throw new UsageError(`--logs ${source} cannot be read: ${(error as Error).message}`);
  }
}

/** The server span in the hub, when there is a hub to look in and a trace id to look for. */
async function hubCheck(options: Options, traceId: string | undefined): Promise<Check> {
  const check = 'the server span reaches the hub';
  if (options.hubUrl === undefined)
    return {
      check,
      ok: false,
      detail: 'no hub to look in: none runs from the data directory and --hub was not given',
      fix: 'start one (obs up) and point the service’s OTLP exporter at it, or give --hub <query url>',
    };
  if (traceId === undefined)
    return {
      check,
      ok: false,
      detail: `not looked for: the service answered with no trace id to look for`,
      fix: `answer with ${PROPAGATION_HEADERS.traceId} first (above)`,
    };
  return serverSpanCheck(options.hubUrl, traceId, options.path, options.timeoutMs);
}

export async function checkServiceCommand(args: readonly string[], io: CliIo): Promise<number> {
  const options = parseOptions(args, io);
  if (options === undefined) return EXIT_CODES.ok;
  const checks: Check[] = [];
  // Requests first, so that their metrics are in the scrape.
  const propagation = await propagationChecks(`${options.url}${options.path}`);
  checks.push(...propagation.checks);
  checks.push(...(await metricsSection(options, io)));
  checks.push(await hubCheck(options, propagation.tracedId));
  if (options.logs !== undefined) checks.push(...logChecks(readLogs(options.logs), options.logs));
  const failed = checks.filter((check) => !check.ok);
  if (options.json)
    io.stdout(JSON.stringify({ service: options.url, passed: failed.length === 0, checks }, null, 2));
  else {
    io.stdout(
      table(
        ['', 'check', 'finding'],
        checks.map((check) => [check.ok ? 'ok' : 'FAIL', check.check, check.detail]),
      ),
    );
    if (failed.length > 0) {
      io.stdout('\nHow to fix:');
      for (const check of failed) if (check.fix !== undefined) io.stdout(`  ${check.check}: ${check.fix}`);
    }
    io.stdout(
      `\n${failed.length === 0 ? 'Conforms' : `${String(failed.length)} finding(s)`}: ${options.url}`,
    );
  }
  return failed.length === 0 ? EXIT_CODES.ok : EXIT_CODES.unhealthy;
}
