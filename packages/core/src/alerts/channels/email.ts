// The e-mail channel: one message per notification through an SMTP server, with nodemailer.
// Subject in Alertmanager's style (`[FIRING:2] [CRITICAL] high_error_rate (service=api)`), a text
// body and an HTML body with, per alert, value, threshold, condition, labels, annotations, since,
// and a dashboard link. Every value in the HTML is escaped: labels and annotations come from the
// application and its users. SMTP errors become DeliveryErrors that say whether retrying can help
// (a refused login cannot, a dropped connection can).
import nodemailer, { type SMTPTransportOptions, type Transporter } from 'nodemailer';
import {
  AlertChannel,
  type AlertInstance,
  type AlertSeverity,
  type Notification,
  type NotificationChannel,
} from '../types.js';
import type { ConfigReader } from './create.js';
import { DeliveryError, REDACTED, registerSecrets } from './delivery.js';
import { CONDITION_TEXT, formatValue, headline, httpUrl } from './format.js';

/** Options of {@link EmailChannel} (`createChannel` also takes the guide's snake_case keys). */
export interface EmailChannelOptions {
  /** SMTP server host name. @example 'smtp.gmail.com' */
  host: string;
  /**
   * SMTP port.
   * @default 465 when `secure`, else 587
   */
  port?: number;
  /**
   * Implicit TLS from the first byte (SMTPS). Otherwise STARTTLS is used when the server offers it.
   * @default port === 465
   */
  secure?: boolean;
  /**
   * Refuse to send unless the connection is upgraded with STARTTLS, so credentials and alert
   * contents never travel in clear text.
   * @default false
   */
  requireTls?: boolean;
  /**
   * Verify the server's certificate. Only turn off for a test server with a self-signed one.
   * @default true
   */
  tlsRejectUnauthorized?: boolean;
  /** SMTP login, and the default sender. @example 'alerts@company.com' */
  username?: string;
  /** SMTP password; masked in describe() and scrubbed from errors. */
  password?: string;
  /** Addresses the alerts go to. @example ['admin@company.com', 'ops@company.com'] */
  recipients: readonly string[];
  /**
   * Sender address.
   * @default username when it is an address, else 'alerts@localhost'
   */
  from?: string;
  /**
   * Dashboard link used when a notification carries none.
   * @example 'https://monitoring.example.com/alerts'
   */
  dashboardUrl?: string;
}

/**
 * Reads the guide's keys and their camelCase forms:
 *
 * | key | also | |
 * |---|---|---|
 * | `smtp_server` | `smtpServer`, `host` | required |
 * | `smtp_port` | `smtpPort`, `port` | default 465 when secure, else 587 |
 * | `username`, `password` | | SMTP login |
 * | `recipients` | | required; a list or a comma-separated string |
 * | `from` | | default: username when it is an address, else alerts@localhost |
 * | `secure` | | implicit TLS; default port === 465 |
 * | `require_tls` | `requireTls` | STARTTLS required; default false |
 * | `tls_reject_unauthorized` | `tlsRejectUnauthorized` | default true |
 * | `dashboard_url` | `dashboardUrl` | link when a notification has none |
 *
 * @throws ChannelConfigError for a missing host or recipients, a bad port, half a login.
 */
export function parseEmailConfig(read: ConfigReader): EmailChannelOptions {
  const host = read.string(['smtp_server', 'smtpServer', 'host'], 'give the SMTP server host name');
  const port = read.port(['smtp_port', 'smtpPort', 'port']);
  const username = read.string(['username']);
  const password = read.string(['password']);
  const recipients = read.addresses(['recipients'], 'give the addresses the alerts go to');
  const from = read.string(['from']);
  const secure = read.boolean(['secure']);
  const requireTls = read.boolean(['require_tls', 'requireTls']);
  const tlsRejectUnauthorized = read.boolean(['tls_reject_unauthorized', 'tlsRejectUnauthorized']);
  const dashboardUrl = read.url(['dashboard_url', 'dashboardUrl']);
  if (password !== undefined && username === undefined) {
    read.fail('username', 'missing: a password is set, so give the user name it belongs to');
  }
  const options: EmailChannelOptions = { host: host.trim(), recipients };
  if (port !== undefined) options.port = port;
  if (username !== undefined) options.username = username;
  if (password !== undefined) options.password = password;
  if (from !== undefined) options.from = from;
  if (secure !== undefined) options.secure = secure;
  if (requireTls !== undefined) options.requireTls = requireTls;
  if (tlsRejectUnauthorized !== undefined) options.tlsRejectUnauthorized = tlsRejectUnauthorized;
  if (dashboardUrl !== undefined) options.dashboardUrl = dashboardUrl;
  return options;
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** A rendered alert e-mail. */
export interface RenderedEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const SEVERITY_COLOR: Readonly<Record<AlertSeverity, string>> = {
  critical: '#d00000',
  high: '#e8590c',
  medium: '#b08800',
  low: '#4a90d9',
  info: '#757575',
};

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text made safe for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);
}

/**
 * Subject, text and HTML body for `notification`.
 *
 * @param dashboardUrl link used when the notification carries none
 * @example renderEmail(notification).subject // '[FIRING:2] [CRITICAL] high_error_rate (service=api)'
 */
export function renderEmail(notification: Notification, dashboardUrl?: string): RenderedEmail {
  const { resolved, firing, severity, rules: ruleText, group } = headline(notification);
  const status = resolved ? '[RESOLVED]' : `[FIRING:${firing.length}]`;
  const severityTag = severity === undefined ? '' : ` [${severity.toUpperCase()}]`;
  // Line breaks in a subject would start new headers; nodemailer encodes them, but a folded
  // subject reads badly in every client.
  const subject = `${status}${severityTag} ${ruleText}${group ? ` (${group})` : ''}`.replace(/[\r\n]+/g, ' ');
  const link = httpUrl(notification.dashboardUrl ?? dashboardUrl);

  const summary = resolved
    ? `${notification.alerts.length} alert(s) resolved.`
    : `${firing.length} alert(s) firing${firing.length < notification.alerts.length ? `, ${notification.alerts.length - firing.length} resolved` : ''}.`;

  const text = [
    subject,
    '',
    `${summary} Reason: ${notification.reason}.`,
    ...(link === undefined ? [] : [`Dashboard: ${link}`]),
    '',
    ...notification.alerts.flatMap((alert, index) =>
      alertText(alert, index, notification.alerts.length, link),
    ),
  ].join('\n');

  const html = [
    '<!DOCTYPE html><html><body style="font-family:sans-serif;font-size:14px;color:#222">',
    `<h2 style="margin:0 0 8px">${escapeHtml(subject)}</h2>`,
    `<p>${escapeHtml(summary)} Reason: ${escapeHtml(notification.reason)}.</p>`,
    ...(link === undefined ? [] : [`<p><a href="${escapeHtml(link)}">Open the dashboard</a></p>`]),
    ...notification.alerts.map((alert) => alertHtml(alert, link)),
    '</body></html>',
  ].join('\n');

  return { subject, text, html };
}

function alertRows(alert: AlertInstance): [string, string][] {
  const resolved = alert.state === 'resolved';
  const rows: [string, string][] = [
    ['Status', resolved ? 'resolved' : alert.state],
    ['Severity', alert.severity],
    ['Value', formatValue(alert.value)],
    ['Threshold', formatValue(alert.threshold)],
    [
      'Condition',
      alert.condition === 'absent'
        ? 'absent (fires when there is no data)'
        : `value ${CONDITION_TEXT[alert.condition]} ${formatValue(alert.threshold)} (${alert.condition})`,
    ],
    ['Since', new Date(alert.firingSince ?? alert.since).toISOString()],
  ];
  if (resolved && alert.resolvedAt !== undefined)
    rows.push(['Resolved at', new Date(alert.resolvedAt).toISOString()]);
  if (alert.acknowledged) rows.push(['Acknowledged', 'yes']);
  rows.push(['Labels', pairs(alert.labels)]);
  const { description, ...annotations } = alert.annotations;
  if (description !== undefined && description !== '') rows.push(['Description', description]);
  if (Object.keys(annotations).length > 0) rows.push(['Annotations', pairs(annotations)]);
  return rows;
}

function alertText(alert: AlertInstance, index: number, count: number, link: string | undefined): string[] {
  const lines = [`--- Alert ${index + 1} of ${count}: ${alert.rule} ---`];
  for (const [name, value] of alertRows(alert)) lines.push(`${`${name}:`.padEnd(13)}${value}`);
  if (link !== undefined) lines.push(`${'Dashboard:'.padEnd(13)}${link}`);
  lines.push('');
  return lines;
}

function alertHtml(alert: AlertInstance, link: string | undefined): string {
  const color = alert.state === 'resolved' ? '#2e7d32' : SEVERITY_COLOR[alert.severity];
  const rows = alertRows(alert)
    .map(
      ([name, value]) =>
        `<tr><th style="text-align:left;padding:2px 12px 2px 0;vertical-align:top">${escapeHtml(name)}</th>` +
        `<td style="padding:2px 0">${escapeHtml(value)}</td></tr>`,
    )
    .join('');
  const dashboard =
    link === undefined
      ? ''
      : `<p style="margin:6px 0 0"><a href="${escapeHtml(link)}">View in the dashboard</a></p>`;
  return (
    `<div style="border-left:4px solid ${color};padding:4px 12px;margin:12px 0">` +
    `<h3 style="margin:0 0 4px">${escapeHtml(alert.rule)}</h3><table>${rows}</table>${dashboard}</div>`
  );
}

function pairs(record: Readonly<Record<string, string>>): string {
  return Object.entries(record)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
}

// ---------------------------------------------------------------------------------------------
// The channel

/** nodemailer codes that no retry can fix: the configuration or the credentials are wrong. */
const PERMANENT_CODES = new Set(['EAUTH', 'ENOAUTH', 'ECONFIG', 'EENVELOPE', 'EREQUIRETLS', 'ETLS']);

/** nodemailer's error fields used here (its `NodemailerError`). */
interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  permanent?: boolean;
}

/**
 * Sends alert e-mails through an SMTP server. Each notification opens its own connection: alerts
 * are rare, and a pooled connection would sit idle and time out between them.
 *
 * @example
 * new EmailChannel({ host: 'smtp.example.com', username: 'alerts@example.com', password: '…', recipients: ['ops@example.com'] });
 */
export class EmailChannel implements NotificationChannel {
  readonly kind = AlertChannel.EMAIL;
  readonly name: string;
  readonly #transport: Transporter;
  readonly #settings: Record<string, unknown>;
  readonly #from: string;
  readonly #recipients: readonly string[];
  readonly #dashboardUrl: string | undefined;
  readonly #target: string;

  /** @param name @default 'email' */
  constructor(options: EmailChannelOptions, name: string = AlertChannel.EMAIL) {
    this.name = name;
    const secure = options.secure ?? options.port === 465;
    const port = options.port ?? (secure ? 465 : 587);
    const requireTls = options.requireTls ?? false;
    const rejectUnauthorized = options.tlsRejectUnauthorized ?? true;
    this.#from = options.from ?? (options.username?.includes('@') ? options.username : 'alerts@localhost');
    this.#recipients = [...options.recipients];
    this.#dashboardUrl = options.dashboardUrl;
    this.#target = `email '${name}' (smtp ${options.host}:${port})`;

    const transport: SMTPTransportOptions = {
      host: options.host,
      port,
      secure,
      requireTLS: requireTls,
      tls: { rejectUnauthorized },
      // Closing destroys the socket, whether after the server took the message or when delivery's
      // time limit aborts the send. nodemailer's default only ends our side and keeps reading for
      // 5 s: a server that drips its replies held every aborted connection that long past the limit.
      socketCloseTimeout: 0,
    };
    if (options.username !== undefined) {
      transport.auth = {
        user: options.username,
        ...(options.password === undefined ? {} : { pass: options.password }),
      };
    }
    this.#transport = nodemailer.createTransport(transport);

    this.#settings = {
      host: options.host,
      port,
      secure,
      requireTls,
      tlsRejectUnauthorized: rejectUnauthorized,
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.password === undefined ? {} : { password: REDACTED }),
      from: this.#from,
      recipients: this.#recipients,
      ...(options.dashboardUrl === undefined ? {} : { dashboardUrl: options.dashboardUrl }),
    };

    const { username: user = '', password } = options;
    registerSecrets(this, [
      password,
      password === undefined ? undefined : encodeURIComponent(password),
      // What AUTH PLAIN and LOGIN put on the wire, should a server echo it back.
      password === undefined ? undefined : Buffer.from(`\u0000${user}\u0000${password}`).toString('base64'),
      password === undefined ? undefined : Buffer.from(password).toString('base64'),
    ]);
  }

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    const { subject, text, html } = renderEmail(notification, this.#dashboardUrl);
    try {
      await this.#transport.sendMail({
        from: this.#from,
        to: [...this.#recipients],
        subject,
        text,
        html,
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw signal.reason ?? error;
      throw this.#deliveryError(error);
    }
  }

  describe(): Record<string, unknown> {
    return { kind: this.kind, name: this.name, ...this.#settings };
  }

  async close(): Promise<void> {
    this.#transport.close();
  }

  #deliveryError(error: unknown): DeliveryError {
    const smtp = (error instanceof Error ? error : new Error(String(error))) as SmtpError;
    const code = smtp.code ?? 'unknown';
    // nodemailer reports a refused certificate as ESOCKET, by the message only.
    const certificate = /certificate/i.test(smtp.message);
    const what =
      code === 'EAUTH'
        ? 'SMTP authentication failed (check username and password)'
        : certificate
          ? 'TLS certificate refused (check the server certificate; tls_reject_unauthorized: false is for test servers only)'
          : code === 'ETLS'
            ? 'STARTTLS failed'
            : 'sending failed';
    return new DeliveryError(`${this.#target}: ${what}: ${smtp.message} [${code}]`, {
      retryable: !PERMANENT_CODES.has(code) && smtp.permanent !== true && !certificate,
      cause: error,
    });
  }
}
