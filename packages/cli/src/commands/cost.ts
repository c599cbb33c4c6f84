/**
 * obs cost: what observability and AI cost a month, from the volumes the running stack measured
 * (Prometheus's view of the hub or collector, of itself and of the SDK's AI counters), a dated
 * price table and the retention table; with sampling at 100% and without lifecycle tiers beside
 * it, so each saving is a measured difference.
 */
import { ENVIRONMENTS, SPEC_PORTS } from '@pyairtable/conventions';
import type { Environment } from '@pyairtable/conventions';
import { CHANNEL_VARIABLES, PROFILES, resolveChannels } from '@pyairtable/stack';
import { SourceError, UsageError } from '../errors.js';
import { elasticBytesPerSpan, elasticLogBytesPerDay } from '../cost/elasticsearch.js';
import { ElasticsearchError, elasticAuthorization } from '../elasticsearch/client.js';
import type { ElasticsearchTarget } from '../elasticsearch/client.js';
import type { CliIo } from '../io.js';
import { stackCompute } from '../cost/compute.js';
import { readInfraPrices } from '../cost/prices.js';
import type { AlertChannel } from '../cost/prices.js';
import { prometheusAuthorization } from '../cost/prometheus.js';
import type { PrometheusTarget } from '../cost/prometheus.js';
import { costReport } from '../cost/report.js';
import { renderCostReport } from '../cost/table.js';
import type { Assumptions, Volumes } from '../cost/volumes.js';
import { measureVolumes } from '../cost/volumes.js';
import { DEFAULT_DATA_DIR } from '../local/state.js';
import { dataDirArgs, runningState } from './status.js';

const DEFAULT_WINDOW = '1h';
const DEFAULT_BYTES_PER_SPAN = 700;
/** Prometheus's documentation: "on average ... only around 1-2 bytes per sample". */
const DEFAULT_BYTES_PER_SAMPLE = 1.5;

export const COST_HELP = `Usage: obs cost [--prometheus <url>] [options]

Estimates what observability and AI cost a month, from what the running stack measured over a
window: spans per second before and after the tail policy, log bytes per day per category,
active series and samples per second, and AI spend. Storage is priced per retention tier of the
contract's table, compute from the components' requests and limits, alerting per channel. The
same estimate with sampling at 100% and without lifecycle tiers stands beside it: the savings
are the differences. AI spend is shown month to date (UTC) with its forecast to the month's end,
by service, provider and model, against the daily budget of the HighAICosts alert.

Without --prometheus, the Prometheus of local mode (obs up) in the data directory is read.

Options:
  --prometheus <url>        read this Prometheus (Compose, Kubernetes or any other)
  --data-dir <dir>          local mode's data directory (default: ./${DEFAULT_DATA_DIR})
  --profile <name>          ${ENVIRONMENTS.join(' | ')}: the AI budget (default: local mode's
                            profile, or production with --prometheus)
  --window <range>          the measuring window, a Prometheus range like 30m, 6h, 1d (default: ${DEFAULT_WINDOW})
  --at <time>               estimate as of this time (RFC 3339; default: now)
  --elasticsearch <url>     the production stack's Elasticsearch: log bytes per day per category from
                            its data streams, and the bytes a span takes in Jaeger's indices
  --prices <file>           a JSON price table over the defaults (effectiveDate and source required;
                            storageUsdPerGbMonth.{hot,warm,cold}, vcpuUsdPerHour, memoryUsdPerGbHour,
                            alertChannelUsdPerMonth.{email,slack,pagerduty})
  --bytes-per-span <n>      used when the hub does not measure it (default: ${String(DEFAULT_BYTES_PER_SPAN)})
  --bytes-per-sample <n>    used until Prometheus has compacted a block (default: ${String(DEFAULT_BYTES_PER_SAMPLE)})
  --json                    the estimate as JSON
  -h, --help                this help

Environment: PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD for a Prometheus behind basic auth;
ELASTICSEARCH_API_KEY, or ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD (a user with
monitor and read on the indices), and NODE_EXTRA_CA_CERTS for Elasticsearch's CA;
the alert channel variables obs render reads (${CHANNEL_VARIABLES.slackWebhookUrl}, ${CHANNEL_VARIABLES.pagerdutyServiceKey},
${CHANNEL_VARIABLES.criticalEmail} and the other e-mail addresses with ${CHANNEL_VARIABLES.smtpSmarthost}) say which channels
are priced.

Exit code 0, 2 on a usage error, 3 on an invalid prices file, 5 when Prometheus or Elasticsearch
cannot be read,
6 when local mode is not running.
`;

export interface CostOptions {
  readonly target: PrometheusTarget;
  readonly elasticsearch: ElasticsearchTarget | undefined;
  readonly profile: Environment;
  readonly window: string;
  readonly atMs: number;
  readonly pricesFile: string | undefined;
  readonly assumptions: Assumptions;
  readonly json: boolean;
}

function positiveNumber(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0)
    throw new UsageError(`${flag} must be a positive number, not "${value}".`);
  return number;
}

function parseAt(value: string | undefined): number {
  if (value === undefined) return Date.now();
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}T/.test(value))
    throw new UsageError(`--at must be an RFC 3339 time like 2026-11-30T12:00:00Z, not "${value}".`);
  return ms;
}

function parseOptions(args: readonly string[], io: CliIo): CostOptions | undefined {
  const parsed = dataDirArgs(args, COST_HELP, io, {
    prometheus: { type: 'string' },
    profile: { type: 'string' },
    window: { type: 'string' },
    at: { type: 'string' },
    prices: { type: 'string' },
    elasticsearch: { type: 'string' },
    'bytes-per-span': { type: 'string' },
    'bytes-per-sample': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (parsed === undefined) return undefined;
  const { values, dataDir } = parsed;
  const option = (name: string): string | undefined =>
    typeof values[name] === 'string' ? values[name] : undefined;
  const window = option('window') ?? DEFAULT_WINDOW;
  if (!/^[1-9]\d*[smhdw]$/.test(window))
    throw new UsageError(`--window must be a Prometheus range like 30m, 6h or 1d, not "${window}".`);
  const profileFlag = option('profile');
  if (profileFlag !== undefined && !(ENVIRONMENTS as readonly unknown[]).includes(profileFlag))
    throw new UsageError(`--profile must be one of ${ENVIRONMENTS.join(', ')}, not "${profileFlag}".`);
  const atMs = parseAt(option('at'));
  const assumptions = {
    bytesPerSpan: positiveNumber(option('bytes-per-span'), '--bytes-per-span', DEFAULT_BYTES_PER_SPAN),
    bytesPerSample: positiveNumber(
      option('bytes-per-sample'),
      '--bytes-per-sample',
      DEFAULT_BYTES_PER_SAMPLE,
    ),
  };
  const explicit = option('prometheus');
  let url: string;
  let profile: Environment;
  if (explicit !== undefined) {
    if (!/^https?:\/\/[^\s/]+/.test(explicit))
      throw new UsageError(
        `--prometheus must be an http(s) URL like http://127.0.0.1:${String(SPEC_PORTS.prometheus)}, not "${explicit}".`,
      );
    url = explicit;
    profile = (profileFlag as Environment | undefined) ?? 'production';
  } else {
    const state = runningState(dataDir);
    const prometheus = state.components.find((component) => component.role === 'prometheus');
    if (prometheus === undefined)
      throw new UsageError(
        `local mode in ${dataDir} runs no Prometheus, and obs cost reads its volumes from one: install it ` +
          `(apt-get install prometheus) and run obs up again, or pass --prometheus <url>.`,
      );
    url = prometheus.url;
    profile = (profileFlag as Environment | undefined) ?? (state.profile as Environment);
  }
  const authorization = prometheusAuthorization(io.env);
  const elasticsearch = option('elasticsearch');
  if (elasticsearch !== undefined && !/^https?:\/\/[^\s/]+/.test(elasticsearch))
    throw new UsageError(`--elasticsearch must be an http(s) URL, not "${elasticsearch}".`);
  return {
    target: { url, ...(authorization === undefined ? {} : { authorization }) },
    elasticsearch:
      elasticsearch === undefined
        ? undefined
        : { url: elasticsearch, authorization: elasticAuthorization(io.env) },
    profile,
    window,
    atMs,
    pricesFile: option('prices'),
    assumptions: { ...assumptions, scrapeIntervalSeconds: PROFILES[profile].scrapeIntervalSeconds },
    json: values['json'] === true,
  };
}

/** The alert channels a render with this environment would configure. */
export function configuredChannels(env: Readonly<Record<string, string | undefined>>): AlertChannel[] {
  const { channels } = resolveChannels(env);
  return [
    ...(Object.keys(channels.emails).length > 0 ? (['email'] as const) : []),
    ...(channels.slack ? (['slack'] as const) : []),
    ...(channels.pagerduty ? (['pagerduty'] as const) : []),
  ];
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** A checked Prometheus range (`30m`) in seconds. */
const rangeSeconds = (range: string): number =>
  Number(range.slice(0, -1)) * (UNIT_SECONDS[range.slice(-1)] ?? 1);

/** The volumes with what Elasticsearch measures in their place: log bytes, and a span's bytes. */
async function withElasticsearch(
  volumes: Volumes,
  target: ElasticsearchTarget,
  atMs: number,
  windowSeconds: number,
): Promise<Volumes> {
  try {
    const [logBytesPerDay, bytesPerSpan] = await Promise.all([
      elasticLogBytesPerDay(target, atMs, windowSeconds),
      elasticBytesPerSpan(target),
    ]);
    return {
      ...volumes,
      logBytesPerDay,
      logSource: 'elasticsearch',
      spans:
        bytesPerSpan === undefined
          ? volumes.spans
          : { ...volumes.spans, bytesPerSpan: { value: bytesPerSpan, measured: true } },
    };
  } catch (error) {
    if (error instanceof ElasticsearchError) throw new SourceError(error.message);
    throw error;
  }
}

export async function costCommand(args: readonly string[], io: CliIo): Promise<number> {
  const options = parseOptions(args, io);
  if (options === undefined) return 0;
  const prices = readInfraPrices(options.pricesFile);
  const measured = await measureVolumes(
    { target: options.target, atSeconds: Math.floor(options.atMs / 1000), window: options.window },
    options.assumptions,
  );
  const volumes =
    options.elasticsearch === undefined
      ? measured
      : await withElasticsearch(measured, options.elasticsearch, options.atMs, rangeSeconds(options.window));
  const report = costReport({
    volumes,
    prices,
    components: stackCompute(),
    channels: configuredChannels(io.env),
    aiDailyBudgetUsd: PROFILES[options.profile].alerts.aiDailyBudgetUsd,
    atMs: options.atMs,
  });
  const context = {
    at: new Date(options.atMs).toISOString(),
    window: options.window,
    profile: options.profile,
    prometheus: options.target.url,
    ...(options.elasticsearch === undefined ? {} : { elasticsearch: options.elasticsearch.url }),
    prices,
  };
  if (options.json) io.stdout(JSON.stringify({ ...context, volumes, ...report }, null, 2));
  else io.stdout(renderCostReport(context, volumes, report));
  return 0;
}
