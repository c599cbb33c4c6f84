/**
 * The CLI's one error boundary: every error class a command can raise maps to an exit code and
 * a message that says what is wrong and how to fix it. Anything else is a bug (exit 1, with
 * the stack when OBS_DEBUG is set).
 */
import { ModelError, RenderDirectoryError, SecretsError } from '@pyairtable/stack';

/** Bad command line: unknown command or option, missing or invalid value. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const EXIT_CODES = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  configuration: 3,
  filesystem: 4,
  /** A running stack has a part that fails its check (status, verify, doctor), or a store failed an erasure. */
  unhealthy: 5,
  /** The command needs a running stack and there is none. */
  notRunning: 6,
} as const;

/** A command needs `obs up` running and it is not (or it crashed). */
export class NotRunningError extends Error {
  override readonly name = 'NotRunningError';
}

/** A part of the stack could not be started or switched (a demo service, a traffic fault). */
export class StartError extends Error {
  override readonly name = 'StartError';
}

/** A store refused or failed an erasure (`obs erase`): which, and what it said. */
export class ErasureError extends Error {
  override readonly name = 'ErasureError';
}

/** A file of settings the command reads (`obs cost --prices`) is unreadable or invalid: every problem named. */
export class ConfigurationFileError extends Error {
  override readonly name = 'ConfigurationFileError';
}

/** An engine the command reads from (Prometheus for `obs cost`) is unreachable or refused the query. */
export class SourceError extends Error {
  override readonly name = 'SourceError';
}

/** `obs up` cannot take a port it needs. */
export class PortsInUseError extends Error {
  override readonly name = 'PortsInUseError';
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError || error instanceof ModelError) return EXIT_CODES.usage;
  if (error instanceof SecretsError) return EXIT_CODES.configuration;
  if (error instanceof RenderDirectoryError) return EXIT_CODES.filesystem;
  if (error instanceof NotRunningError) return EXIT_CODES.notRunning;
  // The demo's TrafficError by name: the demo is loaded only by the commands that use it.
  if (error instanceof ErasureError || error instanceof SourceError) return EXIT_CODES.unhealthy;
  if (error instanceof ConfigurationFileError) return EXIT_CODES.configuration;
  if (error instanceof StartError || (error instanceof Error && error.name === 'TrafficError'))
    return EXIT_CODES.unhealthy;
  if (error instanceof PortsInUseError) return EXIT_CODES.configuration;
  if (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'string' &&
    /^E[A-Z]+$/.test(error.code)
  )
    return EXIT_CODES.filesystem;
  return EXIT_CODES.unexpected;
}
