/**
 * Log and trace volumes of the production stack, where Elasticsearch holds them: for each log
 * category's data stream, the records written in the window times the bytes a stored record
 * takes (primary store size over document count); for Jaeger's span indices, the bytes a stored
 * span takes. Typed with Elastic's own client types.
 */
import type { estypes } from '@elastic/elasticsearch';
import type { LogCategory } from '@pyairtable/conventions';
import { LOG_CATEGORIES, LOG_FIELDS } from '@pyairtable/conventions';
import { logDataStream } from '@pyairtable/stack';
import type { ElasticsearchTarget, WireRequest } from '../elasticsearch/client.js';
import { sendToElasticsearch } from '../elasticsearch/client.js';
import { SPAN_INDICES } from '../erasure/elasticsearch.js';
import { perDay } from './estimate.js';

const ALLOWED_TO = 'monitor the indices and read them (monitor, read)';

export interface StoredSize {
  readonly bytes: number;
  readonly documents: number;
}

export function statsWire(index: string): WireRequest {
  return { method: 'GET', path: `/${index}/_stats/store?ignore_unavailable=true` };
}

/** Documents whose time lies in the window ending at `atMs`. */
export function countWire(index: string, atMs: number, windowSeconds: number): WireRequest {
  const request: estypes.CountRequest = {
    index,
    ignore_unavailable: true,
    query: {
      range: {
        [LOG_FIELDS.timestamp]: { gt: atMs - windowSeconds * 1000, lte: atMs, format: 'epoch_millis' },
      },
    },
  };
  const { index: _index, ignore_unavailable: _ignore, ...body } = request;
  return { method: 'POST', path: `/${index}/_count?ignore_unavailable=true`, body };
}

/**
 * The primary store's bytes and the documents in it. The count comes from `_count`, not from
 * `_stats`: Lucene counts each nested object (a Jaeger span's tags, logs, references) as a
 * document of its own, which would divide a span's bytes among its tags.
 */
async function storedSize(target: ElasticsearchTarget, index: string): Promise<StoredSize> {
  const stats = (await sendToElasticsearch(
    target,
    ALLOWED_TO,
    statsWire(index),
  )) as unknown as estypes.IndicesStatsResponse;
  const counted = (await sendToElasticsearch(target, ALLOWED_TO, {
    method: 'GET',
    path: `/${index}/_count?ignore_unavailable=true`,
  })) as unknown as estypes.CountResponse;
  return { bytes: stats._all.primaries?.store?.size_in_bytes ?? 0, documents: counted.count };
}

/** Bytes per day of each category: records in the window, scaled to a day, at the stored size of one. */
export async function elasticLogBytesPerDay(
  target: ElasticsearchTarget,
  atMs: number,
  windowSeconds: number,
): Promise<Record<LogCategory, number>> {
  const perCategory = await Promise.all(
    (LOG_CATEGORIES as readonly LogCategory[]).map(async (category) => {
      const stream = logDataStream(category);
      const size = await storedSize(target, stream);
      if (size.documents === 0) return [category, 0] as const;
      const counted = (await sendToElasticsearch(
        target,
        ALLOWED_TO,
        countWire(stream, atMs, windowSeconds),
      )) as unknown as estypes.CountResponse;
      return [category, perDay((counted.count * (size.bytes / size.documents)) / windowSeconds)] as const;
    }),
  );
  return Object.fromEntries(perCategory) as Record<LogCategory, number>;
}

/** The bytes a span takes in Jaeger's indices, or undefined while they hold none. */
export async function elasticBytesPerSpan(target: ElasticsearchTarget): Promise<number | undefined> {
  const size = await storedSize(target, SPAN_INDICES);
  return size.documents === 0 ? undefined : size.bytes / size.documents;
}
