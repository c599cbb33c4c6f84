/**
 * Importing files in the collector file exporter's format (one OTLP/JSON trace request per
 * line, as `/api/v3/traces/{id}?format=file` exports them), streamed: lines are decoded as they
 * arrive and committed in groups, so the hub holds one group and one line whatever the file's
 * size, and reports progress after each group.
 */
import type { Readable } from 'node:stream';
import { RESOURCE_ATTRIBUTES } from '@pyairtable/conventions';
import type { BodyReading, Ingest } from './ingest.js';
import { DECODED_BYTES_PER_BODY_BYTE, Overloaded } from './ingest.js';
import { PayloadError } from './otlp/request.js';
import { decodeTraceJson } from './otlp/spans.js';
import type { DecodedTraces } from './span-record.js';

/** Spans committed together: one transaction, and the most an import holds at once. */
export const IMPORT_GROUP_SPANS = 5000;
/** Errors listed in the answer (all are counted). */
const LISTED_ERRORS = 100;

export interface ImportProgress {
  readonly lines: number;
  readonly imported: number;
  readonly rejected: number;
}

export interface ImportOutcome extends ImportProgress {
  readonly errors: readonly { line: number; message: string }[];
  readonly failedLines: number;
}

export interface ImportOptions {
  readonly ingest: Ingest;
  /** The longest line accepted (bytes); a longer one is reported and skipped. */
  readonly maxLineBytes: number;
  /** Longest pause in the upload before the import gives up (the rest is not imported). */
  readonly idleTimeoutMs: number;
  readonly onProgress?: (progress: ImportProgress) => void;
}

export class ImportIdle extends Error {}

/** Splits a byte stream into lines without holding more than one line (plus a chunk). */
async function* lines(
  source: Readable,
  maxLineBytes: number,
  idleTimeoutMs: number,
): AsyncGenerator<Buffer | Error> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overlong = false;
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new ImportIdle());
      }, idleTimeoutMs);
    });
    let next: IteratorResult<Buffer>;
    try {
      next = await Promise.race([iterator.next(), idle]);
    } finally {
      clearTimeout(timer);
    }
    if (next.done === true) break;
    let chunk = next.value;
    for (let newline = chunk.indexOf(0x0a); newline !== -1; newline = chunk.indexOf(0x0a)) {
      const head = chunk.subarray(0, newline);
      chunk = chunk.subarray(newline + 1);
      if (overlong || pendingBytes + head.length > maxLineBytes)
        yield new PayloadError(`the line is longer than ${String(maxLineBytes)} bytes`);
      else yield pending.length === 0 ? head : Buffer.concat([...pending, head]);
      pending = [];
      pendingBytes = 0;
      overlong = false;
    }
    if (overlong) continue;
    pendingBytes += chunk.length;
    if (pendingBytes > maxLineBytes) {
      overlong = true;
      pending = [];
    } else pending.push(chunk);
  }
  if (overlong) yield new PayloadError(`the line is longer than ${String(maxLineBytes)} bytes`);
  else if (pendingBytes > 0) yield Buffer.concat(pending);
}

/** Imports every line of `source`; resolves with what was imported and what was not. */
export async function importTraces(source: Readable, options: ImportOptions): Promise<ImportOutcome> {
  const { ingest } = options;
  const errors: { line: number; message: string }[] = [];
  let failedLines = 0;
  let lineNumber = 0;
  let imported = 0;
  let rejected = 0;
  let group: DecodedTraces[] = [];
  let groupSpans = 0;
  let held: BodyReading | undefined;
  const commit = async (): Promise<void> => {
    if (group.length === 0) return;
    const batch = group;
    group = [];
    groupSpans = 0;
    try {
      await ingest.importSpans({
        spans: batch.flatMap((decoded) => decoded.spans),
        rejected: batch.reduce((sum, decoded) => sum + decoded.rejected, 0),
      });
    } finally {
      held?.done();
      held = undefined;
    }
    for (const decoded of batch) {
      imported += decoded.spans.length;
      rejected += decoded.rejected;
    }
    options.onProgress?.({ lines: lineNumber, imported, rejected });
  };
  try {
    for await (const line of lines(source, options.maxLineBytes, options.idleTimeoutMs)) {
      lineNumber++;
      if (!(line instanceof Error) && line.toString('utf8').trim() === '') continue;
      try {
        if (line instanceof Error) throw line;
        held ??= ingest.startReading();
        try {
          held.add(line.length * DECODED_BYTES_PER_BODY_BYTE);
        } catch (error) {
          // At the memory bound: committing the group frees what it holds; then try once more.
          if (!(error instanceof Overloaded) || group.length === 0) throw error;
          await commit();
          held = ingest.startReading();
          held.add(line.length * DECODED_BYTES_PER_BODY_BYTE);
        }
        const decoded = decodeTraceJson(line, RESOURCE_ATTRIBUTES.serviceName);
        group.push(decoded);
        groupSpans += decoded.spans.length;
      } catch (error) {
        if (!(error instanceof PayloadError)) throw error;
        failedLines++;
        if (errors.length < LISTED_ERRORS) errors.push({ line: lineNumber, message: error.message });
      }
      if (groupSpans >= IMPORT_GROUP_SPANS) await commit();
    }
    await commit();
  } finally {
    held?.done();
  }
  return { lines: lineNumber, imported, rejected, errors, failedLines };
}
