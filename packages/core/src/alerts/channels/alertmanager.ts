// The Alertmanager channel: hands alerts to a Prometheus Alertmanager, which then groups,
// silences, inhibits and routes them with the rest of the organisation's alerts. It POSTs the
// notification's alerts to `/api/v2/alerts` as Alertmanager's "postable alerts":
//
//   [{ "labels": { "alertname": "high_error_rate", "severity": "critical", "service": "api" },
//      "annotations": { "description": "…", "value": "0.12", "threshold": "0.05", "condition": "gt" },
//      "startsAt": "2024-06-10T12:00:00.000Z",
//      "endsAt": "2024-06-10T12:05:00.000Z",      // resolved alerts only: their resolvedAt
//      "generatorURL": "http://…/alerts" }]       // the dashboard, when it runs
//
// Alertmanager identifies an alert by its label set, so labels must stay stable while the value
// lives in annotations. Label and annotation names must match [a-zA-Z_][a-zA-Z0-9_]* (0.25 has no
// UTF-8 names) and are sanitized; empty values are dropped, as Prometheus drops them. A firing
// alert without endsAt is resolved by Alertmanager itself after its `resolve_timeout` (5 min by
// default) unless sent again, so repeat notifications must come more often than that.
import { AlertChannel, type AlertInstance, type Notification, type NotificationChannel } from '../types.js';
import type { ConfigReader } from './create.js';
import { REDACTED, registerSecrets, sendHttp } from './delivery.js';
import { httpUrl } from './format.js';

/** Options of {@link AlertmanagerChannel}. */
export interface AlertmanagerChannelOptions {
  /**
   * Base URL of the Alertmanager (a path prefix is kept; `/api/v2/alerts` is appended).
   * @example 'http://127.0.0.1:9093'
   */
  url: string;
  /** Basic-auth user, with `password`. */
  username?: string;
  /** Basic-auth password, with `username`. */
  password?: string;
  /** Bearer token, instead of basic auth. */
  bearerToken?: string;
}

/**
 * Reads `url` (required), `username` + `password`, or `bearer_token` (or `bearerToken`).
 * @throws ChannelConfigError for a missing or non-http(s) url, half a basic-auth pair, or both
 * basic auth and a bearer token.
 */
export function parseAlertmanagerConfig(read: ConfigReader): AlertmanagerChannelOptions {
  const url = read.url(['url'], 'give the base URL of the Alertmanager, e.g. http://127.0.0.1:9093');
  const username = read.string(['username']);
  const password = read.string(['password']);
  const bearerToken = read.string(['bearer_token', 'bearerToken']);
  if ((username === undefined) !== (password === undefined)) {
    read.fail(
      username === undefined ? 'username' : 'password',
      'basic auth needs both username and password',
    );
  }
  if (bearerToken !== undefined && username !== undefined) {
    read.fail('bearer_token', 'give either a bearer token or username and password, not both');
  }
  return {
    url,
    ...(username === undefined ? {} : { username, password: password! }),
    ...(bearerToken === undefined ? {} : { bearerToken }),
  };
}

/** One alert as Alertmanager's `POST /api/v2/alerts` takes it. */
export interface PostableAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt?: string;
  readonly generatorURL?: string;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * A valid Prometheus label name for `name`: other characters become `_`, a leading digit gets a
 * `_` prefix; undefined for an empty name.
 *
 * @example sanitizeLabelName('http.route') // 'http_route'
 */
export function sanitizeLabelName(name: string): string | undefined {
  if (LABEL_NAME.test(name)) return name;
  if (name === '') return undefined;
  const replaced = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(replaced) ? `_${replaced}` : replaced;
}

/**
 * Names sanitized, values as strings, empty values dropped. Names that were already valid are
 * placed first, so `http_route` keeps its value when `http.route` sanitizes to the same name.
 */
function toLabelSet(source: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  const entries = Object.entries(source).filter(
    ([, value]) => value !== undefined && value !== null && value !== '',
  );
  for (const [name, value] of entries) {
    if (LABEL_NAME.test(name)) out[name] = String(value);
  }
  for (const [name, value] of entries) {
    const sanitized = LABEL_NAME.test(name) ? undefined : sanitizeLabelName(name);
    if (sanitized !== undefined && !Object.hasOwn(out, sanitized)) out[sanitized] = String(value);
  }
  return out;
}

/** The postable alerts for `notification`. */
export function toPostableAlerts(notification: Notification): PostableAlert[] {
  const generatorURL = httpUrl(notification.dashboardUrl);
  return notification.alerts.map((alert) => toPostableAlert(alert, generatorURL));
}

function toPostableAlert(alert: AlertInstance, generatorURL: string | undefined): PostableAlert {
  const labels = toLabelSet({ ...alert.labels, alertname: alert.rule, severity: alert.severity });
  const annotations = toLabelSet({
    value: formatNumber(alert.value),
    threshold: formatNumber(alert.threshold),
    condition: alert.condition,
    ...alert.annotations,
  });
  const startsAt = alert.firingSince ?? alert.since;
  // Alertmanager refuses endsAt before startsAt.
  const endsAt = alert.state === 'resolved' ? Math.max(alert.resolvedAt ?? alert.since, startsAt) : undefined;
  return {
    labels,
    annotations,
    startsAt: new Date(startsAt).toISOString(),
    ...(endsAt === undefined ? {} : { endsAt: new Date(endsAt).toISOString() }),
    ...(generatorURL === undefined ? {} : { generatorURL }),
  };
}

function formatNumber(value: number): string {
  return Number.isNaN(value) ? 'no data' : String(value);
}

/**
 * Sends alerts to a Prometheus Alertmanager through its v2 API.
 *
 * @example
 * new AlertmanagerChannel({ url: 'http://alertmanager:9093', bearerToken: process.env.AM_TOKEN });
 */
export class AlertmanagerChannel implements NotificationChannel {
  readonly kind = AlertChannel.ALERTMANAGER;
  readonly name: string;
  readonly #options: AlertmanagerChannelOptions;
  readonly #endpoint: string;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #target: string;

  /** @param name @default 'alertmanager' */
  constructor(options: AlertmanagerChannelOptions, name: string = AlertChannel.ALERTMANAGER) {
    this.name = name;
    this.#options = { ...options };
    const endpoint = new URL(options.url);
    endpoint.search = '';
    endpoint.hash = '';
    if (!endpoint.pathname.endsWith('/api/v2/alerts')) {
      endpoint.pathname = `${endpoint.pathname.replace(/\/+$/, '')}/api/v2/alerts`;
    }
    this.#endpoint = endpoint.href;
    this.#target = `alertmanager '${name}' (POST ${this.#endpoint})`;

    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'datalineage-monitoring',
    };
    let basic: string | undefined;
    if (options.username !== undefined && options.password !== undefined) {
      basic = Buffer.from(`${options.username}:${options.password}`).toString('base64');
      headers.authorization = `Basic ${basic}`;
    } else if (options.bearerToken !== undefined) {
      headers.authorization = `Bearer ${options.bearerToken}`;
    }
    this.#headers = headers;
    registerSecrets(this, [
      options.password,
      options.password === undefined ? undefined : encodeURIComponent(options.password),
      basic,
      options.bearerToken,
    ]);
  }

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    const body = JSON.stringify(toPostableAlerts(notification));
    await sendHttp(this.#endpoint, { method: 'POST', headers: this.#headers, body }, this.#target, signal);
  }

  describe(): Record<string, unknown> {
    const { username, password, bearerToken } = this.#options;
    return {
      kind: this.kind,
      name: this.name,
      url: this.#endpoint,
      auth: username !== undefined ? 'basic' : bearerToken !== undefined ? 'bearer' : 'none',
      ...(username === undefined ? {} : { username }),
      ...(password === undefined ? {} : { password: REDACTED }),
      ...(bearerToken === undefined ? {} : { bearer_token: REDACTED }),
    };
  }
}
