import { afterEach, describe, expect, it } from 'vitest';
import {
  AlertChannel,
  AlertCondition,
  AlertSeverity,
  loadConfig,
  MonitoringSystem,
  type Notification,
} from '../src/index.js';

let monitoring: MonitoringSystem | undefined;

afterEach(async () => {
  await monitoring?.shutdown();
  monitoring = undefined;
});

describe('alerts through the facade', () => {
  it('evaluates rules over the collector’s metrics and notifies; the status masks channel secrets', async () => {
    monitoring = new MonitoringSystem(
      loadConfig({
        config: { dashboard: { enabled: false }, handleSignals: false, alerts: { evaluationInterval: 3600 } },
        env: {},
      }),
    );
    const received: Notification[] = [];
    const alerts = monitoring.alertManager;
    alerts.addNotificationHandler(AlertChannel.CUSTOM, (n: Notification) => {
      received.push(n);
    });
    alerts.addNotificationHandler(AlertChannel.EMAIL, {
      smtp_server: '127.0.0.1',
      smtp_port: 2525,
      username: 'alerts@company.com',
      password: 'app_password',
      recipients: ['admin@company.com'],
    });
    alerts.addRule({
      name: 'queue_backlog',
      metricName: 'queue.size',
      condition: AlertCondition.GREATER_THAN,
      threshold: 100,
      severity: AlertSeverity.HIGH,
      minDuration: 0,
      channels: ['custom'],
    });
    await monitoring.start();
    monitoring.metricsCollector.setGauge('queue.size', 250);
    await alerts.evaluate();
    await alerts.evaluate(); // group wait is 30 s in real time: the first notice is not due yet
    expect(alerts.getAlerts()).toEqual([
      expect.objectContaining({ rule: 'queue_backlog', state: 'firing', value: 250 }),
    ]);
    const status = monitoring.getMonitoringStatus();
    expect(status.alertManager).toMatchObject({ enabled: true, rules: 1, alerts: { firing: 1 } });
    expect(JSON.stringify(status)).not.toContain('app_password');
    expect(status.alertManager.channels.email?.config).toBeDefined();
  });
});
