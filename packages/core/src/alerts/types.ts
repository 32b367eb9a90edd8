// Public types of the alert manager: conditions, severities, states, channels, and what a
// notification carries to a channel.

/** How a rule compares its (aggregated) value with the threshold; ABSENT fires on no data. */
export const AlertCondition = {
  GREATER_THAN: 'gt',
  GREATER_EQUAL: 'ge',
  LESS_THAN: 'lt',
  LESS_EQUAL: 'le',
  EQUAL: 'eq',
  NOT_EQUAL: 'ne',
  ABSENT: 'absent',
} as const;
export type AlertCondition = (typeof AlertCondition)[keyof typeof AlertCondition];

export const AlertSeverity = {
  CRITICAL: 'critical',
  HIGH: 'high',
  MEDIUM: 'medium',
  LOW: 'low',
  INFO: 'info',
} as const;
export type AlertSeverity = (typeof AlertSeverity)[keyof typeof AlertSeverity];

/** Severity order, most severe first: inhibition mutes alerts of a lower rank. */
export const SEVERITY_RANK: Readonly<Record<AlertSeverity, number>> = {
  critical: 5,
  high: 4,
  medium: 3,
  low: 2,
  info: 1,
};

/**
 * The lifecycle of one alert instance (a rule × one matching series): inactive → pending (the
 * condition holds, for less than minDuration) → firing → resolved; `nodata` when the series has
 * no samples in the evaluation period, `error` when evaluating it failed (as Grafana has them).
 */
export type AlertState = 'inactive' | 'pending' | 'firing' | 'resolved' | 'nodata' | 'error';

/** Notification channels, as the guide names them. */
export const AlertChannel = {
  EMAIL: 'email',
  WEBHOOK: 'webhook',
  SLACK: 'slack',
  ALERTMANAGER: 'alertmanager',
  CUSTOM: 'custom',
} as const;
export type AlertChannel = (typeof AlertChannel)[keyof typeof AlertChannel];

/** One alert instance as notifications and the API show it. */
export interface AlertInstance {
  /** Stable id: rule name + the series' labels. */
  readonly id: string;
  readonly rule: string;
  /** The metric the rule watches (used for inhibition: alerts on the same metric and series). */
  readonly metric?: string;
  readonly state: AlertState;
  readonly severity: AlertSeverity;
  /** The series' labels plus the rule's labels, plus `alertname` and `severity`. */
  readonly labels: Readonly<Record<string, string>>;
  /** The rule's annotations plus `description`. */
  readonly annotations: Readonly<Record<string, string>>;
  /** The value that was compared (NaN when there was none). */
  readonly value: number;
  readonly threshold: number;
  readonly condition: AlertCondition;
  /** When the alert entered its current state (epoch ms). */
  readonly since: number;
  /** When it started firing, if it did. */
  readonly firingSince?: number;
  /** When it resolved, if it did. */
  readonly resolvedAt?: number;
  readonly acknowledged: boolean;
}

/** What a channel is asked to deliver: a group of alerts that change or repeat together. */
export interface Notification {
  /** 'firing' when any alert in the group fires, else 'resolved'. */
  readonly status: 'firing' | 'resolved';
  /** The labels the group is grouped by. */
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly alerts: readonly AlertInstance[];
  /** Where the dashboard shows these alerts, when the dashboard runs. */
  readonly dashboardUrl?: string;
  /** Why this notification is sent now. */
  readonly reason: 'new' | 'repeat' | 'resolved' | 'escalation' | 'unsilenced' | 'test';
}

/** A configured channel: how notifications get out. Channels never throw into the application. */
export interface NotificationChannel {
  readonly kind: AlertChannel;
  /** Unique name (defaults to the kind). Rules pick channels by name. */
  readonly name: string;
  /**
   * Deliver one notification. Rejects on failure (the delivery runner retries with backoff and
   * counts the failure); must stop when `signal` aborts (the per-attempt timeout).
   */
  send(notification: Notification, signal: AbortSignal): Promise<void>;
  /** The channel's configuration for status pages, every secret masked. */
  describe(): Record<string, unknown>;
  /** Release resources (SMTP pools). */
  close?(): Promise<void>;
}
