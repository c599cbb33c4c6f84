/**
 * The kinds of value `initTelemetry` options take. A kind checks a value passed in code and reads
 * one from an environment variable; the option table in config.ts names a kind for each option,
 * and the resolver there decides which source counts and what a refused value costs.
 */
import { SPEC_PORTS } from '@pyairtable/conventions';
import { readFileSync } from 'node:fs';
import { errorMessage } from './errors.js';
import type { ResolvedConfig } from './config.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** A variable that is set: its name and its value, trimmed and not empty. */
export interface EnvValue {
  readonly name: string;
  readonly value: string;
}

/**
 * A value taken, or refused. A refusal's `reason` replaces the standard "is not valid (allowed:
 * ...)", for kinds whose warnings must not repeat the value (secrets).
 */
export type Reading<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason?: string | undefined };

const accept = <T>(value: T): Reading<T> => ({ ok: true, value });
const refuse = (reason?: string): Reading<never> => ({ ok: false, reason });
const acceptIf = <T>(valid: boolean, value: T): Reading<T> => (valid ? accept(value) : refuse());

/** What reading a value may consult besides the value itself. */
export interface Sources {
  /** Another option's resolved value. */
  readonly get: <K extends keyof ResolvedConfig>(name: K) => ResolvedConfig[K];
  /** A setting read from the environment alone, warning and falling back as an option does. */
  readonly read: <T>(setting: Setting<T>) => T;
}

type UnparameterisedKind =
  'text' | 'boolean' | 'base-url' | 'full-url' | 'service-name' | 'exporter-list' | 'sampler';

/** What a kind is, for readers of the table and for tests that make up values of it. */
export type KindShape =
  | { readonly type: UnparameterisedKind }
  | { readonly type: 'enum'; readonly values: readonly string[] }
  | { readonly type: 'number'; readonly min: number; readonly max: number; readonly integer: boolean }
  | { readonly type: 'file-or-value'; readonly minLength: number };

/** How a variable's value is read. */
export type EnvKind<T> = KindShape & {
  /** What is allowed, as a warning about a variable says it. */
  readonly allowed: string;
  readonly fromEnv: (raw: EnvValue, sources: Sources) => Reading<T>;
  /** A usable value made from a refused one; used, with the warning, instead of the default. */
  readonly repair?: (value: string) => T | undefined;
};

/** How an option's value is read from a variable and checked when passed in code. */
export type Kind<T> = EnvKind<T> & {
  /** What is allowed, as the error about a value in code says it, when it says more. */
  readonly allowedInCode?: string;
  readonly fromCode: (value: unknown) => Reading<T>;
  /** What the error shows of a refused value, when the value itself must not be shown. */
  readonly shown?: (value: unknown) => unknown;
};

/** One setting: the variables it reads (the first one set wins), its default and its kind. */
export interface Setting<T> {
  readonly env: readonly string[];
  /** A value, or a function of other options for a default that follows them. */
  readonly default: T | ((sources: Sources) => T);
  readonly kind: Kind<T>;
  /** Variables whose values have a syntax of their own, like a sampler's name. */
  readonly envKinds?: Readonly<Record<string, EnvKind<T>>>;
  /** Warned when nothing sets it: the default works but is rarely what was meant. */
  readonly unsetWarning?: string;
  /** What a warning says is used instead, when the default's value would tell nothing. */
  readonly fallbackNote?: string;
}

export const TEXT: Kind<string> = {
  type: 'text',
  allowed: 'a non-empty string',
  fromCode: (value) => (typeof value === 'string' && value.trim() !== '' ? accept(value.trim()) : refuse()),
  fromEnv: ({ value }) => accept(value),
};

const TRUE_WORDS = ['true', '1', 'yes', 'on'];
const FALSE_WORDS = ['false', '0', 'no', 'off'];

export const BOOLEAN: Kind<boolean> = {
  type: 'boolean',
  allowed: 'true or false',
  fromCode: (value) => (typeof value === 'boolean' ? accept(value) : refuse()),
  fromEnv: ({ value }) => {
    const word = value.toLowerCase();
    if (TRUE_WORDS.includes(word)) return accept(true);
    return acceptIf(FALSE_WORDS.includes(word), false);
  },
};

/** One of `values`; a variable's value is normalised first (case, aliases). */
export function oneOf<T extends string>(
  values: readonly T[],
  normalise: (value: string) => string = (value) => value,
): Kind<T> {
  const isValue = (value: unknown): value is T => (values as readonly unknown[]).includes(value);
  const list = values.join(', ');
  return {
    type: 'enum',
    values,
    allowed: list,
    allowedInCode: `one of ${list}`,
    fromCode: (value) => (isValue(value) ? accept(value) : refuse()),
    fromEnv: ({ value }) => {
      const normalised = normalise(value);
      return isValue(normalised) ? accept(normalised) : refuse();
    },
  };
}

/** Plain decimal numbers only: `0x10`, `1e400` or `Infinity` in a variable are mistakes. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)$/;

function boundedNumber(min: number, max: number, integer: boolean): Kind<number> {
  const isAllowed = (value: unknown): value is number =>
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= min &&
    value <= max &&
    (!integer || Number.isInteger(value));
  return {
    type: 'number',
    min,
    max,
    integer,
    allowed: `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`,
    fromCode: (value) => (isAllowed(value) ? accept(value) : refuse()),
    fromEnv: ({ value }) => {
      const parsed = DECIMAL.test(value) ? Number(value) : Number.NaN;
      return isAllowed(parsed) ? accept(parsed) : refuse();
    },
  };
}

export const numberIn = (min: number, max: number): Kind<number> => boundedNumber(min, max, false);
export const integerIn = (min: number, max: number): Kind<number> => boundedNumber(min, max, true);
export const RATIO = numberIn(0, 1);

function httpUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

const isHttpUrl = (value: unknown): value is string => httpUrl(value) !== undefined;

/** Exporters append the signal's path to a base URL; a query or fragment there would break it. */
const isBaseUrl = (value: unknown): value is string => {
  const url = httpUrl(value);
  return url !== undefined && url.search === '' && url.hash === '';
};
const withoutTrailingSlashes = (value: string): string => value.replace(/\/+$/, '');

/** The OTLP receiver's base URL, without trailing slashes. */
export const BASE_URL: Kind<string> = {
  type: 'base-url',
  allowed: 'an http:// or https:// URL',
  allowedInCode: `an http:// or https:// URL such as http://otel-collector:${String(SPEC_PORTS.otlpHttp)}`,
  fromCode: (value) => (isBaseUrl(value) ? accept(withoutTrailingSlashes(value)) : refuse()),
  fromEnv: ({ value }) => (isBaseUrl(value) ? accept(withoutTrailingSlashes(value)) : refuse()),
};

/** A signal's own endpoint, used as it is: the exporter appends nothing to it. */
export const FULL_URL: Kind<string> = {
  type: 'full-url',
  allowed: 'an http:// or https:// URL',
  fromCode: (value) => (isHttpUrl(value) ? accept(value) : refuse()),
  fromEnv: ({ value }) => acceptIf(isHttpUrl(value), value),
};

const SERVICE_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
const isServiceName = (value: unknown): value is string =>
  typeof value === 'string' && SERVICE_NAME_PATTERN.test(value);

export const SERVICE_NAME: Kind<string> = {
  type: 'service-name',
  allowed: 'a lower-case name like "api-gateway" (letters, digits, ".", "_", "-")',
  fromCode: (value) => (isServiceName(value) ? accept(value) : refuse()),
  fromEnv: ({ value }) => acceptIf(isServiceName(value), value),
  // `API Gateway` in a deployment variable surely means `api-gateway`, not the default name.
  repair: (value) => {
    const repaired = value.toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
    return isServiceName(repaired) ? repaired : undefined;
  },
};

/**
 * A secret given as its value or, in a variable named `..._FILE`, as the path of a file holding it
 * (how Docker and Kubernetes mount secrets). Errors and warnings never show the value.
 */
export function secretOrFile(minLength: number): Kind<string> {
  return {
    type: 'file-or-value',
    minLength,
    allowed: `a string of at least ${minLength} characters`,
    fromCode: (value) => (typeof value === 'string' && value.length >= minLength ? accept(value) : refuse()),
    shown: (value) => (typeof value === 'string' ? '(a short string)' : value),
    fromEnv: ({ name, value }) => {
      if (name.endsWith('_FILE')) return readSecretFile(value);
      return value.length >= minLength ? accept(value) : refuse(`is shorter than ${minLength} characters`);
    },
  };
}

function readSecretFile(path: string): Reading<string> {
  try {
    const secret = readFileSync(path, 'utf8').trim();
    return secret !== '' ? accept(secret) : refuse('points to an empty file');
  } catch (error) {
    return refuse(`cannot be read (${errorMessage(error)})`);
  }
}

/** OTEL_SDK_DISABLED=true turns export off wherever code does not turn it on. */
export const SDK_DISABLED: Setting<boolean> = { env: ['OTEL_SDK_DISABLED'], default: false, kind: BOOLEAN };

/** On or off in code; in a variable, an OTEL_*_EXPORTER list (comma-separated, any case) naming `otlp`. */
export const OTLP_EXPORT: Kind<boolean> = {
  type: 'exporter-list',
  allowed: 'a comma-separated list of exporters',
  allowedInCode: BOOLEAN.allowed,
  fromCode: BOOLEAN.fromCode,
  fromEnv: ({ value }, { read }) => {
    const exporters = value
      .toLowerCase()
      .split(',')
      .map((item) => item.trim());
    return accept(!read(SDK_DISABLED) && exporters.includes('otlp'));
  },
};

/** The ratio samplers' argument; OpenTelemetry samples everything when it is missing or bad. */
const SAMPLER_ARG: Setting<number> = { env: ['OTEL_TRACES_SAMPLER_ARG'], default: 1, kind: RATIO };

/** OpenTelemetry's OTEL_TRACES_SAMPLER, as the head-sampling ratio it amounts to. */
export const TRACES_SAMPLER: EnvKind<number> = {
  type: 'sampler',
  allowed: 'always_on, always_off, traceidratio and their parentbased_ forms',
  fromEnv: ({ value }, { read }) => {
    switch (value.toLowerCase()) {
      case 'always_on':
      case 'parentbased_always_on':
        return accept(1);
      case 'always_off':
      case 'parentbased_always_off':
        return accept(0);
      case 'traceidratio':
      case 'parentbased_traceidratio':
        return accept(read(SAMPLER_ARG));
      default:
        return refuse();
    }
  },
};
