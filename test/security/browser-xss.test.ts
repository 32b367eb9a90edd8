/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Security review, point 4: XSS in a real browser (Debian's Chromium, driven by playwright-core).
// A monitoring system set up with setupMonitoring() records metrics, label values, logs, alerts,
// a silence and an exporter error that carry markup, script, `javascript:` URLs and unicode
// tricks; every view of the dashboard is visited, and on each one: nothing of it ran
// (window.__xss is never assigned, no dialog), the browser reported no CSP violation (a blocked
// inline script or handler means the payload reached the DOM as markup), the page asked for
// nothing it did not mean to (an injected <img src=x> would), no element grew an event-handler
// attribute, a script or a frame, and each payload is on the page as text.
import { createServer, type Server } from 'node:http';
import { LogLevel, type MonitoringSystem, resetMonitoring, setupMonitoring } from '@datalineage/monitoring';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watchedPage } from '../support/browser.js';

/** Each payload, if it ever ran, assigns window.__xss (or opens a dialog). */
const PAYLOADS = {
  img: '<img src=x onerror=window.__xss=1>',
  imgAlert: '<img src=x onerror=alert(1)>',
  breakout: '"><script>window.__xss=2</script>',
  closeScript: '</script><script>window.__xss=3</script>',
  svg: '<svg/onload=window.__xss=4>',
  jsUrl: 'javascript:window.__xss=5',
  anchor: '<a href="javascript:window.__xss=6">click</a>',
  attribute: "' onmouseover='window.__xss=7' x='",
  entity: '&lt;img src=x onerror=window.__xss=8&gt;',
  iframe: '<iframe srcdoc="<script>parent.__xss=9</script>"></iframe>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection payload, on purpose
  template: '{{constructor.constructor("window.__xss=10")()}} ${window.__xss=11}',
  unicode:
    '\u202e<img src=x onerror=window.__xss=12>\u202c \uff1cscript\uff1ewindow.__xss=13\uff1c/script\uff1e <scr\u200bipt>window.__xss=14</scr\u200bipt>',
  comment: '<!--<img src="--><img src=x onerror=window.__xss=15>">',
  style:
    '<style>@import "http://evil.example/x.css"</style><b style="background:url(javascript:window.__xss=16)">b</b>',
  mutation: '<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=17>',
  lineSeparator: 'line\u2028<img src=x onerror=window.__xss=18>\u2029end',
} as const;
const ALL = Object.values(PAYLOADS);

/** Runs in every page before its own scripts: traps window.__xss, records CSP violations. */
function instrument(): void {
  const w = window as unknown as { __xssHits: unknown[]; __csp: string[] };
  w.__xssHits = [];
  w.__csp = [];
  Object.defineProperty(window, '__xss', {
    configurable: false,
    get: () => undefined,
    set: (value: unknown) => {
      w.__xssHits.push(value);
    },
  });
  document.addEventListener('securitypolicyviolation', (event) => {
    w.__csp.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'}: ${event.sample}`);
  });
}

/** What the page must hold for the payloads to be inert, checked after every view. */
async function inspect(page: Page) {
  return page.evaluate(() => {
    const w = window as unknown as { __xssHits: unknown[]; __csp: string[] };
    const handlers: string[] = [];
    for (const el of document.querySelectorAll('*')) {
      for (const attribute of el.getAttributeNames()) {
        if (/^on/i.test(attribute)) handlers.push(`<${el.localName} ${attribute}>`);
        if (/^(href|src|action|formaction|xlink:href|srcdoc)$/i.test(attribute)) {
          const value = el.getAttribute(attribute) ?? '';
          // Only the page's own relative links and files, and fragment links of the views.
          if (/^\s*[a-z][\w+.-]*:/i.test(value) || attribute === 'srcdoc') {
            handlers.push(`<${el.localName} ${attribute}=${value}>`);
          }
        }
      }
    }
    const scripts = [...document.querySelectorAll('script')].map((s) => s.getAttribute('src') ?? 'inline');
    const foreign = [
      ...document.querySelectorAll(
        'iframe, frame, object, embed, svg, math, style, base, form[action], meta[http-equiv]',
      ),
    ].map((el) => el.localName);
    const images = [...document.querySelectorAll('img')].map((img) => img.getAttribute('src'));
    return {
      hits: w.__xssHits,
      csp: w.__csp,
      handlers,
      scripts,
      foreign,
      images,
      text: document.getElementById('main')?.textContent ?? '',
    };
  });
}

let browser: Browser;
let monitoring: MonitoringSystem;
let backend: Server;
let base: string;

beforeAll(async () => {
  // An exporter backend whose error page carries markup: its text ends up in the status.
  backend = createServer((_request, response) => {
    response.writeHead(500, { 'content-type': 'text/html' });
    response.end(`${PAYLOADS.closeScript} ${PAYLOADS.img}`);
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const { port } = backend.address() as { port: number };
  monitoring = setupMonitoring({
    serviceName: `svc ${PAYLOADS.breakout}`,
    handleSignals: false,
    // The failing exporter would otherwise be retried for the default 10 s at shutdown.
    shutdownTimeout: 1,
    dashboard: { port: 0, sampleInterval: 1 },
    alerts: { evaluationInterval: 3600 },
    exporters: {
      prometheus: { enabled: true, pushgatewayUrl: `http://127.0.0.1:${port}`, interval: 3600, timeout: 2 },
    },
  });
  const collector = monitoring.metricsCollector;
  collector.gauge('xss.gauge', { description: `gauge ${PAYLOADS.svg} ${PAYLOADS.anchor}` });
  ALL.forEach((payload, i) => {
    collector.setGauge('xss.gauge', i, { payload });
  });
  collector.setGauge('javascript:alert', 1, { note: PAYLOADS.jsUrl });
  ALL.forEach((payload, i) => {
    monitoring.logAggregator.addLog({
      level: i % 2 === 0 ? LogLevel.ERROR : LogLevel.WARNING,
      message: payload,
      loggerName: `logger ${payload}`,
      extraData: { payload, link: PAYLOADS.jsUrl, nested: { html: payload } },
      ...(i === 0
        ? { error: Object.assign(new Error(PAYLOADS.iframe), { stack: `Error: ${PAYLOADS.img}\n    at x` }) }
        : {}),
    });
  });
  monitoring.alertManager.addRule({
    name: `rule ${PAYLOADS.img}`,
    metricName: 'xss.gauge',
    threshold: -1,
    minDuration: 0,
    description: `described ${PAYLOADS.breakout}`,
    labels: { team: PAYLOADS.svg },
    annotations: { runbook: PAYLOADS.jsUrl, summary: PAYLOADS.anchor },
  });
  monitoring.alertManager.addRule({
    name: `rule ${PAYLOADS.attribute}`,
    metricName: 'javascript:alert',
    threshold: 0,
    minDuration: 0,
    description: PAYLOADS.unicode,
  });
  await monitoring.start();
  await monitoring.logAggregator.flush();
  await monitoring.alertManager.evaluate();
  monitoring.alertManager.silence({
    matchers: { payload: PAYLOADS.entity },
    endsAt: Date.now() + 3_600_000,
    createdBy: `by ${PAYLOADS.attribute}`,
    comment: `why ${PAYLOADS.iframe}`,
  });
  await monitoring.exporterManager.exportNow();
  base = monitoring.dashboardAddress as string;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await resetMonitoring();
  await new Promise((resolve) => backend?.close(resolve));
});

describe('4. XSS: payloads in metrics, labels, logs, alerts and errors render inert in Chromium', () => {
  it('the fixture really carries the payloads to the page (status, alerts, exporter error)', () => {
    const status = monitoring.getMonitoringStatus();
    expect(status.exporters.pushgateway?.lastError).toContain(PAYLOADS.img);
    expect(monitoring.alertManager.getAlerts().length).toBeGreaterThan(ALL.length);
  });

  it('every view shows each payload as text and runs none of it', async () => {
    const { page, errors } = await watchedPage(browser, { allowStatus: [404] });
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      dialog.dismiss().catch(() => {});
    });
    // Everything the page asks for: its own files and the API, nothing an injected tag would load.
    const unexpected: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      const own = url.origin === base && /^\/(?:$|assets\/|api\/|favicon\.ico$)/.test(url.pathname);
      if (!own) unexpected.push(request.url());
    });
    await page.addInitScript(instrument);

    /** Visits a view, waits for it, checks it; `expected` are the payloads it must show as text. */
    const visit = async (hash: string, ready: () => Promise<unknown>, expected: readonly string[]) => {
      await page.goto(`${base}/${hash}`);
      await ready();
      // Wait for the view's data; what is still missing is reported after the security checks.
      let state = await inspect(page);
      let missing = expected.filter((payload) => !state.text.includes(payload));
      for (const deadline = Date.now() + 10_000; missing.length > 0 && Date.now() < deadline; ) {
        await page.waitForTimeout(100);
        state = await inspect(page);
        missing = expected.filter((payload) => !state.text.includes(payload));
      }
      expect(state.hits, `${hash}: window.__xss assigned`).toEqual([]);
      expect(state.csp, `${hash}: CSP violations`).toEqual([]);
      expect(state.handlers, `${hash}: event-handler or scheme attributes`).toEqual([]);
      expect(state.scripts, `${hash}: scripts`).toEqual(['assets/js/theme.js', 'assets/js/main.js']);
      expect(state.foreign, `${hash}: foreign elements`).toEqual([]);
      expect(state.images, `${hash}: images`).toEqual(['assets/favicon.svg']);
      expect(dialogs, `${hash}: dialogs`).toEqual([]);
      expect(unexpected, `${hash}: requests the page did not mean to make`).toEqual([]);
      expect(missing, `${hash}: payloads not shown as text`).toEqual([]);
    };

    await visit('#/overview', () => page.getByTestId('exporter-table').waitFor(), [
      PAYLOADS.breakout, // the service name
      PAYLOADS.closeScript, // the exporter's last error
      PAYLOADS.img,
    ]);
    await visit('#/metrics', () => page.getByTestId('metric-list').waitFor(), [
      'xss.gauge',
      'javascript:alert',
    ]);
    expect(
      await page.getByTestId('metric-link').evaluateAll((links) => links.map((a) => a.getAttribute('href'))),
    ).toEqual(
      expect.arrayContaining(['#/metrics/xss.gauge', `#/metrics/${encodeURIComponent('javascript:alert')}`]),
    );
    await visit(
      '#/metrics/xss.gauge',
      () => page.locator('[data-testid="chart"] canvas').first().waitFor({ timeout: 15_000 }),
      // The chart's legend (one line per series, by its labels) and the description.
      [...ALL, `gauge ${PAYLOADS.svg} ${PAYLOADS.anchor}`],
    );
    // A view parameter from the URL itself: a link someone was sent.
    await visit(
      `#/metrics/${encodeURIComponent(PAYLOADS.img)}`,
      () => page.getByTestId('metric-title').waitFor(),
      [PAYLOADS.img],
    );
    await visit(
      `#/metrics/${encodeURIComponent(PAYLOADS.jsUrl)}`,
      () => page.getByTestId('metric-title').waitFor(),
      [PAYLOADS.jsUrl],
    );
    await visit('#/alerts', () => page.getByTestId('alert-table').waitFor(), [
      `rule ${PAYLOADS.img}`,
      `rule ${PAYLOADS.attribute}`,
      `described ${PAYLOADS.breakout}`,
      PAYLOADS.unicode,
      `team=${PAYLOADS.svg}`,
      ...ALL.map((payload) => `payload=${payload}`),
      `by ${PAYLOADS.attribute}`,
      `why ${PAYLOADS.iframe}`,
    ]);
    // Acknowledging echoes the rule's name in the page's message.
    await page.getByTestId('ack-button').first().click();
    await expect
      .poll(() => page.getByTestId('main').textContent(), { timeout: 10_000 })
      .toContain('Acknowledged rule');
    expect((await inspect(page)).hits).toEqual([]);

    await visit('#/logs', () => page.getByTestId('log-row').first().waitFor(), [
      ...ALL,
      ...ALL.map((payload) => `logger ${payload}`),
    ]);
    // The details (extra data as JSON, the error's stack) of every entry, opened.
    for (const button of await page.getByTestId('log-expand').all()) await button.click();
    await expect
      .poll(() => page.getByTestId('log-stack').first().textContent())
      .toBe(`Error: ${PAYLOADS.img}\n    at x`);
    const details = (await page.getByTestId('log-json').allTextContents()).join('\n');
    expect(details).toContain(JSON.stringify(PAYLOADS.jsUrl));
    expect(details).toContain(JSON.stringify(PAYLOADS.img));
    // A search for a payload: the query goes out and comes back as text too.
    await page.getByTestId('log-contains').fill(PAYLOADS.breakout);
    await page.getByTestId('log-contains').press('Enter');
    await expect
      .poll(() => page.getByTestId('log-message').allTextContents(), { timeout: 10_000 })
      .toEqual([PAYLOADS.breakout]);
    const final = await inspect(page);
    expect(final.hits).toEqual([]);
    expect(final.csp).toEqual([]);
    expect(final.handlers).toEqual([]);
    expect(dialogs).toEqual([]);
    expect(unexpected).toEqual([]);
    // The 404s allowed above are the series of the made-up metric names visited on purpose.
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
