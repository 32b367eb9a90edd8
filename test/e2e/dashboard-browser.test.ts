/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The dashboard in a real Chromium (Debian's, driven by playwright-core). First over the example
// app running as its own process: every view loads with no console error, the charts draw the
// example's data and keep refetching live, the theme switch works and sticks, and screenshots of
// each view in both themes are taken — into .tmp/screenshots/, or into the README's
// docs/screenshots/ with `npm run screenshots` (SCREENSHOTS_DIR). Then over a monitoring system in this
// process, where the test controls the data: a log search finds an injected line, markup in a log
// shows as text and runs nothing, acknowledging from the page acknowledges, a new measurement
// shows up without a reload, and with authentication on the page asks for the token while a
// request without credentials gets 401.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AlertCondition, LogLevel, loadConfig, MonitoringSystem } from '@datalineage/monitoring';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { launchChromium, watchedPage } from '../support/browser.js';
import { freePort, type RunningProcess, startProcess, tempDir } from '../support/processes.js';

const SCREENSHOTS = process.env.SCREENSHOTS_DIR ?? '.tmp/screenshots';
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

/** Non-background pixels drawn on the chart's canvases. */
async function drawnPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    let drawn = 0;
    for (const canvas of document.querySelectorAll<HTMLCanvasElement>('[data-testid="chart"] canvas')) {
      const context = canvas.getContext('2d');
      if (context === null || canvas.width === 0) continue;
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      for (let i = 3; i < data.length; i += 4) if ((data[i] as number) > 0) drawn++;
    }
    return drawn;
  });
}

describe('the dashboard over the example app', () => {
  let app: RunningProcess;
  let base: string;
  let dir: string;

  beforeAll(async () => {
    dir = await tempDir('dashboard-e2e');
    const config = parse(readFileSync('examples/monitoring-config.yaml', 'utf8')) as {
      monitoring: { dashboard: Record<string, unknown> };
    };
    Object.assign(config.monitoring.dashboard, { sample_interval: 1 });
    const file = join(dir, 'monitoring-config.yaml');
    writeFileSync(file, stringify(config));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = await startProcess({
      binary: process.execPath,
      args: ['--conditions=@datalineage/source', '--import', 'tsx', 'examples/monitoring-example.ts'],
      debianPackage: 'nodejs',
      readyUrl: `${base}/readyz`,
      readyTimeoutMs: 30_000,
      env: {
        ...process.env,
        DATALINEAGE_CONFIG_FILE: file,
        DATALINEAGE_DASHBOARD_PORT: String(port),
        EXAMPLE_API_PORT: '0', // the example's API on any free port, as tests run side by side
        DATALINEAGE_ALERT_EVALUATION_INTERVAL: '1',
        EXAMPLE_ALERT_MIN_DURATION: '1',
        EXAMPLE_RATE: '200',
      },
    });
    // A few samples of history, and the example's alert firing.
    await new Promise((resolve) => setTimeout(resolve, 6000));
  }, 90_000);

  afterAll(async () => {
    await app?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('loads every view with no console error, charts the example’s data and refetches it live', async () => {
    const { page, errors } = await watchedPage(browser);
    await page.goto(`${base}/#/overview`);
    await page.getByTestId('health-cards').waitFor();
    await page.waitForFunction(
      () => document.querySelector('[data-testid="live-indicator"]')?.getAttribute('data-state') === 'sse',
    );
    await page.waitForFunction(() =>
      /\d/.test(document.querySelector('[data-testid="stat-series"]')?.textContent ?? ''),
    );

    const seriesRequests: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/metrics/operations.total/series')) seriesRequests.push(request.url());
    });
    await page.goto(`${base}/#/metrics/operations.total`);
    await page.locator('[data-testid="chart"] canvas').first().waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="chart"] canvas') !== null);
    await expect.poll(() => drawnPixels(page), { timeout: 10_000 }).toBeGreaterThan(500);
    // Live: the open chart refetches on every sample, with no reload.
    await expect.poll(() => seriesRequests.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);

    for (const [view, ready] of [
      ['alerts', 'alert-table'],
      ['logs', 'log-results'],
    ] as const) {
      await page.goto(`${base}/#/${view}`);
      await page.getByTestId(ready).first().waitFor({ timeout: 10_000 });
    }
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('switches between dark and light, keeps the choice, and is screenshotted in both', async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    for (const theme of ['dark', 'light'] as const) {
      const { page, errors } = await watchedPage(browser, { width: 1280, height: 860 });
      await page.goto(`${base}/#/overview`);
      await page.getByTestId('health-cards').waitFor();
      const current = await page.evaluate(() => document.documentElement.dataset.theme);
      if (current !== theme) await page.getByTestId('theme-toggle').click();
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
      await page.reload();
      await page.getByTestId('health-cards').waitFor();
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme); // remembered
      const views: Array<[string, string, string]> = [
        ['overview', '#/overview', 'health-cards'],
        ['metrics', '#/metrics/operations.total', 'chart'],
        ['alerts', '#/alerts', 'alert-table'],
        ['logs', '#/logs', 'log-results'],
      ];
      for (const [name, hash, ready] of views) {
        await page.goto(`${base}/${hash}`);
        await page.getByTestId(ready).first().waitFor();
        if (name === 'metrics')
          await expect.poll(() => drawnPixels(page), { timeout: 10_000 }).toBeGreaterThan(500);
        if (name === 'logs') await page.getByTestId('log-row').first().waitFor();
        await page.waitForTimeout(300); // let charts and fonts settle
        await page.screenshot({ path: join(SCREENSHOTS, `${name}-${theme}.png`), fullPage: false });
      }
      // Readable on a phone: the overview at 375 px wide.
      await page.setViewportSize({ width: 375, height: 800 });
      await page.goto(`${base}/#/overview`);
      await page.getByTestId('health-cards').waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(1);
      if (theme === 'dark') await page.screenshot({ path: join(SCREENSHOTS, 'overview-phone.png') });
      expect(errors).toEqual([]);
      await page.context().close();
    }
  });
});

describe('the dashboard over a monitoring system the test controls', () => {
  let monitoring: MonitoringSystem;
  let base: string;

  beforeAll(async () => {
    monitoring = new MonitoringSystem(
      loadConfig({
        config: {
          serviceName: 'browser-test',
          handleSignals: false,
          dashboard: { port: 0, sampleInterval: 1 },
          alerts: { evaluationInterval: 1 },
        },
        env: {},
      }),
    );
    monitoring.alertManager.addRule({
      name: 'disk_full',
      metricName: 'disk.usage',
      condition: AlertCondition.GREATER_THAN,
      threshold: 90,
      minDuration: 0,
      description: 'Disk almost full',
    });
    monitoring.metricsCollector.setGauge('disk.usage', 97, { volume: '/data' });
    monitoring.logAggregator.addLog({
      level: LogLevel.WARNING,
      message: 'needle-7391 found in the haystack',
      loggerName: 'e2e',
    });
    monitoring.logAggregator.addLog({
      level: LogLevel.ERROR,
      message: '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>',
      loggerName: 'e2e',
      extraData: { html: '<b onmouseover="window.__xss=3">bold</b>' },
    });
    await monitoring.start();
    base = monitoring.dashboardAddress as string;
    await monitoring.alertManager.evaluate();
  }, 30_000);

  afterAll(async () => {
    await monitoring?.shutdown();
  });

  it('finds an injected line, and shows markup in logs as text that runs nothing', async () => {
    const { page, errors } = await watchedPage(browser);
    await page.goto(`${base}/#/logs`);
    await page.getByTestId('log-contains').fill('needle-7391');
    await page.getByTestId('log-contains').press('Enter');
    await expect
      .poll(async () => page.getByTestId('log-message').allTextContents(), { timeout: 10_000 })
      .toEqual(['needle-7391 found in the haystack']);
    await page.getByTestId('log-contains').fill('onerror');
    await page.getByTestId('log-contains').press('Enter');
    const message = page.getByTestId('log-message').first();
    await expect
      .poll(() => message.textContent(), { timeout: 10_000 })
      .toBe('<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>');
    await page.getByTestId('log-expand').first().click();
    await expect.poll(() => page.getByTestId('log-json').first().textContent()).toContain('<b onmouseover=');
    await page.getByTestId('log-detail').first().hover();
    expect(
      await page
        .locator(
          '[data-testid="log-results"] img, [data-testid="log-results"] script, [data-testid="log-results"] b',
        )
        .count(),
    ).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('acknowledges a firing alert from the page', async () => {
    const { page, errors } = await watchedPage(browser);
    await page.goto(`${base}/#/alerts`);
    const firing = page.locator('[data-testid="alert-row"][data-state="firing"]');
    await firing.first().waitFor();
    await firing.first().getByTestId('ack-button').click();
    await expect
      .poll(() => monitoring.alertManager.getAlerts().find((a) => a.rule === 'disk_full')?.acknowledged, {
        timeout: 10_000,
      })
      .toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('shows a new measurement without a reload', async () => {
    const { page, errors } = await watchedPage(browser);
    await page.goto(`${base}/#/metrics`);
    await page.getByTestId('metric-list').waitFor();
    expect(await page.getByTestId('metric-list').textContent()).not.toContain('fresh.arrival');
    monitoring.metricsCollector.increment('fresh.arrival', { source: 'e2e' }, 3);
    await expect
      .poll(() => page.getByTestId('metric-list').textContent(), { timeout: 15_000 })
      .toContain('fresh.arrival');
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

describe('the dashboard without live events', () => {
  it('falls back to polling and still shows new data; works from the keyboard', async () => {
    const monitoring = new MonitoringSystem(
      loadConfig({
        config: { handleSignals: false, dashboard: { port: 0, sampleInterval: 1, autoRefresh: 1 } },
        env: {},
      }),
    );
    await monitoring.start();
    try {
      const { page, errors } = await watchedPage(browser);
      // A proxy that breaks event streams: every attempt fails.
      await page.route('**/api/events', (route) => route.abort());
      await page.goto(`${monitoring.dashboardAddress}/#/overview`);
      await page.waitForFunction(
        () =>
          document.querySelector('[data-testid="live-indicator"]')?.getAttribute('data-state') === 'polling',
        undefined,
        { timeout: 15_000 },
      );
      // Keyboard: Tab to the Metrics link and press Enter.
      for (let i = 0; i < 12; i++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate(() => document.activeElement?.getAttribute('data-testid') === 'nav-metrics'))
          break;
      }
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => location.hash === '#/metrics');
      await page.getByTestId('metric-list').waitFor();
      monitoring.metricsCollector.setGauge('polled.value', 1);
      await expect
        .poll(() => page.getByTestId('metric-list').textContent(), { timeout: 15_000 })
        .toContain('polled.value');
      // The aborted streams are the only errors Chromium reports.
      expect(errors.filter((error) => !/ERR_FAILED|net::/.test(error))).toEqual([]);
      await page.context().close();
    } finally {
      await monitoring.shutdown();
    }
  });
});

describe('the dashboard with authentication on', () => {
  const token = 'tok_e2e_0123456789abcdef';
  let monitoring: MonitoringSystem;
  let base: string;

  beforeAll(async () => {
    monitoring = new MonitoringSystem(
      loadConfig({ config: { handleSignals: false, dashboard: { port: 0, auth: { token } } }, env: {} }),
    );
    await monitoring.start();
    base = monitoring.dashboardAddress as string;
  });
  afterAll(async () => {
    await monitoring?.shutdown();
  });

  it('answers a request without credentials with 401, and lets the page in with the token', async () => {
    expect((await fetch(`${base}/api/status`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect(
      (await fetch(`${base}/api/status`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(200);
    const { page, errors } = await watchedPage(browser, { allowStatus: [401] });
    await page.goto(`${base}/`);
    await page.getByTestId('login-form').waitFor();
    await page.getByTestId('login-token').fill(token);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('health-cards').waitFor({ timeout: 10_000 });
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
