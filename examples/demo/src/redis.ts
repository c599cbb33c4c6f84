/**
 * A Redis cache over node:net with just enough RESP for GET and SET (plus AUTH and SELECT from
 * the URL). No client library: the demo needs two commands, and owning the socket makes the
 * one rule that matters easy to keep: Redis being down never fails a request. Every command
 * has a short deadline; a connection error or timeout marks Redis unavailable for a few
 * seconds, during which commands fail at once instead of queueing (callers check `available`
 * and skip the cache), and one warning is logged per outage (and one line when it is back).
 */
import { Socket } from 'node:net';
import { SPEC_PORTS } from '@pyairtable/conventions';

export interface CacheLogger {
  warn(message: string): void;
  info(message: string): void;
}

export interface RedisCacheOptions {
  /** Deadline of one command, connection included (default 250 ms). */
  readonly commandTimeoutMs?: number;
  /** How long Redis is left alone after a failure before the next try (default 5 s). */
  readonly retryAfterMs?: number;
}

type Reply = string | number | null | Reply[];

export class RedisError extends Error {
  override readonly name = 'RedisError';
}

/** A reply parsed from the front of `buffer`, or undefined when more bytes are needed. */
export function parseReply(
  buffer: Buffer,
  offset = 0,
): { value: Reply | RedisError; next: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd === -1) return undefined;
  const type = String.fromCharCode(buffer[offset] ?? 0);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const afterLine = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, next: afterLine };
    case '-':
      return { value: new RedisError(line), next: afterLine };
    case ':':
      return { value: Number(line), next: afterLine };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next: afterLine };
      if (buffer.length < afterLine + length + 2) return undefined;
      return { value: buffer.toString('utf8', afterLine, afterLine + length), next: afterLine + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: afterLine };
      const items: Reply[] = [];
      let next = afterLine;
      for (let index = 0; index < count; index++) {
        const item = parseReply(buffer, next);
        if (item === undefined) return undefined;
        if (item.value instanceof RedisError) return item;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new RedisError(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

export function encodeCommand(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

interface Pending {
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: Error) => void;
}

/** Where Redis listens and how to log in, from a `redis://[user:password@]host[:port][/db]` URL. */
function connectionOf(url: URL): { host: string; port: number; setup: string[][]; label: string } {
  const host = url.hostname === '' ? '127.0.0.1' : url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port === '' ? SPEC_PORTS.redis : Number(url.port);
  const setup: string[][] = [];
  const password = decodeURIComponent(url.password);
  const user = decodeURIComponent(url.username);
  if (password !== '') setup.push(user === '' ? ['AUTH', password] : ['AUTH', user, password]);
  const database = url.pathname.replace(/^\//, '');
  if (database !== '' && database !== '0') setup.push(['SELECT', database]);
  // The label goes into logs: host and port only, never the credentials.
  return { host, port, setup, label: `${host}:${port}` };
}

export class RedisCache {
  private socket: Socket | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  private readonly pending: Pending[] = [];
  private downUntil = 0;
  private down = false;
  private readonly connection: ReturnType<typeof connectionOf>;
  private readonly commandTimeoutMs: number;
  private readonly retryAfterMs: number;

  constructor(
    url: URL,
    private readonly logger: CacheLogger,
    options: RedisCacheOptions = {},
  ) {
    this.connection = connectionOf(url);
    this.commandTimeoutMs = options.commandTimeoutMs ?? 250;
    this.retryAfterMs = options.retryAfterMs ?? 5_000;
  }

  /** `host:port`, for messages. */
  get address(): string {
    return this.connection.label;
  }

  /** Whether a lookup now would try Redis (false while backing off after a failure). */
  get available(): boolean {
    return Date.now() >= this.downUntil;
  }

  /** The value at `key`, undefined when there is none. Throws when Redis is unavailable. */
  async get(key: string): Promise<string | undefined> {
    const reply = await this.run(['GET', key]);
    return typeof reply === 'string' ? reply : undefined;
  }

  /** Stores `value` for `ttlSeconds`. Throws when Redis is unavailable. */
  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.run(['SET', key, value, 'EX', String(ttlSeconds)]);
  }

  close(): void {
    this.drop(new RedisError('the cache was closed'));
    this.downUntil = Number.POSITIVE_INFINITY;
  }

  /** One command, with the outage bookkeeping: back off after a failure, log the recovery. */
  private async run(args: readonly string[]): Promise<Reply> {
    if (!this.available) throw new RedisError('unavailable; backing off after the last failure');
    try {
      const reply = await this.command(args);
      if (this.down) {
        this.down = false;
        this.logger.info(`redis at ${this.connection.label} is reachable again; caching resumed`);
      }
      return reply;
    } catch (error) {
      this.failed(error);
      throw error;
    }
  }

  private command(args: readonly string[]): Promise<Reply> {
    const socket = this.socket ?? this.connect();
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        // A reply that never came leaves the stream out of step: start over on a new socket.
        const error = new RedisError(`no answer within ${this.commandTimeoutMs} ms`);
        this.drop(error);
        reject(error);
      }, this.commandTimeoutMs);
      this.pending.push({
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      socket.write(encodeCommand(args));
    });
  }

  private connect(): Socket {
    const socket = new Socket();
    this.socket = socket;
    this.buffered = Buffer.alloc(0);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.received(socket, chunk);
    });
    socket.on('error', (error) => {
      if (this.socket === socket) this.drop(error);
    });
    socket.on('close', () => {
      if (this.socket === socket) this.drop(new RedisError('the connection closed'));
    });
    socket.connect(this.connection.port, this.connection.host);
    // Written before the caller's command, so their replies come first; a refused AUTH fails
    // the connection like any other error.
    for (const args of this.connection.setup) {
      this.pending.push({
        resolve: () => undefined,
        reject: (error) => {
          this.drop(error);
        },
      });
      socket.write(encodeCommand(args));
    }
    return socket;
  }

  private received(socket: Socket, chunk: Buffer): void {
    if (this.socket !== socket) return;
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    let offset = 0;
    for (;;) {
      let parsed: ReturnType<typeof parseReply>;
      try {
        parsed = parseReply(this.buffered, offset);
      } catch (error) {
        this.drop(error instanceof Error ? error : new RedisError(String(error)));
        return;
      }
      if (parsed === undefined) break;
      offset = parsed.next;
      const waiter = this.pending.shift();
      if (parsed.value instanceof RedisError) waiter?.reject(parsed.value);
      else waiter?.resolve(parsed.value);
      if (this.socket !== socket) return;
    }
    this.buffered = this.buffered.subarray(offset);
  }

  /** Closes the socket and fails every waiting command with `error`. */
  private drop(error: Error): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
    for (const waiter of this.pending.splice(0)) waiter.reject(error);
  }

  private failed(error: unknown): void {
    this.downUntil = Date.now() + this.retryAfterMs;
    if (this.down) return;
    this.down = true;
    const reason = error instanceof Error ? error.message : String(error);
    this.logger.warn(
      `redis at ${this.connection.label} is unavailable (${reason}); serving without cache, retrying every ${this.retryAfterMs / 1000} s`,
    );
  }
}
