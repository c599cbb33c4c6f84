// A 10,000-span trace in the hub's UI, in Debian's Chromium: time from opening the trace to the
// first painted waterfall row, and frame times while the waterfall scrolls from top to bottom.
// Side by side, in the same browser and run: the same 10,000 rows as a plain, non-virtualised
// list (what a waterfall without virtualisation puts in the page). Build first (`npm run build`).
//
//   node bench/ui-waterfall.mjs [--spans 10000] [--rounds 3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RESOURCE_ATTRIBUTES, SPAN_ATTRIBUTES } from '@pyairtable/conventions';
import { startHub } from '@pyairtable/hub';
import { chromium } from 'playwright-core';

const { values } = parseArgs({
  options: { spans: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '3' } },
});
const SPANS = Number(values.spans);
const ROUNDS = Number(values.rounds);
const TRACE_ID = '7'.repeat(32);

const hex16 = (n) => n.toString(16).padStart(16, '0');

/** A trace shaped like a batch job: a root, 100 workers, each with its calls and their queries. */
function traceRequests() {
  const start = BigInt(Date.now() - 60_000) * 1_000_000n;
  const spans = [];
  for (let i = 0; i < SPANS; i += 1) {
    const parent = i === 0 ? '' : hex16(i <= 100 ? 1 : 1 + Math.floor((i - 1) / 99));
    const offset = BigInt(i) * 1_000_000n;
    spans.push({
      traceId: TRACE_ID,
      spanId: hex16(i + 1),
      parentSpanId: parent,
      name: i === 0 ? 'POST /api/import' : i <= 100 ? `worker ${String(i)}` : `SELECT records ${String(i)}`,
      kind: i === 0 ? 2 : 3,
      startTimeUnixNano: String(start + offset),
      endTimeUnixNano: String(
        start + offset + (i === 0 ? BigInt(SPANS) * 1_000_000n + 5_000_000n : 3_000_000n),
      ),
      attributes: [{ key: SPAN_ATTRIBUTES.dbSystemName, value: { stringValue: 'postgresql' } }],
      status: { code: i % 97 === 0 ? 2 : 0 },
    });
  }
  const batches = [];
  for (let i = 0; i < spans.length; i += 1000)
    batches.push({
      resourceSpans: [
        {
          resource: {
            attributes: [{ key: RESOURCE_ATTRIBUTES.serviceName, value: { stringValue: 'importer' } }],
          },
          scopeSpans: [{ spans: spans.slice(i, i + 1000) }],
        },
      ],
    });
  return batches;
}

/** Scrolls an element from top to bottom over ~2 s, returning each frame's duration in ms. */
async function scrollFrames(page, selector) {
  /* global document, requestAnimationFrame -- the function below runs in the page */
  return page.evaluate(async (target) => {
    const element = document.querySelector(target);
    const frames = [];
    let last = performance.now();
    const deadline = last + 2_000;
    await new Promise((resolve) => {
      const step = (now) => {
        frames.push(now - last);
        last = now;
        element.scrollTop += Math.ceil(element.scrollHeight / 120);
        if (now < deadline && element.scrollTop + element.clientHeight < element.scrollHeight)
          requestAnimationFrame(step);
        else resolve();
      };
      requestAnimationFrame(step);
    });
    return frames.slice(1);
  }, selector);
}

const quantile = (list, q) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
};
const median = (list) => quantile(list, 0.5);

/** The same rows without virtualisation: every row in the page at once. */
function plainList(rowCount) {
  const rows = [];
  for (let i = 0; i < rowCount; i += 1)
    rows.push(
      `<div class="span-row" style="height:28px;display:flex"><span class="label" style="padding-left:${String(i === 0 ? 0 : i <= 100 ? 14 : 28)}px"><b>importer</b> span ${String(i)}</span><span class="bar-track" style="position:relative;flex:1"><span class="bar" style="position:absolute;left:${String((i / rowCount) * 100)}%;width:1%;height:12px;top:7px;background:#4a7fd6"></span></span></div>`,
    );
  return `<!doctype html><div id="list" style="height:60vh;overflow:auto">${rows.join('')}</div>`;
}

const dir = mkdtempSync(join(tmpdir(), 'bench-ui-'));
const hub = await startHub({
  dataDir: dir,
  host: '127.0.0.1',
  otlpHttpPort: 0,
  otlpGrpcPort: 0,
  prometheusPort: 0,
  queryPort: 0,
});
try {
  for (const body of traceRequests()) {
    const answer = await fetch(`${hub.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (answer.status !== 200) throw new Error(`ingest answered ${String(answer.status)}`);
  }
  await hub.decideDue();
  // As packages/test-support's launchChromium: Debian's Chromium, no background connections.
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const results = {
    ours: { paint: [], p50: [], p95: [], slow: [] },
    plain: { paint: [], p50: [], p95: [], slow: [] },
  };
  const apiMs = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const fetched = performance.now();
    await (await fetch(`${hub.queryUrl}/api/v3/traces/${TRACE_ID}`)).json();
    apiMs.push(performance.now() - fetched);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    let began = performance.now();
    await page.goto(`${hub.queryUrl}/trace/${TRACE_ID}`);
    await page.waitForSelector('[data-testid="waterfall"] [role="treeitem"]');
    results.ours.paint.push(performance.now() - began);
    const rendered = await page.locator('[data-testid="waterfall"] [role="treeitem"]').count();
    const ours = await scrollFrames(page, '[data-testid="waterfall"]');
    began = performance.now();
    await page.setContent(plainList(SPANS));
    await page.waitForSelector('#list .span-row');
    results.plain.paint.push(performance.now() - began);
    const plain = await scrollFrames(page, '#list');
    for (const [name, frames] of [
      ['ours', ours],
      ['plain', plain],
    ]) {
      results[name].p50.push(median(frames));
      results[name].p95.push(quantile(frames, 0.95));
      results[name].slow.push(frames.filter((frame) => frame > 50).length);
    }
    console.log(
      `round ${String(round + 1)}: ours ${String(rendered)} rows in the page, first paint ${results.ours.paint.at(-1).toFixed(0)} ms; plain list first paint ${results.plain.paint.at(-1).toFixed(0)} ms`,
    );
    await context.close();
  }
  await browser.close();
  const line = (name, label) =>
    `| ${label} | ${median(results[name].paint).toFixed(0)} | ${median(results[name].p50).toFixed(1)} | ${median(results[name].p95).toFixed(1)} | ${String(median(results[name].slow))} |`;
  console.log(`\n${String(SPANS)} spans, median of ${String(ROUNDS)} rounds`);
  console.log('| waterfall | first paint (ms) | frame p50 (ms) | frame p95 (ms) | frames over 50 ms |');
  console.log('| --- | --- | --- | --- | --- |');
  console.log(line('ours', 'hub UI (virtualised)'));
  console.log(line('plain', 'plain list of every row'));
  console.log(
    `the trace from the hub's API alone (fetch and JSON parse in Node): ${median(apiMs).toFixed(0)} ms`,
  );
  console.log(
    `ratio, first paint: ours ${(median(results.ours.paint) / median(results.plain.paint)).toFixed(2)}x the plain list's; frame p95: ${(median(results.ours.p95) / median(results.plain.p95)).toFixed(2)}x`,
  );
} finally {
  await hub.close();
  rmSync(dir, { recursive: true, force: true });
}
