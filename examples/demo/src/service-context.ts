/** What every instrumented demo service is given at start, and what it hands back. */
import type { Telemetry } from '@pyairtable/telemetry';
import type { FaultSwitch } from './faults.js';

export interface ServiceContext {
  readonly telemetry: Telemetry;
  readonly faults: FaultSwitch;
  readonly host: string;
  readonly port: number;
}

export interface Listening {
  /** The port bound (the one asked for, or the free one picked for 0). */
  readonly port: number;
  /** Stops accepting requests and closes the listener. */
  close(): Promise<void>;
}

/**
 * A service whose configuration has been read and checked: reading happens before telemetry
 * starts, so a bad variable stops the process before anything is half started.
 */
export type PreparedService = (context: ServiceContext) => Promise<Listening>;
