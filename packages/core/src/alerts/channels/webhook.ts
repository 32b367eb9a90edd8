// The webhook channel: POSTs (or PUTs) one JSON document per notification, modelled on
// Alertmanager's webhook payload so receivers written for Alertmanager need few changes:
//
//   {
//     "version": "1",                       // this format; bumped on incompatible change
//     "status": "firing" | "resolved",      // firing when any alert of the group fires
//     "receiver": "ops-webhook",            // the channel's name
//     "groupLabels": { "service": "api" },  // the labels the group is grouped by
//     "alerts": [{
//       "status": "firing" | "resolved",
//       "labels": { "alertname": "high_error_rate", "severity": "critical", "service": "api" },
//       "annotations": { "description": "…" },
//       "value": 0.12,                      // null when there was no value (no data)
//       "threshold": 0.05,                  // null when not a finite number
//       "condition": "gt",                  // gt ge lt le eq ne absent
//       "startsAt": "2024-06-10T12:00:00.000Z",  // when it started firing (else entered its state)
//       "endsAt": "2024-06-10T12:05:00.000Z",    // only when resolved
//       "fingerprint": "high_error_rate{service=\"api\"}"  // the alert's stable id
//     }],
//     "dashboardUrl": "http://…",           // only when the dashboard runs
//     "reason": "new" | "repeat" | "resolved" | "escalation" | "unsilenced" | "test"
//   }
//
// Differences from Alertmanager's: no groupKey, commonLabels, externalURL or truncatedAlerts;
// value/threshold/condition added; `fingerprint` is our readable id rather than a hash.
import { AlertChannel, type AlertInstance, type Notification, type NotificationChannel } from '../types.js';
import type { ConfigReader } from './create.js';
import { maskUrl, REDACTED, registerSecrets, sendHttp } from './delivery.js';

/** One alert in a {@link WebhookPayload}. */
export interface WebhookAlert {
  readonly status: 'firing' | 'resolved';
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** null when there was no value (NaN) or it was infinite: JSON has neither. */
  readonly value: number | null;
  readonly threshold: number | null;
  readonly condition: string;
  /** ISO 8601. */
  readonly startsAt: string;
  /** ISO 8601, resolved alerts only. */
  readonly endsAt?: string;
  /** The alert's id. */
  readonly fingerprint: string;
}

/** The JSON body the webhook channel sends; see the file header for an example. */
export interface WebhookPayload {
  readonly version: '1';
  readonly status: 'firing' | 'resolved';
  readonly receiver: string;
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly alerts: readonly WebhookAlert[];
  readonly dashboardUrl?: string;
  readonly reason: Notification['reason'];
}

/** The webhook body for `notification`, sent by the channel named `receiver`. */
export function toWebhookPayload(notification: Notification, receiver: string): WebhookPayload {
  return {
    version: '1',
    status: notification.status,
    receiver,
    groupLabels: notification.groupLabels,
    alerts: notification.alerts.map(toWebhookAlert),
    ...(notification.dashboardUrl === undefined ? {} : { dashboardUrl: notification.dashboardUrl }),
    reason: notification.reason,
  };
}

function toWebhookAlert(alert: AlertInstance): WebhookAlert {
  const resolved = alert.state === 'resolved';
  return {
    status: resolved ? 'resolved' : 'firing',
    labels: alert.labels,
    annotations: alert.annotations,
    value: Number.isFinite(alert.value) ? alert.value : null,
    threshold: Number.isFinite(alert.threshold) ? alert.threshold : null,
    condition: alert.condition,
    startsAt: new Date(alert.firingSince ?? alert.since).toISOString(),
    ...(resolved ? { endsAt: new Date(alert.resolvedAt ?? alert.since).toISOString() } : {}),
    fingerprint: alert.id,
  };
}

/** Options of {@link WebhookChannel}. */
export interface WebhookChannelOptions {
  /**
   * Where to send: an http(s) URL without credentials in it.
   * @example 'https://ops.example.com/hooks/alerts'
   */
  url: string;
  /**
   * @default 'POST'
   */
  method?: 'POST' | 'PUT';
  /**
   * Extra request headers, e.g. authorization; they override the defaults
   * (`content-type: application/json`, `user-agent: datalineage-monitoring`).
   * @default {}
   * @example { Authorization: 'Bearer s3cr3t' }
   */
  headers?: Readonly<Record<string, string>>;
}

/**
 * Reads the guide's keys: `url` (required), `method` (POST or PUT), `headers`.
 * @throws ChannelConfigError for a missing or non-http(s) url, another method, bad headers.
 */
export function parseWebhookConfig(read: ConfigReader): WebhookChannelOptions {
  const url = read.url(['url'], 'give the http(s) URL the notifications are sent to');
  const method = read.choice(['method'], ['POST', 'PUT'] as const);
  const headers = read.headers(['headers']);
  return { url, ...(method === undefined ? {} : { method }), ...(headers === undefined ? {} : { headers }) };
}

/** Header values shown as they are by describe(); every other header's value is masked. */
const PLAIN_HEADERS = new Set(['content-type', 'accept', 'user-agent', 'content-language']);

/**
 * Posts a {@link WebhookPayload} to a URL.
 *
 * @example
 * new WebhookChannel({ url: 'https://ops.example.com/hooks/alerts', headers: { Authorization: 'Bearer …' } });
 */
export class WebhookChannel implements NotificationChannel {
  readonly kind = AlertChannel.WEBHOOK;
  readonly name: string;
  readonly #url: string;
  readonly #method: 'POST' | 'PUT';
  readonly #headers: Readonly<Record<string, string>>;
  readonly #userHeaders: Readonly<Record<string, string>>;
  readonly #target: string;

  /** @param name @default 'webhook' */
  constructor(options: WebhookChannelOptions, name: string = AlertChannel.WEBHOOK) {
    this.name = name;
    this.#url = options.url;
    this.#method = options.method ?? 'POST';
    this.#userHeaders = { ...options.headers };
    this.#headers = mergeHeaders(
      { 'content-type': 'application/json', 'user-agent': 'datalineage-monitoring' },
      this.#userHeaders,
    );
    this.#target = `webhook '${name}' (${this.#method} ${maskUrl(this.#url)})`;
    const url = new URL(options.url);
    registerSecrets(this, [
      options.url,
      url.pathname + url.search,
      // A receiver may echo a query token in its error body: each value is a secret too.
      ...[...url.searchParams.values()],
      ...secretHeaderValues(this.#userHeaders),
    ]);
  }

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    const body = JSON.stringify(toWebhookPayload(notification, this.name));
    await sendHttp(this.#url, { method: this.#method, headers: this.#headers, body }, this.#target, signal);
  }

  describe(): Record<string, unknown> {
    return {
      kind: this.kind,
      name: this.name,
      url: maskUrl(this.#url),
      method: this.#method,
      headers: maskHeaders(this.#userHeaders),
    };
  }
}

/** `base` overridden by `extra`, header names compared case-insensitively. */
function mergeHeaders(
  base: Readonly<Record<string, string>>,
  extra: Readonly<Record<string, string>>,
): Record<string, string> {
  const merged = new Map<string, [string, string]>();
  for (const [name, value] of [...Object.entries(base), ...Object.entries(extra)]) {
    merged.set(name.toLowerCase(), [name, value]);
  }
  return Object.fromEntries(merged.values());
}

function maskHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name,
      PLAIN_HEADERS.has(name.toLowerCase()) ? value : REDACTED,
    ]),
  );
}

/** Values of headers that may be secret, and the credential part of `Scheme credential` values. */
function secretHeaderValues(headers: Readonly<Record<string, string>>): string[] {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (PLAIN_HEADERS.has(name.toLowerCase())) continue;
    secrets.push(value);
    const credential = /^\s*[A-Za-z][\w-]*\s+(\S.*)$/.exec(value)?.[1];
    if (credential !== undefined) secrets.push(credential);
  }
  return secrets;
}
