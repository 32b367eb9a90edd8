// Notification channels against real receivers: e-mail through a real SMTP server (smtp-server,
// parsed with mailparser; STARTTLS with a certificate made by openssl, AUTH checked by onAuth),
// the Debian Alertmanager 0.25 binary, and node:http receivers for webhook and Slack. Delivery:
// retries, Retry-After, timeouts, stats with secrets scrubbed; config validation; describe()
// masking; one conformance suite run against every kind of channel.
import { execFileSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  type RunningProcess,
  requireBinary,
  startProcess,
  tempDir,
} from '../../../../test/support/processes.js';
import { AlertmanagerChannel, sanitizeLabelName } from '../../src/alerts/channels/alertmanager.js';
import { ChannelConfigError, createChannel } from '../../src/alerts/channels/create.js';
import { CustomChannel } from '../../src/alerts/channels/custom.js';
import {
  DeliveryError,
  type DeliveryOptions,
  DeliveryStats,
  deliver,
  parseRetryAfter,
} from '../../src/alerts/channels/delivery.js';
import { EmailChannel } from '../../src/alerts/channels/email.js';
import { SlackChannel } from '../../src/alerts/channels/slack.js';
import { WebhookChannel } from '../../src/alerts/channels/webhook.js';
import {
  AlertChannel,
  type AlertInstance,
  type Notification,
  type NotificationChannel,
} from '../../src/alerts/types.js';

// ---------------------------------------------------------------------------------------------
// Fixtures

const T0 = Date.parse('2024-06-10T12:00:00.000Z');
const DASHBOARD = 'http://127.0.0.1:3000/alerts?group=api&severity=critical';

function alert(overrides: Partial<AlertInstance> = {}): AlertInstance {
  return {
    id: 'high_error_rate{service="api"}',
    rule: 'high_error_rate',
    state: 'firing',
    severity: 'critical',
    labels: { alertname: 'high_error_rate', severity: 'critical', service: 'api' },
    annotations: { description: 'Error rate above 5%' },
    value: 0.12,
    threshold: 0.05,
    condition: 'gt',
    since: T0,
    firingSince: T0,
    acknowledged: false,
    ...overrides,
  };
}

const firing: Notification = {
  status: 'firing',
  groupLabels: { service: 'api' },
  alerts: [
    alert(),
    alert({
      id: 'high_error_rate{service="api",route="/pay"}',
      labels: { alertname: 'high_error_rate', severity: 'critical', service: 'api', route: '/pay<script>' },
      annotations: { description: '<b>boom</b> & co', runbook: 'https://runbooks.example/errors' },
      value: 0.31,
    }),
  ],
  dashboardUrl: DASHBOARD,
  reason: 'new',
};

const resolved: Notification = {
  status: 'resolved',
  groupLabels: { service: 'api' },
  alerts: [alert({ state: 'resolved', value: 0.01, since: T0 + 300_000, resolvedAt: T0 + 300_000 })],
  dashboardUrl: DASHBOARD,
  reason: 'resolved',
};

/** deliver() options that never really wait, recording the waits asked for. */
function fakeWaits(extra: DeliveryOptions = {}): { options: DeliveryOptions; delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    options: {
      sleep: async (ms) => {
        delays.push(ms);
      },
      random: () => 0.5,
      ...extra,
    },
  };
}

/** Runs after each test: stops the receivers it started. */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

// ---------------------------------------------------------------------------------------------
// A local HTTP receiver

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/** An HTTP server on 127.0.0.1 recording every request and answering with `reply(index)`. */
async function startReceiver(
  reply: (index: number, request: Received) => Reply = () => ({ status: 200 }),
): Promise<{ url: string; requests: Received[] }> {
  const requests: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      requests.push(request);
      const answer = reply(requests.length - 1, request);
      if (answer === 'hang') return;
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

// ---------------------------------------------------------------------------------------------
// A real SMTP server

interface ReceivedMail {
  mail: ParsedMail;
  /** The session used TLS (STARTTLS here). */
  secure: boolean;
  /** Who authenticated, as onAuth accepted them. */
  user: unknown;
}

async function startSmtp(
  options: SMTPServerOptions,
): Promise<{ port: number; received: ReceivedMail[]; logins: string[] }> {
  const received: ReceivedMail[] = [];
  const logins: string[] = [];
  const server = new SMTPServer({
    logger: false,
    ...options,
    onAuth(auth, session, callback) {
      logins.push(`${auth.method} ${auth.username}`);
      if (options.onAuth) options.onAuth(auth, session, callback);
      else callback(new Error('no logins here'));
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          received.push({ mail, secure: session.secure, user: session.user });
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.server.address() as AddressInfo).port, received, logins };
}

/**
 * A self-signed certificate for localhost/127.0.0.1, made by openssl in a temp dir. node:crypto
 * makes keys but not X.509 certificates, and the certificate smtp-server ships expired in 2025.
 */
async function selfSignedCertificate(): Promise<{ key: string; cert: string }> {
  await requireBinary('/usr/bin/openssl', 'openssl');
  const dir = await tempDir('dlm-smtp-tls');
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  // biome-ignore format: one option per line reads better
  execFileSync('/usr/bin/openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'pipe' });
  const pair = { key: await readFile(key, 'utf8'), cert: await readFile(cert, 'utf8') };
  await rm(dir, { recursive: true, force: true });
  return pair;
}

// ---------------------------------------------------------------------------------------------

describe('EmailChannel through a real SMTP server', () => {
  /** A server with neither STARTTLS nor AUTH, for the message content. */
  const plainServer = () => startSmtp({ disabledCommands: ['STARTTLS', 'AUTH'] });

  it('sends a firing mail: subject with severity and rule, body with value, threshold, labels and dashboard link', async () => {
    const smtp = await plainServer();
    const channel = createChannel(AlertChannel.EMAIL, {
      smtp_server: '127.0.0.1',
      smtp_port: smtp.port,
      recipients: ['admin@company.com', 'ops@company.com'],
      from: 'alerts@company.com',
    });
    cleanups.push(() => channel.close?.());

    expect(await deliver(channel, firing)).toEqual({ ok: true, attempts: 1 });

    expect(smtp.received).toHaveLength(1);
    const { mail } = smtp.received[0]!;
    expect(mail.subject).toBe('[FIRING:2] [CRITICAL] high_error_rate (service=api)');
    expect(mail.from?.text).toBe('alerts@company.com');
    expect(mail.to).toMatchObject({ text: 'admin@company.com, ops@company.com' });

    const text = mail.text ?? '';
    expect(text).toMatch(/^Value:\s+0\.12$/m);
    expect(text).toMatch(/^Value:\s+0\.31$/m);
    expect(text).toMatch(/^Threshold:\s+0\.05$/m);
    expect(text).toMatch(/^Condition:\s+value > 0\.05 \(gt\)$/m);
    expect(text).toMatch(/^Since:\s+2024-06-10T12:00:00\.000Z$/m);
    expect(text).toContain('alertname=high_error_rate, severity=critical, service=api');
    expect(text).toMatch(/^Description:\s+Error rate above 5%$/m);
    expect(text).toContain('runbook=https://runbooks.example/errors');
    expect(text).toContain(`Dashboard: ${DASHBOARD}`);

    const html = typeof mail.html === 'string' ? mail.html : '';
    expect(html).toContain(`<a href="${DASHBOARD.replace('&', '&amp;')}">`);
    expect(html).toContain('<td style="padding:2px 0">0.12</td>');
    expect(html).toContain('<td style="padding:2px 0">0.05</td>');
    // Values from the application are escaped, never markup.
    expect(html).toContain('route=/pay&lt;script&gt;');
    expect(html).toContain('&lt;b&gt;boom&lt;/b&gt; &amp; co');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>boom');
  });

  it('sends a resolved mail', async () => {
    const smtp = await plainServer();
    const channel = createChannel(AlertChannel.EMAIL, {
      smtpServer: '127.0.0.1',
      smtpPort: smtp.port,
      recipients: 'ops@company.com',
      username: 'alerts@company.com',
    });
    cleanups.push(() => channel.close?.());

    expect(await deliver(channel, resolved)).toEqual({ ok: true, attempts: 1 });

    const { mail } = smtp.received[0]!;
    expect(mail.subject).toBe('[RESOLVED] [CRITICAL] high_error_rate (service=api)');
    // The default sender is the username when it is an address.
    expect(mail.from?.text).toBe('alerts@company.com');
    expect(mail.text).toMatch(/^Status:\s+resolved$/m);
    expect(mail.text).toMatch(/^Resolved at:\s+2024-06-10T12:05:00\.000Z$/m);
    expect(mail.text).toMatch(/^Value:\s+0\.01$/m);
  });

  describe('with STARTTLS and AUTH', () => {
    const PASSWORD = 'c0rrect-h0rse-battery';
    let tls: { key: string; cert: string };
    beforeAll(async () => {
      tls = await selfSignedCertificate();
    });

    /** A server that only allows AUTH after STARTTLS (smtp-server's default) and checks the login. */
    const tlsServer = () =>
      startSmtp({
        ...tls,
        authMethods: ['PLAIN', 'LOGIN'],
        onAuth(auth, _session, callback) {
          if (auth.username === 'alerts@company.com' && auth.password === PASSWORD) {
            callback(null, { user: auth.username });
          } else {
            callback(new Error('Invalid username or password'));
          }
        },
      });

    const config = (port: number, overrides: Record<string, unknown> = {}) => ({
      smtp_server: '127.0.0.1',
      smtp_port: port,
      username: 'alerts@company.com',
      password: PASSWORD,
      recipients: ['ops@company.com'],
      require_tls: true,
      // The certificate is self-signed.
      tls_reject_unauthorized: false,
      ...overrides,
    });

    it('upgrades with STARTTLS, authenticates, and delivers', async () => {
      const smtp = await tlsServer();
      const channel = createChannel(AlertChannel.EMAIL, config(smtp.port));
      cleanups.push(() => channel.close?.());

      expect(await deliver(channel, firing)).toEqual({ ok: true, attempts: 1 });

      expect(smtp.received).toHaveLength(1);
      expect(smtp.received[0]).toMatchObject({ secure: true, user: 'alerts@company.com' });
      expect(smtp.logins).toEqual(['PLAIN alerts@company.com']);
    });

    it('reports a wrong password as a failed, unretried delivery with a clear error, without the password', async () => {
      const smtp = await tlsServer();
      const wrong = 'wr0ng-passw0rd';
      const channel = createChannel(AlertChannel.EMAIL, config(smtp.port, { password: wrong }), 'ops-mail');
      cleanups.push(() => channel.close?.());
      const { options, delays } = fakeWaits();

      const result = await deliver(channel, firing, options);

      expect(result.ok).toBe(false);
      expect(result.attempts).toBe(1);
      expect(delays).toEqual([]);
      expect(result.error).toMatch(/^email 'ops-mail' \(smtp 127\.0\.0\.1:\d+\): SMTP authentication failed/);
      expect(result.error).toContain('Invalid username or password');
      expect(result.error).toContain('[EAUTH]');
      expect(result.error).not.toContain(wrong);
      expect(smtp.received).toHaveLength(0);
    });

    it('verifies the certificate by default, and refuses the self-signed one without retrying', async () => {
      const smtp = await tlsServer();
      const channel = createChannel(
        AlertChannel.EMAIL,
        config(smtp.port, { tls_reject_unauthorized: undefined }),
      );
      cleanups.push(() => channel.close?.());

      const result = await deliver(channel, firing, fakeWaits().options);

      expect(result).toMatchObject({ ok: false, attempts: 1 });
      expect(result.error).toMatch(/TLS certificate refused.*self-signed certificate/);
      expect(smtp.logins).toEqual([]);
      expect(smtp.received).toHaveLength(0);
    });

    it('with require_tls, refuses a server that does not offer STARTTLS', async () => {
      const smtp = await plainServer();
      const channel = createChannel(AlertChannel.EMAIL, config(smtp.port));
      cleanups.push(() => channel.close?.());

      const result = await deliver(channel, firing, fakeWaits().options);

      expect(result.ok).toBe(false);
      expect(result).toMatchObject({ attempts: 1 });
      expect(result.error).toMatch(/STARTTLS failed: .*STARTTLS.*\[ETLS\]/);
      expect(smtp.received).toHaveLength(0);
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('AlertmanagerChannel against a real Alertmanager 0.25', () => {
  let alertmanager: RunningProcess;
  let base: string;

  beforeAll(async () => {
    const dir = await tempDir('dlm-alertmanager');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = join(dir, 'alertmanager.yml');
    await writeFile(config, 'route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n');
    alertmanager = await startProcess({
      binary: '/usr/bin/prometheus-alertmanager',
      debianPackage: 'prometheus-alertmanager',
      args: [
        `--config.file=${config}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
      ],
      readyUrl: `${base}/-/ready`,
      removeOnStop: [dir],
    });
  });
  afterAll(() => alertmanager?.stop());

  interface GettableAlert {
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
    status: { state: string };
  }
  const alertsNamed = async (name: string): Promise<GettableAlert[]> => {
    const response = await fetch(`${base}/api/v2/alerts`);
    expect(response.status).toBe(200);
    return ((await response.json()) as GettableAlert[]).filter((a) => a.labels.alertname === name);
  };

  it('posts a firing alert that the API then lists as active, and a resolved one that leaves the list', async () => {
    const channel = createChannel(AlertChannel.ALERTMANAGER, { url: base });
    const now = Date.now();
    const instance = alert({
      id: 'dlm_e2e_errors',
      rule: 'dlm_e2e_errors',
      severity: 'high',
      // Names Alertmanager 0.25 would refuse unsanitized, and a value that is not a string.
      labels: {
        alertname: 'dlm_e2e_errors',
        severity: 'high',
        'http.route': '/pay',
        '5xx': 'yes',
        empty: '',
      },
      annotations: { description: 'Error rate above 5%', 'runbook-url': 'https://runbooks.example/errors' },
      since: now - 60_000,
      firingSince: now - 60_000,
    });
    const notification: Notification = { ...firing, alerts: [instance], reason: 'new' };

    expect(await deliver(channel, notification)).toEqual({ ok: true, attempts: 1 });

    const listed = await alertsNamed('dlm_e2e_errors');
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      labels: { alertname: 'dlm_e2e_errors', severity: 'high', http_route: '/pay', _5xx: 'yes' },
      annotations: {
        description: 'Error rate above 5%',
        runbook_url: 'https://runbooks.example/errors',
        value: '0.12',
        threshold: '0.05',
        condition: 'gt',
      },
      startsAt: new Date(now - 60_000).toISOString(),
      generatorURL: DASHBOARD,
      status: { state: 'active' },
    });
    expect(listed[0]!.labels).not.toHaveProperty('empty');

    const done = { ...instance, state: 'resolved' as const, resolvedAt: now - 1_000 };
    expect(await deliver(channel, { ...resolved, alerts: [done] })).toEqual({ ok: true, attempts: 1 });

    // Alertmanager 0.25's GET /api/v2/alerts leaves out alerts whose endsAt has passed.
    expect(await alertsNamed('dlm_e2e_errors')).toEqual([]);
  });

  it('would be refused a label name that is not sanitized: the reason the channel sanitizes', async () => {
    const response = await fetch(`${base}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ labels: { alertname: 'raw', 'http.route': '/x' } }]),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/invalid label set/);
  });

  it('reports a wrong base path (404) as a failure that is not retried', async () => {
    const channel = createChannel(AlertChannel.ALERTMANAGER, { url: `${base}/not-here` }, 'am');
    const { options, delays } = fakeWaits();
    const result = await deliver(channel, firing, options);
    expect(result).toMatchObject({ ok: false, attempts: 1 });
    expect(result.error).toMatch(
      /^alertmanager 'am' \(POST http:\/\/127\.0\.0\.1:\d+\/not-here\/api\/v2\/alerts\) answered HTTP 404/,
    );
    expect(delays).toEqual([]);
  });
});

describe('AlertmanagerChannel request', () => {
  it('posts to <base path>/api/v2/alerts with basic auth', async () => {
    const receiver = await startReceiver();
    const channel = createChannel(AlertChannel.ALERTMANAGER, {
      url: `${receiver.url}/am/`,
      username: 'prom',
      password: 's3cret-pass',
    });

    expect(await deliver(channel, resolved)).toEqual({ ok: true, attempts: 1 });

    const [request] = receiver.requests;
    expect(request).toMatchObject({ method: 'POST', url: '/am/api/v2/alerts' });
    expect(request!.headers.authorization).toBe(
      `Basic ${Buffer.from('prom:s3cret-pass').toString('base64')}`,
    );
    expect(JSON.parse(request!.body)).toEqual([
      {
        labels: { alertname: 'high_error_rate', severity: 'critical', service: 'api' },
        annotations: {
          value: '0.01',
          threshold: '0.05',
          condition: 'gt',
          description: 'Error rate above 5%',
        },
        startsAt: '2024-06-10T12:00:00.000Z',
        endsAt: '2024-06-10T12:05:00.000Z',
        generatorURL: DASHBOARD,
      },
    ]);
  });

  it('sends a bearer token', async () => {
    const receiver = await startReceiver();
    const channel = new AlertmanagerChannel({ url: receiver.url, bearerToken: 'tok-123456' });
    expect(await deliver(channel, firing)).toMatchObject({ ok: true });
    expect(receiver.requests[0]!.headers.authorization).toBe('Bearer tok-123456');
    expect(receiver.requests[0]!.url).toBe('/api/v2/alerts');
  });

  it.each([
    ['http.route', 'http_route'],
    ['5xx', '_5xx'],
    ['ok_name', 'ok_name'],
    ['with space', 'with_space'],
    ['', undefined],
  ])('sanitizes the label name %j to %j', (name, expected) => {
    expect(sanitizeLabelName(name)).toBe(expected);
  });
});

// ---------------------------------------------------------------------------------------------

describe('WebhookChannel', () => {
  it('posts the documented JSON body', async () => {
    const receiver = await startReceiver();
    const channel = createChannel(AlertChannel.WEBHOOK, { url: `${receiver.url}/hooks/alerts` }, 'ops-hook');

    expect(await deliver(channel, firing)).toEqual({ ok: true, attempts: 1 });

    const [request] = receiver.requests;
    expect(request).toMatchObject({ method: 'POST', url: '/hooks/alerts' });
    expect(request!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request!.body)).toEqual({
      version: '1',
      status: 'firing',
      receiver: 'ops-hook',
      groupLabels: { service: 'api' },
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'high_error_rate', severity: 'critical', service: 'api' },
          annotations: { description: 'Error rate above 5%' },
          value: 0.12,
          threshold: 0.05,
          condition: 'gt',
          startsAt: '2024-06-10T12:00:00.000Z',
          fingerprint: 'high_error_rate{service="api"}',
        },
        {
          status: 'firing',
          labels: {
            alertname: 'high_error_rate',
            severity: 'critical',
            service: 'api',
            route: '/pay<script>',
          },
          annotations: { description: '<b>boom</b> & co', runbook: 'https://runbooks.example/errors' },
          value: 0.31,
          threshold: 0.05,
          condition: 'gt',
          startsAt: '2024-06-10T12:00:00.000Z',
          fingerprint: 'high_error_rate{service="api",route="/pay"}',
        },
      ],
      dashboardUrl: DASHBOARD,
      reason: 'new',
    });
  });

  it('sends resolved alerts with endsAt, no-data values as null, with PUT and the configured headers', async () => {
    const receiver = await startReceiver();
    const channel = createChannel(AlertChannel.WEBHOOK, {
      url: receiver.url,
      method: 'put',
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'X-Api-Key': 'key-abcdef' },
    });
    const { dashboardUrl: _omitted, ...noDashboard } = resolved;
    const notification: Notification = {
      ...noDashboard,
      alerts: [alert({ state: 'resolved', value: Number.NaN, resolvedAt: T0 + 300_000 })],
    };

    expect(await deliver(channel, notification)).toMatchObject({ ok: true });

    const [request] = receiver.requests;
    expect(request!.method).toBe('PUT');
    expect(request!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(request!.headers['x-api-key']).toBe('key-abcdef');
    const body = JSON.parse(request!.body);
    expect(body).not.toHaveProperty('dashboardUrl');
    expect(body).toMatchObject({ status: 'resolved', receiver: 'webhook', reason: 'resolved' });
    expect(body.alerts[0]).toMatchObject({
      status: 'resolved',
      value: null,
      startsAt: '2024-06-10T12:00:00.000Z',
      endsAt: '2024-06-10T12:05:00.000Z',
    });
  });
});

describe('SlackChannel', () => {
  it('posts an incoming-webhook message: text fallback, attachment coloured by severity, escaped mrkdwn', async () => {
    const receiver = await startReceiver(() => ({ status: 200, body: 'ok' }));
    const channel = createChannel(
      AlertChannel.SLACK,
      {
        url: `${receiver.url}/services/T000/B000/XXXXXXXXXXXX`,
        channel: '#ops',
        username: 'alerts',
        icon_emoji: ':rotating_light:',
      },
      'slack-ops',
    );
    const notification: Notification = {
      ...firing,
      groupLabels: { service: 'api<!channel>' },
      alerts: [firing.alerts[1]!],
    };

    expect(await deliver(channel, notification)).toEqual({ ok: true, attempts: 1 });

    const [request] = receiver.requests;
    expect(request).toMatchObject({ method: 'POST', url: '/services/T000/B000/XXXXXXXXXXXX' });
    expect(JSON.parse(request!.body)).toEqual({
      text: '[FIRING:1] CRITICAL high_error_rate (service=api&lt;!channel&gt;)',
      channel: '#ops',
      username: 'alerts',
      icon_emoji: ':rotating_light:',
      attachments: [
        {
          color: '#D00000',
          fallback: '[FIRING:1] CRITICAL high_error_rate (service=api&lt;!channel&gt;)',
          blocks: [
            {
              type: 'section',
              text: {
                type: 'mrkdwn',
                text: [
                  '*high_error_rate* · critical · firing',
                  'Value *0.31* &gt; threshold *0.05*',
                  '&lt;b&gt;boom&lt;/b&gt; &amp; co',
                  'Labels: service=api, route=/pay&lt;script&gt;',
                  'Since 2024-06-10T12:00:00.000Z',
                ].join('\n'),
              },
            },
            {
              type: 'section',
              text: {
                type: 'mrkdwn',
                text: '<http://127.0.0.1:3000/alerts?group=api&amp;severity=critical|Open the dashboard>',
              },
            },
          ],
        },
      ],
    });
  });

  it('colours a resolved message green and a medium one yellow', async () => {
    const receiver = await startReceiver();
    const channel = new SlackChannel({ url: `${receiver.url}/services/T/B/secret-token-123` });
    await deliver(channel, resolved);
    await deliver(channel, { ...firing, alerts: [alert({ severity: 'medium' })] });
    const colors = receiver.requests.map((r) => JSON.parse(r.body).attachments[0].color);
    expect(colors).toEqual(['#2EB67D', '#F2C744']);
    expect(JSON.parse(receiver.requests[0]!.body).text).toBe(
      '[RESOLVED] CRITICAL high_error_rate (service=api)',
    );
  });
});

describe('CustomChannel', () => {
  it('hands the notification and the attempt signal to a function', async () => {
    const seen: Notification[] = [];
    const channel = createChannel(AlertChannel.CUSTOM, (notification: Notification, signal: AbortSignal) => {
      expect(signal).toBeInstanceOf(AbortSignal);
      seen.push(notification);
    });
    expect(await deliver(channel, firing)).toEqual({ ok: true, attempts: 1 });
    expect(seen).toEqual([firing]);
    expect(channel.name).toBe('custom');
  });

  it('accepts { handler }, and reports a throwing handler as a failed delivery after its retries', async () => {
    let calls = 0;
    const channel = createChannel(
      AlertChannel.CUSTOM,
      {
        handler: () => {
          calls += 1;
          throw new Error('pager API down');
        },
      },
      'pager',
    );
    const { options, delays } = fakeWaits();
    expect(await deliver(channel, firing, options)).toEqual({
      ok: false,
      attempts: 4,
      error: 'pager API down',
    });
    expect(calls).toBe(4);
    expect(delays).toEqual([250, 500, 1000]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('deliver', () => {
  const webhook = (url: string, headers?: Record<string, string>) =>
    createChannel(AlertChannel.WEBHOOK, { url, ...(headers ? { headers } : {}) }, 'hook');

  it('retries a receiver that fails twice with 503, and succeeds on the third attempt', async () => {
    const receiver = await startReceiver((index) => (index < 2 ? { status: 503 } : { status: 200 }));
    const { options, delays } = fakeWaits();

    expect(await deliver(webhook(receiver.url), firing, options)).toEqual({ ok: true, attempts: 3 });

    expect(receiver.requests).toHaveLength(3);
    // Full jitter with random() = 0.5: half of 500 ms, then half of 1 s.
    expect(delays).toEqual([250, 500]);
  });

  it('caps the exponential backoff at maxBackoffMs', async () => {
    const receiver = await startReceiver(() => ({ status: 500 }));
    const { options, delays } = fakeWaits({ random: () => 1, maxBackoffMs: 1_500 });
    const result = await deliver(webhook(receiver.url), firing, options);
    expect(result).toMatchObject({ ok: false, attempts: 4 });
    expect(result.error).toMatch(/answered HTTP 500/);
    expect(delays).toEqual([500, 1_000, 1_500]);
  });

  it('honours Retry-After on a 429', async () => {
    const receiver = await startReceiver((index) =>
      index === 0 ? { status: 429, headers: { 'Retry-After': '1' }, body: 'slow down' } : { status: 200 },
    );
    const { options, delays } = fakeWaits();

    expect(await deliver(webhook(receiver.url), firing, options)).toEqual({ ok: true, attempts: 2 });
    expect(delays).toEqual([1_000]);
  });

  it('gives up when Retry-After asks for longer than maxRetryAfterMs', async () => {
    const receiver = await startReceiver(() => ({ status: 503, headers: { 'Retry-After': '3600' } }));
    const { options, delays } = fakeWaits();
    const result = await deliver(webhook(receiver.url), firing, options);
    expect(result).toMatchObject({ ok: false, attempts: 1 });
    expect(result.error).toMatch(/asked to retry after 3600 s.*not retried/);
    expect(delays).toEqual([]);
  });

  it.each([400, 401, 404, 422])('does not retry a %i', async (status) => {
    const receiver = await startReceiver(() => ({ status, body: '{"error":"bad payload"}' }));
    const result = await deliver(webhook(receiver.url), firing, fakeWaits().options);
    expect(result).toMatchObject({ ok: false, attempts: 1 });
    expect(result.error).toContain(`answered HTTP ${status}`);
    expect(result.error).toContain('{"error":"bad payload"}');
  });

  it('retries a 408', async () => {
    const receiver = await startReceiver((index) => (index === 0 ? { status: 408 } : { status: 204 }));
    expect(await deliver(webhook(receiver.url), firing, fakeWaits().options)).toEqual({
      ok: true,
      attempts: 2,
    });
  });

  it('does not follow a redirect, which would turn the POST into a GET', async () => {
    const receiver = await startReceiver(() => ({ status: 302, headers: { Location: '/elsewhere' } }));
    const result = await deliver(webhook(receiver.url), firing, fakeWaits().options);
    expect(result).toMatchObject({ ok: false, attempts: 1 });
    expect(result.error).toMatch(/HTTP 302.*redirect.*\/elsewhere/);
    expect(receiver.requests).toHaveLength(1);
  });

  it('times out a receiver that never answers, and resolves quickly with ok: false', async () => {
    const receiver = await startReceiver(() => 'hang');
    const started = performance.now();

    const result = await deliver(webhook(receiver.url), firing, { timeoutMs: 200, retries: 0 });

    expect(performance.now() - started).toBeLessThan(1_500);
    expect(result).toEqual({ ok: false, attempts: 1, error: 'timed out after 200 ms' });
    expect(receiver.requests).toHaveLength(1);
  });

  it('times out a channel that ignores its AbortSignal', async () => {
    const channel = new CustomChannel({ handler: () => new Promise<void>(() => {}) });
    const started = performance.now();
    const result = await deliver(channel, firing, { timeoutMs: 100, retries: 1, sleep: async () => {} });
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(result).toEqual({ ok: false, attempts: 2, error: 'timed out after 100 ms' });
  });

  it('retries a refused connection and reports why it failed', async () => {
    const port = await freePort();
    const result = await deliver(webhook(`http://127.0.0.1:${port}/x`), firing, fakeWaits().options);
    expect(result).toMatchObject({ ok: false, attempts: 4 });
    expect(result.error).toMatch(
      /^webhook 'hook' \(POST http:\/\/127\.0\.0\.1:\d+\/\[REDACTED\]\): request failed: .*ECONNREFUSED/,
    );
  });

  it('never throws, whatever the channel does', async () => {
    const weird: NotificationChannel = {
      kind: 'custom',
      name: 'weird',
      send: () => {
        throw 'a string';
      },
      describe: () => ({}),
    };
    expect(await deliver(weird, firing, { retries: 0 })).toEqual({
      ok: false,
      attempts: 1,
      error: 'a string',
    });
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2024-06-10T12:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Mon, 10 Jun 2024 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 10 Jun 2024 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('classifies statuses in DeliveryError', () => {
    expect(new DeliveryError('x', { status: 503 }).retryable).toBe(true);
    expect(new DeliveryError('x', { status: 429 }).retryable).toBe(true);
    expect(new DeliveryError('x', { status: 408 }).retryable).toBe(true);
    expect(new DeliveryError('x', { status: 403 }).retryable).toBe(false);
    expect(new DeliveryError('x').retryable).toBe(true);
    expect(new DeliveryError('x', { status: 500, retryable: false }).retryable).toBe(false);
  });
});

describe('DeliveryStats', () => {
  it('counts sent, failed and retried per channel, with the last error scrubbed of the channel secrets', async () => {
    const token = 'tok-9f8e7d6c5b4a';
    // A receiver that echoes the credential back in its error, as some do.
    const receiver = await startReceiver((index, request) =>
      index === 0
        ? { status: 503 }
        : index === 1
          ? { status: 200 }
          : { status: 401, body: `bad token: ${request.headers.authorization}` },
    );
    const channel = createChannel(AlertChannel.WEBHOOK, {
      url: receiver.url,
      headers: { Authorization: `Bearer ${token}` },
    });
    const stats = new DeliveryStats();
    const { options } = fakeWaits();

    stats.record(channel, await deliver(channel, firing, options), 1_000);
    const failure = await deliver(channel, firing, options);
    stats.record(channel, failure, 2_000);

    expect(failure.error).toBe(
      `webhook 'webhook' (POST ${receiver.url}) answered HTTP 401 Unauthorized: bad token: [REDACTED]`,
    );
    expect(stats.get('webhook')).toEqual({
      sent: 1,
      failed: 1,
      retried: 1,
      lastSuccess: 1_000,
      lastError: failure.error,
      lastErrorAt: 2_000,
    });
    expect(JSON.stringify(stats.snapshot())).not.toContain(token);
    // A result recorded from elsewhere is scrubbed too.
    stats.record(channel, { ok: false, attempts: 1, error: `oops ${token}` }, 3_000);
    expect(stats.get('webhook')?.lastError).toBe('oops [REDACTED]');
    expect(stats.get('nope')).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------

describe('createChannel', () => {
  const email = { smtp_server: 'smtp.example.com', recipients: ['ops@example.com'] };

  it.each<[string, AlertChannel, unknown, string | undefined, RegExp]>([
    [
      'email without recipients',
      'email',
      { smtp_server: 'smtp.example.com' },
      'recipients',
      /missing; give the addresses/,
    ],
    [
      'email with empty recipients',
      'email',
      { ...email, recipients: [] },
      'recipients',
      /at least one address/,
    ],
    [
      'email with a bad address',
      'email',
      { ...email, recipients: 'ops@x, nobody' },
      'recipients',
      /'nobody' is not an e-mail address/,
    ],
    [
      'email without a server',
      'email',
      { recipients: ['a@b.c'] },
      'smtp_server',
      /missing \(also accepted as smtpServer, host\)/,
    ],
    [
      'email with a bad port',
      'email',
      { ...email, smtp_port: 70_000 },
      'smtp_port',
      /port number from 1 to 65535/,
    ],
    [
      'email with the server twice',
      'email',
      { ...email, host: 'other' },
      'smtp_server',
      /given twice, as 'smtp_server' and as 'host'/,
    ],
    [
      'email with a password but no username',
      'email',
      { ...email, password: 'pw-123' },
      'username',
      /password is set/,
    ],
    ['email with a non-boolean secure', 'email', { ...email, secure: 'yes' }, 'secure', /true or false/],
    [
      'email with a misspelt key',
      'email',
      { ...email, smtp_sever: 'x' },
      'smtp_sever',
      /unknown key; known keys: smtp_server, smtp_port/,
    ],
    ['webhook without url', 'webhook', {}, 'url', /missing/],
    [
      'webhook with a non-http url',
      'webhook',
      { url: 'ftp://example.com/hook' },
      'url',
      /http:\/\/ or https:\/\/ URL, got a ftp: URL/,
    ],
    [
      'webhook with credentials in the url',
      'webhook',
      { url: 'https://u:p@example.com/' },
      'url',
      /must not embed credentials/,
    ],
    [
      'webhook with GET',
      'webhook',
      { url: 'https://example.com', method: 'GET' },
      'method',
      /one of POST, PUT/,
    ],
    [
      'webhook with a bad header name',
      'webhook',
      { url: 'https://example.com', headers: { 'bad header': 'x' } },
      'headers',
      /not a valid HTTP header name/,
    ],
    [
      'webhook with a header line break',
      'webhook',
      { url: 'https://example.com', headers: { 'X-A': 'a\r\nb' } },
      'headers',
      /line breaks/,
    ],
    ['slack with a non-url', 'slack', { url: 'hooks.slack.com/services/T/B/x' }, 'url', /not a URL/],
    [
      'alertmanager with half a login',
      'alertmanager',
      { url: 'http://127.0.0.1:9093', username: 'u' },
      'password',
      /both username and password/,
    ],
    [
      'alertmanager with basic and bearer',
      'alertmanager',
      { url: 'http://am:9093', username: 'u', password: 'p', bearer_token: 't' },
      'bearer_token',
      /not both/,
    ],
    ['custom without handler', 'custom', {}, 'handler', /missing; give the function/],
    [
      'custom with a non-function',
      'custom',
      { handler: 'notify' },
      'handler',
      /must be a function, got a string/,
    ],
    [
      'a non-object config',
      'webhook',
      'https://example.com',
      undefined,
      /must be an object of keys, got a string/,
    ],
    [
      'an unknown kind',
      'sms' as AlertChannel,
      {},
      undefined,
      /unknown channel kind; expected one of email, webhook, slack, alertmanager, custom/,
    ],
  ])('refuses %s, naming the channel and the key', (_case, kind, config, key, message) => {
    let error: unknown;
    try {
      createChannel(kind, config, 'ops');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ChannelConfigError);
    const configError = error as ChannelConfigError;
    expect(configError.code).toBe('DLM_CHANNEL_CONFIG');
    expect(configError.channel).toBe('ops');
    expect(configError.key).toBe(key);
    expect(configError.message).toMatch(
      new RegExp(`^${kind} channel 'ops': ${key === undefined ? '' : `${key}: `}`),
    );
    expect(configError.message).toMatch(message);
  });

  it('never echoes a webhook URL in its errors: the path is the secret', () => {
    expect(() => createChannel('slack', { url: 'ftp://hooks.slack.com/services/T0/B0/SeCrEtToKeN' })).toThrow(
      /^slack channel 'slack': url: must be an http:\/\/ or https:\/\/ URL, got a ftp: URL$/,
    );
  });

  it("accepts the guide's snake_case keys and camelCase, with defaults", () => {
    const guide = createChannel('email', {
      smtp_server: 'smtp.gmail.com',
      smtp_port: 587,
      username: 'alerts@company.com',
      password: 'app_password',
      recipients: ['admin@company.com', 'ops@company.com'],
    });
    expect(guide.describe()).toEqual({
      kind: 'email',
      name: 'email',
      host: 'smtp.gmail.com',
      port: 587,
      secure: false,
      requireTls: false,
      tlsRejectUnauthorized: true,
      username: 'alerts@company.com',
      password: '[REDACTED]',
      from: 'alerts@company.com',
      recipients: ['admin@company.com', 'ops@company.com'],
    });
    const camel = createChannel('email', {
      smtpServer: 'smtp.example.com',
      smtpPort: '465',
      recipients: 'a@example.com, b@example.com,',
      requireTls: 'false',
      tlsRejectUnauthorized: false,
      dashboardUrl: 'https://dash.example.com/',
    });
    expect(camel.describe()).toMatchObject({
      port: 465,
      secure: true, // implicit TLS on 465
      requireTls: false,
      tlsRejectUnauthorized: false,
      from: 'alerts@localhost',
      recipients: ['a@example.com', 'b@example.com'],
      dashboardUrl: 'https://dash.example.com/',
    });
    expect(
      createChannel('email', { host: 'mx', secure: true, recipients: 'a@b.c' }).describe(),
    ).toMatchObject({
      port: 465,
    });
    expect(createChannel('webhook', { url: 'https://example.com/x', method: null }).describe()).toMatchObject(
      {
        method: 'POST',
      },
    );
  });

  it('describe() never shows a password, token, authorization header or webhook secret', () => {
    const secrets = ['app_pass_123', 'bearer-tok-456', 'hdr-secret-789', 'SLACKSECRET0123', 'am-pass-000'];
    const channels = [
      createChannel('email', { ...email, username: 'u@example.com', password: secrets[0] }),
      createChannel('alertmanager', { url: 'http://am:9093', bearer_token: secrets[1] }),
      createChannel('alertmanager', { url: 'http://am:9093', username: 'prom', password: secrets[4] }),
      createChannel('webhook', {
        url: 'https://hooks.slack.com/services/T0/B0/SLACKSECRET0123',
        headers: { Authorization: `Bearer ${secrets[2]}`, 'Content-Type': 'application/json' },
      }),
      createChannel('slack', { url: 'https://hooks.slack.com/services/T0/B0/SLACKSECRET0123' }),
    ];
    for (const channel of channels) {
      const described = JSON.stringify(channel.describe());
      for (const secret of secrets) expect(described).not.toContain(secret);
      expect(described).toContain('[REDACTED]');
    }
    expect(channels[3]!.describe()).toMatchObject({
      url: 'https://hooks.slack.com/[REDACTED]',
      headers: { Authorization: '[REDACTED]', 'Content-Type': 'application/json' },
    });
    expect(channels[4]!.describe()).toEqual({
      kind: 'slack',
      name: 'slack',
      url: 'https://hooks.slack.com/[REDACTED]',
    });
    expect(channels[1]!.describe()).toMatchObject({ auth: 'bearer', bearer_token: '[REDACTED]' });
  });
});

// ---------------------------------------------------------------------------------------------
// One conformance suite, every kind of channel

describe.each([
  AlertChannel.EMAIL,
  AlertChannel.WEBHOOK,
  AlertChannel.SLACK,
  AlertChannel.ALERTMANAGER,
  AlertChannel.CUSTOM,
])('the %s channel', (kind) => {
  /** A channel of `kind` pointed at local receivers, and how many deliveries reached them. */
  async function make(name?: string): Promise<{ channel: NotificationChannel; delivered: () => number }> {
    if (kind === AlertChannel.EMAIL) {
      const smtp = await startSmtp({ disabledCommands: ['STARTTLS', 'AUTH'] });
      const channel = createChannel(kind, { host: '127.0.0.1', port: smtp.port, recipients: 'a@b.c' }, name);
      cleanups.push(() => channel.close?.());
      return { channel, delivered: () => smtp.received.length };
    }
    if (kind === AlertChannel.CUSTOM) {
      let count = 0;
      const channel = createChannel(kind, { handler: () => void count++ }, name);
      return { channel, delivered: () => count };
    }
    const receiver = await startReceiver();
    const channel = createChannel(kind, { url: `${receiver.url}/services/T/B/abcdefgh` }, name);
    return { channel, delivered: () => receiver.requests.length };
  }

  it('is named after its kind unless given a name', async () => {
    const { channel } = await make();
    expect(channel).toMatchObject({ kind, name: kind });
    expect((await make('mine')).channel.name).toBe('mine');
  });

  it('describes itself as JSON with its kind and name', async () => {
    const { channel } = await make('described');
    const described = JSON.parse(JSON.stringify(channel.describe()));
    expect(described).toMatchObject({ kind, name: 'described' });
  });

  it('delivers a notification', async () => {
    const { channel, delivered } = await make();
    expect(await deliver(channel, firing)).toEqual({ ok: true, attempts: 1 });
    expect(delivered()).toBe(1);
  });

  it('sends nothing when the signal has already aborted', async () => {
    const { channel, delivered } = await make();
    const controller = new AbortController();
    controller.abort(new Error('too late'));
    await expect(channel.send(firing, controller.signal)).rejects.toThrow();
    expect(delivered()).toBe(0);
  });

  it('is refused without its required configuration', () => {
    expect(() => createChannel(kind, {})).toThrow(ChannelConfigError);
  });
});

describe('channel classes', () => {
  it('can be constructed directly with typed options', () => {
    expect(new EmailChannel({ host: 'mx', recipients: ['a@b.c'] }).describe()).toMatchObject({ port: 587 });
    expect(new WebhookChannel({ url: 'https://example.com/h' }).describe()).toMatchObject({ method: 'POST' });
  });
});
