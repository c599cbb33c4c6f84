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
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub, HubOptions } from '@pyairtable/hub';
import { startHub } from '@pyairtable/hub';
import { ENGINES, engineAvailable, launchChromium, tempDir } from '@pyairtable/test-support';
import type { Up } from './obs-process.js';
import {
  PORT_OFFSETS,
  componentUrl,
  demoUpArgs,
  obs,
  removeRelocatedCluster,
  startUp,
  stopUp,
} from './obs-process.js';

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
  const contexts: BrowserContext[] = [];
  /** Script errors in any page: none is expected (checked after all). */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    up = await startUp(demoUpArgs(dir.path, PORT_OFFSETS.uiBrowser), process.env);
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
    for (const context of contexts) await context.close();
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
    contexts.push(context);
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

  it('draws the service map with call counts and failing shares', async () => {
    const page = await open('/map?lookback=15m');
    await expect.poll(() => page.getByTestId('map-edges').locator('tbody tr').count()).toBeGreaterThan(1);
    expect(await page.getByTestId('service-map').locator('.edge').count()).toBeGreaterThan(1);
    expect(await page.getByTestId('map-edges').textContent()).toContain('api-gateway');
    await page.screenshot({ path: join(ARTIFACTS, 'map.png') });
    await page.close();
  });

  it('draws a dashboard from Prometheus through the hub, its panels with series', async () => {
    const page = await open('/dashboards');
    await page.getByRole('link', { name: 'Platform overview' }).click();
    await page.waitForURL(/\/dashboards\/pyairtable-platform-overview$/);
    await expect.poll(() => page.locator('article.panel').count()).toBeGreaterThan(4);
    await expect
      .poll(() => page.locator('article.panel .chart:not([data-series="0"])').count(), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(5);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    await page.close();
  });

  it('lists the firing alert under an incident, with its runbook and dashboard links', async () => {
    const incident = obs([
      'traffic',
      '--data-dir',
      dir.path,
      '--rate',
      '20',
      '--duration',
      '25',
      '--fault',
      'errors',
    ]);
    const page = await open('/alerts');
    await expect
      .poll(
        async () => {
          await page.reload();
          await page.getByRole('heading', { name: 'Alerts' }).waitFor();
          return page.getByTestId('alerts').getByText('HighErrorRate').count();
        },
        { timeout: 40_000, interval: 2_000 },
      )
      .toBeGreaterThan(0);
    const row = page.getByTestId('alerts').locator('tr', { hasText: 'HighErrorRate' }).first();
    expect(await row.getByRole('link', { name: 'runbook' }).count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'alerts.png') });
    await row.getByRole('link', { name: 'dashboard' }).click();
    await page.waitForURL(/\/dashboards\/pyairtable-/);
    await page.close();
    expect((await incident).code).toBe(0);
  }, 90_000);

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
      for (const path of [
        '/',
        '/traces?lookback=15m',
        '/logs?lookback=15m',
        '/map',
        '/dashboards',
        '/dashboards/pyairtable-platform-overview',
        '/alerts',
      ]) {
        const page = await open(path, theme);
        await page.waitForLoadState('networkidle');
        expect(await accessibilityProblems(page), `${path} (${theme})`).toEqual([]);
        if (path === '/') await page.screenshot({ path: join(ARTIFACTS, `services-${theme}.png`) });
        await page.close();
      }
    },
    180_000,
  );
});

/** A hub in this process on free loopback ports, without engines or demo. */
function startLoopbackHub(dataDir: string, options: Partial<HubOptions>): Promise<Hub> {
  return startHub({
    dataDir,
    profile: 'development',
    host: '127.0.0.1',
    otlpHttpPort: 0,
    otlpGrpcPort: 0,
    prometheusPort: 0,
    queryPort: 0,
    ...options,
  });
}

describe.runIf(engineAvailable(ENGINES.chromium))('the web UI of a hub that asks for its API token', () => {
  const dir = tempDir('obs-ui-token');
  const TOKEN = 'a-long-random-token-for-the-ui-test';
  let hub: Hub | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    hub = await startLoopbackHub(dir.path, { apiToken: TOKEN });
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

describe.runIf(engineAvailable(ENGINES.chromium))('the web UI of a hub that has deleted data', () => {
  const dir = tempDir('obs-ui-evicted');
  let hub: Hub | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    hub = await startLoopbackHub(dir.path, { retentionDays: 1 / 24 });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    dir.cleanup();
  });

  it('says how much retention deleted, and only once it has', async () => {
    if (hub === undefined || browser === undefined) throw new Error('not started');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${hub.queryUrl}/`);
    await page.getByRole('heading', { name: 'Services' }).waitFor();
    expect(await page.getByTestId('eviction-notice').count()).toBe(0);
    const twoHoursAgo = BigInt(Date.now() - 2 * 3_600_000) * 1_000_000n;
    const span = {
      traceId: 'ab'.repeat(16),
      spanId: 'cd'.repeat(8),
      name: 'old',
      kind: 2,
      startTimeUnixNano: String(twoHoursAgo),
      endTimeUnixNano: String(twoHoursAgo + 1_000_000n),
    };
    const sent = await fetch(`${hub.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] }),
    });
    expect(sent.status).toBe(200);
    // Stored once the sampler has decided the trace, then deleted by the next retention pass.
    const started = hub;
    await expect
      .poll(
        async () => {
          await started.decideDue();
          await started.enforceRetention();
          const status = (await (await fetch(`${started.queryUrl}/api/store-status`)).json()) as {
            spansEvicted: { age: number };
          };
          return status.spansEvicted.age;
        },
        { timeout: 30_000, interval: 1_000 },
      )
      .toBe(1);
    await page.reload();
    await expect
      .poll(() => page.getByTestId('eviction-notice').textContent())
      .toContain('1 spans older than');
    await context.close();
  });
});
