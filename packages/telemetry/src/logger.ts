/**
 * Structured JSON logs on pino, written in the contract's record schema: `@timestamp`,
 * `service.*`, `log_level`, `message`, `category`, `trace.*` filled from the active span, and
 * the contract's optional objects (`http`, `cost`, `error`, `user`, ...). Any other field a
 * caller logs is moved under `attributes` (per record) or `context` (bound to a child logger),
 * flattened to scalar snake_case keys, so every line validates and indexes predictably.
 * With masking on (the default) PII is masked in the message and every field before the line
 * is written.
 */
import { trace } from '@opentelemetry/api';
import type { LogCategory, LogLevel, PiiMasker } from '@pyairtable/conventions';
import { LOG_FIELDS, LOG_LEVELS } from '@pyairtable/conventions';
import type { DestinationStream, Logger, LoggerOptions } from 'pino';
import { pino } from 'pino';

/** A pino logger writing contract records. */
export type TelemetryLogger = Logger;

/** Fields of the record a caller may pass as they are; everything else is moved. */
/**
 * Fields of the record a caller may pass as they are; everything else is moved. `category` is
 * not among them: it is bound once per category logger (`loggerFor`), so a caller's own
 * `category` field goes under `attributes` instead of duplicating it.
 */
const RECORD_FIELDS = new Set([
  'trace',
  'http',
  'cost',
  'error',
  'user',
  'tenant',
  'api_key',
  'event',
  'attributes',
  'context',
  'service',
]);

const kPinoChild = Symbol('pyairtable.log.pinoChild');
const NO_TRACE = Object.freeze({});
/**
 * Marks a record the SDK built itself from contract fields, already masked where it carries
 * outside input: it is written as it is. Symbol keys are never serialised by pino.
 */
export const kPrepared = Symbol('pyairtable.log.prepared');

const LEVEL_FIELDS = Object.fromEntries(
  LOG_LEVELS.map((level) => [level.toLowerCase(), { log_level: level }]),
) as Record<string, { log_level: LogLevel }>;

const snakeCase = (key: string): string =>
  key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_.]+/g, '_')
    .replace(/^[^a-z]+/, '');

/** Flattens a free-form value into scalar attributes under `prefix`. */
function flattenInto(
  target: Record<string, string | number | boolean>,
  prefix: string,
  value: unknown,
  depth = 0,
): void {
  if (prefix === '') return;
  if (value === null || value === undefined) return;
  if (typeof value === 'string' || typeof value === 'boolean') target[prefix] = value;
  else if (typeof value === 'number') target[prefix] = Number.isFinite(value) ? value : String(value);
  else if (typeof value === 'bigint') target[prefix] = value.toString();
  else if (value instanceof Date) target[prefix] = value.toISOString();
  else if (Array.isArray(value) || depth >= 3) target[prefix] = safeJson(value);
  else if (typeof value === 'object')
    for (const [key, child] of Object.entries(value))
      flattenInto(target, `${prefix}.${snakeCase(key)}`, child, depth + 1);
  else target[prefix] = typeof value === 'symbol' ? value.toString() : 'function';
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return '[unserialisable]';
  }
}

function errorField(error: unknown): { type: string; message: string; stack?: string } {
  if (error instanceof Error) {
    const field: { type: string; message: string; stack?: string } = {
      type: error.name === 'Error' ? error.constructor.name : error.name,
      message: error.message,
    };
    if (error.stack !== undefined) field.stack = error.stack;
    return field;
  }
  return { type: typeof error, message: typeof error === 'string' ? error : safeJson(error) };
}

/** Moves non-contract fields under `bucket` and converts `err` to the record's `error`. */
function restructure(
  object: Record<string, unknown>,
  bucket: 'attributes' | 'context',
): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  let extra: Record<string, string | number | boolean> | undefined;
  for (const key in object) {
    const value = object[key];
    const isError =
      key === 'err' || (key === 'error' && (value instanceof Error || typeof value !== 'object'));
    if (!isError && RECORD_FIELDS.has(key)) continue;
    out ??= Object.fromEntries(
      Object.entries(object).filter(([name]) => RECORD_FIELDS.has(name) && name !== 'error'),
    );
    if (isError) {
      out['error'] = errorField(value);
      continue;
    }
    extra ??= {};
    flattenInto(extra, snakeCase(key), value);
  }
  if (out === undefined) return object;
  if (extra !== undefined && Object.keys(extra).length > 0) {
    const existing = out[bucket];
    out[bucket] = typeof existing === 'object' && existing !== null ? { ...existing, ...extra } : extra;
  }
  return out;
}

export interface LoggerSettings {
  readonly serviceName: string;
  readonly serviceTier: string;
  readonly serviceVersion: string;
  readonly environment: string;
  readonly level: LogLevel;
  /** Undefined turns masking off. */
  readonly masker: PiiMasker | undefined;
  readonly destination: DestinationStream;
}

// The ISO timestamp changes once a millisecond; at thousands of records a second most share it.
let lastMillisecond = 0;
let lastTimestamp = '';
function isoTimestamp(): string {
  const now = Date.now();
  if (now !== lastMillisecond) {
    lastMillisecond = now;
    lastTimestamp = `,"${LOG_FIELDS.timestamp}":"${new Date(now).toISOString()}"`;
  }
  return lastTimestamp;
}

function activeTraceFields(): { trace: { id: string; span_id: string } } | undefined {
  const span = trace.getActiveSpan();
  if (span === undefined) return undefined;
  const { traceId, spanId } = span.spanContext();
  return { trace: { id: traceId, span_id: spanId } };
}

/** Creates the application-category logger; `loggerFor` gives the other categories. */
export function createLogger(settings: LoggerSettings): TelemetryLogger {
  const { masker } = settings;
  const options: LoggerOptions = {
    level: settings.level.toLowerCase(),
    messageKey: 'message',
    base: {
      service: {
        name: settings.serviceName,
        tier: settings.serviceTier,
        version: settings.serviceVersion,
        environment: settings.environment,
      },
    },
    timestamp: isoTimestamp,
    mixin: () => activeTraceFields() ?? NO_TRACE,
    // The record's own fields win over the mixin's (an explicit `trace` over the active span's);
    // the shared empty mixin object is never written to.
    mixinMergeStrategy: (mergeObject, mixinObject) =>
      mixinObject === NO_TRACE ? mergeObject : Object.assign(mixinObject, mergeObject),
    formatters: {
      level: (label) => LEVEL_FIELDS[label] ?? { log_level: 'INFO' },
      bindings: (bindings) => {
        const shaped = restructure(bindings, 'context');
        return (masker ? masker.maskValue(shaped) : shaped) as Record<string, unknown>;
      },
      log: (object) => {
        if ((object as Record<symbol, unknown>)[kPrepared] === true) return object;
        const shaped = restructure(object, 'attributes');
        return (masker ? masker.maskValue(shaped) : shaped) as Record<string, unknown>;
      },
    },
    hooks: masker
      ? {
          logMethod(args, method) {
            for (let index = 0; index < args.length; index++) {
              const arg: unknown = args[index];
              if (typeof arg === 'string') (args as unknown[])[index] = masker.maskString(arg);
            }
            method.apply(this, args);
          },
        }
      : {},
  };
  const root = pino(options, settings.destination);
  // pino applies formatters.bindings to the root's base only; children's bindings are shaped
  // and masked here. Children are created with Object.create(parent), so they inherit this.
  type ChildFunction = (this: Logger, bindings: Record<string, unknown>, childOptions?: unknown) => Logger;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the child's own `this`
  const pinoChild = root.child as unknown as ChildFunction;
  (root as unknown as Record<symbol, ChildFunction>)[kPinoChild] = pinoChild;
  (root as unknown as { child: ChildFunction }).child = function (this: Logger, bindings, childOptions) {
    const shaped = restructure(bindings, 'context');
    return pinoChild.call(
      this,
      masker ? (masker.maskValue(shaped) as Record<string, unknown>) : shaped,
      childOptions,
    );
  };
  return root;
}

/**
 * A child of the root `logger` writing records of `category`, bound once (the category costs
 * nothing per record). Call it on the root from `createLogger`, never on a category logger.
 */
export function loggerFor(logger: TelemetryLogger, category: LogCategory): TelemetryLogger {
  const pinoChild = (logger as unknown as Record<symbol, (this: Logger, bindings: object) => Logger>)[
    kPinoChild
  ];
  return pinoChild === undefined ? logger.child({ category }) : pinoChild.call(logger, { category });
}
