/**
 * Checks of caller-supplied record parts, compiled once from the contract's schemas. The logger
 * asks, for every record, whether each field is a contract part in its contract shape; Ajv's
 * compiled checks answer that several times faster than the zod schemas they are generated
 * from (bench/logger.mjs), with the same answers (a test compares them on a corpus).
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { LogRecordPart } from '@pyairtable/conventions';
import { LOG_RECORD_PARTS, logRecordPartJsonSchemas } from '@pyairtable/conventions';

export type PartCheck = (value: unknown) => boolean;

export function compilePartChecks(): Readonly<Record<LogRecordPart, PartCheck>> {
  const ajv = new Ajv2020({ strict: false, strictNumbers: true, allErrors: false, validateFormats: false });
  const checks = {} as Record<LogRecordPart, PartCheck>;
  for (const [part, schema] of Object.entries(logRecordPartJsonSchemas()) as [
    LogRecordPart,
    Record<string, unknown>,
  ][]) {
    try {
      const validate = ajv.compile(schema);
      checks[part] = (value) => validate(value);
    } catch {
      // A schema Ajv cannot compile keeps the zod check: slower, never wrong.
      const zod = LOG_RECORD_PARTS[part];
      checks[part] = (value) => zod.safeParse(value).success;
    }
  }
  return checks;
}

/**
 * One check for a whole set of fields: true when every field is a contract part in its contract
 * shape (the common case, decided in one compiled call instead of one per field).
 */
export function compileAllPartsCheck(): PartCheck {
  const properties: Record<string, unknown> = {};
  for (const [part, schema] of Object.entries(logRecordPartJsonSchemas())) {
    const { $schema: _dialect, ...rest } = schema;
    properties[part] = rest;
  }
  try {
    const validate = new Ajv2020({
      strict: false,
      strictNumbers: true,
      allErrors: false,
      validateFormats: false,
    }).compile({
      type: 'object',
      properties,
      additionalProperties: false,
    });
    return (value) => validate(value);
  } catch {
    const checks = compilePartChecks();
    return (value) =>
      typeof value === 'object' &&
      value !== null &&
      Object.entries(value).every(
        ([key, field]) =>
          Object.prototype.hasOwnProperty.call(checks, key) && checks[key as LogRecordPart](field),
      );
  }
}

/** Compiled once per process, on first use. */
let compiled:
  { readonly each: Readonly<Record<LogRecordPart, PartCheck>>; readonly all: PartCheck } | undefined;
export const partChecks = (): Readonly<Record<LogRecordPart, PartCheck>> =>
  (compiled ??= { each: compilePartChecks(), all: compileAllPartsCheck() }).each;
export const allPartsCheck = (): PartCheck =>
  (compiled ??= { each: compilePartChecks(), all: compileAllPartsCheck() }).all;
