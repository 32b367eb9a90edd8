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
  it('evaluates rules over the collector’s metrics; the status masks channel secrets', async () => {
    monitoring = new MonitoringSystem(
      loadConfig({
        config: { dashboard: { enabled: false }, handleSignals: false, alerts: { evaluationInterval: 3600 } },
        env: {},
      }),
    );
    const alerts = monitoring.alertManager;
    alerts.addNotificationHandler(AlertChannel.CUSTOM, (_n: Notification) => {});
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
    expect(alerts.getAlerts()).toEqual([
      expect.objectContaining({ rule: 'queue_backlog', state: 'firing', value: 250 }),
    ]);
    const status = monitoring.getMonitoringStatus();
    expect(status.alertManager).toMatchObject({ enabled: true, rules: 1, alerts: { firing: 1 } });
    expect(JSON.stringify(status)).not.toContain('app_password');
    expect(status.alertManager.channels.email?.config).toBeDefined();
  });
});

describe('alerts from the configuration file', () => {
  it('creates the rules and channels of the YAML alerts section, with the file’s defaults', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const file = join(mkdtempSync(join(tmpdir(), 'dlm-alerts-')), 'monitoring-config.yaml');
    writeFileSync(
      file,
      [
        'monitoring:',
        '  dashboard:',
        '    enabled: false',
        '  alerts:',
        '    min_duration: 90',
        '    resolve_timeout: 30',
        '    channels:',
        '      - type: webhook',
        '        name: ops-hook',
        '        url: http://127.0.0.1:9/hook',
        '        headers: { Authorization: "Bearer hook-secret-123" }',
        '    rules:',
        '      - name: high_error_rate',
        '        metric_name: errors.total',
        '        condition: greater_than',
        '        threshold: 10',
        '        severity: critical',
        '        evaluation_period: 300',
        '        channels: [ops-hook]',
        '      - name: backlog',
        '        metric_name: queue.depth',
        '        threshold: 5',
        '        evaluation_period: 60',
        '        min_duration: 0',
        '',
      ].join('\n'),
    );
    monitoring = new MonitoringSystem(
      loadConfig({ config: { configFile: file, handleSignals: false }, env: {} }),
    );
    const [rule, backlog] = monitoring.alertManager.getRules();
    expect(backlog).toMatchObject({ name: 'backlog', minDuration: 0, keepFiringFor: 0 });
    expect(rule).toMatchObject({
      name: 'high_error_rate',
      metricName: 'errors.total',
      condition: 'gt',
      threshold: 10,
      severity: 'critical',
      evaluationPeriod: 300,
      minDuration: 90,
      keepFiringFor: 0,
      channels: ['ops-hook'],
    });
    // resolve_timeout: once its data stops (the last sample leaves the 60 s window at 120 s), the
    // firing alert stays firing for 30 s before it resolves.
    const steps = monitoring.alertManager.testRule('backlog', {
      series: [
        { time: 0, value: 10 },
        { time: 60, value: 10 },
      ],
      interval: 30,
      until: 180,
    });
    expect(steps.map((step) => `${step.time}:${step.state}`)).toEqual([
      '0:firing',
      '30:firing',
      '60:firing',
      '90:firing',
      '120:firing',
      '150:nodata',
      '180:nodata',
    ]);
    expect(steps[5]?.transitions.map((t) => `${t.from}→${t.to}`)).toEqual([
      'firing→resolved',
      'resolved→nodata',
    ]);
    const status = monitoring.getMonitoringStatus().alertManager;
    expect(status.channels['ops-hook']?.kind).toBe('webhook');
    expect(JSON.stringify(status)).not.toContain('hook-secret-123');
  });

  it('fails setup with a clear message on a bad rule or channel in the file', () => {
    expect(
      () =>
        new MonitoringSystem(
          loadConfig({
            config: {
              dashboard: { enabled: false },
              alerts: { rules: [{ name: 'x', metricName: 'm', condition: 'bigger' }] },
            },
            env: {},
          }),
        ),
    ).toThrow(/not a condition/);
    expect(
      () =>
        new MonitoringSystem(
          loadConfig({
            config: { dashboard: { enabled: false }, alerts: { channels: [{ type: 'email' }] } },
            env: {},
          }),
        ),
    ).toThrow(/recipients|smtp/);
  });
});

describe('routing from the configuration', () => {
  it('groups, waits, repeats and escalates as the alerts section says', async () => {
    const now = 0;
    void now;
    const received: Array<[string, string]> = [];
    monitoring = new MonitoringSystem(
      loadConfig({
        config: {
          dashboard: { enabled: false },
          handleSignals: false,
          alerts: {
            groupWait: 0,
            groupInterval: 0,
            escalation: { after: 0, channels: ['pager'] },
            inhibitFrom: 'none',
          },
        },
        env: {},
      }),
    );
    const alerts = monitoring.alertManager;
    for (const name of ['team', 'pager']) {
      alerts.addNotificationHandler(
        AlertChannel.CUSTOM,
        (n: Notification) => received.push([name, n.reason]),
        name,
      );
    }
    alerts.addRule({ name: 'hot', metricName: 'temp', threshold: 1, minDuration: 0 });
    monitoring.metricsCollector.setGauge('temp', 5);
    await alerts.evaluate();
    await alerts.stop();
    expect(received.sort()).toEqual([
      ['pager', 'escalation'],
      ['team', 'new'],
    ]);
  });

  it('rejects an escalation without channels', () => {
    expect(() => loadConfig({ config: { alerts: { escalation: { after: 60 } } }, env: {} })).toThrow(
      /at least one channel/,
    );
  });
});
