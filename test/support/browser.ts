/**
 * A real Chromium (Debian's `chromium`) driven by playwright-core, for the dashboard's end-to-end
 * tests. Missing Chromium is an error, never a skip. Each page records its console errors and
 * uncaught exceptions, so a test can assert there were none.
 */
import { type Browser, chromium, type Page } from 'playwright-core';
import { requireBinary } from './processes.js';

const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  await requireBinary(CHROMIUM, 'chromium');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface WatchedPage {
  readonly page: Page;
  /** Console errors and page errors so far (CSP violations among them). */
  readonly errors: string[];
}

/**
 * A page that records its errors. Chromium reports every 4xx/5xx answer as a console error
 * ("Failed to load resource"); pass `allowStatus` for answers a test provokes on purpose.
 */
export async function watchedPage(
  browser: Browser,
  options: {
    width?: number;
    height?: number;
    allowStatus?: readonly number[];
    colorScheme?: 'dark' | 'light';
  } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    ...(options.colorScheme === undefined ? {} : { colorScheme: options.colorScheme }),
  });
  const page = await context.newPage();
  const errors: string[] = [];
  const allowed = new Set(options.allowStatus ?? []);
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    const status = /status of (\d{3})/.exec(text)?.[1];
    if (status !== undefined && allowed.has(Number(status))) return;
    errors.push(text);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  return { page, errors };
}
