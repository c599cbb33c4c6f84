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
import { readFileSync } from 'node:fs';
import { TelemetryConfigError, errorMessage } from './errors.js';
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
const SERVICE_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
/** Plain decimal numbers only: `0x10`, `1e400` or `Infinity` in a variable are mistakes. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)$/;

type Env = Readonly<Record<string, string | undefined>>;

function fromEnv(env: Env, names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value !== undefined && value !== '') return { name, value };
  }
  return undefined;
}

function badEnv(name: string, value: string, allowed: string, fallback: unknown): void {
  warnOnce(
    `env:${name}`,
    `${name}=${JSON.stringify(value)} is not valid (allowed: ${allowed}); using ${String(fallback)}.`,
  );
}

function oneOf<T extends string>(
  option: string,
  code: unknown,
  allowed: readonly T[],
  env: Env,
  envNames: readonly string[],
  fallback: T,
  normalise: (value: string) => string = (value) => value,
): T {
  const list = allowed.join(', ');
  if (code !== undefined) {
    if (typeof code === 'string' && (allowed as readonly string[]).includes(code)) return code as T;
    throw new TelemetryConfigError(option, code, `one of ${list}`);
  }
  const raw = fromEnv(env, envNames);
  if (raw === undefined) return fallback;
  const value = normalise(raw.value);
  if ((allowed as readonly string[]).includes(value)) return value as T;
  badEnv(raw.name, raw.value, list, fallback);
  return fallback;
}

function bool(
  option: string,
  code: unknown,
  env: Env,
  envNames: readonly string[],
  fallback: boolean,
): boolean {
  if (code !== undefined) {
    if (typeof code === 'boolean') return code;
    throw new TelemetryConfigError(option, code, 'true or false');
  }
  const raw = fromEnv(env, envNames);
  if (raw === undefined) return fallback;
  const value = raw.value.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  badEnv(raw.name, raw.value, 'true or false', fallback);
  return fallback;
}

function numberIn(
  option: string,
  code: unknown,
  env: Env,
  envNames: readonly string[],
  fallback: number,
  min: number,
  max: number,
  integer: boolean,
): number {
  const allowed = `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`;
  const valid = (value: number): boolean =>
    Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value));
  if (code !== undefined) {
    if (typeof code === 'number' && valid(code)) return code;
    throw new TelemetryConfigError(option, code, allowed);
  }
  const raw = fromEnv(env, envNames);
  if (raw === undefined) return fallback;
  const value = DECIMAL.test(raw.value) ? Number(raw.value) : Number.NaN;
  if (valid(value)) return value;
  badEnv(raw.name, raw.value, allowed, fallback);
  return fallback;
}

function url(option: string, code: unknown, env: Env, envNames: readonly string[], fallback: string): string {
  const valid = (value: string): boolean => {
    try {
      const parsed = new URL(value);
      return (
        (parsed.protocol === 'http:' || parsed.protocol === 'https:') &&
        parsed.search === '' &&
        parsed.hash === ''
      );
    } catch {
      return false;
    }
  };
  if (code !== undefined) {
    if (typeof code === 'string' && valid(code)) return code.replace(/\/+$/, '');
    throw new TelemetryConfigError(
      option,
      code,
      `an http:// or https:// URL such as http://otel-collector:${String(SPEC_PORTS.otlpHttp)}`,
    );
  }
  const raw = fromEnv(env, envNames);
  if (raw === undefined) return fallback;
  if (valid(raw.value)) return raw.value.replace(/\/+$/, '');
  badEnv(raw.name, raw.value, 'an http:// or https:// URL', fallback);
  return fallback;
}

function serviceName(code: unknown, env: Env): string {
  const allowed = 'a lower-case name like "api-gateway" (letters, digits, ".", "_", "-")';
  if (code !== undefined) {
    if (typeof code === 'string' && SERVICE_NAME_PATTERN.test(code)) return code;
    throw new TelemetryConfigError('serviceName', code, allowed);
  }
  const raw = fromEnv(env, ['SERVICE_NAME', 'OTEL_SERVICE_NAME']);
  // OpenTelemetry's own default, so the SDK and the hub name an unnamed service alike.
  const fallback = UNKNOWN_SERVICE_NAME;
  if (raw === undefined) {
    warnOnce(
      'env:SERVICE_NAME',
      `no service name given (option serviceName or SERVICE_NAME); using ${fallback}.`,
    );
    return fallback;
  }
  if (SERVICE_NAME_PATTERN.test(raw.value)) return raw.value;
  const normalised = raw.value.toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
  if (SERVICE_NAME_PATTERN.test(normalised)) {
    badEnv(raw.name, raw.value, allowed, normalised);
    return normalised;
  }
  badEnv(raw.name, raw.value, allowed, fallback);
  return fallback;
}

function text(
  option: string,
  code: unknown,
  env: Env,
  envNames: readonly string[],
  fallback: string,
): string {
  if (code !== undefined) {
    if (typeof code === 'string' && code.trim() !== '') return code.trim();
    throw new TelemetryConfigError(option, code, 'a non-empty string');
  }
  return fromEnv(env, envNames)?.value ?? fallback;
}

function secret(code: unknown, env: Env): string | undefined {
  if (code !== undefined) {
    if (typeof code === 'string' && code.length >= 16) return code;
    throw new TelemetryConfigError(
      'apiKeyHmacSecret',
      typeof code === 'string' ? '(a short string)' : code,
      'a string of at least 16 characters',
    );
  }
  const direct = fromEnv(env, ['PYAIRTABLE_API_KEY_HMAC_SECRET']);
  if (direct !== undefined) {
    if (direct.value.length >= 16) return direct.value;
    warnOnce(
      'env:hmac',
      `${direct.name} is shorter than 16 characters; API key hashes use a per-process secret.`,
    );
    return undefined;
  }
  const file = fromEnv(env, ['PYAIRTABLE_API_KEY_HMAC_SECRET_FILE']);
  if (file === undefined) return undefined;
  try {
    const value = readFileSync(file.value, 'utf8').trim();
    if (value !== '') return value;
    warnOnce(
      'env:hmac-file',
      `${file.name} points to an empty file; API key hashes use a per-process secret.`,
    );
  } catch (error) {
    warnOnce(
      'env:hmac-file',
      `${file.name} cannot be read (${errorMessage(error)}); API key hashes use a per-process secret.`,
    );
  }
  return undefined;
}

/**
 * The spec's OTEL_SAMPLING_RATIO first; otherwise the standard OTEL_TRACES_SAMPLER, whose
 * OTEL_TRACES_SAMPLER_ARG counts only for the ratio samplers.
 */
function samplingRatio(code: unknown, env: Env, fallback: number): number {
  if (code !== undefined || fromEnv(env, ['OTEL_SAMPLING_RATIO']) !== undefined)
    return numberIn('samplingRatio', code, env, ['OTEL_SAMPLING_RATIO'], fallback, 0, 1, false);
  const sampler = fromEnv(env, ['OTEL_TRACES_SAMPLER']);
  if (sampler === undefined) return fallback;
  switch (sampler.value.toLowerCase()) {
    case 'always_on':
    case 'parentbased_always_on':
      return 1;
    case 'always_off':
    case 'parentbased_always_off':
      return 0;
    case 'traceidratio':
    case 'parentbased_traceidratio':
      return numberIn('samplingRatio', undefined, env, ['OTEL_TRACES_SAMPLER_ARG'], 1, 0, 1, false);
    default:
      badEnv(
        sampler.name,
        sampler.value,
        'always_on, always_off, traceidratio and their parentbased_ forms',
        fallback,
      );
      return fallback;
  }
}

/** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is a full URL used as it is (unlike the base endpoint). */
function tracesEndpoint(env: Env): string | undefined {
  const raw = fromEnv(env, ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']);
  if (raw === undefined) return undefined;
  try {
    const parsed = new URL(raw.value);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return raw.value;
  } catch {
    // Reported below.
  }
  badEnv(raw.name, raw.value, 'an http:// or https:// URL', 'the base endpoint');
  return undefined;
}

const KNOWN_OPTIONS: readonly (keyof TelemetryOptions)[] = [
  'serviceName',
  'serviceVersion',
  'serviceTier',
  'environment',
  'costCenter',
  'otlpEndpoint',
  'otlpProtocol',
  'samplingRatio',
  'exportTraces',
  'exportLogs',
  'logLevel',
  'maskLogs',
  'debug',
  'apiKeyHmacSecret',
  'maxQueueSize',
  'shutdownTimeoutMs',
  'handleSigterm',
];

/** Resolves options against the environment. Throws only for options given in code. */
export function resolveConfig(options: TelemetryOptions = {}, env: Env = process.env): ResolvedConfig {
  const input = options as Record<string, unknown>;
  for (const key of Object.keys(input))
    if (!(KNOWN_OPTIONS as readonly string[]).includes(key))
      throw new TelemetryConfigError(key, input[key], `a known option: ${KNOWN_OPTIONS.join(', ')}`);
  const environment = oneOf(
    'environment',
    input['environment'],
    ENVIRONMENTS,
    env,
    ['ENVIRONMENT', 'NODE_ENV'],
    'development',
    (value) =>
      ({ dev: 'development', prod: 'production', stage: 'staging', test: 'development' })[
        value.toLowerCase()
      ] ?? value.toLowerCase(),
  );
  const serviceTier = oneOf(
    'serviceTier',
    input['serviceTier'],
    SERVICE_TIERS,
    env,
    ['SERVICE_TIER'],
    'application',
  );
  const otlpProtocol = oneOf(
    'otlpProtocol',
    input['otlpProtocol'],
    OTLP_PROTOCOLS,
    env,
    ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL'],
    'http/protobuf',
  );
  const sdkDisabled = bool('exportTraces', undefined, env, ['OTEL_SDK_DISABLED'], false);
  // OTEL_*_EXPORTER are comma-separated lists (`otlp`, `none`, `console`), case-insensitive.
  const exporters = (name: string): string[] | undefined =>
    fromEnv(env, [name])
      ?.value.toLowerCase()
      .split(',')
      .map((item) => item.trim());
  const tracesExporters = exporters('OTEL_TRACES_EXPORTER');
  const logsExporters = exporters('OTEL_LOGS_EXPORTER');
  return {
    serviceName: serviceName(input['serviceName'], env),
    serviceVersion: text(
      'serviceVersion',
      input['serviceVersion'],
      env,
      ['SERVICE_VERSION', 'npm_package_version'],
      'unknown',
    ),
    serviceTier,
    environment,
    costCenter: oneOf('costCenter', input['costCenter'], COST_CENTERS, env, ['COST_CENTER'], serviceTier),
    otlpEndpoint: url(
      'otlpEndpoint',
      input['otlpEndpoint'],
      env,
      ['OTEL_EXPORTER_OTLP_ENDPOINT'],
      otlpProtocol === 'grpc' ? DEFAULT_OTLP_GRPC_ENDPOINT : DEFAULT_OTLP_HTTP_ENDPOINT,
    ),
    otlpProtocol,
    samplingRatio: samplingRatio(
      input['samplingRatio'],
      env,
      SAMPLING_POLICIES[environment].headSamplingRatio,
    ),
    tracesEndpoint: tracesEndpoint(env),
    exportTraces:
      input['exportTraces'] !== undefined
        ? bool('exportTraces', input['exportTraces'], env, [], true)
        : !sdkDisabled && (tracesExporters === undefined || tracesExporters.includes('otlp')),
    exportLogs:
      input['exportLogs'] !== undefined
        ? bool('exportLogs', input['exportLogs'], env, [], false)
        : !sdkDisabled && logsExporters?.includes('otlp') === true,
    logLevel: oneOf('logLevel', input['logLevel'], LOG_LEVELS, env, ['LOG_LEVEL'], 'INFO', (value) =>
      value.toUpperCase(),
    ),
    maskLogs: bool('maskLogs', input['maskLogs'], env, [], true),
    debug: bool('debug', input['debug'], env, ['OTEL_DEBUG'], false),
    apiKeyHmacSecret: secret(input['apiKeyHmacSecret'], env),
    maxQueueSize: numberIn(
      'maxQueueSize',
      input['maxQueueSize'],
      env,
      ['OTEL_BSP_MAX_QUEUE_SIZE'],
      2048,
      1,
      1_000_000,
      true,
    ),
    shutdownTimeoutMs: numberIn(
      'shutdownTimeoutMs',
      input['shutdownTimeoutMs'],
      env,
      [],
      5000,
      0,
      600_000,
      true,
    ),
    handleSigterm: bool('handleSigterm', input['handleSigterm'], env, [], false),
  };
}
