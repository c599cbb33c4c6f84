// The ceilings of the hub's ingest on this machine: each part of it timed alone, on the batches
// hub-ingest.mjs sends (hub-workload.mjs), so the hub's own figure can be read as a share of
// what its slowest part allows. The parts, on batches of 512:
//
//   protobuf decode   the body to OTLP's object form (protobufjs; the hub's decodeRequest)
//   records           that form to the hub's span records / contract log records (validation included)
//   masking           the PII masker over them, as the hub runs it
//   append + commit   DuckDB's appender into the hub's store (SpanStore, a file in a temporary
//                     directory, durable commits), with the hub's CHECKPOINT every 16 MiB
//
// The bodies are encoded first; then each batch goes through the parts in turn, as in the hub,
// and each part's figure is CPU time of this process (all threads, DuckDB's included) inside it.
// A part also pays for the garbage collections its allocations trigger, whoever made the garbage.
//
//   npm run build && node bench/hub-ceilings.mjs [--spans 200000] [--logs 200000] [--rounds 3]
//
// Each figure is the median of the rounds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { RESOURCE_ATTRIBUTES, createPiiMasker } from '@pyairtable/conventions';
import {
  CHECKPOINT_EVERY_BYTES,
  SpanStore,
  logsFromRequest,
  maskSpan,
  spansFromRequest,
} from '@pyairtable/hub';
// The decode step alone is not part of the hub's API; the bench reads it from the build.
import { ExportLogsServiceRequest, ExportTraceServiceRequest } from '../packages/hub/dist/otlp/proto.js';
import { decodeRequest } from '../packages/hub/dist/otlp/request.js';
import { BATCH, logBatches, spanBatches } from './hub-workload.mjs';

const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/**
 * A full garbage collection, so that the client's garbage (making and encoding the batches, in
 * this process unlike the hub's) is not collected inside a part.
 */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc');

/** Batches that warm the code up before the count starts. */
const WARM_UP = 10;

/**
 * Runs the parts of `stages` over one batch after another, in order (each part's input is the
 * previous part's output), as the hub does with a request, summing each part's CPU; items per
 * CPU-second of each part.
 */
async function timeStages(bodies, stages) {
  const cpu = Object.fromEntries(Object.keys(stages).map((name) => [name, 0]));
  collectGarbage();
  for (const [index, body] of bodies.entries()) {
    let value = body;
    for (const [name, stage] of Object.entries(stages)) {
      const before = cpuMicros();
      value = await stage(value);
      if (index >= WARM_UP) cpu[name] += cpuMicros() - before;
    }
  }
  const counted = (bodies.length - WARM_UP) * BATCH;
  return Object.fromEntries(Object.entries(cpu).map(([name, micros]) => [name, (counted * 1e6) / micros]));
}

/** A store's append with the hub's checkpoint cadence: a CHECKPOINT each 16 MiB appended. */
const appendWithCheckpoints = (append, store) => {
  let sinceCheckpoint = 0;
  return async (records) => {
    sinceCheckpoint += await append(records);
    if (sinceCheckpoint >= CHECKPOINT_EVERY_BYTES) {
      sinceCheckpoint = 0;
      await store.checkpoint();
    }
    return records;
  };
};

/** The request bodies of `total` items, encoded before any part is timed. */
const encodeBatches = (total, encode) =>
  Array.from({ length: Math.ceil(total / BATCH) }, (_unused, index) => encode(index));

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Each part's median over `rounds` runs of `timeStages`. */
async function medianStages(rounds, ...args) {
  const runs = [];
  for (let round = 0; round < rounds; round++) runs.push(await timeStages(...args));
  return Object.fromEntries(Object.keys(runs[0]).map((name) => [name, median(runs.map((run) => run[name]))]));
}

/** Items per CPU-second of each part (medians of `rounds`), for spans and for log records. */
export async function measureCeilings({ spans, logs, rounds = 3 }) {
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-ceilings-'));
  const store = await SpanStore.open(dataDir);
  const masker = createPiiMasker();
  try {
    const nextSpans = spanBatches();
    const spanParts = await medianStages(
      rounds,
      encodeBatches(spans, (index) => ProtobufTraceSerializer.serializeRequest(nextSpans(index))),
      {
        'protobuf decode': (body) => decodeRequest(body, false, ExportTraceServiceRequest),
        records: (request) => spansFromRequest(request, RESOURCE_ATTRIBUTES.serviceName).spans,
        masking: (records) => records.map((span) => maskSpan(masker, span)),
        'append + commit': appendWithCheckpoints((records) => store.append(records), store),
      },
    );
    const nextLogs = logBatches();
    const logParts = await medianStages(
      rounds,
      encodeBatches(logs, (index) => ProtobufLogsSerializer.serializeRequest(nextLogs(index))),
      {
        'protobuf decode': (body) => decodeRequest(body, false, ExportLogsServiceRequest),
        records: (request) => {
          const decoded = logsFromRequest(request);
          if (decoded.rejected > 0)
            throw new Error(`the hub rejects the bench's log records: ${decoded.rejectReason}`);
          return decoded.records;
        },
        masking: (records) => records.map((record) => masker.maskValue(record)),
        'append + commit': appendWithCheckpoints((records) => store.logs.append(records), store),
      },
    );
    return { spans: spanParts, logs: logParts };
  } finally {
    store.close?.();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The parts one after another: what the hub could do if it did nothing else. */
export const inSeries = (parts) => 1 / Object.values(parts).reduce((sum, rate) => sum + 1 / rate, 0);

/** Prints the parts, their series, and `hubRate` (optional) as a share of the lower ceiling. */
export function reportCeilings(title, parts, hubRate) {
  console.log(`\n${title}, per CPU-second of each part alone`);
  for (const [name, rate] of Object.entries(parts))
    console.log(`  ${name.padEnd(18)}${String(Math.round(rate)).padStart(10)}`);
  console.log(`  ${'all in series'.padEnd(18)}${String(Math.round(inSeries(parts))).padStart(10)}`);
  if (hubRate === undefined) return;
  const lower = Math.min(parts['protobuf decode'], parts['append + commit']);
  console.log(
    `  the hub            ${String(Math.round(hubRate)).padStart(10)}   ${((100 * hubRate) / lower).toFixed(0)}% of the lower of decode and append, ${((100 * hubRate) / inSeries(parts)).toFixed(0)}% of all parts in series`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      spans: { type: 'string', default: '200000' },
      logs: { type: 'string', default: '200000' },
      rounds: { type: 'string', default: '3' },
    },
  });
  const ceilings = await measureCeilings({
    spans: Number(values.spans),
    logs: Number(values.logs),
    rounds: Number(values.rounds),
  });
  reportCeilings(
    `Span ingest's parts (${values.spans} spans, median of ${values.rounds} rounds)`,
    ceilings.spans,
  );
  reportCeilings(
    `Log ingest's parts (${values.logs} records, median of ${values.rounds} rounds)`,
    ceilings.logs,
  );
}
