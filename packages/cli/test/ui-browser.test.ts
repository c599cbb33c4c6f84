/**
 * The hub's web UI in Debian's Chromium, on the demo's data (`obs up --demo` and `obs traffic`):
 * each view renders real data, the paths a person takes between them work (a service to its
 * traces, a trace to its spans and logs, a log record to its trace), the keyboard reaches and
 * operates the controls, and axe finds no serious or critical accessibility violation in either
 * theme. Screenshots of each view go to `.artifacts/ui/`.
 */
import { mkdirSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '@pyairtable/hub';
import { startHub } from '@pyairtable/hub';
import { ENGINES, engineAvailable, launchChromium, tempDir } from '@pyairtable/test-support';
import type { Up } from './obs-process.js';
import { componentUrl, demoUpArgs, obs, removeRelocatedCluster, startUp, stopUp } from './obs-process.js';

const ARTIFACTS = fileURLToPath(new URL('../../../.artifacts/ui/', import.meta.url));
const DEMO_SERVICES = ['api-gateway', 'airtable-gateway', 'llm-orchestrator', 'automation-services'];

/** The status of a GET sent with its path exactly as given. */
function statusOf(url: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      response.resume();
      resolve(response.statusCode);
    }).on('error', reject);
  });
}

async function accessibilityProblems(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${String(violation.impact)}): ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    );
}

describe.runIf(
  [ENGINES.chromium, ENGINES.prometheus, ENGINES.redis].every((engine) => engineAvailable(engine)),
)('the web UI on 16686, in Chromium, on the demo’s data', () => {
  const dir = tempDir('obs-ui');
  let up: Up | undefined;
  let browser: Browser | undefined;
  let hubUrl = '';
  /** Script errors in any page: none is expected (checked after all). */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    up = await startUp(demoUpArgs(dir.path, 27_000), process.env);
    hubUrl = componentUrl(up, 'hub');
    const traffic = await obs([
      'traffic',
      '--data-dir',
      dir.path,
      '--rate',
      '20',
      '--duration',
      '8',
      '--fault',
      'errors',
    ]);
    expect(traffic.code, traffic.output).toBe(0);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    expect(pageErrors).toEqual([]);
    await browser?.close();
    await stopUp(up);
    dir.cleanup();
    removeRelocatedCluster(dir.path);
  }, 60_000);

  const open = async (path: string, theme: 'light' | 'dark' = 'light'): Promise<Page> => {
    if (browser === undefined) throw new Error('no browser');
    // A context a page: axe needs one, and each page starts with empty storage.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.on('close', () => void context.close());
    page.on('pageerror', (error) => pageErrors.push(`${path}: ${error.message}`));
    // Runs in the page (a string: this file is typed for Node, not the DOM).
    await page.addInitScript(`localStorage.setItem('pyairtable-obs-theme', ${JSON.stringify(theme)})`);
    await page.goto(`${hubUrl}${path}`);
    return page;
  };

  it('serves the page and its assets with caching and security headers', async () => {
    const page = await fetch(`${hubUrl}/traces?service=api-gateway`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(await page.text())?.[1];
    const asset = await fetch(`${hubUrl}${script ?? '/assets/none.js'}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    // Sent as written (fetch would resolve the dots): an escaped way out of the assets.
    expect(await statusOf(`${hubUrl}/assets/..%2f..%2fpackage.json`)).toBe(404);
    expect((await fetch(`${hubUrl}/api/nothing-here`)).headers.get('content-type')).toContain(
      'application/json',
    );
  });

  it('lists every demo service with its rate, errors and p95, and opens a service’s traces', async () => {
    const page = await open('/');
    const table = page.getByTestId('services');
    for (const service of DEMO_SERVICES)
      await expect.poll(() => table.getByText(service).count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'services.png') });
    await table.getByRole('link', { name: 'airtable-gateway' }).click();
    await page.waitForURL(/\/traces\?service=airtable-gateway/);
    await expect.poll(() => page.getByTestId('trace-results').locator('tbody tr').count()).toBeGreaterThan(0);
    await page.close();
  });

  it('searches traces and opens one: waterfall, span detail, find in trace, its logs', async () => {
    const page = await open('/traces?service=api-gateway&lookback=15m');
    const results = page.getByTestId('trace-results');
    await expect.poll(() => results.locator('tbody tr').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'traces.png') });
    await results.locator('tbody tr').first().getByRole('link').click();
    await page.waitForURL(/\/trace\/[0-9a-f]{32}$/);
    const rows = page.getByTestId('waterfall').getByRole('treeitem');
    await expect.poll(() => rows.count()).toBeGreaterThan(1);
    await rows.nth(1).click();
    await expect.poll(() => page.getByTestId('span-detail').isVisible()).toBe(true);
    await page.getByLabel('Find in trace').fill('airtable');
    await expect
      .poll(() => page.getByTestId('find-count').textContent())
      .toMatch(/^[1-9]\d* matching spans$/);
    await expect.poll(() => page.getByTestId('trace-logs').locator('li').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'trace.png'), fullPage: true });
    await page.close();
  });

  it('searches logs and jumps from a record to its trace', async () => {
    const page = await open('/logs?service=api-gateway&lookback=15m');
    const records = page.getByTestId('logs').locator('li');
    await expect.poll(() => records.count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'logs.png') });
    const withTrace = page
      .getByTestId('logs')
      .locator('details', { has: page.locator('a', { hasText: 'Open trace' }) })
      .first();
    await withTrace.locator('summary').click();
    await withTrace.getByRole('link', { name: /Open trace/ }).click();
    await page.waitForURL(/\/trace\/[0-9a-f]{32}$/);
    await expect.poll(() => page.getByTestId('waterfall').getByRole('treeitem').count()).toBeGreaterThan(0);
    await page.close();
  });

  it('is operable by keyboard: skip link, views, and the waterfall’s rows', async () => {
    const page = await open('/traces?lookback=15m');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    await expect.poll(() => page.getByTestId('trace-results').locator('tbody tr').count()).toBeGreaterThan(0);
    const link = page.getByTestId('trace-results').locator('tbody tr').first().getByRole('link');
    await link.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/trace\//);
    const first = page.getByTestId('waterfall').getByRole('treeitem').first();
    await first.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('span-detail').isVisible()).toBe(true);
    await page.close();
  });

  it.each(['light', 'dark'] as const)(
    'has no serious or critical accessibility violation in the %s theme',
    async (theme) => {
      for (const path of ['/', '/traces?lookback=15m', '/logs?lookback=15m']) {
        const page = await open(path, theme);
        await page.waitForLoadState('networkidle');
        expect(await accessibilityProblems(page), `${path} (${theme})`).toEqual([]);
        if (path === '/') await page.screenshot({ path: join(ARTIFACTS, `services-${theme}.png`) });
        await page.close();
      }
    },
    60_000,
  );
});

describe.runIf(engineAvailable(ENGINES.chromium))('the web UI of a hub that asks for its API token', () => {
  const dir = tempDir('obs-ui-token');
  const TOKEN = 'a-long-random-token-for-the-ui-test';
  let hub: Hub | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    hub = await startHub({
      dataDir: dir.path,
      profile: 'development',
      host: '127.0.0.1',
      otlpHttpPort: 0,
      otlpGrpcPort: 0,
      prometheusPort: 0,
      queryPort: 0,
      apiToken: TOKEN,
    });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    dir.cleanup();
  });

  it('serves the page, keeps the API closed, and opens once the token is given', async () => {
    if (hub === undefined || browser === undefined) throw new Error('not started');
    expect((await fetch(`${hub.queryUrl}/api/v3/services`)).status).toBe(401);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${hub.queryUrl}/`);
    await expect.poll(() => page.getByLabel('API token', { exact: true }).isVisible()).toBe(true);
    await page.getByLabel('API token', { exact: true }).fill('a-wrong-token');
    await page.getByRole('button', { name: 'Open the UI' }).click();
    await expect.poll(() => page.getByLabel('API token', { exact: true }).isVisible()).toBe(true);
    await page.getByLabel('API token', { exact: true }).fill(TOKEN);
    await page.getByRole('button', { name: 'Open the UI' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Services' }).isVisible()).toBe(true);
    expect(await page.getByLabel('API token', { exact: true }).count()).toBe(0);
    await context.close();
  });
});
