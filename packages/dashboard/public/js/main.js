// @ts-check
// The page's entry point: theme switch, session and sign-in, the hash router over the four
// views, the live indicator, and the live feed whose events go to the visible view.

import { api, client, errorText, getToken, setToken, statusOf } from './api.js';
import { h, messageBox, replace } from './dom.js';
import { LiveFeed } from './events.js';
import * as alerts from './views/alerts.js';
import * as logs from './views/logs.js';
import * as metrics from './views/metrics.js';
import * as overview from './views/overview.js';

/**
 * @typedef {{ title: string, theme: string, autoRefresh: number, sampleInterval: number,
 *   maxDataPoints: number, ranges: string[], auth: 'none' | 'basic' | 'bearer', csrfToken: string,
 *   version: string }} Session
 * @typedef {{ session: Session, liveMode: import('./events.js').LiveMode, lastStatus: any }} Context
 * @typedef {{ el: HTMLElement, update?: (param: string | undefined) => void,
 *   event: (type: string, data: any) => void, destroy: () => void }} View
 */

const THEME_KEY = 'datalineage.dashboard.theme';
/** The session's default theme as last seen, which js/theme.js applies before the first paint. */
const SERVER_THEME_KEY = 'datalineage.dashboard.serverTheme';
/** @type {Record<string, { create: (ctx: Context, param?: string) => View }>} */
const VIEWS = { overview, metrics, alerts, logs };
const MODES = { connecting: 'Connecting…', sse: 'Live', polling: 'Polling', offline: 'Offline' };

const root = document.documentElement;
const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const indicator = /** @type {HTMLElement} */ (document.querySelector('[data-testid="live-indicator"]'));
const themeButton = /** @type {HTMLElement} */ (document.querySelector('[data-testid="theme-toggle"]'));

/** @type {Context | undefined} */
let ctx;
/** @type {{ name: string, view: View } | undefined} */
let current;
/** @type {LiveFeed | undefined} */
let feed;

/** @param {string} key */
function stored(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

/** @param {string} key @param {string} value */
function store(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // storage disabled: not remembered
  }
}

/** @param {string | null | undefined} theme */
function applyTheme(theme) {
  const next = theme === 'light' ? 'light' : 'dark';
  const changed = root.dataset.theme !== next;
  root.dataset.theme = next;
  themeButton.textContent = next === 'dark' ? '☀ Light' : '☾ Dark';
  themeButton.setAttribute('aria-label', `Switch to ${next === 'dark' ? 'light' : 'dark'} theme`);
  if (changed) document.dispatchEvent(new Event('themechange'));
}

applyTheme(stored(THEME_KEY) ?? root.dataset.theme);
themeButton.addEventListener('click', () => {
  const next = root.dataset.theme === 'dark' ? 'light' : 'dark';
  store(THEME_KEY, next);
  applyTheme(next);
});

/** @param {keyof typeof MODES} mode */
function showMode(mode) {
  indicator.dataset.state = mode;
  indicator.textContent = MODES[mode];
  indicator.title =
    mode === 'polling'
      ? `Live events unavailable: refreshing every ${ctx?.session.autoRefresh} s`
      : mode === 'sse'
        ? 'Live updates (Server-Sent Events)'
        : '';
}

function route(focus = true) {
  if (!ctx) return;
  const match = /^#\/([a-z]+)(?:\/(.*))?$/.exec(location.hash);
  const name = match?.[1] ?? '';
  if (!(name in VIEWS)) {
    history.replaceState(null, '', '#/overview'); // unknown or empty: the overview, no history entry
    return route(false);
  }
  let param = match?.[2] || undefined;
  try {
    param = param && decodeURIComponent(param);
  } catch {
    // a malformed escape: the raw text
  }
  for (const link of document.querySelectorAll('nav a[data-view]')) {
    if (link.getAttribute('data-view') === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${name[0]?.toUpperCase()}${name.slice(1)} · ${ctx.session.title}`;
  if (current?.name === name && current.view.update) return current.view.update(param);
  current?.view.destroy();
  current = { name, view: VIEWS[name]?.create(ctx, param) ?? overview.create(ctx) };
  replace(main, current.view.el);
  if (focus) current.view.el.querySelector('h2')?.focus({ preventScroll: true });
}

window.addEventListener('hashchange', () => route());

/** @param {string} state loading | ready | login | problem */
function stop(state) {
  feed?.stop();
  feed = undefined;
  current?.view.destroy();
  current = undefined;
  ctx = undefined;
  document.body.dataset.state = state;
  if (state !== 'ready') showMode(state === 'loading' ? 'connecting' : 'offline');
}

/** @param {string} title @param {...import('./dom.js').Child} children */
const panel = (title, ...children) =>
  h(
    'section.panel.login',
    { 'aria-labelledby': 'panel-title' },
    h('h2', { id: 'panel-title' }, title),
    children,
  );

/** @param {string} [problem] */
function showLogin(problem) {
  stop('login');
  const token = h('input', {
    id: 'login-token',
    type: 'password',
    required: true,
    autocomplete: 'current-password',
    'data-testid': 'login-token',
  });
  const message = messageBox('login-error');
  if (problem) message.show(problem);
  const form = h(
    'form',
    { 'data-testid': 'login-form', 'aria-label': 'Sign in' },
    h('p.muted', 'This dashboard is protected by an access token.'),
    h('div.field', h('label', { for: 'login-token' }, 'Access token'), token),
    message.el,
    h(
      'div.actions',
      h('button.btn.btn--primary', { type: 'submit', 'data-testid': 'login-submit' }, 'Sign in'),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!token.value.trim()) return;
    setToken(token.value.trim());
    start();
  });
  replace(main, panel('Sign in', form));
  token.focus();
}

/** @param {string} text @param {boolean} retry */
function showProblem(text, retry) {
  stop('problem');
  const again = () => (retry ? start() : location.reload());
  replace(
    main,
    panel(
      retry ? 'Cannot load the dashboard' : 'Sign-in required',
      h('p', { role: 'alert', 'data-testid': 'auth-message' }, text),
      h(
        'div.actions',
        h(
          'button.btn.btn--primary',
          { type: 'button', on: { click: again } },
          retry ? 'Try again' : 'Reload',
        ),
      ),
    ),
  );
}

client.onUnauthorized = (error) => {
  // Several requests can fail at once: one login form, and keep what the user is typing.
  if (document.body.dataset.state === 'login') return;
  if (error.scheme === 'basic' || (!error.scheme && ctx?.session.auth === 'basic')) {
    return showProblem(
      'The server did not accept your credentials. Reload the page to sign in again.',
      false,
    );
  }
  const hadToken = getToken() !== null;
  setToken(null);
  showLogin(hadToken ? 'That token was not accepted.' : undefined);
};

async function start() {
  stop('loading');
  /** @type {Session} */
  let session;
  try {
    session = await api('api/session');
  } catch (error) {
    const status = statusOf(error);
    if (status === 401) return; // onUnauthorized has shown the way in
    return status === 429 ? showLogin(errorText(error)) : showProblem(errorText(error), true);
  }
  if (session.auth === 'bearer' && getToken() === null) return showLogin();
  client.csrfToken = session.csrfToken;
  store(SERVER_THEME_KEY, session.theme);
  if (!stored(THEME_KEY)) applyTheme(session.theme);
  /** @type {HTMLElement} */ (document.getElementById('app-title')).textContent = session.title;
  /** @type {HTMLElement} */ (document.getElementById('app-version')).textContent = session.version
    ? `v${session.version}`
    : '';
  const context = /** @type {Context} */ ({ session, liveMode: 'connecting', lastStatus: undefined });
  ctx = context;
  document.body.dataset.state = 'ready';
  showMode('connecting');
  feed = new LiveFeed({
    autoRefresh: session.autoRefresh || 30,
    sampleInterval: session.sampleInterval || 5,
    onMode: (mode) => {
      context.liveMode = mode;
      showMode(mode);
      current?.view.event('mode', mode);
    },
    onEvent: (type, data) => {
      if (type === 'status') context.lastStatus = data;
      current?.view.event(type, data);
    },
  });
  feed.start();
  route(false);
}

document.querySelector('.skip-link')?.addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});

start();
