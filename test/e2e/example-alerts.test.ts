// The example defines the guide's high_error_rate rule; with errors injected by its workload the
// rule goes pending and fires, as the status API shows, and the alert mail reaches a real SMTP
// server (smtp-server, a local sink) with the rule, severity, value, threshold, labels and a
// dashboard link. The example's YAML is used with a short group wait, so the mail comes quickly.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { freePort, type RunningProcess, startProcess, tempDir } from '../support/processes.js';

let app: RunningProcess;
let base: string;
let dir: string;
let smtp: SMTPServer;
const mails: ParsedMail[] = [];

beforeAll(async () => {
  smtp = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          mails.push(mail);
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const smtpPort = (smtp.server.address() as AddressInfo).port;

  dir = await tempDir('example-alerts');
  const config = parse(readFileSync('examples/monitoring-config.yaml', 'utf8')) as {
    monitoring: { alerts: Record<string, unknown> };
  };
  Object.assign(config.monitoring.alerts, { group_wait: 1 });
  const file = join(dir, 'monitoring-config.yaml');
  writeFileSync(file, stringify(config));

  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  app = await startProcess({
    binary: process.execPath,
    args: ['--conditions=@datalineage/source', '--import', 'tsx', 'examples/monitoring-example.ts'],
    debianPackage: 'nodejs',
    readyUrl: `${base}/healthz`,
    readyTimeoutMs: 30_000,
    env: {
      ...process.env,
      DATALINEAGE_CONFIG_FILE: file,
      DATALINEAGE_DASHBOARD_PORT: String(port),
      EXAMPLE_API_PORT: '0', // the example's API on any free port, as tests run side by side
      DATALINEAGE_ALERT_EVALUATION_INTERVAL: '1',
      EXAMPLE_ALERT_MIN_DURATION: '2',
      EXAMPLE_RATE: '400',
      EXAMPLE_SMTP_HOST: '127.0.0.1',
      EXAMPLE_SMTP_PORT: String(smtpPort),
      EXAMPLE_ALERT_EMAIL: 'oncall@example.com',
    },
  });
}, 60_000);

afterAll(async () => {
  await app?.stop();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

interface Status {
  alertManager: { rules: number; alerts: Record<string, number>; evaluations: number };
}

describe('the example’s high_error_rate rule', () => {
  it('goes pending, then fires once errors exceed the threshold for minDuration', async () => {
    const seen = new Set<string>();
    const deadline = Date.now() + 30_000;
    let status: Status | undefined;
    while (Date.now() < deadline) {
      status = (await (await fetch(`${base}/api/status`)).json()) as Status;
      for (const [state, count] of Object.entries(status.alertManager.alerts)) if (count > 0) seen.add(state);
      if (seen.has('firing')) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(status?.alertManager.rules).toBe(1);
    expect(seen.has('pending'), `states seen: ${[...seen].join(', ')}\n${app.output()}`).toBe(true);
    expect(seen.has('firing'), `states seen: ${[...seen].join(', ')}\n${app.output()}`).toBe(true);
  });

  it('mails the alert to the configured SMTP sink', async () => {
    const deadline = Date.now() + 20_000;
    while (mails.length === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    const [mail] = mails;
    expect(mail, app.output()).toBeDefined();
    expect(mail?.subject).toMatch(/CRITICAL/i);
    expect(mail?.subject).toContain('high_error_rate');
    const to = Array.isArray(mail?.to) ? mail?.to[0] : mail?.to;
    expect(to?.text).toContain('oncall@example.com');
    expect(mail?.text).toContain('Error rate is too high');
    expect(mail?.text).toMatch(/threshold\W+10/i);
    expect(mail?.text).toMatch(/stage/);
    expect(mail?.text).toContain(base); // the dashboard link
  });
});
