/** Appending rows to the store's tables, committed whole or not at all. */
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';

/**
 * Runs `write` over an appender for `table` and commits its rows in one flush. A failure part
 * way clears what was appended before the appender closes (closing would flush it), so a batch
 * is stored whole or not at all; an explicit transaction did the same at 15% of ingest.
 * Returns what `write` returns (the bytes it appended).
 */
export async function appendAtomically(
  writer: DuckDBConnection,
  table: string,
  write: (appender: DuckDBAppender) => number,
): Promise<number> {
  const appender = await writer.createAppender(table);
  let flushed = false;
  try {
    const written = write(appender);
    appender.flushSync();
    flushed = true;
    return written;
  } finally {
    if (!flushed) appender.clear();
    appender.closeSync();
  }
}
