/**
 * obs verify: the spec's health checks for every running component, then a canary through the
 * pipeline: a trace, a log record and a metric, each confirmed where it should land (the hub's
 * trace API, its log search, Prometheus). A table of results; exit 0 only if everything passed.
 */
import { randomBytes } from 'node:crypto';
import { LOG_FIELDS, RESOURCE_ATTRIBUTES } from '@pyairtable/conventions';
import { LOG_LINES_PATH } from '@pyairtable/hub';
import { EXIT_CODES } from '../errors.js';
import type { CliIo } from '../io.js';
import { dockerStatus, readDockerDeployment } from '../local/docker.js';
import type { LocalState } from '../local/state.js';
import { DEFAULT_DATA_DIR } from '../local/state.js';
import { pollUntil } from '../local/probe.js';
import { table } from '../local/table.js';
import { dataDirArgs, healthRows, runningState } from './status.js';

export const VERIFY_HELP = `Usage: obs verify [--data-dir <dir>] [--timeout <seconds>]

Checks a running stack end to end: every component's health check, then a canary trace, log
record and metric sent through the pipeline and looked for in the hub and in Prometheus.
Exit code 0 when all pass, 5 when any fails, 6 when nothing runs.

Options:
  --data-dir <dir>     the data directory obs up was started with (default: ./${DEFAULT_DATA_DIR})
  --timeout <seconds>  how long each canary may take to arrive (default: 30)
  -h, --help           this help
`;

export const CANARY_SERVICE = 'obs-verify';
const CANARY_METRIC = 'obs_verify_canary';

interface Check {
  readonly name: string;
  readonly passed: boolean | 'skipped';
  readonly detail: string;
}

/** The answer's status, or 0 when there was none (refused, reset, or no answer within 10 s). */
async function post(url: string, body: string): Promise<number> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    await response.body?.cancel();
    return response.status;
  } catch {
    return 0;
  }
}

const get = (url: string): Promise<Response> => fetch(url, { signal: AbortSignal.timeout(5_000) });

/** Sends a canary, then waits until `arrived` sees it where it should land. */
async function canary(
  name: string,
  send: Promise<number>,
  arrived: () => Promise<boolean>,
  timeoutMs: number,
  described: { found: string; missing: string },
): Promise<Check> {
  const status = await send;
  const passed = status === 200 && (await pollUntil(arrived, timeoutMs, 500));
  return {
    name,
    passed,
    detail: passed
      ? described.found
      : `sent (${status === 0 ? 'no answer' : `HTTP ${String(status)}`}) but ${described.missing} within ${String(timeoutMs / 1000)} s`,
  };
}

async function canaries(state: LocalState, timeoutMs: number): Promise<Check[]> {
  const id = randomBytes(8).toString('hex');
  const traceId = randomBytes(16).toString('hex');
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const resource = {
    attributes: [{ key: RESOURCE_ATTRIBUTES.serviceName, value: { stringValue: CANARY_SERVICE } }],
  };
  const span = {
    traceId,
    spanId: randomBytes(8).toString('hex'),
    name: `canary ${id}`,
    kind: 1,
    startTimeUnixNano: String(nowNs),
    endTimeUnixNano: String(nowNs + 1_000_000n),
  };
  const trace = await canary(
    'canary trace',
    post(
      `${state.otlpHttpUrl}/v1/traces`,
      JSON.stringify({ resourceSpans: [{ resource, scopeSpans: [{ spans: [span] }] }] }),
    ),
    async () => (await get(`${state.hubQueryUrl}/api/v3/traces/${traceId}`)).ok,
    timeoutMs,
    { found: `trace ${traceId} found through the hub's /api/v3/traces`, missing: 'not found' },
  );

  const record = {
    [LOG_FIELDS.timestamp]: new Date().toISOString(),
    service: { name: CANARY_SERVICE, tier: 'observability' },
    log_level: 'INFO',
    message: `obs verify canary ${id}`,
    category: 'application',
  };
  const log = await canary(
    'canary log record',
    post(`${state.otlpHttpUrl}${LOG_LINES_PATH}`, JSON.stringify(record)),
    async () => {
      const response = await get(`${state.hubQueryUrl}/api/logs?service=${CANARY_SERVICE}&q=${id}`);
      const body = (await response.json()) as { logs?: unknown[] };
      return (body.logs?.length ?? 0) > 0;
    },
    timeoutMs,
    { found: `record ${id} found through the hub's log search`, missing: 'not found' },
  );

  const value = Number.parseInt(id.slice(0, 6), 16);
  const metric = {
    name: CANARY_METRIC,
    description: 'obs verify canary: arrives in Prometheus through the hub.',
    gauge: {
      dataPoints: [
        {
          asDouble: value,
          timeUnixNano: String(nowNs),
          attributes: [{ key: 'canary', value: { stringValue: id } }],
        },
      ],
    },
  };
  const sendMetric = post(
    `${state.otlpHttpUrl}/v1/metrics`,
    JSON.stringify({ resourceMetrics: [{ resource, scopeMetrics: [{ metrics: [metric] }] }] }),
  );
  const prometheus = state.components.find((component) => component.role === 'prometheus');
  if (prometheus === undefined)
    return [
      trace,
      log,
      {
        name: 'canary metric',
        passed: 'skipped',
        detail: `accepted by the hub (HTTP ${String(await sendMetric)}); Prometheus is not running, so it cannot be confirmed`,
      },
    ];
  const query = encodeURIComponent(`${CANARY_METRIC}{canary="${id}"}`);
  const metricCheck = await canary(
    'canary metric',
    sendMetric,
    async () => {
      const response = await get(`${prometheus.url}/api/v1/query?query=${query}`);
      const body = (await response.json()) as { data?: { result?: { value?: [number, string] }[] } };
      return Number(body.data?.result?.[0]?.value?.[1]) === value;
    },
    timeoutMs,
    {
      found: `${CANARY_METRIC}{canary="${id}"} = ${String(value)} queried from Prometheus`,
      missing: 'Prometheus did not have it (obs doctor: is the hub-otlp-metrics target up?)',
    },
  );
  return [trace, log, metricCheck];
}

export async function verifyCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = dataDirArgs(args, VERIFY_HELP, io, { timeout: { type: 'string', default: '30' } });
  if (parsed === undefined) return 0;
  const timeoutSeconds = Number(parsed.values['timeout']);
  const timeoutMs = (timeoutSeconds > 0 ? timeoutSeconds : 30) * 1000;
  const deployment = readDockerDeployment(parsed.dataDir);
  if (deployment !== undefined) {
    const healthy = dockerStatus(deployment, io);
    io.stdout(
      '\nThe canaries run in local mode: the Compose deployment publishes no OTLP port on the host. Send one from a service on the application network to check the pipeline.',
    );
    return healthy ? 0 : EXIT_CODES.unhealthy;
  }
  const state = runningState(parsed.dataDir);
  const health = await healthRows(state);
  const checks: Check[] = health.rows.map((row) => ({
    name: `health: ${row[0] ?? ''}`,
    passed: row[3] === 'healthy',
    detail: `${row[2] ?? ''} ${row[4] ?? ''}`,
  }));
  checks.push(...(await canaries(state, timeoutMs)));
  for (const missing of state.missing)
    checks.push({
      name: `health: ${missing.name}`,
      passed: 'skipped',
      detail: `${missing.reason}${missing.fix === undefined ? '' : `; ${missing.fix}`}`,
    });
  io.stdout(
    table(
      ['CHECK', 'RESULT', 'DETAIL'],
      checks.map((check) => [
        check.name,
        check.passed === 'skipped' ? 'skipped' : check.passed ? 'pass' : 'FAIL',
        check.detail,
      ]),
    ),
  );
  const failed = checks.filter((check) => check.passed === false);
  io.stdout(
    failed.length === 0
      ? `\nAll ${String(checks.filter((check) => check.passed === true).length)} checks passed.`
      : `\n${String(failed.length)} check(s) failed: obs doctor says why and what to do.`,
  );
  return failed.length === 0 ? 0 : EXIT_CODES.unhealthy;
}
