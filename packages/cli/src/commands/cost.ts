/**
 * obs cost: what observability and AI cost a month, from the volumes the running stack measured
 * (Prometheus's view of the hub or collector, of itself and of the SDK's AI counters), a dated
 * price table and the retention table; with sampling at 100% and without lifecycle tiers beside
 * it, so each saving is a measured difference.
 */
import { ENVIRONMENTS, SPEC_PORTS } from '@pyairtable/conventions';
import type { Environment } from '@pyairtable/conventions';
import { CHANNEL_VARIABLES, PROFILES, UI_PASSWORDS, UI_USER, resolveChannels } from '@pyairtable/stack';
import { NotRunningError, SourceError, UsageError } from '../errors.js';
import { elasticBytesPerSpan, elasticLogBytesPerDay } from '../cost/elasticsearch.js';
import { ElasticsearchError, elasticAuthorization } from '../elasticsearch/client.js';
import type { ElasticsearchTarget } from '../elasticsearch/client.js';
import type { CliIo } from '../io.js';
import { stackCompute } from '../cost/compute.js';
import { readInfraPrices } from '../cost/prices.js';
import type { AlertChannel } from '../cost/prices.js';
import { parseDurationSeconds, prometheusAuthorization } from '../cost/prometheus.js';
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
contract's table; compute from the Compose stack's reservations and limits (one replica of each
component); alerting per channel. The same estimate with sampling at 100% and without lifecycle
tiers stands beside it: the savings are the differences. AI spend is shown month to date (UTC)
with its forecast to the month's end, by service, provider and model, against the daily budget
of the HighAICosts alert. What nothing measured is listed under the estimate.

Without --prometheus, the Prometheus of local mode (obs up) in the data directory is read.

Options:
  --prometheus <url>        read this Prometheus (Compose, Kubernetes or any other)
  --data-dir <dir>          local mode's data directory (default: ./${DEFAULT_DATA_DIR})
  --profile <name>          ${ENVIRONMENTS.join(' | ')}: the AI budget (default: local mode's
                            profile, or production with --prometheus)
  --window <range>          the measuring window, a Prometheus range like 30m, 6h, 1d (default: ${DEFAULT_WINDOW})
  --at <time>               estimate as of this time (RFC 3339 with its offset; default: now)
  --elasticsearch <url>     the production stack's Elasticsearch: log bytes per day per category from
                            its data streams, and the bytes a span takes in Jaeger's indices
  --prices <file>           a JSON price table over the defaults (effectiveDate and source required;
                            storageUsdPerGbMonth.{hot,warm,cold}, vcpuUsdPerHour, memoryUsdPerGbHour,
                            alertChannelUsdPerMonth.{email,slack,pagerduty})
  --bytes-per-span <n>      used when neither the hub nor Elasticsearch measures it (default: ${String(DEFAULT_BYTES_PER_SPAN)})
  --bytes-per-sample <n>    used until Prometheus has compacted its head in the last day (default: ${String(DEFAULT_BYTES_PER_SAMPLE)})
  --json                    the estimate as JSON
  -h, --help                this help

Environment: ${UI_PASSWORDS.prometheus.variable} (the ${UI_USER} password of a Prometheus behind basic auth);
ELASTICSEARCH_API_KEY, or ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD (a user with
monitor and read on the indices); NODE_EXTRA_CA_CERTS for their CA; the alert channel variables
obs render reads (${CHANNEL_VARIABLES.slackWebhookUrl}, ${CHANNEL_VARIABLES.pagerdutyServiceKey}, ${CHANNEL_VARIABLES.criticalEmail} and the other addresses
with ${CHANNEL_VARIABLES.smtpSmarthost}) say which channels are priced.

Exit code 0, 2 on a usage error, 3 on an invalid prices file, 4 on an unreadable one, 5 when
Prometheus or Elasticsearch cannot be read, 6 when local mode (or its Prometheus) is not running.
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

const RFC_3339 = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function parseAt(value: string | undefined): number {
  if (value === undefined) return Date.now();
  const match = RFC_3339.exec(value);
  const ms = Date.parse(value);
  const [year, month, day] = [match?.[1], match?.[2], match?.[3]].map(Number);
  // Date.parse rolls 2026-02-30 over to March: the day must exist.
  const real = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 0)).getUTCDate() === day;
  if (match === null || Number.isNaN(ms) || !real)
    throw new UsageError(
      `--at must be an RFC 3339 time with its offset, like 2026-11-30T12:00:00Z, not "${value}".`,
    );
  return ms;
}

const httpUrl = (value: string | undefined, flag: string, example: string): string | undefined => {
  if (value !== undefined && !/^https?:\/\/[^\s/]+/.test(value))
    throw new UsageError(`${flag} must be an http(s) URL like ${example}, not "${value}".`);
  return value;
};

/** Local mode's Prometheus and profile, from the state obs up keeps in the data directory. */
function localPrometheus(dataDir: string): { url: string; profile: Environment } {
  const state = runningState(dataDir);
  const prometheus = state.components.find((component) => component.role === 'prometheus');
  if (prometheus === undefined)
    throw new NotRunningError(
      `local mode in ${dataDir} runs no Prometheus, and obs cost reads its volumes from one: install it ` +
        `(apt-get install prometheus) and run obs up again, or pass --prometheus <url>.`,
    );
  return { url: prometheus.url, profile: state.profile as Environment };
}

function parseProfile(value: string | undefined): Environment | undefined {
  if (value !== undefined && !(ENVIRONMENTS as readonly string[]).includes(value))
    throw new UsageError(`--profile must be one of ${ENVIRONMENTS.join(', ')}, not "${value}".`);
  return value as Environment | undefined;
}

function parseWindow(value: string | undefined): string {
  const window = value ?? DEFAULT_WINDOW;
  if (!/^[1-9]\d*[smhdw]$/.test(window))
    throw new UsageError(`--window must be a Prometheus range like 30m, 6h or 1d, not "${window}".`);
  return window;
}

const COST_OPTIONS = {
  prometheus: { type: 'string' },
  profile: { type: 'string' },
  window: { type: 'string' },
  at: { type: 'string' },
  prices: { type: 'string' },
  elasticsearch: { type: 'string' },
  'bytes-per-span': { type: 'string' },
  'bytes-per-sample': { type: 'string' },
  json: { type: 'boolean' },
} as const;

function parseOptions(args: readonly string[], io: CliIo): CostOptions | undefined {
  const parsed = dataDirArgs(args, COST_HELP, io, COST_OPTIONS);
  if (parsed === undefined) return undefined;
  const { values, dataDir } = parsed;
  const option = (name: keyof typeof COST_OPTIONS): string | undefined =>
    typeof values[name] === 'string' ? values[name] : undefined;
  const profileFlag = parseProfile(option('profile'));
  const window = parseWindow(option('window'));
  const atMs = parseAt(option('at'));
  const explicit = httpUrl(
    option('prometheus'),
    '--prometheus',
    `http://127.0.0.1:${String(SPEC_PORTS.prometheus)}`,
  );
  const source =
    explicit === undefined ? localPrometheus(dataDir) : { url: explicit, profile: 'production' as const };
  const profile = profileFlag ?? source.profile;
  const elasticsearch = httpUrl(
    option('elasticsearch'),
    '--elasticsearch',
    `https://127.0.0.1:${String(SPEC_PORTS.elasticsearch)}`,
  );
  const authorization = prometheusAuthorization(io.env);
  return {
    target: { url: source.url, ...(authorization === undefined ? {} : { authorization }) },
    elasticsearch:
      elasticsearch === undefined
        ? undefined
        : { url: elasticsearch, authorization: elasticAuthorization(io.env) },
    profile,
    window,
    atMs,
    pricesFile: option('prices'),
    assumptions: {
      bytesPerSpan: positiveNumber(option('bytes-per-span'), '--bytes-per-span', DEFAULT_BYTES_PER_SPAN),
      bytesPerSample: positiveNumber(
        option('bytes-per-sample'),
        '--bytes-per-sample',
        DEFAULT_BYTES_PER_SAMPLE,
      ),
      scrapeIntervalSeconds: PROFILES[profile].scrapeIntervalSeconds,
    },
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
    {
      target: options.target,
      profile: options.profile,
      atSeconds: Math.floor(options.atMs / 1000),
      window: options.window,
    },
    options.assumptions,
  );
  const volumes =
    options.elasticsearch === undefined
      ? measured
      : await withElasticsearch(
          measured,
          options.elasticsearch,
          options.atMs,
          parseDurationSeconds(options.window) ?? 3600,
        );
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
