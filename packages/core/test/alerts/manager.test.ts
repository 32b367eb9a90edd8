// The alert manager over a real metrics pipeline, with a fake clock: the guide's high_error_rate
// rule goes pending, fires after minDuration, notifies, repeats, stops repeating once
// acknowledged, and resolves.
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { describe, expect, it, vi } from 'vitest';
import { AlertManager } from '../../src/alerts/manager.js';
import { AlertChannel, AlertCondition, AlertSeverity, type Notification } from '../../src/alerts/types.js';
import { MetricsCollector } from '../../src/index.js';
import { metric, value } from '../metrics/support.js';

function setup() {
  let now = 1_800_000_000_000;
  const collector = new MetricsCollector();
  const manager = new AlertManager({
    now: () => now,
    evaluationInterval: 30,
    metricProducers: [collector.metricProducer],
    routing: { groupWaitMs: 0, groupIntervalMs: 60_000, repeatIntervalMs: 600_000 },
    metrics: collector,
  });
  new MeterProvider({ readers: [manager.reader] });
  const received: Notification[] = [];
  manager.addNotificationHandler(AlertChannel.CUSTOM, (notification: Notification) => {
    received.push(notification);
  });
  manager.addRule({
    name: 'high_error_rate',
    condition: AlertCondition.GREATER_THAN,
    threshold: 10,
    metric_name: 'errors.total',
    severity: AlertSeverity.CRITICAL,
    description: 'Error rate is too high',
    evaluation_period: 300,
    min_duration: 60,
  });
  const at = async (seconds: number) => {
    now = 1_800_000_000_000 + seconds * 1000;
    await manager.evaluate();
    await manager.stop(); // waits for deliveries in flight
  };
  return { collector, manager, received, at };
}

describe('AlertManager', () => {
  it('runs high_error_rate through pending, firing, repeat, acknowledge and resolved', async () => {
    const { collector, manager, received, at } = setup();
    collector.increment('errors.total', undefined, 0);
    await at(0);
    collector.increment('errors.total', undefined, 5);
    await at(30);
    expect(manager.getAlerts()[0]?.state).toBe('inactive');
    collector.increment('errors.total', undefined, 10);
    await at(60);
    expect(manager.getAlerts()[0]?.state).toBe('pending');
    await at(90);
    expect(manager.getAlerts()[0]?.state).toBe('pending');
    expect(received).toHaveLength(0);
    await at(120);
    const [firing] = manager.getAlerts();
    expect(firing).toMatchObject({ state: 'firing', value: 15, threshold: 10, severity: 'critical' });
    expect(received.map((n) => [n.status, n.reason])).toEqual([['firing', 'new']]);
    expect(received[0]?.alerts[0]?.annotations.description).toBe('Error rate is too high');

    // Still firing ten minutes on: one repeat. Acknowledged: no more.
    for (let s = 150; s <= 750; s += 30) {
      collector.increment('errors.total', undefined, 5);
      await at(s);
    }
    expect(received.map((n) => n.reason)).toEqual(['new', 'repeat']);
    expect(manager.acknowledge(firing?.id as string)).toBe(true);
    for (let s = 780; s <= 1440; s += 30) {
      collector.increment('errors.total', undefined, 5);
      await at(s);
    }
    expect(manager.getAlerts()[0]?.state).toBe('firing');
    expect(received.map((n) => n.reason)).toEqual(['new', 'repeat']);

    // No new errors for the whole period: resolved, and a resolved notice.
    for (let s = 1470; s <= 1900; s += 30) await at(s);
    expect(manager.getAlerts()[0]?.state).not.toBe('firing');
    expect(received.at(-1)).toMatchObject({ status: 'resolved', reason: 'resolved' });
    expect(manager.getHistory().map((t) => t.to)).toEqual(
      expect.arrayContaining(['pending', 'firing', 'resolved']),
    );
    const status = manager.status();
    expect(status.evaluations).toBeGreaterThan(20);
    expect(status.channels.custom?.sent).toBe(received.length);
  });

  it('shows a rule on a metric that does not exist yet as no data, and refuses bad input at setup', async () => {
    const { manager, at } = setup();
    manager.addRule({ name: 'later', metricName: 'not.yet', threshold: 1 });
    await at(0);
    expect(manager.getAlerts().find((a) => a.rule === 'later')?.state).toBe('nodata');
    expect(() => manager.addRule({ name: 'later', metricName: 'x', threshold: 1 })).toThrow(/exists already/);
    expect(() =>
      manager.addRule({ name: 'bad', metricName: 'x', threshold: 1, condition: 'bigger' as never }),
    ).toThrow(/not a condition/);
    expect(() => manager.addRule({ name: 'neg', metricName: 'x', threshold: 1, minDuration: -1 })).toThrow(
      /minDuration|min_duration/,
    );
    expect(() => manager.addNotificationHandler(AlertChannel.EMAIL, { smtp_server: 'localhost' })).toThrow(
      /recipients/,
    );
    expect(() => manager.addNotificationHandler('pager' as never, {})).toThrow();
  });

  it('tests a rule against given samples, step by step', () => {
    const { manager } = setup();
    const steps = manager.testRule('high_error_rate', [
      { time: 0, value: 0 },
      { time: 60, value: 20 },
      { time: 120, value: 40 },
      { time: 180, value: 60 },
    ]);
    expect(steps.map((s) => s.state)).toEqual(['nodata', 'pending', 'firing', 'firing']);
  });

  it('keeps delivering in the background: a hanging channel never delays evaluation', async () => {
    let now = 0;
    const manager = new AlertManager({
      now: () => now,
      routing: { groupWaitMs: 0 },
      delivery: { timeoutMs: 2000, retries: 0 },
    });
    new MeterProvider({ readers: [manager.reader] });
    manager.addNotificationHandler(AlertChannel.CUSTOM, () => new Promise(() => {}), 'hangs');
    manager.addRule({
      name: 'absent',
      metricName: 'heartbeat',
      condition: AlertCondition.ABSENT,
      minDuration: 0,
    });
    const started = performance.now();
    await manager.evaluate();
    expect(performance.now() - started).toBeLessThan(1000); // the hanging delivery takes 2 s to time out
    now += 1000;
    await manager.stop();
    expect(manager.status().channels.hangs).toMatchObject({ failed: 1 });
  });
});

describe('self-metrics', () => {
  it('counts evaluations, their duration, alerts by state, notifications, retries and undeliverable notices', async () => {
    let now = 0;
    const collector = new MetricsCollector();
    const manager = new AlertManager({
      now: () => now,
      metricProducers: [collector.metricProducer],
      metrics: collector,
      routing: { groupWaitMs: 0 },
      delivery: { backoffMs: 1, retries: 2 },
    });
    new MeterProvider({ readers: [manager.reader] });
    let calls = 0;
    manager.addNotificationHandler(AlertChannel.CUSTOM, () => {
      if (++calls === 1) throw new Error('first attempt fails');
    });
    manager.addRule({ name: 'hot', metricName: 'temp', threshold: 1, minDuration: 0 });
    manager.addRule({ name: 'warm', metricName: 'temp', threshold: 1, minDuration: 30 });
    manager.addRule({ name: 'lost', metricName: 'temp', threshold: 1, minDuration: 0, channels: ['nobody'] });
    collector.setGauge('temp', 5);
    await manager.evaluate();
    now += 1000;
    await manager.evaluate();
    await manager.stop();
    expect(await value(collector, 'datalineage_monitoring_alert_evaluations_total')).toBe(2);
    const duration = await metric(collector, 'datalineage_monitoring_alert_evaluation_duration_seconds');
    expect((duration?.dataPoints[0]?.value as { count: number } | undefined)?.count).toBe(2);
    expect(await value(collector, 'datalineage_monitoring_alerts', { state: 'firing' })).toBe(2);
    expect(await value(collector, 'datalineage_monitoring_alerts', { state: 'pending' })).toBe(1);
    expect(
      await value(collector, 'datalineage_monitoring_alert_notifications_total', {
        channel: 'custom',
        result: 'sent',
      }),
    ).toBe(1);
    expect(
      await value(collector, 'datalineage_monitoring_alert_notification_retries_total', {
        channel: 'custom',
      }),
    ).toBe(1);
    expect(await value(collector, 'datalineage_monitoring_alert_undeliverable_notices_total')).toBe(1);
  });
});

describe('routing between evaluations', () => {
  it('sends a group’s first notice when its group wait ends, not at the next evaluation', async () => {
    // setImmediate stays real: deliveries start after one (see AlertManager.send).
    vi.useFakeTimers({
      now: 1_800_000_000_000,
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
    try {
      const collector = new MetricsCollector();
      const manager = new AlertManager({
        evaluationInterval: 60,
        metricProducers: [collector.metricProducer],
        routing: { groupWaitMs: 10_000, groupIntervalMs: 20_000 },
      });
      new MeterProvider({ readers: [manager.reader] });
      const start = Date.now();
      const sent: Array<[number, string]> = [];
      manager.addNotificationHandler(AlertChannel.CUSTOM, (n: Notification) => {
        sent.push([(Date.now() - start) / 1000, n.reason]);
      });
      manager.addRule({ name: 'hot', metricName: 'temp', threshold: 1, minDuration: 0 });
      collector.setGauge('temp', 5);
      // Runs the timers due within `ms`, then lets the deliveries they started run.
      const advance = async (ms: number) => {
        await vi.advanceTimersByTimeAsync(ms);
        await new Promise((resolve) => setImmediate(resolve));
        await vi.advanceTimersByTimeAsync(0);
      };
      manager.start();
      await advance(60_000); // first evaluation: firing, group wait begins
      expect(sent).toEqual([]);
      await advance(10_000);
      expect(sent).toEqual([[70, 'new']]);
      collector.setGauge('temp', 0);
      await advance(49_000);
      expect(sent).toEqual([[70, 'new']]);
      await advance(1_000); // evaluation at 120 s: resolved, the group interval long over
      expect(sent).toEqual([
        [70, 'new'],
        [120, 'resolved'],
      ]);
      await manager.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('review regressions', () => {
  it('acknowledges only firing alerts', async () => {
    const { manager, at } = setup();
    manager.addRule({ name: 'quiet', metricName: 'not.there', threshold: 1 });
    await at(0);
    const nodata = manager.getAlerts().find((a) => a.rule === 'quiet');
    expect(nodata?.state).toBe('nodata');
    expect(manager.acknowledge(nodata?.id as string)).toBe(false);
    expect(manager.acknowledge('no such alert')).toBe(false);
  });

  it('does not hold evaluation up for a synchronous, slow channel', async () => {
    let now = 0;
    const collector = new MetricsCollector();
    const manager = new AlertManager({
      now: () => now,
      routing: { groupWaitMs: 0 },
      metricProducers: [collector.metricProducer],
    });
    new MeterProvider({ readers: [manager.reader] });
    manager.addNotificationHandler(AlertChannel.CUSTOM, () => {
      const until = performance.now() + 300;
      while (performance.now() < until) {
        // busy: a handler that blocks
      }
    });
    manager.addRule({ name: 'hot', metricName: 'temp', threshold: 1, minDuration: 0 });
    collector.setGauge('temp', 5);
    await manager.evaluate();
    now += 1000;
    const started = performance.now();
    await manager.evaluate();
    expect(performance.now() - started).toBeLessThan(200);
    await manager.stop();
    expect(manager.status().channels.custom?.sent).toBe(1);
  });

  it('routes a late resolved notice to the removed rule’s channels, and counts notices for unknown channels', async () => {
    let now = 0;
    const collector = new MetricsCollector();
    const manager = new AlertManager({
      now: () => now,
      routing: { groupWaitMs: 0, groupIntervalMs: 0 },
      metricProducers: [collector.metricProducer],
    });
    new MeterProvider({ readers: [manager.reader] });
    const got: Record<string, string[]> = { ops: [], audit: [] };
    for (const name of ['ops', 'audit']) {
      manager.addNotificationHandler(
        AlertChannel.CUSTOM,
        (n: Notification) => got[name]?.push(n.status),
        name,
      );
    }
    manager.addRule({ name: 'hot', metricName: 'temp', threshold: 1, minDuration: 0, channels: ['ops'] });
    manager.addRule({ name: 'typo', metricName: 'temp', threshold: 1, minDuration: 0, channels: ['opps'] });
    collector.setGauge('temp', 5);
    await manager.evaluate();
    manager.removeRule('hot');
    now += 1000;
    await manager.evaluate();
    await manager.stop();
    expect(got).toEqual({ ops: ['firing', 'resolved'], audit: [] });
    expect(manager.status().undeliverableNotices).toBeGreaterThan(0);
  });

  it('re-sends firing alerts to Alertmanager channels every evaluation, as Prometheus does', async () => {
    const { createServer } = await import('node:http');
    let posts = 0;
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (request.url === '/api/v2/alerts') posts++;
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    let now = 0;
    const collector = new MetricsCollector();
    const manager = new AlertManager({ now: () => now, metricProducers: [collector.metricProducer] });
    new MeterProvider({ readers: [manager.reader] });
    manager.addNotificationHandler(AlertChannel.ALERTMANAGER, { url: `http://127.0.0.1:${port}` });
    manager.addRule({ name: 'hot', metricName: 'temp', threshold: 1, minDuration: 0 });
    collector.setGauge('temp', 5);
    for (let i = 0; i < 3; i++) {
      await manager.evaluate();
      now += 60_000;
    }
    await manager.stop();
    server.close();
    expect(posts).toBe(3);
  });
});
