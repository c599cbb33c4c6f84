/**
 * Structured JSON logs on pino, written in the contract's record schema: `@timestamp`,
 * `service.*`, `log_level`, `message`, `category`, `trace.*` filled from the active span, and
 * the contract's optional parts (`http`, `cost`, `error`, `user`, ...). A part a caller passes
 * in the wrong shape, and any field that is not a part, is flattened into `attributes` (per
 * record) or `context` (bound to a child logger) as scalar snake_case keys, so every line
 * validates and indexes predictably. With masking on (the default) PII is masked in the
 * message and in every field before the line is written. Nothing here throws into the caller:
 * a record that cannot be shaped is written as a minimal record saying so.
 */
import { trace } from '@opentelemetry/api';
import type { LogCategory, LogLevel, LogRecordPart, PiiMasker } from '@pyairtable/conventions';
import { LOG_FIELDS, LOG_LEVELS, LOG_RECORD_PARTS } from '@pyairtable/conventions';
import type { DestinationStream, Logger, LoggerOptions } from 'pino';
import { pino } from 'pino';
import { format } from 'node:util';
import type { ServiceIdentity } from './identity.js';
import { allPartsCheck, partChecks } from './log-parts.js';
import { warnOnce } from './warnings.js';

/** A pino logger writing contract records. */
export type TelemetryLogger = Logger;

type Scalar = string | number | boolean;

/** Fields bound to a child logger, merged into each record by the mixin (never as pino chindings). */
const kBound = Symbol('pyairtable.log.bound');
const kPinoChild = Symbol('pyairtable.log.pinoChild');
const NOTHING = Object.freeze({});
/**
 * Marks a record the SDK built itself from contract parts, already masked where it carries
 * outside input, naming its own trace, with a message built from its parts: it is written as it
 * is. Symbol keys are never serialised by pino.
 */
export const kPrepared = Symbol('pyairtable.log.prepared');

const LEVEL_FIELDS = Object.fromEntries(
  LOG_LEVELS.map((level) => [level.toLowerCase(), { log_level: level }]),
) as Record<string, { log_level: LogLevel }>;

/** `requestId` → `request_id`; keys not starting with a letter get an `n` (`123` → `n123`). */
function snakeCase(key: string): string {
  const snake = key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_.]+/g, '_');
  return /^[a-z]/.test(snake) ? snake : `n${snake.replace(/^[^a-z0-9]+/, '')}`;
}

function safeJson(value: unknown): string {
  try {
    // JSON.stringify returns undefined (despite its type) for undefined, functions and symbols.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    return JSON.stringify(value) ?? String(value);
  } catch {
    return '[unserialisable]';
  }
}

/** Flattens a free-form value into scalar entries under `prefix`. */
function flattenInto(target: Record<string, Scalar>, prefix: string, value: unknown, depth = 0): void {
  if (value === null || value === undefined) return;
  if (typeof value === 'string' || typeof value === 'boolean') target[prefix] = value;
  else if (typeof value === 'number') target[prefix] = Number.isFinite(value) ? value : String(value);
  else if (typeof value === 'bigint') target[prefix] = value.toString();
  else if (value instanceof Date)
    target[prefix] = Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  else if (value instanceof Error) target[prefix] = `${value.name}: ${value.message}`;
  else if (Array.isArray(value) || depth >= 3) target[prefix] = safeJson(value);
  else if (typeof value === 'object')
    for (const key of Object.keys(value))
      flattenInto(target, `${prefix}.${snakeCase(key)}`, (value as Record<string, unknown>)[key], depth + 1);
  else target[prefix] = typeof value === 'symbol' ? value.toString() : typeof value;
}

function errorField(error: unknown): { type: string; message: string; stack?: string } {
  if (error instanceof Error) {
    const field: { type: string; message: string; stack?: string } = {
      type: (error.name === 'Error' ? error.constructor.name : error.name) || 'Error',
      message: error.message,
    };
    if (error.stack !== undefined) field.stack = error.stack;
    return field;
  }
  return { type: typeof error, message: typeof error === 'string' ? error : safeJson(error) };
}

const isPart = (key: string): key is LogRecordPart =>
  Object.prototype.hasOwnProperty.call(LOG_RECORD_PARTS, key);

/**
 * Keeps the contract parts that have their contract shape; converts `err` (and an `error`
 * that is an Error or otherwise ill-shaped) to the record's `error`; flattens everything else
 * into `bucket`.
 */
function shape(object: Record<string, unknown>, bucket: 'attributes' | 'context'): Record<string, unknown> {
  if (allPartsCheck()(object)) return object;
  const checks = partChecks();
  const out: Record<string, unknown> = {};
  const extra: Record<string, Scalar> = {};
  for (const key of Object.keys(object)) {
    const value = object[key];
    if (value === undefined) continue;
    if (key === 'err' || (key === 'error' && !checks.error(value))) {
      if (value !== null) out['error'] = errorField(value);
      continue;
    }
    if (isPart(key) && checks[key](value)) {
      out[key] =
        key === bucket && typeof out[key] === 'object'
          ? { ...(out[key] as object), ...(value as object) }
          : value;
      continue;
    }
    if (key === 'attributes' || key === 'context') {
      // Ill-shaped free-form fields: flatten their entries, keeping their names.
      if (typeof value === 'object' && value !== null)
        for (const entry of Object.keys(value))
          flattenInto(extra, snakeCase(entry), (value as Record<string, unknown>)[entry]);
      continue;
    }
    flattenInto(extra, snakeCase(key), value);
  }
  if (Object.keys(extra).length > 0)
    out[bucket] = { ...(out[bucket] as Record<string, Scalar> | undefined), ...extra };
  return out;
}

export interface LoggerSettings {
  /** Written as every record's `service` part. */
  readonly identity: Pick<ServiceIdentity, 'name' | 'tier' | 'version' | 'environment'>;
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

const UNSHAPEABLE = { attributes: { telemetry_note: 'the record could not be shaped and was reduced' } };

/** Creates the root logger; `loggerFor` gives the per-category loggers services use. */
export function createLogger(settings: LoggerSettings): TelemetryLogger {
  const { masker } = settings;
  const mask = <T>(value: T): T => (masker === undefined ? value : (masker.maskValue(value) as T));
  const maskText = (text: string): string => (masker === undefined ? text : masker.maskString(text));

  const options: LoggerOptions = {
    level: settings.level.toLowerCase(),
    messageKey: 'message',
    base: {
      service: {
        name: settings.identity.name,
        tier: settings.identity.tier,
        version: settings.identity.version,
        environment: settings.identity.environment,
      },
    },
    timestamp: isoTimestamp,
    mixin(object: object, _level: number, logger: unknown) {
      const bound = (logger as Record<symbol, Record<string, unknown> | undefined>)[kBound];
      // A prepared record names its own trace.
      if (bound === undefined && (object as Record<symbol, unknown>)[kPrepared] === true) return NOTHING;
      const span = trace.getActiveSpan();
      if (bound === undefined && span === undefined) return NOTHING;
      const fields: Record<string, unknown> = { ...bound };
      if (span !== undefined) {
        const { traceId, spanId } = span.spanContext();
        fields['trace'] = { id: traceId, span_id: spanId };
      }
      return fields;
    },
    // The record's own fields win over the mixin's (an explicit `trace` over the active span's);
    // the shared empty mixin object is never written to.
    mixinMergeStrategy: (mergeObject, mixinObject) =>
      mixinObject === NOTHING ? mergeObject : Object.assign(mixinObject, mergeObject),
    formatters: {
      level: (label) => LEVEL_FIELDS[label] ?? { log_level: 'INFO' },
      log: (object) => {
        if ((object as Record<symbol, unknown>)[kPrepared] === true) return object;
        try {
          return mask(shape(object, 'attributes'));
        } catch (error) {
          warnOnce(
            'log-shape',
            `a log record could not be shaped (${safeJson(String(error))}); it was reduced`,
          );
          return UNSHAPEABLE;
        }
      },
    },
    hooks: {
      // pino derives a missing message from `err` after this hook and interpolates `%s`/`%o`
      // arguments itself; the message is built here instead, so that it is always present
      // and always masked.
      logMethod(args, method) {
        // The two common forms, without allocating.
        if (args.length === 1 && typeof args[0] === 'string') {
          method.call(this, maskText(args[0]));
          return;
        }
        if (
          args.length === 2 &&
          typeof args[1] === 'string' &&
          typeof args[0] === 'object' &&
          args[0] !== null
        ) {
          // A prepared record's message is built from its own parts, never from outside input.
          const prepared = (args[0] as Record<symbol, unknown>)[kPrepared] === true;
          method.call(this, args[0], prepared ? args[1] : maskText(args[1]));
          return;
        }
        try {
          const [first, ...rest] = args as unknown[];
          let object: unknown;
          let message: string | undefined;
          // Interpolated objects are masked by key before they become text (`%o` of {password}).
          const interpolate = (template: string, values: unknown[]): string =>
            values.length > 0 ? format(template, ...values.map((value) => mask(value))) : template;
          if (typeof first === 'string') message = interpolate(first, rest);
          else {
            object = first;
            const [second, ...more] = rest;
            if (typeof second === 'string') message = interpolate(second, more);
            else if (first instanceof Error) message = first.message;
            else if (typeof first === 'object' && first !== null) {
              const record = first as Record<string, unknown>;
              if (typeof record['message'] === 'string') {
                message = record['message'];
                const { message: _message, ...others } = record;
                object = others;
              } else if (record['err'] instanceof Error) message = record['err'].message;
            }
          }
          const text = maskText(message ?? '');
          if (object === undefined) method.call(this, text);
          else method.call(this, object as object, text);
        } catch (error) {
          warnOnce('log-method', `a log call could not be formatted (${safeJson(String(error))})`);
          try {
            method.call(this, '[log record could not be formatted]');
          } catch {
            // Logging is never the host's problem.
          }
        }
      },
    },
  };
  const root = pino(options, settings.destination);

  type ChildFunction = (this: Logger, bindings: Record<string, unknown>, childOptions?: unknown) => Logger;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the child's own `this`
  const pinoChild = root.child as unknown as ChildFunction;
  (root as unknown as Record<symbol, ChildFunction>)[kPinoChild] = pinoChild;
  // Children keep their bindings shaped and masked in kBound, merged with their parent's (a
  // nested child's `context` extends its parent's instead of repeating the key in the line).
  (root as unknown as { child: ChildFunction }).child = function (this: Logger, bindings, childOptions) {
    const child = pinoChild.call(this, {}, childOptions);
    try {
      const parent = (this as unknown as Record<symbol, Record<string, unknown> | undefined>)[kBound] ?? {};
      const own = mask(shape(bindings, 'context'));
      const merged: Record<string, unknown> = { ...parent, ...own };
      if (parent['context'] !== undefined && own['context'] !== undefined)
        merged['context'] = { ...(parent['context'] as object), ...(own['context'] as object) };
      (child as unknown as Record<symbol, Record<string, unknown>>)[kBound] = merged;
    } catch (error) {
      warnOnce('log-child', `child logger bindings ignored (${safeJson(String(error))})`);
    }
    return child;
  };
  return root;
}

/**
 * A child of the root `logger` writing records of `category`, bound once as pino bindings (the
 * category costs nothing per record). Call it on the root from `createLogger`.
 */
export function loggerFor(logger: TelemetryLogger, category: LogCategory): TelemetryLogger {
  const pinoChild = (
    logger as unknown as Record<symbol, ((this: Logger, bindings: object) => Logger) | undefined>
  )[kPinoChild];
  return pinoChild === undefined ? logger.child({ category }) : pinoChild.call(logger, { category });
}
