/**
 * Checkpoints off the event loop: DuckDB would move its write-ahead log into the database file
 * inside whichever commit crossed its threshold, and commits are synchronous, so the hub stopped
 * answering for up to a second. The store never checkpoints on a commit; the ingest asks for a
 * checkpoint, run asynchronously, every CHECKPOINT_EVERY_BYTES appended.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOG_FIELDS } from '@pyairtable/conventions';
import { plainFetch, tempDir } from '@pyairtable/test-support';
import { CHECKPOINT_EVERY_BYTES, LOG_LINES_PATH, STORE_FILE, SpanStore } from '@pyairtable/hub';
import { useHub } from './harness.js';

const walBytes = (dataDir: string): number => {
  const wal = join(dataDir, `${STORE_FILE}.wal`);
  return existsSync(wal) ? statSync(wal).size : 0;
};

/** Contract log lines of about 8 KB each (a long message of plain words). */
const lines = (count: number, offset: number): string =>
  Array.from({ length: count }, (_, index) =>
    JSON.stringify({
      [LOG_FIELDS.timestamp]: new Date().toISOString(),
      service: { name: 'billing', tier: 'platform', version: '1.0.0', environment: 'production' },
      log_level: 'INFO',
      category: 'application',
      message: `record ${String(offset + index)} ${'lorem ipsum dolor '.repeat(450)}`,
    }),
  ).join('\n');

describe('checkpoints', () => {
  it('a commit never checkpoints by itself; checkpoint() does', async () => {
    const dir = tempDir('hub-checkpoint-store');
    const store = await SpanStore.open(dir.path);
    try {
      const record = JSON.parse(lines(1, 0)) as never;
      for (let batch = 0; batch < 10; batch++)
        await store.logs.append(Array.from({ length: 300 }, () => record));
      // 3,000 records of 8 KB: past DuckDB's own 16 MiB threshold, still all in the log.
      expect(walBytes(dir.path)).toBeGreaterThan(CHECKPOINT_EVERY_BYTES);
      await store.checkpoint();
      expect(walBytes(dir.path)).toBeLessThan(2 ** 20);
    } finally {
      store.close();
      dir.cleanup();
    }
  });

  const harness = useHub('hub-checkpoint');
  it('the ingest checkpoints as data arrives, keeping the log near CHECKPOINT_EVERY_BYTES', async () => {
    let largest = 0;
    for (let batch = 0; batch < 14; batch++) {
      const response = await plainFetch(`${harness.hub.otlpHttpUrl}${LOG_LINES_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: lines(300, batch * 300),
      });
      expect(response.status).toBe(200);
      largest = Math.max(largest, walBytes(harness.dataDir));
    }
    // 4,200 records of 8 KB (about 34 MiB) went through; the log never held much more than one interval.
    expect(largest).toBeLessThan(CHECKPOINT_EVERY_BYTES + 6 * 2 ** 20);
  });
});
