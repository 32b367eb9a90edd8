// The Slack channel: posts to an incoming-webhook URL. The message has a plain `text` (what push
// notifications and clients without attachments show) and one attachment coloured by severity
// whose Block Kit sections describe each alert. Every value is mrkdwn-escaped (&, <, >), so a label
// value cannot ping `<!channel>` or forge a link. The webhook URL is the credential: only its
// scheme and host are ever shown.
import {
  AlertChannel,
  type AlertInstance,
  type AlertSeverity,
  type Notification,
  type NotificationChannel,
} from '../types.js';
import type { ConfigReader } from './create.js';
import { maskUrl, registerSecrets, sendHttp } from './delivery.js';
import { CONDITION_TEXT, formatValue, headline } from './format.js';

/** Options of {@link SlackChannel}. */
export interface SlackChannelOptions {
  /**
   * The incoming-webhook URL Slack gave you; it is the secret.
   * @example 'https://hooks.slack.com/services/T000/B000/XXXXXXXX'
   */
  url: string;
  /**
   * Channel override, honoured by legacy webhooks only (app webhooks post where they were installed).
   * @example '#ops-alerts'
   */
  channel?: string;
  /** Sender name override (legacy webhooks). @example 'DataLineage alerts' */
  username?: string;
  /** Sender icon (legacy webhooks). @example ':rotating_light:' */
  iconEmoji?: string;
}

/**
 * Reads `url` (required), `channel`, `username`, `icon_emoji` (or `iconEmoji`).
 * @throws ChannelConfigError for a missing or non-http(s) url, or a non-string option.
 */
export function parseSlackConfig(read: ConfigReader): SlackChannelOptions {
  const url = read.url(['url'], 'give the incoming-webhook URL from Slack');
  const channel = read.string(['channel']);
  const username = read.string(['username']);
  const iconEmoji = read.string(['icon_emoji', 'iconEmoji']);
  return {
    url,
    ...(channel === undefined ? {} : { channel }),
    ...(username === undefined ? {} : { username }),
    ...(iconEmoji === undefined ? {} : { iconEmoji }),
  };
}

/** Attachment bar colours, by severity; resolved groups are green whatever their severity. */
export const SLACK_COLORS: Readonly<Record<AlertSeverity | 'resolved', string>> = {
  critical: '#D00000',
  high: '#E8590C',
  medium: '#F2C744',
  low: '#4A90D9',
  info: '#9E9E9E',
  resolved: '#2EB67D',
};

const HEADERS = { 'content-type': 'application/json', 'user-agent': 'datalineage-monitoring' };

/** Alerts detailed in one message; Slack refuses more than 50 blocks and long messages get cut. */
const MAX_ALERTS_SHOWN = 10;

/** Escapes Slack's three control characters; everything else is shown as written. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The incoming-webhook message for `notification`. */
export function toSlackMessage(
  notification: Notification,
  options: Omit<SlackChannelOptions, 'url'> = {},
): object {
  const { resolved, firing, severity, rules: ruleText, group } = headline(notification);
  const status = resolved ? 'RESOLVED' : `FIRING:${firing.length}`;
  const title = `[${status}] ${severity === undefined ? '' : `${severity.toUpperCase()} `}${ruleText}${group ? ` (${group})` : ''}`;

  const blocks: object[] = notification.alerts.slice(0, MAX_ALERTS_SHOWN).map((alert) => ({
    type: 'section',
    text: { type: 'mrkdwn', text: alertText(alert) },
  }));
  if (notification.alerts.length > MAX_ALERTS_SHOWN) {
    blocks.push({
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: `…and ${notification.alerts.length - MAX_ALERTS_SHOWN} more alerts` },
      ],
    });
  }
  const link = linkUrl(notification.dashboardUrl);
  if (link !== undefined) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `<${link}|Open the dashboard>` } });
  }

  return {
    text: escapeMrkdwn(title),
    ...(options.channel === undefined ? {} : { channel: options.channel }),
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.iconEmoji === undefined ? {} : { icon_emoji: options.iconEmoji }),
    attachments: [
      {
        color: resolved ? SLACK_COLORS.resolved : SLACK_COLORS[severity ?? 'info'],
        fallback: escapeMrkdwn(title),
        blocks,
      },
    ],
  };
}

function alertText(alert: AlertInstance): string {
  const resolved = alert.state === 'resolved';
  const lines = [
    `*${escapeMrkdwn(alert.rule)}* · ${alert.severity} · ${resolved ? 'resolved' : alert.state}`,
  ];
  lines.push(
    alert.condition === 'absent'
      ? `No data (condition: absent)`
      : `Value *${formatValue(alert.value)}* ${escapeMrkdwn(CONDITION_TEXT[alert.condition])} threshold *${formatValue(alert.threshold)}*`,
  );
  const description = alert.annotations.description;
  if (description !== undefined && description !== '') lines.push(escapeMrkdwn(description));
  const labels = Object.entries(alert.labels)
    .filter(([name]) => name !== 'alertname' && name !== 'severity')
    .map(([name, value]) => `${name}=${value}`);
  if (labels.length > 0) lines.push(`Labels: ${escapeMrkdwn(labels.join(', '))}`);
  const since = resolved ? alert.resolvedAt : (alert.firingSince ?? alert.since);
  if (since !== undefined) lines.push(`${resolved ? 'Resolved' : 'Since'} ${new Date(since).toISOString()}`);
  // Section text is limited to 3,000 characters.
  const text = lines.join('\n');
  return text.length > 2_900 ? `${text.slice(0, 2_900)}…` : text;
}

/**
 * An http(s) URL fit for `<url|label>`: `|` would end the URL and `<`/`>` the link, so they are
 * percent-encoded; `&` is entity-escaped as Slack asks for all text.
 */
function linkUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  return parsed.href.replace(/\|/g, '%7C').replace(/</g, '%3C').replace(/>/g, '%3E').replace(/&/g, '&amp;');
}

/**
 * Posts alerts to Slack through an incoming webhook.
 *
 * @example
 * new SlackChannel({ url: process.env.SLACK_WEBHOOK_URL!, channel: '#ops-alerts' }, 'slack-ops');
 */
export class SlackChannel implements NotificationChannel {
  readonly kind = AlertChannel.SLACK;
  readonly name: string;
  readonly #options: SlackChannelOptions;
  readonly #presentation: Omit<SlackChannelOptions, 'url'>;
  readonly #target: string;

  /** @param name @default 'slack' */
  constructor(options: SlackChannelOptions, name: string = AlertChannel.SLACK) {
    this.name = name;
    this.#options = { ...options };
    const { url: _url, ...presentation } = options;
    this.#presentation = presentation;
    this.#target = `slack '${name}' (${maskUrl(options.url)})`;
    const url = new URL(options.url);
    registerSecrets(this, [
      options.url,
      url.pathname + url.search,
      // The last path segment is the token proper: it may turn up alone, e.g. URL-decoded.
      ...url.pathname.split('/').filter((segment) => segment.length >= 8),
    ]);
  }

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    await sendHttp(
      this.#options.url,
      {
        method: 'POST',
        headers: HEADERS,
        body: JSON.stringify(toSlackMessage(notification, this.#presentation)),
      },
      this.#target,
      signal,
    );
  }

  describe(): Record<string, unknown> {
    return {
      kind: this.kind,
      name: this.name,
      url: maskUrl(this.#options.url),
      ...(this.#options.channel === undefined ? {} : { channel: this.#options.channel }),
      ...(this.#options.username === undefined ? {} : { username: this.#options.username }),
      ...(this.#options.iconEmoji === undefined ? {} : { icon_emoji: this.#options.iconEmoji }),
    };
  }
}
