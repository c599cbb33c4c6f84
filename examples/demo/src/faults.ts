/**
 * Fault switches: what `POST /demo/faults` turns on in a running service so that the stack has
 * incidents to show (error bursts, slow responses, a cost spike, failing workflows). Framework
 * neutral: each service maps `handleFaultsRequest` and `beforeRequest` onto its own router.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface FaultLimit {
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
  /** The value meaning "no fault". */
  readonly off: number;
  readonly description: string;
}

/** Every switch, its range and its neutral value. */
export const FAULT_LIMITS = {
  errorRate: {
    min: 0,
    max: 1,
    integer: false,
    off: 0,
    description: 'share of requests answered 500 with the exception recorded',
  },
  latencyMs: {
    min: 0,
    max: 30_000,
    integer: true,
    off: 0,
    description: 'delay added to every request, in milliseconds',
  },
  aiTokensMultiplier: {
    min: 1,
    max: 100,
    integer: false,
    off: 1,
    description: 'how many times the retrieved context is sent to the model (tokens and cost grow with it)',
  },
  workflowFailureRate: {
    min: 0,
    max: 1,
    integer: false,
    off: 0,
    description: 'share of workflow runs that fail at their last step',
  },
} as const satisfies Record<string, FaultLimit>;

export type FaultName = keyof typeof FAULT_LIMITS;
export type Faults = Record<FaultName, number>;

export const FAULT_NAMES = Object.keys(FAULT_LIMITS) as FaultName[];

export const NO_FAULTS: Readonly<Faults> = Object.freeze(
  Object.fromEntries(FAULT_NAMES.map((name) => [name, FAULT_LIMITS[name].off])) as Faults,
);

/** Paths the fault API lives on; the services keep them out of their telemetry. */
export const FAULTS_PATH = '/demo/faults';

/** The error an injected fault raises, so logs and spans say plainly that it was injected. */
export class InjectedFault extends Error {
  override readonly name = 'InjectedFault';
}

export type FaultUpdate =
  { readonly ok: true; readonly update: Partial<Faults> } | { readonly ok: false; readonly message: string };

function isFaultName(name: string): name is FaultName {
  return Object.hasOwn(FAULT_LIMITS, name);
}

function range(name: FaultName): string {
  const limit: FaultLimit = FAULT_LIMITS[name];
  return `${limit.integer ? 'a whole number' : 'a number'} from ${limit.min} to ${limit.max}`;
}

/**
 * Checks a request body against the switches `supported` by one service. Every problem is a
 * message naming the field and what it allows; a switch the service does not act on is refused
 * rather than silently ignored, and the message says which service has it.
 */
export function parseFaultUpdate(
  body: unknown,
  service: string,
  supported: readonly FaultName[],
  serviceWith: (name: FaultName) => string | undefined = () => undefined,
): FaultUpdate {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return {
      ok: false,
      message: `the body must be a JSON object of fault switches (${supported.join(', ')})`,
    };
  const update: Partial<Faults> = {};
  for (const [field, value] of Object.entries(body as Record<string, unknown>)) {
    if (!isFaultName(field))
      return {
        ok: false,
        message: `unknown field "${field}"; ${service} accepts ${supported.join(', ')}`,
      };
    if (!supported.includes(field)) {
      const elsewhere = serviceWith(field);
      return {
        ok: false,
        message: `${field} has no effect on ${service}${elsewhere === undefined ? '' : `; set it on ${elsewhere}`} (${service} accepts ${supported.join(', ')})`,
      };
    }
    const limit: FaultLimit = FAULT_LIMITS[field];
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      value < limit.min ||
      value > limit.max ||
      (limit.integer && !Number.isInteger(value))
    )
      return {
        ok: false,
        message: `${field} must be ${range(field)} (got ${value === undefined ? 'nothing' : JSON.stringify(value)})`,
      };
    update[field] = value;
  }
  return { ok: true, update };
}

export interface FaultsAnswer {
  readonly status: 200 | 400 | 405;
  readonly body: { service: string; faults: Partial<Faults> } | { error: string };
}

/** The fault switches of one running service. */
export class FaultSwitch {
  private faults: Faults = { ...NO_FAULTS };

  constructor(
    readonly service: string,
    readonly supported: readonly FaultName[],
    /** Where to send a caller who sets a switch this service lacks. */
    private readonly serviceWith: (name: FaultName) => string | undefined = () => undefined,
    private readonly random: () => number = Math.random,
  ) {}

  get current(): Readonly<Faults> {
    return this.faults;
  }

  /** The switches this service has, with their values (the body of every fault answer). */
  describe(): { service: string; faults: Partial<Faults> } {
    return {
      service: this.service,
      faults: Object.fromEntries(this.supported.map((name) => [name, this.faults[name]])),
    };
  }

  reset(): void {
    this.faults = { ...NO_FAULTS };
  }

  /** GET shows, POST sets the given switches (others keep their values), DELETE resets all. */
  handle(method: string | undefined, body: unknown): FaultsAnswer {
    switch (method) {
      case 'GET':
        return { status: 200, body: this.describe() };
      case 'DELETE':
        this.reset();
        return { status: 200, body: this.describe() };
      case 'POST': {
        const parsed = parseFaultUpdate(body, this.service, this.supported, this.serviceWith);
        if (!parsed.ok) return { status: 400, body: { error: parsed.message } };
        this.faults = { ...this.faults, ...parsed.update };
        return { status: 200, body: this.describe() };
      }
      default:
        return { status: 405, body: { error: `${FAULTS_PATH} answers GET, POST and DELETE` } };
    }
  }

  /**
   * Runs before each API request: waits `latencyMs`, then throws an InjectedFault for an
   * `errorRate` share of requests. Health, metrics and the fault API itself are never delayed.
   */
  async beforeRequest(): Promise<void> {
    const { latencyMs, errorRate } = this.faults;
    if (latencyMs > 0) await sleep(latencyMs);
    if (errorRate > 0 && this.random() < errorRate)
      throw new InjectedFault(`injected fault: errorRate ${errorRate} on ${this.service}`);
  }

  /** Whether this workflow run is one of the `workflowFailureRate` share that fails. */
  workflowShouldFail(): boolean {
    const { workflowFailureRate } = this.faults;
    return workflowFailureRate > 0 && this.random() < workflowFailureRate;
  }
}
