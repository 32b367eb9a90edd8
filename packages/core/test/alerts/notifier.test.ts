// Routing with a fake clock: grouping, repeat, resolved notices, silences, inhibition,
// acknowledgement, escalation.
import { describe, expect, it } from 'vitest';
import { Notifier, type RoutingOptions } from '../../src/alerts/notifier.js';
import { SilenceError, SilenceStore } from '../../src/alerts/silences.js';
import type { AlertInstance, AlertSeverity, AlertState, Notification } from '../../src/alerts/types.js';

function alert(
  rule: string,
  state: AlertState,
  options: {
    severity?: AlertSeverity;
    labels?: Record<string, string>;
    at?: number;
    acknowledged?: boolean;
  } = {},
): AlertInstance {
  const severity = options.severity ?? 'medium';
  const labels = { alertname: rule, severity, ...options.labels };
  return {
    id: `${rule}${JSON.stringify(options.labels ?? {})}`,
    rule,
    metric: 'errors.total',
    state,
    severity,
    labels,
    annotations: { description: `${rule} description` },
    value: 12,
    threshold: 10,
    condition: 'gt',
    since: options.at ?? 0,
    ...(state === 'firing' ? { firingSince: options.at ?? 0 } : {}),
    acknowledged: options.acknowledged ?? false,
  };
}

function setup(options: RoutingOptions = {}, channels: Record<string, string[]> = {}) {
  const sent: Array<{ channels: readonly string[] | undefined; notification: Notification; at: number }> = [];
  let now = 0;
  const notifier = new Notifier(
    { groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 3_600_000, ...options },
    (names, notification) => sent.push({ channels: names, notification, at: now }),
    (rule) => channels[rule],
  );
  const silences = new SilenceStore();
  const step = (instances: AlertInstance[], at: number) => {
    now = at;
    notifier.update(instances, at, silences);
  };
  return { sent, step, silences };
}

const MIN = 60_000;

describe('grouping and timing', () => {
  it('waits groupWait, then sends one notice for the alerts of a group', () => {
    const { sent, step } = setup();
    step([alert('high_error_rate', 'firing', { labels: { route: '/a' } })], 0);
    step(
      [
        alert('high_error_rate', 'firing', { labels: { route: '/a' } }),
        alert('high_error_rate', 'firing', { labels: { route: '/b' } }),
      ],
      10_000,
    );
    expect(sent).toHaveLength(0);
    step(
      [
        alert('high_error_rate', 'firing', { labels: { route: '/a' } }),
        alert('high_error_rate', 'firing', { labels: { route: '/b' } }),
      ],
      30_000,
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]?.notification).toMatchObject({
      status: 'firing',
      reason: 'new',
      groupLabels: { alertname: 'high_error_rate' },
    });
    expect(sent[0]?.notification.alerts).toHaveLength(2);
  });

  it('repeats still-firing alerts after repeatInterval and not before', () => {
    const { sent, step } = setup();
    const firing = [alert('disk', 'firing')];
    for (let t = 0; t <= 121 * MIN; t += MIN) step(firing, t);
    expect(sent.map((s) => [s.at, s.notification.reason])).toEqual([
      [MIN, 'new'],
      [61 * MIN, 'repeat'],
      [121 * MIN, 'repeat'],
    ]);
  });

  it('sends a resolved notice, after groupInterval, and nothing for alerts never announced', () => {
    const { sent, step } = setup();
    step([alert('disk', 'firing')], 0);
    step([alert('disk', 'firing')], 30_000);
    step([alert('disk', 'resolved')], 60_000);
    expect(sent).toHaveLength(1);
    step([alert('disk', 'inactive')], 30_000 + 300_000);
    expect(sent).toHaveLength(2);
    expect(sent[1]?.notification).toMatchObject({ status: 'resolved', reason: 'resolved' });
    expect(sent[1]?.notification.alerts[0]?.state).toBe('resolved');

    const quiet = setup();
    quiet.step([alert('blip', 'firing')], 0);
    quiet.step([alert('blip', 'resolved')], 10_000);
    quiet.step([], 600_000);
    expect(quiet.sent).toHaveLength(0);
  });

  it('sends to the channels the rules name, or to every channel', () => {
    const { sent, step } = setup({}, { disk: ['email'] });
    step([alert('disk', 'firing'), alert('cpu', 'firing')], 0);
    step([alert('disk', 'firing'), alert('cpu', 'firing')], 30_000);
    const byGroup = Object.fromEntries(sent.map((s) => [s.notification.groupLabels.alertname, s.channels]));
    expect(byGroup).toEqual({ disk: ['email'], cpu: undefined });
  });
});

describe('silences, inhibition, acknowledgement, escalation', () => {
  it('holds silenced alerts, and notifies again when the silence ends over a still-firing alert', () => {
    const { sent, step, silences } = setup();
    step([alert('disk', 'firing')], 0);
    step([alert('disk', 'firing')], 30_000);
    expect(sent).toHaveLength(1);
    silences.add(
      { matchers: { alertname: 'disk' }, endsAt: 20 * MIN, createdBy: 'ops', comment: 'maintenance' },
      MIN,
    );
    for (let t = 2 * MIN; t < 20 * MIN; t += MIN) step([alert('disk', 'firing')], t);
    expect(sent).toHaveLength(1); // no resolved notice, no repeat while silenced
    step([alert('disk', 'firing')], 20 * MIN);
    step([alert('disk', 'firing')], 25 * MIN);
    expect(sent.map((s) => s.notification.reason)).toEqual(['new', 'unsilenced']);
  });

  it('matches silences by regular expression and ignores expired ones', () => {
    const { sent, step, silences } = setup();
    const s = silences.add(
      { matchers: { route: '/\\/api\\/.*/' }, endsAt: 10 * MIN, createdBy: 'ann', comment: 'deploy' },
      0,
    );
    step(
      [
        alert('errs', 'firing', { labels: { route: '/api/x' } }),
        alert('errs', 'firing', { labels: { route: '/web' } }),
      ],
      0,
    );
    step(
      [
        alert('errs', 'firing', { labels: { route: '/api/x' } }),
        alert('errs', 'firing', { labels: { route: '/web' } }),
      ],
      30_000,
    );
    expect(sent[0]?.notification.alerts.map((a) => a.labels.route)).toEqual(['/web']);
    expect(silences.expire(s.id, MIN)).toBe(true);
    expect(silences.list(2 * MIN)[0]?.active).toBe(false);
    expect(() => silences.add({ matchers: {}, endsAt: 1, createdBy: 'x', comment: 'y' }, 0)).toThrow(
      /matcher/,
    );
    expect(() => silences.add({ matchers: { a: 'b' }, endsAt: 0, createdBy: 'x', comment: 'y' }, 5)).toThrow(
      /end after/,
    );
  });

  it('runs silence regexes in linear time and refuses invalid ones at once', () => {
    const silences = new SilenceStore();
    silences.add({ matchers: { host: '/(a+)+b/' }, endsAt: MIN, createdBy: 'ann', comment: 'x' }, 0);
    const started = performance.now();
    // Exponential on a backtracking engine: this would not return for a very long time.
    expect(silences.matching({ host: `${'a'.repeat(5000)}c` }, 1)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(500);
    expect(silences.matching({ host: 'aaab' }, 1)).toBeDefined();
    expect(silences.matching({ host: 'xaaab' }, 1)).toBeUndefined(); // anchored, as in Alertmanager
    expect(() =>
      silences.add({ matchers: { host: '/(/' }, endsAt: MIN, createdBy: 'ann', comment: 'x' }, 0),
    ).toThrow(SilenceError);
  });

  it('mutes lower-severity alerts on the same series while a critical one fires', () => {
    const { sent, step } = setup();
    const both = [
      alert('errors_warning', 'firing', { severity: 'medium', labels: { route: '/a' } }),
      alert('errors_critical', 'firing', { severity: 'critical', labels: { route: '/a' } }),
      alert('errors_warning', 'firing', { severity: 'medium', labels: { route: '/b' } }),
    ];
    step(both, 0);
    step(both, 30_000);
    const announced = sent
      .flatMap((s) => s.notification.alerts.map((a) => `${a.rule}${a.labels.route}`))
      .sort();
    expect(announced).toEqual(['errors_critical/a', 'errors_warning/b']);
  });

  it('stops repeats for acknowledged alerts but still sends the resolved notice', () => {
    const { sent, step } = setup();
    step([alert('disk', 'firing')], 0);
    step([alert('disk', 'firing')], 30_000);
    for (let t = 2 * MIN; t <= 180 * MIN; t += MIN)
      step([alert('disk', 'firing', { acknowledged: true })], t);
    expect(sent).toHaveLength(1);
    step([alert('disk', 'resolved', { acknowledged: true })], 181 * MIN);
    step([], 190 * MIN);
    expect(sent.map((s) => s.notification.reason)).toEqual(['new', 'resolved']);
  });

  it('escalates alerts left unacknowledged, once, and not acknowledged ones', () => {
    const { sent, step } = setup({ escalation: { afterMs: 15 * MIN, channels: ['pager'] } });
    for (let t = 0; t <= 40 * MIN; t += MIN) {
      step([alert('disk', 'firing', { at: 0 }), alert('cpu', 'firing', { at: 0, acknowledged: true })], t);
    }
    const escalations = sent.filter((s) => s.notification.reason === 'escalation');
    expect(escalations).toHaveLength(1);
    expect(escalations[0]).toMatchObject({ channels: ['pager'], at: 15 * MIN });
    expect(escalations[0]?.notification.alerts[0]?.rule).toBe('disk');
  });
});

describe('review regressions', () => {
  it('sends no resolved notice for an alert that joined an announced group and resolved before being announced', () => {
    const { sent, step } = setup();
    const a = alert('errs', 'firing', { labels: { route: '/a' } });
    const b = alert('errs', 'firing', { labels: { route: '/b' } });
    step([a], 0);
    step([a], 30_000); // group announced with /a
    step([a, b], 60_000); // /b joins, not announced yet (group interval)
    step([a], 90_000); // /b stops firing
    step([a], 30_000 + 300_000);
    const resolved = sent.flatMap((s) => s.notification.alerts.filter((x) => x.state === 'resolved'));
    expect(resolved).toEqual([]);
  });

  it('does not list a flapping alert as both firing and resolved in one notice', () => {
    const { sent, step } = setup();
    const a = alert('errs', 'firing');
    step([a], 0);
    step([a], 30_000);
    step([], 60_000); // resolved, notice pending until the group interval
    step([a], 90_000); // firing again
    step([a], 30_000 + 300_000);
    const last = sent.at(-1)?.notification;
    expect(last?.alerts.map((x) => x.state)).toEqual(['firing']);
  });

  it('escalates a second episode after the first resolved', () => {
    const { sent, step } = setup({ escalation: { afterMs: 5 * MIN, channels: ['pager'] } });
    for (let t = 0; t <= 10 * MIN; t += MIN) step([alert('disk', 'firing', { at: 0 })], t);
    step([], 11 * MIN);
    for (let t = 12 * MIN; t <= 20 * MIN; t += MIN) step([alert('disk', 'firing', { at: 12 * MIN })], t);
    expect(sent.filter((s) => s.notification.reason === 'escalation').map((s) => s.at)).toEqual([
      5 * MIN,
      17 * MIN,
    ]);
  });

  it('sends the resolved notice of an announced alert that resolves while silenced', () => {
    const { sent, step, silences } = setup();
    step([alert('disk', 'firing')], 0);
    step([alert('disk', 'firing')], 30_000); // announced
    silences.add({ matchers: { alertname: 'disk' }, endsAt: 60 * MIN, createdBy: 'ops', comment: 'x' }, MIN);
    step([alert('disk', 'firing')], 2 * MIN);
    step([alert('disk', 'resolved')], 3 * MIN); // resolves under the silence
    step([], 30_000 + 5 * MIN); // group interval after the first notice
    expect(sent.map((s) => [s.notification.status, s.notification.reason])).toEqual([
      ['firing', 'new'],
      ['resolved', 'resolved'],
    ]);
    // Once: the silence still mutes the alert's next episode, and nothing is left to resolve.
    for (let t = 10 * MIN; t < 30 * MIN; t += MIN)
      step([alert('disk', t < 20 * MIN ? 'firing' : 'inactive')], t);
    expect(sent).toHaveLength(2);
  });

  it('sends the resolved notice of an announced alert that resolves while inhibited', () => {
    const { sent, step } = setup();
    const warning = alert('errors_warning', 'firing', { severity: 'medium', labels: { route: '/a' } });
    const critical = alert('errors_critical', 'firing', { severity: 'critical', labels: { route: '/a' } });
    step([warning], 0);
    step([warning], 30_000); // warning announced
    step([warning, critical], MIN); // now inhibited by the critical alert
    step([critical], 2 * MIN); // the warning resolves, inhibited
    step([critical], 30_000 + 5 * MIN);
    const resolved = sent.flatMap((s) =>
      s.notification.alerts.filter((a) => a.state === 'resolved').map((a) => a.rule),
    );
    expect(resolved).toEqual(['errors_warning']);
  });

  it('says when the next notice falls due, so routing need not wait for an evaluation', () => {
    const notifier = new Notifier(
      {
        groupWaitMs: 30_000,
        groupIntervalMs: 300_000,
        repeatIntervalMs: 3_600_000,
        escalation: { afterMs: 20 * MIN, channels: ['pager'] },
      },
      () => {},
      () => undefined,
    );
    const silences = new SilenceStore();
    expect(notifier.nextDueAt()).toBeUndefined();
    notifier.update([alert('disk', 'firing', { at: 10_000 })], 10_000, silences);
    expect(notifier.nextDueAt()).toBe(40_000); // group wait
    notifier.update([alert('disk', 'firing', { at: 10_000 })], 40_000, silences);
    expect(notifier.nextDueAt()).toBe(10_000 + 20 * MIN); // escalation, before the repeat
    notifier.update([alert('disk', 'firing', { at: 10_000, acknowledged: true })], MIN, silences);
    expect(notifier.nextDueAt()).toBeUndefined(); // acknowledged: no repeat, no escalation
    notifier.update([], 2 * MIN, silences);
    expect(notifier.nextDueAt()).toBe(40_000 + 300_000); // the resolved notice, after the group interval
  });

  it('refuses invalid routing settings at setup', () => {
    expect(() => setup({ groupWaitMs: Number.NaN })).toThrow(/groupWaitMs/);
    expect(() => setup({ repeatIntervalMs: -1 })).toThrow(/repeatIntervalMs/);
    expect(() => setup({ escalation: { afterMs: 1, channels: [] } })).toThrow(/escalation/);
  });
});
