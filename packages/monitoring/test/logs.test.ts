// The facade's log aggregator end to end: config → aggregator → OTLP export on a local receiver
// (a test server implementing the OTLP/HTTP contract, see test/support/otlp-receiver.ts).
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import winston from 'winston';
import { type OtlpLogReceiver, startOtlpLogReceiver } from '../../../test/support/otlp-receiver.js';
import { LogFilter, LogHandler, LogLevel, LogSource, loadConfig, MonitoringSystem } from '../src/index.js';

let receiver: OtlpLogReceiver;
let monitoring: MonitoringSystem | undefined;

beforeAll(async () => {
  receiver = await startOtlpLogReceiver();
});

afterEach(async () => {
  await monitoring?.shutdown();
  monitoring = undefined;
  receiver.logs.length = 0;
  receiver.bodies.length = 0;
});

afterAll(async () => {
  await receiver.close();
});

function system(logs: Record<string, unknown> = {}) {
  monitoring = new MonitoringSystem(
    loadConfig({
      config: {
        serviceName: 'logs-test',
        dashboard: { enabled: false },
        handleSignals: false,
        logs: { otlp: { enabled: true, url: receiver.url, exportIntervalMillis: 60_000 }, ...logs },
      },
      env: {},
    }),
  );
  return monitoring;
}

describe('logs through the facade', () => {
  it('stores and exports over OTLP, flushed by stop(), with secrets in neither', async () => {
    const m = system();
    await m.start();
    m.logAggregator.addLog({
      level: LogLevel.ERROR,
      message: 'payment failed for card 4111-1111-1111-1111',
      loggerName: 'payments',
      source: LogSource.AUDIT,
      extraData: { password: 'hunter2', order: 'o-17', headers: { authorization: 'Basic dXNlcjpwYXNz' } },
      error: new Error('gateway timeout'),
    });
    for (let i = 0; i < 99; i++) m.logAggregator.addLog({ message: `filler ${i}` });
    expect(receiver.logs).toHaveLength(0); // batched for a minute…
    await m.stop(); // …but stop() flushes
    expect(receiver.logs).toHaveLength(100);
    const payment = receiver.logs.find((log) => log.scope === 'payments');
    expect(payment).toMatchObject({
      serviceName: 'logs-test',
      severityNumber: LogLevel.ERROR,
      severityText: 'ERROR',
      attributes: {
        order: 'o-17',
        'log.source': 'audit',
        'exception.message': 'gateway timeout',
        password: '[REDACTED]',
      },
    });
    const wire = receiver.bodies.join('\n');
    const stored = JSON.stringify(m.logAggregator.searchLogs(new LogFilter({}), { limit: 1000 }).entries);
    for (const secret of ['hunter2', '4111-1111-1111-1111', 'dXNlcjpwYXNz']) {
      expect(wire).not.toContain(secret);
      expect(stored).not.toContain(secret);
    }
    const status = m.getMonitoringStatus().logAggregator;
    expect(status).toMatchObject({ received: 100, stored: 100, entries: 100 });
  });

  it('feeds real pino and winston loggers through the LogHandler into the store and the export', async () => {
    const m = system();
    await m.start();
    const handler = new LogHandler(m.logAggregator, { source: LogSource.APPLICATION });
    const pinoLogger = pino({ name: 'pino-app' }, handler.pinoDestination()).child({ requestId: 'r-1' });
    pinoLogger.warn({ token: 'secret-token-1' }, 'slow request');
    const winstonLogger = winston.createLogger({ transports: [handler.winstonTransport()] });
    winstonLogger.error('disk almost full', { mount: '/data' });
    await m.stop();
    const entries = m.logAggregator.searchLogs(new LogFilter({ minLevel: 'WARNING' })).entries;
    expect(entries.map((e) => [e.loggerName, e.levelName, e.message])).toEqual(
      expect.arrayContaining([
        ['pino-app', 'WARNING', 'slow request'],
        [expect.any(String), 'ERROR', 'disk almost full'],
      ]),
    );
    expect(entries.find((e) => e.message === 'slow request')?.extraData).toMatchObject({
      requestId: 'r-1',
      token: '[REDACTED]',
    });
    expect(receiver.logs.map((log) => log.body)).toEqual(
      expect.arrayContaining(['slow request', 'disk almost full']),
    );
    expect(receiver.bodies.join('')).not.toContain('secret-token-1');
  });

  it('does nothing with logs when logs.enabled is false', async () => {
    const m = system({ enabled: false });
    await m.start();
    m.logAggregator.addLog({ message: 'ignored' });
    await m.stop();
    expect(m.logAggregator.searchLogs().entries).toHaveLength(0);
    expect(receiver.logs).toHaveLength(0);
    expect(m.getMonitoringStatus().logAggregator.enabled).toBe(false);
  });

  it('cuts extraData to logs.max_attribute_value_bytes and max_attribute_bytes, in the store and the export', async () => {
    const m = system({ max_attribute_value_bytes: 100, max_attribute_bytes: 1000 });
    await m.start();
    m.logAggregator.addLog({
      message: 'wide',
      extraData: {
        long: 'x'.repeat(500),
        ...Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'y'.repeat(50)])),
      },
    });
    await m.stop();
    const [entry] = m.logAggregator.searchLogs().entries;
    expect(Buffer.byteLength(entry?.extraData.long as string)).toBeLessThanOrEqual(100);
    expect(JSON.stringify(entry?.extraData).length).toBeLessThan(1200);
    expect(entry?.extraData['…']).toMatch(/more keys left out/);
    expect(m.getMonitoringStatus().logAggregator.attributesTruncated).toBe(1);
    const exported = receiver.logs.find((log) => log.body === 'wide');
    expect(Buffer.byteLength(String(exported?.attributes.long))).toBeLessThanOrEqual(100);
  });
});
