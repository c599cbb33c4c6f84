/**
 * The child processes of local mode: each spawned in its own process group with its output in
 * `logs/<name>.log`, recorded for the state file from the moment it is spawned, and stopped in
 * reverse order, its whole group, with a SIGKILL for whatever outlives the grace period.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import type { WriteStream } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ChildRecord } from './state.js';
import { processStartTicks, signalProcess } from './state.js';

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly log: WriteStream;
  readonly stopSignal: NodeJS.Signals;
  /** What the state file records, from the moment it was spawned (none when it could not be). */
  readonly record: ChildRecord | undefined;
  /** Ours to stop: false once it exited. */
  running: boolean;
}

export interface ChildProcessesOptions {
  readonly dataDir: string;
  readonly logDir: string;
  /** A child was spawned or exited: the state file is written again. */
  readonly onChange: () => void;
  /** A child stopped by itself (not while stopping). */
  readonly onUnexpectedExit?: (name: string, detail: string) => void;
}

/** How long a child has to stop after its stop signal before its group is killed. */
const STOP_GRACE_MS = 10_000;

export class ChildProcesses {
  private readonly children: Child[] = [];
  private stopping = false;

  constructor(private readonly options: ChildProcessesOptions) {}

  /** The children still running, as the state file records them. */
  records(): ChildRecord[] {
    return this.children.flatMap((child) =>
      child.running && child.record !== undefined ? [child.record] : [],
    );
  }

  launch(
    name: string,
    command: string,
    args: readonly string[],
    childEnv: Readonly<Record<string, string | undefined>>,
    onLine?: (line: string) => void,
    stopSignal: NodeJS.Signals = 'SIGTERM',
    dataLocation?: string,
  ): Child {
    const log = createWriteStream(join(this.options.logDir, `${name}.log`), { flags: 'a' });
    log.on('error', () => undefined);
    // Its own process group: Ctrl-C reaches obs up alone, which stops children in order.
    const child = spawn(command, [...args], {
      env: { ...childEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: this.options.dataDir,
      detached: true,
    });
    const pid = child.pid;
    const ticks = pid === undefined ? undefined : processStartTicks(pid);
    const entry: Child = {
      name,
      process: child,
      log,
      running: true,
      stopSignal,
      // Spawned detached: it leads a process group of its own, whose id is its pid.
      record:
        pid === undefined
          ? undefined
          : {
              name,
              pid,
              group: pid,
              ...(ticks === undefined ? {} : { startTicks: ticks }),
              ...(stopSignal === 'SIGTERM' ? {} : { stopSignal }),
              ...(dataLocation === undefined ? {} : { dataLocation }),
            },
    };
    child.on('close', () => {
      log.end();
    });
    if (onLine !== undefined)
      createInterface({ input: child.stdout }).on('line', (line) => {
        log.write(`${line}\n`);
        onLine(line);
      });
    else child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', (error) => {
      // A program that cannot be started emits no 'exit'.
      entry.running = false;
      log.write(`obs: could not start ${command}: ${error.message}\n`);
    });
    child.on('exit', (code, signal) => {
      entry.running = false;
      if (this.stopping) return;
      this.options.onChange();
      this.options.onUnexpectedExit?.(
        name,
        `${signal === null ? `exit code ${String(code)}` : `signal ${signal}`}; see ${join(this.options.logDir, `${name}.log`)}`,
      );
    });
    this.children.push(entry);
    // In the state file before anything else happens: if obs up is killed now (kill -9, a
    // crash), obs down and the next obs up still find this child and stop it.
    this.options.onChange();
    return entry;
  }

  /** From now on an exit is expected: not reported, not written to the state file. */
  beginStop(): void {
    this.stopping = true;
  }

  /** Stops every child, the last started first, each with its group. */
  async stopAll(): Promise<void> {
    this.beginStop();
    for (const child of [...this.children].reverse()) {
      const pid = child.process.pid;
      if (child.running && pid !== undefined) {
        const exited = new Promise<boolean>((resolve) => {
          child.process.once('exit', () => {
            resolve(true);
          });
        });
        // The whole group: a wrapper (runuser) and what it started stop together.
        signalProcess(pid, child.stopSignal, true);
        await Promise.race([
          exited,
          new Promise<boolean>((resolve) => {
            setTimeout(() => {
              resolve(false);
            }, STOP_GRACE_MS).unref();
          }),
        ]);
      }
      // What is left of the group: it did not stop in time, or a process outlived its parent.
      if (pid !== undefined) signalProcess(pid, 'SIGKILL', true);
    }
  }
}
