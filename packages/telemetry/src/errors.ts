/**
 * The SDK's error catalog. Only `initTelemetry` throws, and only for options passed in code;
 * everything that happens while the host runs is caught, counted and reported once.
 */

export const TELEMETRY_ERROR_CODES = {
  /** An option passed to `initTelemetry` has a value outside what it accepts. */
  invalidOption: 'PYAIRTABLE_TELEMETRY_INVALID_OPTION',
  /** `initTelemetry` was called while an earlier handle is still running. */
  alreadyStarted: 'PYAIRTABLE_TELEMETRY_ALREADY_STARTED',
} as const;

export type TelemetryErrorCode = (typeof TELEMETRY_ERROR_CODES)[keyof typeof TELEMETRY_ERROR_CODES];

export class TelemetryConfigError extends Error {
  override readonly name = 'TelemetryConfigError';
  readonly code: TelemetryErrorCode;
  readonly option: string;
  readonly value: unknown;
  readonly allowed: string;

  constructor(
    option: string,
    value: unknown,
    allowed: string,
    code: TelemetryErrorCode = TELEMETRY_ERROR_CODES.invalidOption,
  ) {
    super(`initTelemetry: option ${option} is ${describe(value)}; allowed: ${allowed}.`);
    this.code = code;
    this.option = option;
    this.value = value;
    this.allowed = allowed;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined || value === null || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  return `a ${typeof value}`;
}

/** A readable message for anything thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return typeof error;
  }
}

/** What `span.recordException` accepts, for anything thrown. */
export function asException(error: unknown): Error | string {
  return error instanceof Error ? error : errorMessage(error);
}
