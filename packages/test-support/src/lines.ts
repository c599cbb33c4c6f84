/** A log destination that keeps every line written to it, parsed. */
import { Writable } from 'node:stream';

export interface LineCapture {
  readonly stream: Writable & { write(chunk: string): boolean };
  readonly lines: Record<string, unknown>[];
  readonly raw: string[];
}

export function captureLines(): LineCapture {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) {
        if (line === '') continue;
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  return { stream, lines, raw };
}
