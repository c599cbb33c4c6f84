/**
 * The default log destination: each line encoded straight into a chunk buffer as it comes, and
 * the chunk written to a file descriptor asynchronously, the whole backlog in one write once
 * `minLength` bytes have gathered (and at least every `flushIntervalMs`). What waits at
 * process exit is written synchronously.
 *
 * Why not pino's own destination (sonic-boom) in its asynchronous mode: it appends each line to
 * a string and then takes that string's byte length, which flattens it, so every line copies the
 * whole chunk gathered so far (about 8 KB of garbage per access record at our chunk size, the
 * largest allocation of an instrumented request). `bench/logger.mjs` runs both side by side.
 *
 * Bounded: with more than `maxLength` bytes waiting (the reader of stdout not keeping up),
 * further lines are dropped and each is reported by a `drop` event rather than held.
 */
import { EventEmitter } from 'node:events';
import { write, writeSync } from 'node:fs';

export interface LineDestinationOptions {
  /** The file descriptor written to (1 for stdout). */
  readonly fd: number;
  /** Bytes gathered before a write starts. */
  readonly minLength?: number;
  /** Bytes waiting beyond which lines are dropped. */
  readonly maxLength?: number;
  /** Longest time a line waits for `minLength` to gather. */
  readonly flushIntervalMs?: number;
}

/** How long to wait before trying again when the descriptor is full (non-blocking pipes). */
const RETRY_MS = 10;
/** How long the exit path keeps trying a full descriptor before giving up on the rest. */
const EXIT_DEADLINE_MS = 1_000;
/** Size of a fresh chunk buffer; a backlog grows it. */
const CHUNK_BYTES = 64 * 1024;

export class LineDestination extends EventEmitter {
  private readonly fd: number;
  private readonly minLength: number;
  private readonly maxLength: number;
  /** The chunk being filled and how many of its bytes are lines. */
  private pending = Buffer.allocUnsafe(CHUNK_BYTES);
  private pendingLength = 0;
  /**
   * The chunk being written and how much of it is written; undefined when idle. `waiting` is
   * set while no write call holds it (the descriptor was full and a retry is due).
   */
  private inFlight: { readonly bytes: Buffer; offset: number; waiting: boolean } | undefined;
  private flushWaiters: (() => void)[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly onExit = (): void => {
    this.flushSync();
  };

  constructor(options: LineDestinationOptions) {
    super();
    this.fd = options.fd;
    this.minLength = options.minLength ?? 8192;
    this.maxLength = options.maxLength ?? 16 * 1024 * 1024;
    this.timer = setInterval(() => {
      if (this.inFlight === undefined && this.pendingLength > 0) this.writeNext();
    }, options.flushIntervalMs ?? 200).unref();
    process.once('exit', this.onExit);
  }

  write(line: string): boolean {
    // A UTF-16 code unit takes at most three bytes in UTF-8: the exact length only near a limit.
    const room = this.pendingLength + line.length * 3;
    if (room > this.maxLength && this.pendingLength + Buffer.byteLength(line) > this.maxLength) {
      this.emit('drop', line);
      return false;
    }
    if (room > this.pending.length) {
      const grown = Buffer.allocUnsafe(Math.max(room, this.pending.length * 2));
      this.pending.copy(grown, 0, 0, this.pendingLength);
      this.pending = grown;
    }
    this.pendingLength += this.pending.write(line, this.pendingLength);
    if (this.inFlight === undefined && this.pendingLength >= this.minLength) this.writeNext();
    return true;
  }

  /** Calls back once every line written before the call has reached the descriptor. */
  flush(callback: (error?: Error) => void): void {
    this.flushWaiters.push(() => {
      callback();
    });
    if (this.inFlight === undefined) this.writeNext();
  }

  /** Flushes, then stops the timer and the exit hook. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.flush(() => {
        clearInterval(this.timer);
        process.off('exit', this.onExit);
        resolve();
      });
    });
  }

  /**
   * Writes everything waiting, synchronously (for process exit). A chunk the operating system is
   * writing at that moment is left to it rather than written twice (as pino's own destination
   * does); one waiting for a retry is written from where it stopped.
   */
  flushSync(): void {
    const chunk = this.inFlight;
    const rest = chunk?.waiting === true ? [chunk.bytes.subarray(chunk.offset)] : [];
    if (this.pendingLength > 0) rest.push(this.pending.subarray(0, this.pendingLength));
    this.pending = Buffer.allocUnsafe(CHUNK_BYTES);
    this.pendingLength = 0;
    const deadline = Date.now() + EXIT_DEADLINE_MS;
    for (const bytes of rest) {
      let offset = 0;
      while (offset < bytes.length) {
        try {
          offset += writeSync(this.fd, bytes, offset, bytes.length - offset);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() > deadline) return;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, RETRY_MS);
        }
      }
    }
  }

  private writeNext(): void {
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    if (this.pendingLength === 0) {
      for (const waiter of waiters) waiter();
      return;
    }
    const bytes = this.pending.subarray(0, this.pendingLength);
    this.pending = Buffer.allocUnsafe(CHUNK_BYTES);
    this.pendingLength = 0;
    this.inFlight = { bytes, offset: 0, waiting: false };
    this.writeInFlight(waiters);
  }

  private writeInFlight(waiters: readonly (() => void)[]): void {
    const chunk = this.inFlight;
    if (chunk === undefined) return;
    write(this.fd, chunk.bytes, chunk.offset, chunk.bytes.length - chunk.offset, null, (error, written) => {
      if (error !== null) {
        if (error.code === 'EAGAIN') {
          chunk.waiting = true;
          setTimeout(() => {
            chunk.waiting = false;
            this.writeInFlight(waiters);
          }, RETRY_MS).unref();
          return;
        }
        // The descriptor is gone (closed stdout): the chunk is lost, and said so once per chunk.
        this.emit('write-error', error);
        chunk.offset = chunk.bytes.length;
      } else chunk.offset += written;
      if (chunk.offset < chunk.bytes.length) {
        this.writeInFlight(waiters);
        return;
      }
      this.inFlight = undefined;
      for (const waiter of waiters) waiter();
      if (this.flushWaiters.length > 0 || this.pendingLength >= this.minLength) this.writeNext();
    });
  }
}
