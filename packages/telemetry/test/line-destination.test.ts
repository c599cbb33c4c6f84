import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LineDestination } from '../src/line-destination.js';

const opened: { destination: LineDestination; fd: number }[] = [];

function destinationToFile(
  options: { minLength?: number; maxLength?: number; flushIntervalMs?: number } = {},
) {
  const path = join(mkdtempSync(join(tmpdir(), 'line-destination-')), 'out.log');
  const fd = openSync(path, 'w');
  const destination = new LineDestination({ fd, ...options });
  opened.push({ destination, fd });
  return { destination, read: () => readFileSync(path, 'utf8') };
}

const flushed = (destination: LineDestination): Promise<void> =>
  new Promise((resolve) => {
    destination.flush(() => {
      resolve();
    });
  });

afterEach(async () => {
  for (const { destination, fd } of opened.splice(0)) {
    await destination.close();
    closeSync(fd);
  }
});

describe('LineDestination', () => {
  it('writes every line in order, multi-byte characters intact, across chunk growth', async () => {
    const { destination, read } = destinationToFile({ minLength: 4096 });
    const lines = Array.from({ length: 20_000 }, (_, index) => `{"n":${String(index)},"text":"é ✓ 🚀"}\n`);
    for (const line of lines) expect(destination.write(line)).toBe(true);
    await flushed(destination);
    expect(read()).toBe(lines.join(''));
  });

  it('holds lines until minLength bytes gather, then writes them without a flush', async () => {
    const { destination, read } = destinationToFile({ minLength: 100, flushIntervalMs: 60_000 });
    destination.write(`${'a'.repeat(49)}\n`);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(read()).toBe('');
    destination.write(`${'b'.repeat(49)}\n`); // 100 bytes: the write starts
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(read()).toBe(`${'a'.repeat(49)}\n${'b'.repeat(49)}\n`);
  });

  it('writes a line below minLength within the flush interval', async () => {
    const { destination, read } = destinationToFile({ minLength: 8192, flushIntervalMs: 20 });
    destination.write('one\n');
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(read()).toBe('one\n');
  });

  it('drops lines beyond maxLength, reports each drop, and keeps every line accepted before', async () => {
    const { destination, read } = destinationToFile({
      minLength: 1 << 20,
      maxLength: 1000,
      flushIntervalMs: 60_000,
    });
    const dropped: string[] = [];
    destination.on('drop', (line: string) => dropped.push(line));
    const line = `${'x'.repeat(99)}\n`; // 100 bytes
    const accepted = Array.from({ length: 12 }, () => destination.write(line));
    expect(accepted).toEqual([...Array<boolean>(10).fill(true), false, false]);
    expect(dropped).toHaveLength(2);
    await flushed(destination);
    expect(read()).toBe(line.repeat(10));
    // Once written, there is room again.
    expect(destination.write('after\n')).toBe(true);
    await flushed(destination);
    expect(read()).toBe(`${line.repeat(10)}after\n`);
  });

  it('counts the limit in bytes, not characters', () => {
    const { destination } = destinationToFile({
      minLength: 1 << 20,
      maxLength: 100,
      flushIntervalMs: 60_000,
    });
    expect(destination.write('é'.repeat(40))).toBe(true); // 80 bytes
    expect(destination.write('é'.repeat(15))).toBe(false); // 30 more bytes: over 100
    expect(destination.write('a'.repeat(20))).toBe(true);
  });

  it('reports a descriptor that cannot be written and still answers flush', async () => {
    const destination = new LineDestination({ fd: 987_654, minLength: 1 });
    const errors: Error[] = [];
    destination.on('write-error', (error: Error) => errors.push(error));
    destination.write('lost\n');
    await flushed(destination);
    await destination.close();
    expect(errors[0]?.message).toMatch(/EBADF/);
  });

  it.each([
    ['nothing written yet', 1 << 20],
    ['chunks already being written', 4096],
  ])('writes every line exactly once when the process exits at once (%s)', (_case, minLength) => {
    // The built module (`npm test` builds first): a child process runs plain JavaScript.
    const module = new URL('../dist/line-destination.js', import.meta.url).href;
    const script = `
      import { LineDestination } from ${JSON.stringify(module)};
      const destination = new LineDestination({ fd: 1, minLength: ${String(minLength)} });
      for (let i = 0; i < 5000; i++) destination.write('line ' + i + ' ' + 'x'.repeat(100) + '\\n');
      process.exit(0);
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(output).toBe(
      Array.from({ length: 5000 }, (_, index) => `line ${String(index)} ${'x'.repeat(100)}\n`).join(''),
    );
  });
});
