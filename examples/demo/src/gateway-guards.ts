/**
 * What the api-gateway knows about its callers beyond one request: user sessions (a user's first
 * request after a quiet spell opens one, the quiet spell closes it) and clients guessing API keys
 * (past a number of failures a minute, the client is reported once as credential stuffing and its
 * further failing attempts are refused with 429 as rate-limited).
 */
import type { Telemetry } from '@pyairtable/telemetry';

export interface SessionOptions {
  /** Quiet time after which a user's session ends. */
  readonly idleMs: number;
}

export class UserSessions {
  private readonly lastSeen = new Map<string, number>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly telemetry: Telemetry,
    private readonly options: SessionOptions,
  ) {
    this.sweeper = setInterval(
      () => {
        this.endIdle(Date.now());
      },
      Math.min(10_000, options.idleMs),
    );
    this.sweeper.unref();
  }

  /** A request of this user: opens a session (a login with the API key) when none is open. */
  seen(userId: string | undefined, now = Date.now()): void {
    if (userId === undefined) return;
    if (!this.lastSeen.has(userId)) {
      this.telemetry.recordAuthEvent({ event: 'login', method: 'api_key', result: 'success' });
      this.telemetry.sessionStarted();
    }
    this.lastSeen.set(userId, now);
  }

  endIdle(now: number): void {
    for (const [userId, seen] of this.lastSeen)
      if (now - seen >= this.options.idleMs) {
        this.lastSeen.delete(userId);
        this.telemetry.sessionEnded();
      }
  }

  get open(): number {
    return this.lastSeen.size;
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}

export interface GuessingOptions {
  /** Failed authentications a client may make in a minute before it is throttled. */
  readonly failuresPerMinute: number;
}

const MINUTE_MS = 60_000;

export class KeyGuessing {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly telemetry: Telemetry,
    private readonly options: GuessingOptions,
  ) {}

  /**
   * A failed authentication from this client. Returns true when the client is over its limit: the
   * attempt is refused as rate-limited, and the first attempt over it reports credential stuffing.
   */
  failed(client: string, now = Date.now()): boolean {
    const recent = (this.failures.get(client) ?? []).filter((at) => now - at < MINUTE_MS);
    recent.push(now);
    this.failures.set(client, recent);
    this.forgetQuiet(now);
    if (recent.length <= this.options.failuresPerMinute) return false;
    if (recent.length === this.options.failuresPerMinute + 1)
      this.telemetry.recordSuspiciousActivity('credential_stuffing', 'high', {
        failures_last_minute: recent.length,
      });
    this.telemetry.recordRateLimitRejection('ip');
    return true;
  }

  /** Clients without a failure in the last minute are forgotten, so the map stays small. */
  private forgetQuiet(now: number): void {
    if (this.failures.size < 1_000) return;
    for (const [client, times] of this.failures)
      if (times.every((at) => now - at >= MINUTE_MS)) this.failures.delete(client);
  }
}
