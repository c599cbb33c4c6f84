/**
 * The Filebeat role of local mode: the demo's stdout (the contract's JSON log lines) goes to the
 * hub in batches. A batch the hub does not take is counted and reported (at most once a
 * minute); its lines stay in the service's log file.
 */
export class LogForwarder {
  private lines: string[] = [];
  private readonly timer: NodeJS.Timeout;
  private inFlight: Promise<void> = Promise.resolve();
  private notForwarded = 0;
  private lastReport = 0;

  constructor(
    private readonly url: string,
    private readonly report: (message: string) => void,
  ) {
    this.timer = setInterval(() => {
      void this.flush();
    }, 500);
    this.timer.unref();
  }

  push(line: string): void {
    if (line.startsWith('{')) this.lines.push(line);
    if (this.lines.length >= 500) void this.flush();
  }

  flush(): Promise<void> {
    if (this.lines.length === 0) return this.inFlight;
    const body = this.lines.join('\n');
    this.lines = [];
    const count = body.split('\n').length;
    this.inFlight = this.inFlight
      .then(() => fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }))
      .then(
        async (response) => {
          await response.body?.cancel();
          if (response.status >= 500) this.failed(count, `the hub answered ${String(response.status)}`);
        },
        (error: unknown) => {
          this.failed(count, error instanceof Error ? error.message : String(error));
        },
      );
    return this.inFlight;
  }

  private failed(count: number, reason: string): void {
    this.notForwarded += count;
    const now = Date.now();
    if (now - this.lastReport < 60_000) return;
    this.lastReport = now;
    this.report(
      `${String(this.notForwarded)} log lines could not be forwarded to the hub so far (last: ${reason}); they are in the services' files under logs/`,
    );
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
