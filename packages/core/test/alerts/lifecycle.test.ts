// The state machine of one alert instance, stepped with a fake clock (epoch ms passed in).
import { describe, expect, it } from 'vitest';
import { AlertLifecycle, type EvaluationOutcome } from '../../src/alerts/lifecycle.js';
import { AlertRule, type AlertRuleOptions } from '../../src/alerts/rule.js';
import { AlertCondition, AlertSeverity } from '../../src/alerts/types.js';

const S = 1000;

function rule(options: Partial<AlertRuleOptions> = {}): AlertRule {
  return new AlertRule({
    name: 'high_error_rate',
    metricName: 'errors.total',
    threshold: 10,
    minDuration: 60,
    ...options,
  });
}

const hit = (value = 15): EvaluationOutcome => ({ matched: true, value, hasData: true });
const miss = (value = 5): EvaluationOutcome => ({ matched: false, value, hasData: true });
const noData: EvaluationOutcome = { matched: false, value: Number.NaN, hasData: false };
const failed = (error: string): EvaluationOutcome => ({
  matched: false,
  value: Number.NaN,
  hasData: false,
  error,
});

/** Steps the instance through (seconds, outcome) pairs; returns the states after each step. */
function run(
  alert: AlertLifecycle,
  r: AlertRule,
  steps: Array<[seconds: number, outcome: EvaluationOutcome]>,
): string[] {
  return steps.map(([seconds, outcome]) => {
    alert.step(seconds * S, outcome, r);
    return alert.state;
  });
}

describe('AlertLifecycle', () => {
  it('starts inactive, since its creation', () => {
    const alert = new AlertLifecycle({ status: '500' }, 42);
    expect(alert.state).toBe('inactive');
    expect(alert.since).toBe(42);
    expect(alert.history()).toEqual([]);
  });

  it('goes inactive → pending → firing → resolved → inactive, reporting each transition', () => {
    const r = rule();
    const alert = new AlertLifecycle();
    expect(alert.step(0, hit(12), r)).toEqual([{ from: 'inactive', to: 'pending', at: 0, value: 12 }]);
    expect(alert.step(30 * S, hit(13), r)).toEqual([]);
    expect(alert.step(60 * S, hit(14), r)).toEqual([
      { from: 'pending', to: 'firing', at: 60 * S, value: 14 },
    ]);
    expect(alert.step(90 * S, hit(20), r)).toEqual([]);
    expect(alert.step(120 * S, miss(3), r)).toEqual([
      { from: 'firing', to: 'resolved', at: 120 * S, value: 3 },
    ]);
    expect(alert.step(150 * S, miss(2), r)).toEqual([
      { from: 'resolved', to: 'inactive', at: 150 * S, value: 2 },
    ]);
    expect(alert.history().map((t) => `${t.from}→${t.to}`)).toEqual([
      'inactive→pending',
      'pending→firing',
      'firing→resolved',
      'resolved→inactive',
    ]);
  });

  it('fires at the first step where the condition has held for minDuration, not before', () => {
    const r = rule({ minDuration: 60 });
    const alert = new AlertLifecycle();
    expect(
      run(alert, r, [
        [10, hit()],
        [69, hit()],
        [70, hit()],
      ]),
    ).toEqual(['pending', 'pending', 'firing']);
    expect(alert.snapshot(r).firingSince).toBe(70 * S);
  });

  it('drops a pending alert back to inactive when the condition stops holding, without firing', () => {
    const r = rule();
    const alert = new AlertLifecycle();
    expect(
      run(alert, r, [
        [0, hit()],
        [30, miss()],
        [60, hit()],
        [90, hit()],
      ]),
    ).toEqual(['pending', 'inactive', 'pending', 'pending']);
    expect(alert.history().map((t) => t.to)).toEqual(['pending', 'inactive', 'pending']);
    // The second episode counts minDuration from its own start (60 s), not from the first one.
    expect(run(alert, r, [[119, hit()]])).toEqual(['pending']);
    expect(run(alert, r, [[120, hit()]])).toEqual(['firing']);
  });

  it('fires at once when minDuration is 0', () => {
    const r = rule({ minDuration: 0 });
    const alert = new AlertLifecycle();
    expect(alert.step(5 * S, hit(11), r)).toEqual([{ from: 'inactive', to: 'firing', at: 5 * S, value: 11 }]);
  });

  it('keeps firing for keepFiringFor after the condition stops holding, so a hovering value does not flap', () => {
    const r = rule({ minDuration: 0, keepFiringFor: 120 });
    const alert = new AlertLifecycle();
    expect(
      run(alert, r, [
        [0, hit()],
        [30, miss()],
        [60, hit()], // back above before keepFiringFor ran out: the count starts over
        [90, miss()],
        [180, miss()],
        [209, miss()],
        [210, miss()],
      ]),
    ).toEqual(['firing', 'firing', 'firing', 'firing', 'firing', 'firing', 'resolved']);
    expect(alert.history().map((t) => t.to)).toEqual(['firing', 'resolved']);
  });

  it('without keepFiringFor, resolves at the first step the condition is false', () => {
    const r = rule({ minDuration: 0 });
    const alert = new AlertLifecycle();
    expect(
      run(alert, r, [
        [0, hit()],
        [30, miss()],
      ]),
    ).toEqual(['firing', 'resolved']);
  });

  it('goes from resolved back to pending (a new episode) when the condition returns', () => {
    const r = rule({ minDuration: 30 });
    const alert = new AlertLifecycle();
    run(alert, r, [
      [0, hit()],
      [30, hit()],
      [60, miss()],
    ]);
    expect(alert.snapshot(r)).toMatchObject({ state: 'resolved', firingSince: 30 * S, resolvedAt: 60 * S });
    expect(run(alert, r, [[90, hit()]])).toEqual(['pending']);
    const snapshot = alert.snapshot(r);
    expect(snapshot.firingSince).toBeUndefined();
    expect(snapshot.resolvedAt).toBeUndefined();
    expect(run(alert, r, [[120, hit()]])).toEqual(['firing']);
  });

  describe('no data', () => {
    it('is a state of its own, left when data returns', () => {
      const r = rule();
      const alert = new AlertLifecycle();
      expect(alert.step(0, noData, r)).toEqual([
        { from: 'inactive', to: 'nodata', at: 0, value: Number.NaN },
      ]);
      expect(run(alert, r, [[30, noData]])).toEqual(['nodata']);
      expect(alert.history()).toHaveLength(1);
      expect(run(alert, r, [[60, miss()]])).toEqual(['inactive']);
      expect(run(alert, r, [[90, noData]])).toEqual(['nodata']);
      expect(run(alert, r, [[120, hit()]])).toEqual(['pending']);
    });

    it('resolves a firing alert first (Grafana): firing → resolved → nodata', () => {
      const r = rule({ minDuration: 0 });
      const alert = new AlertLifecycle();
      alert.step(0, hit(), r);
      expect(alert.step(30 * S, noData, r)).toEqual([
        { from: 'firing', to: 'resolved', at: 30 * S, value: Number.NaN },
        { from: 'resolved', to: 'nodata', at: 30 * S, value: Number.NaN },
      ]);
      expect(alert.snapshot(r)).toMatchObject({ state: 'nodata', firingSince: 0, resolvedAt: 30 * S });
    });

    it('keeps a firing alert firing through a gap shorter than keepFiringFor', () => {
      const r = rule({ minDuration: 0, keepFiringFor: 60 });
      const alert = new AlertLifecycle();
      expect(
        run(alert, r, [
          [0, hit()],
          [30, noData],
          [60, hit()],
          [90, noData],
          [150, noData],
        ]),
      ).toEqual(['firing', 'firing', 'firing', 'firing', 'nodata']);
    });

    it('keeps a firing alert that lost its data firing, with its last value, for resolveTimeout (Alertmanager)', () => {
      const r = rule({ minDuration: 0 });
      const alert = new AlertLifecycle();
      const states = [
        [0, hit(42)],
        [30, noData],
        [60, noData],
        [89, noData],
        [90, noData],
      ].map(([seconds, outcome]) => {
        alert.step((seconds as number) * S, outcome as EvaluationOutcome, r, 60 * S);
        return `${alert.state} ${alert.value}`;
      });
      // Failing since 30 s: held until 90 s, then resolved (and nodata).
      expect(states).toEqual(['firing 42', 'firing 42', 'firing 42', 'firing 42', 'nodata NaN']);
      expect(alert.snapshot(r)).toMatchObject({ resolvedAt: 90 * S });
    });

    it('resolves at once when the condition is evaluated false, whatever the resolveTimeout', () => {
      const r = rule({ minDuration: 0 });
      const alert = new AlertLifecycle();
      alert.step(0, hit(), r, 300 * S);
      expect(alert.step(30 * S, miss(), r, 300 * S).map((t) => t.to)).toEqual(['resolved']);
    });

    it('abandons a pending episode: minDuration counts again once data returns', () => {
      const r = rule({ minDuration: 60 });
      const alert = new AlertLifecycle();
      expect(
        run(alert, r, [
          [0, hit()],
          [30, noData],
          [40, hit()],
          [70, hit()],
          [100, hit()],
        ]),
      ).toEqual(['pending', 'nodata', 'pending', 'pending', 'firing']);
    });

    it('does not apply to ABSENT rules, for which no data is the condition', () => {
      const r = rule({ condition: AlertCondition.ABSENT, threshold: undefined, minDuration: 30 });
      const alert = new AlertLifecycle();
      const absent: EvaluationOutcome = { matched: true, value: Number.NaN, hasData: false };
      const present: EvaluationOutcome = { matched: false, value: 1, hasData: true };
      expect(
        run(alert, r, [
          [0, absent],
          [30, absent],
          [60, present],
          [90, present],
        ]),
      ).toEqual(['pending', 'firing', 'resolved', 'inactive']);
    });
  });

  describe('errors', () => {
    it('go to the error state, with the message, and back to inactive when evaluation works again', () => {
      const r = rule();
      const alert = new AlertLifecycle();
      expect(alert.step(0, failed('p99 needs a histogram'), r)).toEqual([
        { from: 'inactive', to: 'error', at: 0, value: Number.NaN },
      ]);
      expect(alert.error).toBe('p99 needs a histogram');
      expect(alert.snapshot(r).annotations.error).toBe('p99 needs a histogram');
      expect(run(alert, r, [[30, miss()]])).toEqual(['inactive']);
      expect(alert.error).toBeUndefined();
      expect(alert.snapshot(r).annotations.error).toBeUndefined();
    });

    it('resolve a firing alert first, even when the error comes with data', () => {
      const r = rule({ minDuration: 0 });
      const alert = new AlertLifecycle();
      alert.step(0, hit(), r);
      const transitions = alert.step(30 * S, { ...hit(), error: 'boom' }, r);
      expect(transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['firing→resolved', 'resolved→error']);
    });
  });

  describe('acknowledgement', () => {
    it('sticks while the alert fires and ends when it resolves', () => {
      const r = rule({ minDuration: 0 });
      const alert = new AlertLifecycle();
      expect(alert.acknowledge(0)).toBe(false); // nothing to acknowledge yet
      alert.step(0, hit(), r);
      expect(alert.acknowledge(10 * S)).toBe(true);
      alert.step(30 * S, hit(), r);
      expect(alert.snapshot(r).acknowledged).toBe(true);
      alert.step(60 * S, miss(), r);
      expect(alert.state).toBe('resolved');
      expect(alert.acknowledged).toBe(false);
      expect(alert.acknowledge(70 * S)).toBe(false);
      alert.step(90 * S, hit(), r);
      expect(alert.snapshot(r).acknowledged).toBe(false); // a new episode needs a new acknowledgement
    });

    it('of a pending alert lasts into firing but not past a return to inactive', () => {
      const r = rule({ minDuration: 30 });
      const alert = new AlertLifecycle();
      alert.step(0, hit(), r);
      expect(alert.acknowledge(5 * S)).toBe(true);
      alert.step(30 * S, hit(), r);
      expect(alert.state).toBe('firing');
      expect(alert.acknowledged).toBe(true);

      const other = new AlertLifecycle();
      other.step(0, hit(), r);
      other.acknowledge(5 * S);
      other.step(10 * S, miss(), r);
      expect(other.acknowledged).toBe(false);
    });
  });

  it('keeps only the last 100 transitions', () => {
    const r = rule({ minDuration: 0 });
    const alert = new AlertLifecycle();
    for (let i = 0; i < 150; i++) alert.step(i * S, i % 2 === 0 ? hit() : miss(), r);
    const history = alert.history();
    expect(history).toHaveLength(100);
    expect(history[history.length - 1]?.at).toBe(149 * S);
    expect(history[0]?.at).toBe(50 * S);
  });

  it('snapshots the public alert: labels, annotations, value, times', () => {
    const r = rule({
      severity: AlertSeverity.CRITICAL,
      description: 'Error rate is too high',
      labels: { team: 'data', env: 'prod' },
      annotations: { runbook: 'https://wiki/errors' },
      minDuration: 0,
    });
    const alert = new AlertLifecycle({ env: 'staging', status: '500' }, 0);
    alert.step(15 * S, hit(12), r);
    expect(alert.snapshot(r)).toEqual({
      id: 'high_error_rate{env="staging",status="500"}',
      rule: 'high_error_rate',
      metric: 'errors.total',
      state: 'firing',
      severity: 'critical',
      labels: {
        env: 'prod',
        status: '500',
        team: 'data',
        alertname: 'high_error_rate',
        severity: 'critical',
      },
      annotations: { runbook: 'https://wiki/errors', description: 'Error rate is too high' },
      value: 12,
      threshold: 10,
      condition: 'gt',
      since: 15 * S,
      firingSince: 15 * S,
      acknowledged: false,
    });
  });
});
