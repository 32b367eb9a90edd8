// Deciding who hears about which alert, when: grouping with group wait and group interval,
// repeat interval (the guide's max_frequency), resolved notices, silences (and a fresh notice when
// one ends over a still-firing alert), inhibition, acknowledgement and escalation — Alertmanager's
// routing, in process. Pure logic over alert snapshots and an injected time; it only calls
// `dispatch`, which delivers in the background.
import type { SilenceStore } from './silences.js';
import { type AlertInstance, type AlertSeverity, type Notification, SEVERITY_RANK } from './types.js';

export interface RoutingOptions {
  /** Labels alerts are grouped by: one notification per group. @default ['alertname'] */
  groupBy?: readonly string[];
  /** Wait before the first notice of a new group, to gather its alerts. @default 30000 */
  groupWaitMs?: number;
  /** Wait between notices about changes in a group. @default 300000 */
  groupIntervalMs?: number;
  /** Repeat a notice for alerts still firing after this long (`alerts.maxFrequency`). @default 3600000 */
  repeatIntervalMs?: number;
  /** Send a notice when alerts resolve. @default true */
  sendResolved?: boolean;
  /** Unacknowledged alerts firing this long are also sent to these channels, once. */
  escalation?: { afterMs: number; channels: readonly string[] };
  /**
   * A firing alert of this severity mutes firing alerts of lower severity on the same metric and
   * series (`false` turns inhibition off). @default 'critical'
   */
  inhibitFrom?: AlertSeverity | false;
  /** Link put in notifications. */
  dashboardUrl?: string;
}

function duration(value: number, what: string): number {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(`routing ${what} must be a number of milliseconds ≥ 0, got ${value}`);
  }
  return value;
}

export type Dispatch = (channels: readonly string[] | undefined, notification: Notification) => void;

interface Group {
  readonly labels: Record<string, string>;
  readonly firstSeenAt: number;
  lastSentAt: number | undefined;
  /** Firing alerts of the group, by id. */
  readonly firing: Map<string, AlertInstance>;
  /** Firing alerts the group announced that a silence or inhibition now mutes. */
  readonly muted: Map<string, AlertInstance>;
  /** Alerts that resolved since the last notice. */
  readonly resolved: Map<string, AlertInstance>;
  /** Alerts this group has announced as firing: only they get resolved notices. */
  readonly announced: Set<string>;
  /** Something changed since the last notice (a new firing alert, a resolution, a silence ended). */
  changed: boolean;
  reason: Notification['reason'];
}

/**
 * Keys computed from an alert's labels, cached by the labels object: snapshots of one alert
 * instance share it, so each key is built once per instance rather than once per evaluation.
 */
interface LabelKeys {
  group?: { key: string; labels: Record<string, string> };
  series?: string;
}

function hasUnacknowledged(firing: ReadonlyMap<string, AlertInstance>): boolean {
  for (const alert of firing.values()) if (!alert.acknowledged) return true;
  return false;
}

/** Labels that identify the watched series, for inhibition: everything but the alert's own. */
function seriesKey(alert: AlertInstance): string {
  const labels = Object.entries(alert.labels)
    .filter(([name]) => name !== 'alertname' && name !== 'severity')
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([alert.metric ?? '', labels]);
}

export class Notifier {
  private readonly groupBy: readonly string[];
  private readonly groupWait: number;
  private readonly groupInterval: number;
  private readonly repeatInterval: number;
  private readonly sendResolved: boolean;
  private readonly groups = new Map<string, Group>();
  /** Firing alerts held back by a silence: notified again when it ends. */
  private readonly silenced = new Set<string>();
  private readonly escalated = new Set<string>();
  private readonly keys = new WeakMap<object, LabelKeys>();
  /** When the next escalation falls due, as of the last update. */
  private nextEscalationAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly options: RoutingOptions,
    private readonly dispatch: Dispatch,
    private readonly channelsOf: (rule: string) => readonly string[] | undefined,
  ) {
    this.groupBy = options.groupBy ?? ['alertname'];
    this.groupWait = duration(options.groupWaitMs ?? 30_000, 'groupWaitMs');
    this.groupInterval = duration(options.groupIntervalMs ?? 300_000, 'groupIntervalMs');
    this.repeatInterval = duration(options.repeatIntervalMs ?? 3_600_000, 'repeatIntervalMs');
    this.sendResolved = options.sendResolved ?? true;
    if (options.escalation !== undefined) {
      duration(options.escalation.afterMs, 'escalation.afterMs');
      if (options.escalation.channels.length === 0)
        throw new RangeError('escalation.channels must name at least one channel');
    }
  }

  /**
   * Take the latest snapshot of every alert instance and send what is due at `now`. Called after
   * every evaluation, and between evaluations when `nextDueAt()` says something falls due.
   */
  update(instances: readonly AlertInstance[], now: number, silences: SilenceStore): void {
    const inhibited = this.inhibited(instances);
    const seen = new Set<string>();
    for (const alert of instances) {
      if (alert.state !== 'firing') continue;
      seen.add(alert.id);
      const silenced = silences.matching(alert.labels, now) !== undefined;
      if (silenced || inhibited.has(alert.id)) {
        if (silenced) this.silenced.add(alert.id);
        // Muted, not forgotten: an alert announced before its silence still gets its resolved notice.
        const group = this.groupOf(alert, now);
        if (group !== undefined && (group.firing.delete(alert.id) || group.muted.has(alert.id)))
          group.muted.set(alert.id, alert);
        continue;
      }
      const group = this.groupOf(alert, now, true) as Group;
      group.muted.delete(alert.id);
      if (this.silenced.delete(alert.id)) {
        group.changed = true;
        group.reason = 'unsilenced'; // Alertmanager stays quiet here; a still-firing alert deserves a word
      } else if (!group.firing.has(alert.id)) {
        group.changed = true;
        if (group.reason !== 'unsilenced') group.reason = 'new';
      }
      group.firing.set(alert.id, alert);
      group.resolved.delete(alert.id); // firing again before its resolved notice went out
    }
    // Alerts that stopped firing, muted or not: resolved notices for those that were announced.
    let byId: Map<string, AlertInstance> | undefined;
    for (const group of this.groups.values()) {
      for (const alerts of [group.firing, group.muted]) {
        if (alerts.size === 0) continue;
        for (const [id, previous] of alerts) {
          if (seen.has(id)) continue;
          alerts.delete(id);
          this.escalated.delete(id);
          if (!group.announced.delete(id) || !this.sendResolved) continue; // never announced
          byId ??= new Map(instances.map((alert) => [alert.id, alert]));
          const latest = byId.get(id) ?? previous;
          group.resolved.set(id, { ...latest, state: 'resolved', resolvedAt: latest.resolvedAt ?? now });
          group.changed = true;
          if (group.firing.size === 0) group.reason = 'resolved';
        }
      }
    }
    for (const id of this.silenced) if (!seen.has(id)) this.silenced.delete(id);
    for (const id of this.escalated) if (!seen.has(id)) this.escalated.delete(id);
    this.flush(now);
    this.escalate(instances, inhibited, now, silences);
  }

  /**
   * The earliest time at which a notice falls due without anything else changing: a group's
   * group wait, group interval or repeat interval ending, or an escalation. Undefined when nothing
   * is waiting. The alert manager routes again then, between evaluations, so a 30 s group wait
   * is 30 s even when rules are evaluated every minute.
   */
  nextDueAt(): number | undefined {
    let next = this.nextEscalationAt;
    for (const group of this.groups.values()) {
      let due: number | undefined;
      if (group.lastSentAt === undefined) {
        if (group.firing.size > 0) due = group.firstSeenAt + this.groupWait;
      } else if (group.changed) {
        due = group.lastSentAt + this.groupInterval;
      } else if (hasUnacknowledged(group.firing)) {
        due = group.lastSentAt + this.repeatInterval;
      }
      if (due !== undefined && due < next) next = due;
    }
    return next === Number.POSITIVE_INFINITY ? undefined : next;
  }

  private flush(now: number): void {
    for (const [key, group] of this.groups) {
      if (group.firing.size === 0 && group.resolved.size === 0 && group.muted.size === 0) {
        this.groups.delete(key);
        continue;
      }
      let due = false;
      let reason = group.reason;
      if (group.lastSentAt === undefined) {
        due = group.firing.size > 0 && now >= group.firstSeenAt + this.groupWait;
      } else if (group.changed) {
        due = now >= group.lastSentAt + this.groupInterval;
      } else if (now >= group.lastSentAt + this.repeatInterval && hasUnacknowledged(group.firing)) {
        due = true;
        reason = 'repeat';
      }
      if (!due) continue;
      const alerts = [...group.firing.values(), ...group.resolved.values()];
      const notification: Notification = {
        status: group.firing.size > 0 ? 'firing' : 'resolved',
        groupLabels: group.labels,
        alerts,
        reason,
        ...(this.options.dashboardUrl === undefined ? {} : { dashboardUrl: this.options.dashboardUrl }),
      };
      group.lastSentAt = now;
      group.changed = false;
      for (const id of group.firing.keys()) group.announced.add(id);
      group.reason = 'repeat';
      group.resolved.clear();
      this.dispatch(this.channels(alerts), notification);
    }
  }

  private escalate(
    instances: readonly AlertInstance[],
    inhibited: ReadonlySet<string>,
    now: number,
    silences: SilenceStore,
  ): void {
    const escalation = this.options.escalation;
    this.nextEscalationAt = Number.POSITIVE_INFINITY;
    if (escalation === undefined) return;
    for (const alert of instances) {
      if (alert.state !== 'firing' || alert.acknowledged || this.escalated.has(alert.id)) continue;
      if (inhibited.has(alert.id) || silences.matching(alert.labels, now) !== undefined) continue;
      if (alert.firingSince === undefined) continue;
      const dueAt = alert.firingSince + escalation.afterMs;
      if (now < dueAt) {
        this.nextEscalationAt = Math.min(this.nextEscalationAt, dueAt);
        continue;
      }
      this.escalated.add(alert.id);
      this.dispatch(escalation.channels, {
        status: 'firing',
        groupLabels: this.groupLabels(alert),
        alerts: [alert],
        reason: 'escalation',
        ...(this.options.dashboardUrl === undefined ? {} : { dashboardUrl: this.options.dashboardUrl }),
      });
    }
  }

  /** Ids of firing alerts muted by a firing alert of the inhibiting severity on the same series. */
  private inhibited(instances: readonly AlertInstance[]): Set<string> {
    const muted = new Set<string>();
    const from = this.options.inhibitFrom ?? 'critical';
    if (from === false) return muted;
    const rank = SEVERITY_RANK[from];
    const sources = new Set<string>();
    for (const alert of instances) {
      if (alert.state === 'firing' && SEVERITY_RANK[alert.severity] >= rank)
        sources.add(this.seriesKey(alert));
    }
    if (sources.size === 0) return muted;
    for (const alert of instances) {
      if (
        alert.state === 'firing' &&
        SEVERITY_RANK[alert.severity] < rank &&
        sources.has(this.seriesKey(alert))
      ) {
        muted.add(alert.id);
      }
    }
    return muted;
  }

  private keysOf(alert: AlertInstance): LabelKeys {
    let keys = this.keys.get(alert.labels);
    if (keys === undefined) {
      keys = {};
      this.keys.set(alert.labels, keys);
    }
    return keys;
  }

  private seriesKey(alert: AlertInstance): string {
    const keys = this.keysOf(alert);
    keys.series ??= seriesKey(alert);
    return keys.series;
  }

  /** The group's labels and key; the labels object is shared, so copy it before handing it out. */
  private groupKey(alert: AlertInstance): { key: string; labels: Record<string, string> } {
    const keys = this.keysOf(alert);
    if (keys.group === undefined) {
      const labels: Record<string, string> = {};
      let key = '';
      for (const name of this.groupBy) {
        const value = alert.labels[name];
        if (value !== undefined) labels[name] = value;
        key += `${value ?? ''}\u0000`;
      }
      keys.group = { key, labels };
    }
    return keys.group;
  }

  private groupLabels(alert: AlertInstance): Record<string, string> {
    return { ...this.groupKey(alert).labels };
  }

  private groupOf(alert: AlertInstance, now: number, create = false): Group | undefined {
    const { key, labels: shared } = this.groupKey(alert);
    let group = this.groups.get(key);
    if (group === undefined && create) {
      group = {
        labels: { ...shared },
        firstSeenAt: now,
        lastSentAt: undefined,
        firing: new Map(),
        muted: new Map(),
        resolved: new Map(),
        announced: new Set(),
        changed: true,
        reason: 'new',
      };
      this.groups.set(key, group);
    }
    return group;
  }

  /** The union of the rules' channels; undefined (every channel) when any rule names none. */
  private channels(alerts: readonly AlertInstance[]): readonly string[] | undefined {
    const names = new Set<string>();
    for (const alert of alerts) {
      const channels = this.channelsOf(alert.rule);
      if (channels === undefined || channels.length === 0) return undefined;
      for (const name of channels) names.add(name);
    }
    return [...names];
  }
}
