/**
 * Options of `initTelemetry` and their resolution: code first, then the environment, then
 * defaults. A bad value in code throws a `TelemetryConfigError` naming the option, the value and
 * what is allowed; a bad environment value warns once and falls back, like OpenTelemetry's own
 * environment parsing, because a typo in a deployment variable must not take a service down.
 */
import type { CostCenter, Environment, LogLevel, ServiceTier } from '@pyairtable/conventions';
import {
  SPEC_PORTS,
  COST_CENTERS,
  ENVIRONMENTS,
  LOG_LEVELS,
  SAMPLING_POLICIES,
  SERVICE_TIERS,
  UNKNOWN_SERVICE_NAME,
} from '@pyairtable/conventions';
import type { Env, EnvValue, Setting, Sources } from './config-options.js';
import {
  BASE_URL,
  BOOLEAN,
  FULL_URL,
  OTLP_EXPORT,
  RATIO,
  SDK_DISABLED,
  SERVICE_NAME,
  TEXT,
  TRACES_SAMPLER,
  integerIn,
  oneOf,
  secretOrFile,
} from './config-options.js';
import { TelemetryConfigError } from './errors.js';
import { warnOnce } from './warnings.js';

export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

export interface TelemetryOptions {
  /** `service.name`; env `SERVICE_NAME`, then `OTEL_SERVICE_NAME`. Lower-case, like `api-gateway`. */
  readonly serviceName?: string;
  /** `service.version`; env `SERVICE_VERSION`, then `npm_package_version`. */
  readonly serviceVersion?: string;
  /** env `SERVICE_TIER`; default `application`. */
  readonly serviceTier?: ServiceTier;
  /** env `ENVIRONMENT`; default `development`. */
  readonly environment?: Environment;
  /** env `COST_CENTER`; default: the tier. */
  readonly costCenter?: CostCenter;
  /** Base URL of the OTLP receiver; env `OTEL_EXPORTER_OTLP_ENDPOINT`; default the local hub. */
  readonly otlpEndpoint?: string;
  /** env `OTEL_EXPORTER_OTLP_PROTOCOL`; default `http/protobuf`. */
  readonly otlpProtocol?: OtlpProtocol;
  /**
   * Head-sampling ratio 0–1; env `OTEL_SAMPLING_RATIO` (or `OTEL_TRACES_SAMPLER_ARG`). Default 1:
   * every span goes to the collector or hub, whose tail sampler keeps errors, slow traces and
   * critical services. Below 1 saves export traffic but loses those guarantees.
   */
  readonly samplingRatio?: number;
  /** Export traces; env `OTEL_TRACES_EXPORTER=none` or `OTEL_SDK_DISABLED=true` turn it off. */
  readonly exportTraces?: boolean;
  /**
   * Also export log records over OTLP (off by default); env `OTEL_LOGS_EXPORTER=otlp`. Nothing
   * turns it on for you: `obs up --demo` forwards its services' stdout lines to the hub instead.
   */
  readonly exportLogs?: boolean;
  /** Minimum log level; env `LOG_LEVEL`; default INFO. */
  readonly logLevel?: LogLevel;
  /** Mask PII in log records before they are written (default true). */
  readonly maskLogs?: boolean;
  /** Verbose SDK diagnostics on stderr; env `OTEL_DEBUG`. */
  readonly debug?: boolean;
  /** Secret keying the HMAC of API keys; env `PYAIRTABLE_API_KEY_HMAC_SECRET` or `..._FILE`. */
  readonly apiKeyHmacSecret?: string;
  /** Spans held for export at most; beyond it spans are dropped and counted. env `OTEL_BSP_MAX_QUEUE_SIZE`. */
  readonly maxQueueSize?: number;
  /** Deadline for `shutdown()` to flush, in milliseconds (default 5000). */
  readonly shutdownTimeoutMs?: number;
  /** Flush and exit on SIGTERM (opt-in: the host usually owns its signals). */
  readonly handleSigterm?: boolean;
}

export interface ResolvedConfig {
  readonly serviceName: string;
  readonly serviceVersion: string;
  readonly serviceTier: ServiceTier;
  readonly environment: Environment;
  readonly costCenter: CostCenter;
  readonly otlpEndpoint: string;
  readonly otlpProtocol: OtlpProtocol;
  /** Full traces URL from OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, when set; wins over the base endpoint. */
  readonly tracesEndpoint: string | undefined;
  readonly samplingRatio: number;
  readonly exportTraces: boolean;
  readonly exportLogs: boolean;
  readonly logLevel: LogLevel;
  readonly maskLogs: boolean;
  readonly debug: boolean;
  /** Undefined when none was configured: a random per-process secret is used instead. */
  readonly apiKeyHmacSecret: string | undefined;
  readonly maxQueueSize: number;
  readonly shutdownTimeoutMs: number;
  readonly handleSigterm: boolean;
}

/** The local hub's OTLP/HTTP receiver; the collector in Compose sets the variable. */
export const DEFAULT_OTLP_HTTP_ENDPOINT = `http://127.0.0.1:${String(SPEC_PORTS.otlpHttp)}`;
export const DEFAULT_OTLP_GRPC_ENDPOINT = `http://127.0.0.1:${String(SPEC_PORTS.otlpGrpc)}`;

/** An entry of the option table; the settings code cannot pass are marked `envOnly`. */
export type OptionSpec<K extends keyof ResolvedConfig> = Setting<ResolvedConfig[K]> &
  (K extends keyof TelemetryOptions ? { readonly envOnly?: never } : { readonly envOnly: true });

const ENVIRONMENT_ALIASES: Readonly<Record<string, Environment>> = {
  dev: 'development',
  prod: 'production',
  stage: 'staging',
  test: 'development',
};

/**
 * Every setting `resolveConfig` returns, in the order it returns them: the variables it reads
 * (the first one set wins), its default and its kind. The README's configuration table lists
 * the same.
 */
export const OPTION_TABLE: { readonly [K in keyof ResolvedConfig]: OptionSpec<K> } = {
  serviceName: {
    env: ['SERVICE_NAME', 'OTEL_SERVICE_NAME'],
    // OpenTelemetry's own default, so the SDK and the hub name an unnamed service alike.
    default: UNKNOWN_SERVICE_NAME,
    kind: SERVICE_NAME,
    unsetWarning: `no service name given (option serviceName or SERVICE_NAME); using ${UNKNOWN_SERVICE_NAME}.`,
  },
  serviceVersion: { env: ['SERVICE_VERSION', 'npm_package_version'], default: 'unknown', kind: TEXT },
  serviceTier: { env: ['SERVICE_TIER'], default: 'application', kind: oneOf(SERVICE_TIERS) },
  environment: {
    env: ['ENVIRONMENT', 'NODE_ENV'],
    default: 'development',
    kind: oneOf(ENVIRONMENTS, (value) => ENVIRONMENT_ALIASES[value.toLowerCase()] ?? value.toLowerCase()),
  },
  costCenter: { env: ['COST_CENTER'], default: ({ get }) => get('serviceTier'), kind: oneOf(COST_CENTERS) },
  otlpEndpoint: {
    env: ['OTEL_EXPORTER_OTLP_ENDPOINT'],
    default: ({ get }) =>
      get('otlpProtocol') === 'grpc' ? DEFAULT_OTLP_GRPC_ENDPOINT : DEFAULT_OTLP_HTTP_ENDPOINT,
    kind: BASE_URL,
  },
  otlpProtocol: {
    env: ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL'],
    default: 'http/protobuf',
    kind: oneOf(OTLP_PROTOCOLS),
  },
  samplingRatio: {
    // The spec's own variable wins over OpenTelemetry's sampler.
    env: ['OTEL_SAMPLING_RATIO', 'OTEL_TRACES_SAMPLER'],
    default: ({ get }) => SAMPLING_POLICIES[get('environment')].headSamplingRatio,
    kind: RATIO,
    envKinds: { OTEL_TRACES_SAMPLER: TRACES_SAMPLER },
  },
  tracesEndpoint: {
    envOnly: true,
    env: ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'],
    default: undefined,
    kind: FULL_URL,
    fallbackNote: 'using the base endpoint',
  },
  exportTraces: {
    env: ['OTEL_TRACES_EXPORTER'],
    default: ({ read }) => !read(SDK_DISABLED),
    kind: OTLP_EXPORT,
  },
  // Off unless asked for: local mode forwards the demo services' stdout to the hub instead.
  exportLogs: { env: ['OTEL_LOGS_EXPORTER'], default: false, kind: OTLP_EXPORT },
  logLevel: { env: ['LOG_LEVEL'], default: 'INFO', kind: oneOf(LOG_LEVELS, (value) => value.toUpperCase()) },
  maskLogs: { env: [], default: true, kind: BOOLEAN },
  debug: { env: ['OTEL_DEBUG'], default: false, kind: BOOLEAN },
  apiKeyHmacSecret: {
    env: ['PYAIRTABLE_API_KEY_HMAC_SECRET', 'PYAIRTABLE_API_KEY_HMAC_SECRET_FILE'],
    default: undefined,
    kind: secretOrFile(16),
    fallbackNote: 'API key hashes use a per-process secret',
  },
  maxQueueSize: { env: ['OTEL_BSP_MAX_QUEUE_SIZE'], default: 2048, kind: integerIn(1, 1_000_000) },
  shutdownTimeoutMs: { env: [], default: 5000, kind: integerIn(0, 600_000) },
  handleSigterm: { env: [], default: false, kind: BOOLEAN },
};

const SETTING_NAMES = Object.keys(OPTION_TABLE) as readonly (keyof ResolvedConfig)[];
const KNOWN_OPTIONS = SETTING_NAMES.filter((name) => OPTION_TABLE[name].envOnly !== true);

/**
 * Resolved before the rest, in this order: other options' defaults read them, and the order
 * decides which of several bad options is reported.
 */
const RESOLVED_FIRST = ['environment', 'serviceTier', 'otlpProtocol'] as const;

/** Resolves options against the environment. Throws only for options given in code. */
export function resolveConfig(options: TelemetryOptions = {}, env: Env = process.env): ResolvedConfig {
  const input = options as Readonly<Record<string, unknown>>;
  rejectUnknownOptions(input);
  const { get, read } = sourcesFor(input, env);
  for (const name of RESOLVED_FIRST) get(name);
  // Read up front so that a bad value is reported even when code decides both exporters.
  read(SDK_DISABLED);
  return Object.fromEntries(SETTING_NAMES.map((name) => [name, get(name)])) as unknown as ResolvedConfig;
}

function rejectUnknownOptions(input: Readonly<Record<string, unknown>>): void {
  for (const key of Object.keys(input))
    if (!(KNOWN_OPTIONS as readonly string[]).includes(key))
      throw new TelemetryConfigError(key, input[key], `a known option: ${KNOWN_OPTIONS.join(', ')}`);
}

/** Each option resolved once, when first asked for, since defaults may read other options. */
function sourcesFor(input: Readonly<Record<string, unknown>>, env: Env): Sources {
  const resolved = new Map<keyof ResolvedConfig, unknown>();
  const sources: Sources = {
    get: (name) => {
      if (!resolved.has(name)) resolved.set(name, resolveOption(name, input[name], env, sources));
      return resolved.get(name) as ResolvedConfig[typeof name];
    },
    read: (setting) => fromEnvironment(setting, env, sources),
  };
  return sources;
}

/** An option's value: the one passed in code when there is one, else the environment's. */
function resolveOption<K extends keyof ResolvedConfig>(
  name: K,
  code: unknown,
  env: Env,
  sources: Sources,
): ResolvedConfig[K] {
  const option: Setting<ResolvedConfig[K]> = OPTION_TABLE[name];
  if (code === undefined) return fromEnvironment(option, env, sources);
  const reading = option.kind.fromCode(code);
  if (reading.ok) return reading.value;
  const { kind } = option;
  throw new TelemetryConfigError(
    name,
    kind.shown ? kind.shown(code) : code,
    kind.allowedInCode ?? kind.allowed,
  );
}

/** A setting's value from its first variable that is set, else its default. Never throws. */
function fromEnvironment<T>(setting: Setting<T>, env: Env, sources: Sources): T {
  const raw = firstSet(env, setting.env);
  if (raw === undefined) {
    if (setting.unsetWarning !== undefined) warnOnce(`env:${String(setting.env[0])}`, setting.unsetWarning);
    return defaultOf(setting, sources);
  }
  const kind = setting.envKinds?.[raw.name] ?? setting.kind;
  const reading = kind.fromEnv(raw, sources);
  if (reading.ok) return reading.value;
  const instead = kind.repair?.(raw.value) ?? defaultOf(setting, sources);
  const outcome = setting.fallbackNote ?? `using ${String(instead)}`;
  warnOnce(`env:${raw.name}`, refusalWarning(raw, reading.reason, kind.allowed, outcome));
  return instead;
}

/** The warning about a refused variable; a kind that gives its own reason keeps the value out. */
function refusalWarning(raw: EnvValue, reason: string | undefined, allowed: string, outcome: string): string {
  const subject = reason === undefined ? `${raw.name}=${JSON.stringify(raw.value)}` : raw.name;
  return `${subject} ${reason ?? `is not valid (allowed: ${allowed})`}; ${outcome}.`;
}

function firstSet(env: Env, names: readonly string[]): EnvValue | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value !== undefined && value !== '') return { name, value };
  }
  return undefined;
}

function defaultOf<T>(setting: Setting<T>, sources: Sources): T {
  return isDerived(setting.default) ? setting.default(sources) : setting.default;
}

const isDerived = <T>(value: T | ((sources: Sources) => T)): value is (sources: Sources) => T =>
  typeof value === 'function';
