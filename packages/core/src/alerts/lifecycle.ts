// The state machine of one alert instance (one rule × one series): inactive → pending → firing →
// resolved → inactive, with `nodata` and `error` beside them as Grafana has them. It only moves
// when stepped with an evaluation's outcome and the time, so it is tested with a fake clock.
import type { Labels } from '../metrics/types.js';
import type { AlertRule } from './rule.js';
import { AlertCondition, type AlertInstance, type AlertState } from './types.js';

/** What one evaluation found for the instance's series. */
export interface EvaluationOutcome {
  /** The condition holds (for ABSENT: there is no data). */
  readonly matched: boolean;
  /** The value compared; NaN when there was none. */
  readonly value: number;
  /** The window held enough samples to compute the value. */
  readonly hasData: boolean;
  /** Evaluating failed (e.g. a quantile asked of a gauge): the instance goes to `error`. */
  readonly error?: string;
}

/** One state change. */
export interface StateTransition {
  readonly from: AlertState;
  readonly to: AlertState;
  /** Epoch ms of the evaluation that made it. */
  readonly at: number;
  readonly value: number;
}

/** The rule's labels win over the series' (as in Prometheus); alertname and severity over both. */
function alertLabels(rule: AlertRule, labels: Labels): Record<string, string> {
  return { ...labels, ...rule.labels, alertname: rule.name, severity: rule.severity };
}

/** What every snapshot of an instance under one rule shares. */
interface Identity {
  readonly rule: AlertRule;
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

const NONE: readonly StateTransition[] = Object.freeze([]);

/** Transitions kept per instance: enough to show an instance's recent story, bounded. */
const HISTORY_LIMIT = 100;

/**
 * The lifecycle of one alert instance.
 *
 * - The condition holds: inactive/resolved/nodata/error → pending, → firing at the first step
 *   where it has held for `minDuration` (now − pendingSince ≥ minDuration); minDuration 0 fires
 *   at once.
 * - The condition stops holding: pending → inactive (it never fired: nothing to announce);
 *   firing stays firing until the condition has been false for `keepFiringFor` (measured from the
 *   first step it was false), then → resolved; resolved → inactive at the next step it is still
 *   false.
 * - No data (ABSENT rules aside) → nodata; an evaluation error → error. Grafana's defaults: each is
 *   a state of its own, and a firing alert moving to either resolves first, giving two transitions
 *   (firing → resolved → nodata), because a firing alert nobody can check any more should not stay
 *   announced as firing. But not at once: a firing alert that can no longer be checked stays
 *   firing, with its last value, for `resolveTimeoutMs` (Alertmanager's `resolve_timeout`: an
 *   alert it stops hearing about resolves after that long) or `keepFiringFor`, whichever is
 *   longer, so a scrape gap or a restart does not send a resolved notice for a problem that is
 *   still there. A condition that is checked and false resolves after `keepFiringFor` alone.
 * - An acknowledgement sticks until the episode ends (resolved, or back to inactive).
 *
 * @example
 * const alert = new AlertLifecycle({ status: '500' }, now);
 * alert.step(now, { matched: true, value: 15, hasData: true }, rule); // [{ from: 'inactive', to: 'pending', … }]
 */
export class AlertLifecycle {
  /** The labels of the watched series ({} for a rule-level instance). */
  readonly labels: Labels;
  private current: AlertState = 'inactive';
  private enteredAt: number;
  private lastValue = Number.NaN;
  private lastError: string | undefined;
  private pendingSince: number | undefined;
  private firingSince: number | undefined;
  private resolvedAt: number | undefined;
  /** While firing: the first step the condition (or the data) stopped holding, for keepFiringFor. */
  private failingSince: number | undefined;
  private acknowledgedAt: number | undefined;
  private readonly transitions: StateTransition[] = [];
  private cached: Identity | undefined;
  /** Which evaluateRule call last stepped the instance (that function's bookkeeping). */
  pass = 0;

  /**
   * @param labels the series' labels
   * @param since when the instance was created (epoch ms)
   */
  constructor(labels: Labels = {}, since = 0) {
    this.labels = Object.freeze({ ...labels });
    this.enteredAt = since;
  }

  get state(): AlertState {
    return this.current;
  }

  /** When the instance entered its current state (epoch ms). */
  get since(): number {
    return this.enteredAt;
  }

  /** The value of the latest evaluation (NaN when there was none). */
  get value(): number {
    return this.lastValue;
  }

  /** The latest evaluation error, while in the `error` state. */
  get error(): string | undefined {
    return this.current === 'error' ? this.lastError : undefined;
  }

  get acknowledged(): boolean {
    return this.acknowledgedAt !== undefined;
  }

  /** The latest transitions, oldest first (the last 100). */
  history(): readonly StateTransition[] {
    return this.transitions;
  }

  /**
   * Moves the instance on with one evaluation's outcome; returns the transitions made (often none).
   * @param resolveTimeoutMs how long a firing alert without data (or with an evaluation error)
   *   stays firing
   */
  step(
    now: number,
    outcome: EvaluationOutcome,
    rule: AlertRule,
    resolveTimeoutMs = 0,
  ): readonly StateTransition[] {
    // Most steps change nothing: the array is made on the first transition.
    let made: StateTransition[] | undefined;

    const abnormal: AlertState | undefined =
      outcome.error !== undefined
        ? 'error'
        : !outcome.hasData && rule.condition !== AlertCondition.ABSENT
          ? 'nodata'
          : undefined;
    if (outcome.error !== undefined) this.lastError = outcome.error;

    if (abnormal !== undefined) {
      if (this.current === 'firing') {
        if (this.keepsFiring(now, Math.max(rule.keepFiringFor * 1000, resolveTimeoutMs))) return made ?? NONE;
        made = this.move('resolved', now, outcome.value, made);
      }
      this.lastValue = outcome.value;
      if (this.current !== abnormal) made = this.move(abnormal, now, outcome.value, made);
      return made ?? NONE;
    }

    this.lastValue = outcome.value;
    if (outcome.matched) {
      this.failingSince = undefined;
      if (this.current === 'firing') return made ?? NONE;
      if (this.current === 'pending') {
        if (now - (this.pendingSince ?? now) >= rule.minDuration * 1000)
          made = this.move('firing', now, outcome.value, made);
      } else {
        made = this.move(rule.minDuration === 0 ? 'firing' : 'pending', now, outcome.value, made);
      }
      return made ?? NONE;
    }

    switch (this.current) {
      case 'firing':
        if (!this.keepsFiring(now, rule.keepFiringFor * 1000))
          made = this.move('resolved', now, outcome.value, made);
        break;
      case 'pending':
      case 'resolved':
      case 'nodata':
      case 'error':
        made = this.move('inactive', now, outcome.value, made);
        break;
      case 'inactive':
        break;
    }
    return made ?? NONE;
  }

  /**
   * Marks the alert acknowledged (someone is on it) until it resolves; returns false when there
   * is nothing to acknowledge (inactive or already resolved).
   */
  acknowledge(at: number): boolean {
    if (this.current === 'inactive' || this.current === 'resolved') return false;
    this.acknowledgedAt ??= at;
    return true;
  }

  /**
   * The public view of the instance.
   * @param labels the series' labels
   * @default labels the labels the instance was created with
   */
  snapshot(rule: AlertRule, labels: Labels = this.labels): AlertInstance {
    const error = this.error;
    const own = labels === this.labels ? this.identity(rule) : undefined;
    const snapshot: { -readonly [K in keyof AlertInstance]: AlertInstance[K] } = {
      id: own?.id ?? rule.instanceId(labels),
      rule: rule.name,
      metric: rule.metricName,
      state: this.current,
      severity: rule.severity,
      labels: own?.labels ?? alertLabels(rule, labels),
      annotations:
        own !== undefined && error === undefined
          ? own.annotations
          : { ...rule.annotations, description: rule.description, ...(error === undefined ? {} : { error }) },
      value: this.lastValue,
      threshold: rule.threshold,
      condition: rule.condition,
      since: this.enteredAt,
      acknowledged: this.acknowledgedAt !== undefined,
    };
    if (this.firingSince !== undefined) snapshot.firingSince = this.firingSince;
    if (this.resolvedAt !== undefined) snapshot.resolvedAt = this.resolvedAt;
    return snapshot;
  }

  /**
   * The alert's id, labels and annotations are the same every snapshot (one rule, one series):
   * made once, frozen and shared, so a snapshot per evaluation costs one small object, and routing
   * can key its caches on the labels object.
   */
  private identity(rule: AlertRule): Identity {
    if (this.cached?.rule !== rule) {
      this.cached = {
        rule,
        id: rule.instanceId(this.labels),
        labels: Object.freeze(alertLabels(rule, this.labels)),
        annotations: Object.freeze({ ...rule.annotations, description: rule.description }),
      };
    }
    return this.cached;
  }

  /** Whether a firing alert whose condition or data failed at `now` is still within `holdMs` of the first failure. */
  private keepsFiring(now: number, holdMs: number): boolean {
    this.failingSince ??= now;
    return now - this.failingSince < holdMs;
  }

  private move(
    to: AlertState,
    at: number,
    value: number,
    made: StateTransition[] | undefined,
  ): StateTransition[] {
    const transition: StateTransition = { from: this.current, to, at, value };
    made ??= [];
    made.push(transition);
    this.transitions.push(transition);
    if (this.transitions.length > HISTORY_LIMIT) this.transitions.shift();
    this.current = to;
    this.enteredAt = at;
    switch (to) {
      case 'pending':
        // A new episode: forget the previous one's times.
        this.pendingSince = at;
        this.firingSince = undefined;
        this.resolvedAt = undefined;
        break;
      case 'firing':
        this.firingSince = at;
        this.resolvedAt = undefined;
        this.pendingSince = undefined;
        this.failingSince = undefined;
        break;
      case 'resolved':
        this.resolvedAt = at;
        this.failingSince = undefined;
        this.acknowledgedAt = undefined;
        break;
      case 'inactive':
        this.pendingSince = undefined;
        this.acknowledgedAt = undefined;
        break;
      case 'nodata':
      case 'error':
        // A pending episode is abandoned: the condition must hold for minDuration again.
        this.pendingSince = undefined;
        break;
    }
    return made;
  }
}
