// Security review of the dashboard's HTTP surface, a test per point, over routes enumerated from
// the Hono app itself (`app.routes`), so a route added later is covered without editing this file:
//   1. authentication on every route but the documented public ones (basic and bearer), also over
//      a real socket with paths that try to slip past the open prefixes (`/assets/../api/status`);
//   2. CSRF on every mutation: refused without a token, with another instance's or a tampered one,
//      from another origin, or by GET; accepted with the session's token;
//   3. the CSP and the other security headers on every kind of answer: page, API, assets, event
//      stream, redirects, 304, and every error status.
import {
  createDashboard,
  type DashboardAuth,
  type DashboardServer,
  startDashboardServer,
} from '@datalineage/dashboard';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assets,
  basicAuth,
  concrete,
  dashboardApp,
  type Endpoint,
  endpoints,
  key,
  ORIGIN,
  rawRequest,
  STATUS_MARKER,
  sources,
} from './support.js';

const USER = 'ops';
const PASSWORD = 'pw-9f8e7d6c5b4a';
const TOKEN = 'tok_security_0123456789abcdef';

/**
 * The routes the code documents as open (app.ts `openPaths`): the probes always, and in bearer
 * mode the page's own files, which must load before the page can ask for the token. Making
 * another route public must show up here as a change.
 */
const PUBLIC: Readonly<Record<'basic' | 'bearer', readonly string[]>> = {
  basic: ['GET /healthz', 'HEAD /healthz', 'GET /readyz', 'HEAD /readyz'],
  bearer: [
    'GET /healthz',
    'HEAD /healthz',
    'GET /readyz',
    'HEAD /readyz',
    'GET /',
    'HEAD /',
    'GET /assets/*',
    'HEAD /assets/*',
    'GET /favicon.ico',
    'HEAD /favicon.ico',
  ],
};

const MODES = {
  basic: {
    auth: { username: USER, password: PASSWORD } satisfies DashboardAuth,
    right: basicAuth(USER, PASSWORD),
    challenge: /^Basic realm="[^"]+", charset="UTF-8"$/,
    wrong: {
      'wrong password': basicAuth(USER, `${PASSWORD}x`),
      'password prefix': basicAuth(USER, PASSWORD.slice(0, -1)),
      'password in upper case': basicAuth(USER, PASSWORD.toUpperCase()),
      'wrong user': basicAuth('admin', PASSWORD),
      'empty password': basicAuth(USER, ''),
      'no colon': `Basic ${Buffer.from(`${USER}${PASSWORD}`).toString('base64')}`,
      'garbage base64': 'Basic !!!not-base64!!!',
      'empty basic': 'Basic ',
      'the password as a bearer token': `Bearer ${PASSWORD}`,
      'user:password as a bearer token': `Bearer ${USER}:${PASSWORD}`,
      'unencoded user:password': `Basic ${USER}:${PASSWORD}`,
    },
  },
  bearer: {
    auth: { token: TOKEN } satisfies DashboardAuth,
    right: `Bearer ${TOKEN}`,
    challenge: /^Bearer realm="[^"]+"$/,
    wrong: {
      'wrong token': 'Bearer tok_security_0123456789abcdeX',
      'token plus a character': `Bearer ${TOKEN}x`,
      'token prefix': `Bearer ${TOKEN.slice(0, -1)}`,
      'token in upper case': `Bearer ${TOKEN.toUpperCase()}`,
      'empty bearer': 'Bearer ',
      'token as basic credentials': basicAuth('token', TOKEN),
      'token with another scheme': `Token ${TOKEN}`,
      'bare token': TOKEN,
    },
  },
} as const;

/** Reads and discards a body (an event stream is cancelled), so no stream stays open. */
async function drain(response: Response): Promise<string> {
  if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
    await response.body?.cancel();
    return '';
  }
  return response.text();
}

describe('1. authentication on every dashboard route', () => {
  for (const mode of ['basic', 'bearer'] as const) {
    const { auth, right, wrong, challenge } = MODES[mode];

    it(`${mode}: every route but the documented public ones answers 401 without or with wrong credentials, and not with the right ones`, async () => {
      const { app, events, request } = dashboardApp({ auth });
      const all = endpoints(app);
      // The enumeration really sees the app (a broken one would make this test pass vacuously).
      expect(all.map(key)).toEqual(
        expect.arrayContaining(['GET /api/status', 'POST /api/silences', 'GET /api/events', 'GET /metrics']),
      );
      const open: string[] = [];
      for (const endpoint of all) {
        const path = concrete(endpoint.path);
        const name = `${key(endpoint)} (${path})`;
        const anonymous = await request(path, { method: endpoint.method });
        const anonymousBody = await drain(anonymous);
        if (anonymous.status !== 401) {
          open.push(key(endpoint));
          continue;
        }
        expect(anonymous.headers.get('www-authenticate'), name).toMatch(challenge);
        if (endpoint.method !== 'HEAD') {
          expect(JSON.parse(anonymousBody), name).toEqual({
            error: { code: 'unauthorized', message: 'authentication required' },
          });
        }
        for (const [what, authorization] of Object.entries(wrong)) {
          const refused = await request(path, { method: endpoint.method, headers: { authorization } });
          const body = await drain(refused);
          expect(refused.status, `${name} with ${what}`).toBe(401);
          expect(body, `${name} with ${what}`).not.toContain(STATUS_MARKER);
        }
        const allowed = await request(path, { method: endpoint.method, headers: { authorization: right } });
        await drain(allowed);
        expect(allowed.status, `${name} with the right credentials`).not.toBe(401);
        expect(allowed.status, `${name} with the right credentials`).not.toBe(429);
      }
      expect(open.sort()).toEqual([...PUBLIC[mode]].sort());
      events.closeAll();
    });

    it(`${mode}: over a real socket, no path spelling reaches data without credentials`, async () => {
      const context = sources();
      const server = await startDashboardServer({ ...context.options, auth, assets: assets(), port: 0 });
      try {
        // Each tries to be read as an open path (probe, page file) by the authentication while
        // the router serves a protected one, or to dodge the match of the protected route.
        const paths = [
          '/api/status',
          '/assets/../api/status',
          '/assets/%2e%2e/api/status',
          '/assets/%2E%2E/api/status',
          '/assets/.%2e/api/status',
          '/assets/..%2fapi%2fstatus',
          '/assets/..%2Fapi/status',
          '/assets/%2e%2e%2fapi%2fstatus',
          '/assets/js/../../api/status',
          '/healthz/../api/status',
          '/healthz/%2e%2e/api/status',
          '/healthz%2f..%2fapi%2fstatus',
          '/healthz;/../api/status',
          '/favicon.ico/../api/status',
          '/./api/status',
          '//api/status',
          '/api//status',
          '/api/./status',
          '/%61pi/status',
          '/api/%73tatus',
          '/api/status/',
          '/api/status%00',
          '/api/status%20',
          '/API/STATUS',
          '/api/status?/healthz',
          '/api/status#/healthz',
          '/assets/..\\api\\status',
          '/metrics',
          '/assets/../metrics',
          '/assets/%2e%2e/metrics',
          '/assets/%2e%2e/api/events',
          `${ORIGIN}/api/status`,
        ];
        for (const path of paths) {
          const answer = await rawRequest(server.url, path);
          expect(answer.body, path).not.toContain(STATUS_MARKER);
          expect([400, 401, 404], `${path} answered ${answer.status}`).toContain(answer.status);
        }
        // …while the right credentials do reach the data (the marker check can see a leak).
        const allowed = await rawRequest(server.url, '/api/status', { headers: { authorization: right } });
        expect(allowed.status).toBe(200);
        expect(allowed.body).toContain(STATUS_MARKER);
      } finally {
        await server.close();
      }
    });
  }
});

describe('2. CSRF on every mutation', () => {
  const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

  /** A firing alert and an active silence, so each known mutation can succeed and be seen to. */
  async function fixture(auth: DashboardAuth | undefined) {
    const context = dashboardApp(auth === undefined ? {} : { auth });
    context.alerts.addRule({ name: 'hot', metricName: 'temp', threshold: 1, minDuration: 0 });
    context.collector.setGauge('temp', 5);
    await context.alerts.evaluate();
    const alert = context.alerts.getAlerts()[0];
    if (alert === undefined) throw new Error('the fixture alert did not fire');
    const silence = context.alerts.silence({
      matchers: { alertname: 'never-matches' },
      endsAt: context.now() + 3_600_000,
      createdBy: 'fixture',
      comment: 'fixture',
    });
    const activeSilences = () =>
      context.alerts.silences.list(context.now()).filter((s) => s.endsAt > context.now());
    /** How each known mutation is called, and how its effect is seen. Unknown ones get a generic call. */
    const known: Record<string, { path: string; body?: unknown; ok: number; done: () => boolean }> = {
      'POST /api/alerts/:id/acknowledge': {
        path: concrete('/api/alerts/:id/acknowledge', { id: alert.id }),
        ok: 200,
        done: () => context.alerts.getAlerts()[0]?.acknowledged === true,
      },
      'POST /api/silences': {
        path: '/api/silences',
        body: { matchers: { alertname: 'hot' }, durationMinutes: 5, createdBy: 'csrf-test', comment: 'x' },
        ok: 201,
        done: () => activeSilences().some((s) => s.createdBy === 'csrf-test'),
      },
      'POST /api/silences/:id/expire': {
        path: concrete('/api/silences/:id/expire', { id: silence.id }),
        ok: 200,
        done: () => !activeSilences().some((s) => s.id === silence.id),
      },
    };
    const mutations = endpoints(context.app).filter((e) => MUTATING.has(e.method));
    const callOf = (endpoint: Endpoint) =>
      known[key(endpoint)] ?? { path: concrete(endpoint.path), body: {}, ok: undefined, done: () => false };
    const headers: Record<string, string> = auth === undefined ? {} : { authorization: authHeader(auth) };
    const token = (
      (await (await context.request('/api/session', { headers })).json()) as { csrfToken: string }
    ).csrfToken;
    const send = (endpoint: Endpoint, extra: Record<string, string>, path = callOf(endpoint).path) => {
      const { body } = callOf(endpoint);
      return context.request(path, {
        method: endpoint.method,
        headers: { ...headers, 'content-type': 'application/json', ...extra },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    };
    return { ...context, mutations, callOf, send, token, headers };
  }

  const authHeader = (auth: DashboardAuth) =>
    auth.token !== undefined
      ? `Bearer ${auth.token}`
      : basicAuth(auth.username as string, auth.password as string);

  for (const [mode, auth] of [
    ['no authentication (loopback)', undefined],
    ['basic auth', MODES.basic.auth],
    ['bearer token', MODES.bearer.auth],
  ] as const) {
    it(`${mode}: every mutation refuses a missing, foreign or tampered token and another origin, and accepts the session's`, async () => {
      const context = await fixture(auth);
      expect(context.mutations.map(key)).toEqual(expect.arrayContaining(['POST /api/silences']));
      // Tokens of other instances: the same principal under another secret, and another principal.
      const other = await fixture(auth);
      const otherPrincipal = await fixture(auth === undefined ? MODES.basic.auth : undefined);
      const { token } = context;
      const flip = (text: string, at: number) =>
        text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
      const refusals: Record<string, Record<string, string>> = {
        'no token': {},
        'an empty token': { 'x-csrf-token': '' },
        "another instance's token": { 'x-csrf-token': other.token },
        "another principal's token": { 'x-csrf-token': otherPrincipal.token },
        'the last character changed': { 'x-csrf-token': flip(token, token.length - 1) },
        'the first character changed': { 'x-csrf-token': flip(token, 0) },
        'one character short': { 'x-csrf-token': token.slice(0, -1) },
        'one character more': { 'x-csrf-token': `${token}A` },
        padded: { 'x-csrf-token': `${token}=` },
        'in upper case': { 'x-csrf-token': token.toUpperCase() },
        'sent twice': { 'x-csrf-token': `${token}, ${token}` },
        'in another header': { 'x-xsrf-token': token, 'csrf-token': token },
        'in a cookie': { cookie: `csrfToken=${token}; x-csrf-token=${token}` },
        'from another origin': { 'x-csrf-token': token, origin: 'http://evil.example' },
        'from another port of the host': { 'x-csrf-token': token, origin: 'http://127.0.0.1:9999' },
        'from a look-alike host': { 'x-csrf-token': token, origin: 'http://127.0.0.1.evil.example:8080' },
        'from an unparsable origin': { 'x-csrf-token': token, origin: 'not a url' },
      };
      for (const endpoint of context.mutations) {
        const call = context.callOf(endpoint);
        for (const [what, extra] of Object.entries(refusals)) {
          const refused = await context.send(endpoint, extra);
          expect(refused.status, `${key(endpoint)} with ${what}`).toBe(403);
          expect(await refused.json(), `${key(endpoint)} with ${what}`).toMatchObject({
            error: { code: 'csrf' },
          });
        }
        const inQuery = await context.send(
          endpoint,
          {},
          `${call.path}?csrfToken=${token}&x-csrf-token=${token}`,
        );
        expect(inQuery.status, `${key(endpoint)} with the token in the query`).toBe(403);
        // A GET (what an <img> or a link does) must not mutate either.
        const get = await context.request(call.path, { headers: context.headers });
        await drain(get);
        expect(get.status, `GET ${call.path}`).toBeGreaterThanOrEqual(400);
        expect(call.done(), `${key(endpoint)} took effect though refused`).toBe(false);

        const accepted = await context.send(endpoint, { 'x-csrf-token': token, origin: ORIGIN });
        expect(accepted.status, `${key(endpoint)} with the session's token`).not.toBe(403);
        if (call.ok !== undefined) {
          expect(accepted.status, `${key(endpoint)} with the session's token`).toBe(call.ok);
          expect(call.done(), `${key(endpoint)} had no effect`).toBe(true);
        }
      }
      for (const c of [context, other, otherPrincipal]) c.events.closeAll();
    });
  }

  it('a CORS preflight is never granted, so another origin cannot send the token header', async () => {
    const { request, events } = dashboardApp();
    const preflight = await request('/api/silences', {
      method: 'OPTIONS',
      headers: {
        origin: 'http://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-csrf-token, content-type',
      },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-headers')).toBeNull();
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    events.closeAll();
  });
});

describe('3. CSP and security headers on every kind of answer', () => {
  /** The policy the dashboard documents (headers.ts), directive by directive. */
  const EXPECTED_CSP: Readonly<Record<string, readonly string[]>> = {
    'default-src': ["'none'"],
    'script-src': ["'self'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:'],
    'connect-src': ["'self'"],
    'font-src': ["'self'"],
    'manifest-src': ["'self'"],
    'base-uri': ["'none'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
  };
  /** Sources that would let injected or foreign script run. */
  const UNSAFE_SCRIPT = [
    "'unsafe-inline'",
    "'unsafe-eval'",
    "'unsafe-hashes'",
    "'wasm-unsafe-eval'",
    "'strict-dynamic'",
    '*',
    'data:',
    'blob:',
    'http:',
    'https:',
    'filesystem:',
  ];

  function parseCsp(value: string, where: string): Map<string, string[]> {
    const directives = new Map<string, string[]>();
    for (const part of value.split(';')) {
      const [name, ...tokens] = part.trim().split(/\s+/);
      if (name === undefined || name === '') continue;
      const lower = name.toLowerCase();
      expect(directives.has(lower), `${where}: directive ${lower} given twice (the second is ignored)`).toBe(
        false,
      );
      directives.set(lower, tokens);
    }
    return directives;
  }

  /** Every header the dashboard sets must be on `headers`, with the value it documents. */
  function expectSecurityHeaders(headers: Headers, where: string, https = false): void {
    const cspValue = headers.get('content-security-policy');
    expect(cspValue, `${where}: Content-Security-Policy`).not.toBeNull();
    // Two CSP headers arrive joined by a comma: the policy must be exactly one.
    expect(cspValue, `${where}: one Content-Security-Policy`).not.toContain(',');
    const csp = parseCsp(cspValue as string, where);
    expect(Object.fromEntries(csp), `${where}: CSP directives`).toEqual(EXPECTED_CSP);
    const effective = (directive: string) => csp.get(directive) ?? csp.get('default-src') ?? ['*'];
    for (const directive of ['script-src', 'script-src-elem', 'script-src-attr', 'worker-src']) {
      for (const unsafe of UNSAFE_SCRIPT) {
        expect(effective(directive), `${where}: ${directive} allows ${unsafe}`).not.toContain(unsafe);
      }
    }
    expect(effective('style-src'), `${where}: style-src`).not.toContain("'unsafe-inline'");
    expect(["'none'", "'self'"], `${where}: default-src`).toEqual(
      expect.arrayContaining(csp.get('default-src') ?? ['*']),
    );
    expect(csp.get('default-src')?.length, `${where}: default-src has one source`).toBe(1);
    expect(effective('object-src'), `${where}: object-src`).toEqual(["'none'"]);
    expect(csp.get('frame-ancestors'), `${where}: frame-ancestors`).toEqual(["'none'"]);
    expect(csp.get('base-uri'), `${where}: base-uri`).toEqual(["'none'"]);
    expect(headers.get('content-security-policy-report-only'), `${where}: report-only policy`).toBeNull();
    expect(headers.get('x-content-type-options'), `${where}: X-Content-Type-Options`).toBe('nosniff');
    expect(headers.get('referrer-policy'), `${where}: Referrer-Policy`).toBe('no-referrer');
    expect(headers.get('x-frame-options'), `${where}: X-Frame-Options`).toBe('DENY');
    expect(headers.get('cross-origin-opener-policy'), `${where}: COOP`).toBe('same-origin');
    expect(headers.get('cross-origin-resource-policy'), `${where}: CORP`).toBe('same-origin');
    expect(headers.get('permissions-policy'), `${where}: Permissions-Policy`).toBe(
      'camera=(), microphone=(), geolocation=(), payment=()',
    );
    for (const cors of ['access-control-allow-origin', 'access-control-allow-credentials']) {
      expect(headers.get(cors), `${where}: ${cors}`).toBeNull();
    }
    if (https)
      expect(headers.get('strict-transport-security'), `${where}: HSTS`).toMatch(/^max-age=(\d{8,})/);
    else expect(headers.get('strict-transport-security'), `${where}: HSTS over HTTP`).toBeNull();
  }

  let server: DashboardServer;
  let open: DashboardServer;
  const state = { failStatus: false, ready: true };

  beforeAll(async () => {
    const context = sources();
    context.logs.addLog({ message: 'a line' });
    await context.logs.flush();
    server = await startDashboardServer({
      ...context.options,
      getStatus: () => {
        if (state.failStatus) throw new Error('status unavailable');
        return context.options.getStatus();
      },
      ready: () => state.ready,
      auth: MODES.basic.auth,
      assets: assets(),
      port: 0,
    });
    open = await startDashboardServer({ ...sources().options, assets: assets(), port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await open?.close();
  });

  it('every answer, over a real socket, carries the CSP and the other headers', async () => {
    const authorization = MODES.basic.right;
    const session = (await (
      await fetch(`${server.url}/api/session`, { headers: { authorization } })
    ).json()) as { csrfToken: string };
    const page = await fetch(`${server.url}/`, { headers: { authorization } });
    const etag = page.headers.get('etag') as string;
    await page.text();
    type Case = { path: string; status: number; type?: RegExp; init?: RequestInit; before?: () => void };
    const cases: Record<string, Case> = {
      'HTML page': { path: '/', status: 200, type: /^text\/html/ },
      'HTML page, HEAD': { path: '/', status: 200, init: { method: 'HEAD' } },
      'HTML page, gzip': {
        path: '/',
        status: 200,
        type: /^text\/html/,
        init: { headers: { 'accept-encoding': 'gzip' } },
      },
      'HTML page, 304': { path: '/', status: 304, init: { headers: { 'if-none-match': etag } } },
      'JSON status': { path: '/api/status', status: 200, type: /^application\/json/ },
      'JSON session': { path: '/api/session', status: 200, type: /^application\/json/ },
      'JSON metrics': { path: '/api/metrics', status: 200, type: /^application\/json/ },
      'JSON logs': { path: '/api/logs', status: 200, type: /^application\/json/ },
      'JSON patterns': { path: '/api/logs/patterns', status: 200, type: /^application\/json/ },
      'JSON alerts': { path: '/api/alerts', status: 200, type: /^application\/json/ },
      'script asset': { path: '/assets/js/main.js', status: 200, type: /^text\/javascript/ },
      'vendor script asset': { path: '/assets/vendor/uplot.esm.js', status: 200, type: /^text\/javascript/ },
      'style asset': { path: '/assets/app.css', status: 200, type: /^text\/css/ },
      'image asset': { path: '/assets/favicon.svg', status: 200, type: /^image\/svg\+xml/ },
      'favicon redirect': { path: '/favicon.ico', status: 301, init: { redirect: 'manual' } },
      'Prometheus metrics': { path: '/metrics', status: 200, type: /^text\/plain/ },
      'health probe': { path: '/healthz', status: 200, type: /^text\/plain/ },
      'readiness probe': { path: '/readyz', status: 200, type: /^text\/plain/ },
      'readiness probe, not ready': { path: '/readyz', status: 503, before: () => (state.ready = false) },
      'event stream': { path: '/api/events', status: 200, type: /^text\/event-stream/ },
      '404 API': { path: '/api/nothing', status: 404, type: /^application\/json/ },
      '404 page': { path: '/nothing', status: 404, type: /^application\/json/ },
      '404 asset': { path: '/assets/missing.js', status: 404, type: /^application\/json/ },
      '404 metric': { path: '/api/metrics/none/series', status: 404, type: /^application\/json/ },
      '404 with markup in the path': {
        path: '/%3Cscript%3Ealert(1)%3C%2Fscript%3E',
        status: 404,
        type: /^application\/json/,
      },
      '400 bad parameter': { path: '/api/logs?limit=0', status: 400, type: /^application\/json/ },
      '403 CSRF': {
        path: '/api/silences',
        status: 403,
        type: /^application\/json/,
        init: { method: 'POST' },
      },
      '400 bad body': {
        path: '/api/silences',
        status: 400,
        type: /^application\/json/,
        init: { method: 'POST', headers: { 'x-csrf-token': session.csrfToken }, body: '{' },
      },
      '404 mutation': {
        path: '/api/alerts/none/acknowledge',
        status: 404,
        type: /^application\/json/,
        init: { method: 'POST', headers: { 'x-csrf-token': session.csrfToken } },
      },
      '405-ish unknown method': {
        path: '/api/status',
        status: 404,
        init: { method: 'DELETE', headers: { 'x-csrf-token': session.csrfToken } },
      },
      '500 internal error': {
        path: '/api/status',
        status: 500,
        type: /^application\/json/,
        before: () => (state.failStatus = true),
      },
      '401 no credentials': {
        path: '/api/status',
        status: 401,
        type: /^application\/json/,
        init: { headers: { authorization: '' } },
      },
    };
    for (const [what, { path, status, type, init, before }] of Object.entries(cases)) {
      state.failStatus = false;
      state.ready = true;
      before?.();
      const headers = new Headers(init?.headers);
      if (!headers.has('authorization')) headers.set('authorization', authorization);
      else if (headers.get('authorization') === '') headers.delete('authorization');
      const response = await fetch(`${server.url}${path}`, { ...init, headers });
      await drain(response);
      expect(response.status, what).toBe(status);
      if (type !== undefined) expect(response.headers.get('content-type'), what).toMatch(type);
      // API answers and every JSON error: no copy kept by a browser or proxy.
      if (path.startsWith('/api/') || response.headers.get('content-type')?.startsWith('application/json')) {
        expect(response.headers.get('cache-control'), `${what}: Cache-Control`).toBe('no-store');
      }
      expectSecurityHeaders(response.headers, what);
    }
    state.failStatus = false;
  });

  it('without authentication, the Host check (DNS rebinding) answer carries them too', async () => {
    const answer = await rawRequest(open.url, '/api/status', { headers: { host: 'rebound.example' } });
    expect(answer.status).toBe(403);
    expect(answer.body).not.toContain(STATUS_MARKER);
    const headers = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (typeof value === 'string') headers.set(name, value);
    }
    expectSecurityHeaders(headers, 'Host refused');
  });

  it('the login limiter’s 429 carries them too', async () => {
    const limited = await startDashboardServer({
      ...sources().options,
      auth: MODES.basic.auth,
      assets: assets(),
      port: 0,
    });
    try {
      let response: Response | undefined;
      for (let i = 0; i < 11; i++) {
        response = await fetch(`${limited.url}/api/status`, {
          headers: { authorization: basicAuth(USER, 'nope') },
        });
        await response.text();
      }
      expect(response?.status).toBe(429);
      expectSecurityHeaders((response as Response).headers, '429');
    } finally {
      await limited.close();
    }
  });

  it('over HTTPS, HSTS is added on every answer', async () => {
    const { app, events } = createDashboard({
      ...sources().options,
      assets: assets(),
      https: true,
      auth: MODES.basic.auth,
    });
    for (const [path, authorization] of [
      ['/', MODES.basic.right],
      ['/api/status', MODES.basic.right],
      ['/api/status', ''],
      ['/nothing', MODES.basic.right],
      ['/healthz', ''],
    ] as const) {
      const response = await app.request(`https://127.0.0.1:8443${path}`, {
        headers: authorization ? { authorization } : {},
      });
      await response.text();
      expectSecurityHeaders(response.headers, `HTTPS ${path}`, true);
    }
    events.closeAll();
  });
});
