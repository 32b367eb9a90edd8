// Formatting shared by the channels that write alerts for people (email, Slack) or for
// Alertmanager: values, the worst severity of a group, and links safe to put in a message.
import {
  type AlertCondition,
  type AlertInstance,
  type AlertSeverity,
  type Notification,
  SEVERITY_RANK,
} from '../types.js';

/** The most severe severity among `alerts`. */
function highestSeverity(alerts: readonly AlertInstance[]): AlertSeverity | undefined {
  let best: AlertSeverity | undefined;
  for (const alert of alerts) {
    if (best === undefined || SEVERITY_RANK[alert.severity] > SEVERITY_RANK[best]) best = alert.severity;
  }
  return best;
}

/** A value for people: `no data` for NaN, ±Inf, six significant digits. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'no data';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

/** Only http(s) URLs: a `javascript:` link would run in some mail clients, and Alertmanager wants a URI. */
export function httpUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/** How conditions read in a message. */
export const CONDITION_TEXT: Readonly<Record<AlertCondition, string>> = {
  gt: '>',
  ge: '>=',
  lt: '<',
  le: '<=',
  eq: '==',
  ne: '!=',
  absent: 'absent',
};

/** What a title says about a notification: firing alerts, worst severity, rules and group. */
export interface NotificationHeadline {
  readonly resolved: boolean;
  readonly firing: readonly AlertInstance[];
  readonly severity: AlertSeverity | undefined;
  /** Up to three rule names, then "+N more". */
  readonly rules: string;
  /** The group labels other than alertname and severity, as `name=value, …`. */
  readonly group: string;
}

export function headline(notification: Notification): NotificationHeadline {
  const resolved = notification.status === 'resolved';
  const firing = notification.alerts.filter((alert) => alert.state !== 'resolved');
  const names = [...new Set(notification.alerts.map((alert) => alert.rule))];
  return {
    resolved,
    firing,
    severity: highestSeverity(resolved ? notification.alerts : firing),
    rules: names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} +${names.length - 3} more`,
    group: Object.entries(notification.groupLabels)
      .filter(([name]) => name !== 'alertname' && name !== 'severity')
      .map(([name, value]) => `${name}=${value}`)
      .join(', '),
  };
}
