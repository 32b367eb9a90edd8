// Security review, point 5 (continued): secrets stay masked when a backend repeats the request in
// its error answer, as proxies and debugging endpoints do. Every HTTP backend (Pushgateway,
// InfluxDB, Elasticsearch, OTLP, webhook, Slack, Alertmanager) is a server on 127.0.0.1 that
// refuses with 401 and a body holding the request line and every request header — so the
// Authorization header, the API key header and the query token come back — and the SMTP server
// refuses the login with a reply that repeats the user and password. The exporters and channels
// put the start of that answer in their last error and the diagnostics: the secrets in it must be
// masked there, in every form (as is, percent-encoded, base64 as in a Basic header).
import { createServer, type Server } from 'node:http';
import { diagnostics } from '@datalineage/core';
import { type MonitoringSystem, resetMonitoring, setupMonitoring } from '@datalineage/monitoring';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { failEverything, outputCapture, S, SECRETS, secretsConfig } from './secrets-config.js';
import { leaksIn } from './support.js';

const { captured, otelCaptured, capture, otelLogger } = outputCapture();

let echo: Server;
let smtp: SMTPServer;
let monitoring: MonitoringSystem;
/** What the echo server was sent: the secrets really travelled, so their absence below means masking. */
const received: string[] = [];

beforeAll(async () => {
  echo = createServer((request, response) => {
    const line = `${request.method} ${request.url} ${JSON.stringify(request.headers)}`;
    received.push(line);
    request.resume();
    request.on('end', () => {
      response.writeHead(401, { 'content-type': 'text/plain' });
      response.end(`refused: ${line}`);
    });
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth: (auth, _session, callback) => {
      received.push(`AUTH ${auth.username} ${auth.password}`);
      callback(new Error(`Invalid login ${auth.username} with password ${auth.password}`));
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  const http = (echo.address() as { port: number }).port;
  const smtpPort = (smtp.server.address() as { port: number }).port;

  diagnostics.setSink({ error: capture, warn: capture, info: capture, debug: capture });
  diag.setLogger(otelLogger, DiagLogLevel.ALL);
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation(capture);
  }
  monitoring = setupMonitoring({
    ...secretsConfig({ http, smtp: smtpPort, dashboard: 0, otlpQuery: true }),
    dashboard: { enabled: false },
  });
  await failEverything(
    monitoring,
    http,
    (error) => error !== undefined && /401|535|Invalid login/.test(error),
  );
}, 30_000);

afterAll(async () => {
  await resetMonitoring();
  diag.disable();
  vi.restoreAllMocks();
  await new Promise((resolve) => echo?.close(resolve));
  await new Promise<void>((resolve) => (smtp === undefined ? resolve() : smtp.close(() => resolve())));
});

describe('5. secrets are masked when a backend repeats them in its error answer', () => {
  it('the backends were sent the secrets (the test can see a leak)', () => {
    const sent = received.join('\n');
    for (const secret of [
      S.smtpPassword,
      S.webhookQuery,
      S.otlpQuery,
      S.otlpLogsHeader,
      `Token ${S.influxToken}`,
      `ApiKey ${S.esApiKey}`,
    ]) {
      expect(sent).toContain(secret);
    }
    expect(leaksIn(sent, [{ secret: S.pushgatewayPassword, users: ['pg'] }])).not.toEqual([]);
  });

  for (const [where, text] of [
    [
      'each exporter’s and channel’s last error in getMonitoringStatus()',
      () => JSON.stringify(monitoring.getMonitoringStatus()),
    ],
    ["the SDK's diagnostics and the console", () => captured.join('\n')],
    // Only shown when the application installs a diag logger, as one does to debug an export.
    ["OpenTelemetry's diag (the OTLP exporters' own error reports)", () => otelCaptured.join('\n')],
  ] as const) {
    it(`in ${where}`, () => {
      const shown = text();
      expect(shown).toMatch(/401|535/); // the refusals are reported, with the start of the answer
      expect(leaksIn(shown, SECRETS)).toEqual([]);
    });
  }
});
