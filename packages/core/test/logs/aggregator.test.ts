import { context, TraceFlags, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BatchLogRecordProcessor, InMemoryLogRecordExporter } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import {
  InvalidSearchPatternError,
  LogAggregator,
  LogFilter,
  LogLevel,
  LogSource,
  MetricsCollector,
} from '../../src/index.js';

function aggregator(options: ConstructorParameters<typeof LogAggregator>[0] = {}) {
  return new LogAggregator({ maxEntries: 10_000, ...options });
}

describe('addLog and searchLogs', () => {
  it('stores the guide example and finds it', () => {
    const logs = aggregator();
    logs.addLog({
      level: LogLevel.INFO,
      message: 'Operation completed successfully',
      loggerName: 'datalineage.tracker',
      source: LogSource.APPLICATION,
      extraData: { duration: 0.25, records: 1000 },
    });
    const { entries } = logs.searchLogs(new LogFilter({ minLevel: LogLevel.INFO }));
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      level: LogLevel.INFO,
      levelName: 'INFO',
      message: 'Operation completed successfully',
      loggerName: 'datalineage.tracker',
      source: 'application',
      extraData: { duration: 0.25, records: 1000 },
    });
    expect(Math.abs((entries[0]?.timestamp ?? 0) - Date.now())).toBeLessThan(5000);
  });

  it('applies every filter', () => {
    let now = 1_000_000;
    const logs = aggregator({ now: () => now });
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const spanId = 'b7ad6b7169203331';
    logs.addLog({ level: 'debug', message: 'cache warm', loggerName: 'cache' });
    now += 1000;
    logs.addLog({
      level: 'warning',
      message: 'Slow QUERY on orders',
      loggerName: 'db',
      extraData: { table: 'orders', ms: 900 },
    });
    now += 1000;
    logs.addLog({
      level: LogLevel.ERROR,
      message: 'connection refused by 10.0.0.7',
      loggerName: 'db',
      source: LogSource.SYSTEM,
      extraData: { user: { id: '42' }, retry: true },
      traceId,
      spanId,
    });
    now += 1000;
    logs.addLog({
      level: 'critical',
      message: 'login failed for admin',
      loggerName: 'auth',
      source: LogSource.SECURITY,
    });
    const ids = (filter: ConstructorParameters<typeof LogFilter>[0]) =>
      logs.searchLogs(new LogFilter(filter)).entries.map((e) => e.message.split(' ')[0]);

    expect(ids({})).toEqual(['login', 'connection', 'Slow', 'cache']);
    expect(ids({ minLevel: LogLevel.WARNING })).toEqual(['login', 'connection', 'Slow']);
    expect(ids({ minLevel: 'WARNING', maxLevel: 'ERROR' })).toEqual(['connection', 'Slow']);
    expect(ids({ sources: [LogSource.SECURITY, LogSource.SYSTEM] })).toEqual(['login', 'connection']);
    expect(ids({ loggerNames: ['db'] })).toEqual(['connection', 'Slow']);
    expect(ids({ loggerNames: ['nobody'] })).toEqual([]);
    expect(ids({ timeRange: [1_001_000, 1_002_000] })).toEqual(['connection', 'Slow']);
    expect(ids({ timeRange: [new Date(1_002_500), undefined] })).toEqual(['login']);
    expect(ids({ messageContains: 'query' })).toEqual(['Slow']);
    expect(ids({ regex: 'refused|failed' })).toEqual(['login', 'connection']);
    expect(ids({ regex: /\d+\.\d+\.\d+\.\d+/ })).toEqual(['connection']);
    expect(ids({ attributes: { table: 'orders' } })).toEqual(['Slow']);
    expect(ids({ attributes: { 'user.id': '42', retry: true } })).toEqual(['connection']);
    expect(ids({ hasAttributes: ['ms'] })).toEqual(['Slow']);
    expect(ids({ hasAttributes: ['constructor'] })).toEqual([]);
    expect(ids({ traceId: traceId.toUpperCase() })).toEqual(['connection']);
    const [withTrace] = logs.searchLogs({ traceId }).entries;
    expect(withTrace).toMatchObject({ traceId, spanId, source: 'system' });
  });

  it('pages newest first with a cursor, with no gap and no repeat', () => {
    const logs = aggregator();
    for (let i = 0; i < 250; i++)
      logs.addLog({ message: `line ${i}`, level: i % 5 === 0 ? 'error' : 'info' });
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = logs.searchLogs(undefined, { limit: 100, ...(cursor ? { cursor } : {}) });
      seen.push(...page.entries.map((e) => e.message));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => `line ${249 - i}`));
  });

  it('keeps a cursor valid while old entries are evicted between pages', () => {
    const logs = aggregator({ maxEntries: 100 });
    for (let i = 0; i < 100; i++) logs.addLog({ message: `a${i}` });
    const first = logs.searchLogs(undefined, { limit: 30 });
    for (let i = 0; i < 50; i++) logs.addLog({ message: `b${i}` }); // evicts a0..a49
    const second = logs.searchLogs(undefined, { limit: 30, cursor: first.nextCursor as string });
    expect(second.entries.map((e) => e.message)).toEqual(Array.from({ length: 20 }, (_, i) => `a${69 - i}`));
    expect(second.nextCursor).toBeUndefined();
  });

  it('finds every ERROR after eviction (the original index went stale: 2 of 4)', () => {
    const logs = aggregator({ maxEntries: 50 });
    for (let i = 0; i < 200; i++) logs.addLog({ message: `m${i}`, level: i % 10 === 0 ? 'error' : 'info' });
    const errors = logs.searchLogs({ minLevel: LogLevel.ERROR }, { limit: 1000 }).entries;
    expect(errors.map((e) => e.message)).toEqual(['m190', 'm180', 'm170', 'm160', 'm150']);
    expect(logs.stats().evicted.capacity).toBe(150);
    expect(logs.stats().entries).toBe(50);
  });

  it('evicts entries older than retentionDays', () => {
    let now = Date.UTC(2026, 0, 1);
    const logs = aggregator({ retentionDays: 1, now: () => now });
    logs.addLog({ message: 'old' });
    now += 12 * 3_600_000;
    logs.addLog({ message: 'recent' });
    now += 13 * 3_600_000;
    expect(logs.searchLogs().entries.map((e) => e.message)).toEqual(['recent']);
    expect(logs.stats().evicted.age).toBe(1);
  });

  it('rejects an invalid regex clearly, and cuts a slow search off at its budget', () => {
    const logs = aggregator({ maxEntries: 50_000 });
    expect(() => logs.searchLogs({ regex: '(unclosed' })).toThrow(InvalidSearchPatternError);
    expect(() => logs.searchLogs({ regex: '(a)\\1' })).toThrow(/backreference/i);
    for (let i = 0; i < 40_000; i++) logs.addLog({ message: `${'x'.repeat(200)} ${i}` });
    const slow = logs.searchLogs({ regex: '(x+x+)+y' }, { timeBudgetMs: 0.01 });
    expect(slow.truncated?.reason).toMatch(/time budget of 0.01 ms exhausted/);
    expect(slow.entries).toEqual([]);
    expect(slow.nextCursor).toBeDefined();
  });

  it('rejects bad limits, cursors and filters', () => {
    const logs = aggregator();
    expect(() => logs.searchLogs(undefined, { limit: 0 })).toThrow(/limit/);
    expect(() => logs.searchLogs(undefined, { cursor: 'nonsense' })).toThrow(/not a cursor/);
    expect(() => new LogFilter({ minLevel: 'loud' })).toThrow(/not a level/);
    expect(() => new LogFilter({ timeRange: [10, 5] })).toThrow(/starts after it ends/);
  });
});

describe('bad input never throws', () => {
  it('truncates huge messages with a marker and counts it', () => {
    const logs = aggregator({ maxMessageBytes: 1024 });
    logs.addLog({ message: 'é'.repeat(5000) });
    const [entry] = logs.searchLogs().entries;
    expect(Buffer.byteLength(entry?.message ?? '')).toBeLessThanOrEqual(1024);
    expect(entry?.message).toMatch(/truncated \d+ bytes/);
    expect(logs.stats().truncated).toBe(1);
  });

  it('stringifies circular objects, BigInt and errors; maps invalid levels to INFO and counts them', () => {
    const logs = aggregator();
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    expect(() => {
      logs.addLog({ message: circular });
      logs.addLog({ message: 10n ** 20n, level: 'loud' });
      logs.addLog({ message: new RangeError('out of range') });
      logs.addLog({ message: 'with bad extra', extraData: { when: new Date(0), big: 5n, circular } });
      const hostile = Object.defineProperty({}, 'x', {
        enumerable: true,
        get() {
          throw new Error('no');
        },
      });
      logs.addLog({ message: 'hostile extra', extraData: hostile });
    }).not.toThrow();
    const messages = logs.searchLogs().entries.map((e) => e.message);
    expect(messages).toContain('RangeError: out of range');
    expect(messages).toContain('100000000000000000000');
    expect(messages.find((m) => m.includes('loop'))).toMatch(/\[Circular\]/);
    const bad = logs.searchLogs({ messageContains: 'with bad extra' }).entries[0];
    expect(bad?.extraData).toMatchObject({ when: '1970-01-01T00:00:00.000Z', big: '5' });
    expect(logs.stats().invalidLevels).toBe(1);
    expect(logs.searchLogs({ messageContains: '1000000' }).entries[0]?.level).toBe(LogLevel.INFO);
  });

  it('keeps errors as exception type, message and stack', () => {
    const logs = aggregator();
    logs.addLog({ level: 'error', message: 'failed', error: new TypeError('bad type') });
    const [entry] = logs.searchLogs().entries;
    expect(entry?.error?.type).toBe('TypeError');
    expect(entry?.error?.message).toBe('bad type');
    expect(entry?.error?.stack).toMatch(/aggregator\.test\.ts/);
    expect(entry?.extraData).toEqual({});
  });
});

describe('sampling and redaction', () => {
  it('samples below ERROR by level, never ERROR and above', () => {
    let i = 0;
    const logs = aggregator({
      sampling: { ratio: 0.5, levels: { DEBUG: 0 } },
      random: () => (i++ % 2 === 0 ? 0.25 : 0.75),
    });
    for (let n = 0; n < 10; n++) {
      logs.addLog({ level: 'debug', message: 'd' });
      logs.addLog({ level: 'info', message: 'i' });
      logs.addLog({ level: 'error', message: 'e' });
      logs.addLog({ level: 'critical', message: 'c' });
    }
    const count = (level: LogLevel) =>
      logs.searchLogs({ minLevel: level, maxLevel: level }, { limit: 100 }).entries.length;
    expect(count(LogLevel.DEBUG)).toBe(0);
    expect(count(LogLevel.INFO)).toBeGreaterThan(0);
    expect(count(LogLevel.INFO)).toBeLessThan(10);
    expect(count(LogLevel.ERROR)).toBe(10);
    expect(count(LogLevel.CRITICAL)).toBe(10);
    expect(logs.stats().dropped.sampled).toBe(10 + (10 - count(LogLevel.INFO)));
  });

  it('redacts secrets in messages and extraData before they are stored', () => {
    const logs = aggregator({ redaction: { paths: ['request.headers["x-api-key"]'] } });
    logs.addLog({
      message: 'paid with 4111 1111 1111 1111 using Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
      extraData: {
        password: 'hunter2',
        nested: { token: 'abc123' },
        request: { headers: { 'x-api-key': 'k-999' } },
      },
    });
    const stored = JSON.stringify(logs.searchLogs().entries);
    for (const secret of ['4111 1111 1111 1111', 'eyJhbGciOiJIUzI1NiJ9', 'hunter2', 'abc123', 'k-999']) {
      expect(stored).not.toContain(secret);
    }
    expect(stored).toContain('[REDACTED]');
  });
});

describe('the OpenTelemetry pipeline', () => {
  it('stores what any emitter on its LoggerProvider emits, with the active trace context', () => {
    // As NodeSDK does: without a context manager there is no active context to carry a span.
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    const logs = aggregator();
    const spanContext = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
    };
    context.with(trace.setSpanContext(context.active(), spanContext), () => {
      logs.loggerProvider
        .getLogger('pino')
        .emit({ severityNumber: 17, severityText: 'ERROR', body: 'from the API', attributes: { k: 'v' } });
    });
    const [entry] = logs.searchLogs().entries;
    expect(entry).toMatchObject({
      loggerName: 'pino',
      level: LogLevel.ERROR,
      message: 'from the API',
      extraData: { k: 'v' },
      traceId: spanContext.traceId,
      spanId: spanContext.spanId,
    });
    context.disable();
  });

  it('flushes export processors on stop(), losing nothing accepted', async () => {
    const exporter = new InMemoryLogRecordExporter();
    const batch = new BatchLogRecordProcessor({
      exporter,
      scheduledDelayMillis: 60_000,
      maxQueueSize: 10_000,
    });
    const logs = aggregator({ exportProcessors: [batch] });
    logs.start();
    for (let i = 0; i < 500; i++) logs.addLog({ message: `exported ${i}`, extraData: { password: 'p4ss' } });
    expect(exporter.getFinishedLogRecords()).toHaveLength(0);
    await logs.stop();
    const exported = exporter.getFinishedLogRecords();
    expect(exported).toHaveLength(500);
    expect(JSON.stringify(exported.map((r) => r.attributes))).not.toContain('p4ss');
  });
});

describe('analysis', () => {
  it('counts over time, error rate, top loggers and patterns over stored entries', () => {
    let now = 1_800_000_000_000;
    const logs = aggregator({ now: () => now });
    for (let i = 0; i < 60; i++) {
      now += 1000;
      logs.addLog({
        level: i % 4 === 0 ? 'error' : 'info',
        loggerName: i % 3 === 0 ? 'db' : 'api',
        message: i % 2 === 0 ? `request ${i} took ${i * 3} ms` : `user u${i} logged in from 10.0.0.${i}`,
      });
    }
    const counts = logs.countOverTime({ bucket: '30s', by: 'level', from: now - 59_000, to: now });
    const errors = counts.series.find((s) => s.key === 'ERROR');
    expect(errors?.counts.reduce((a, b) => a + b, 0)).toBe(15);
    const rate = logs.errorRate({ from: now - 60_000, to: now });
    expect(rate).toMatchObject({ total: 60, errors: 15, rate: 0.25 });
    expect(logs.topLoggers().map((l) => [l.loggerName, l.count])).toEqual([
      ['api', 40],
      ['db', 20],
    ]);
    const patterns = logs.patterns();
    expect(patterns.map((p) => p.count).sort()).toEqual([30, 30]);
  });
});

describe('self-metrics', () => {
  it('counts received, stored, dropped and logs_total by level and source', async () => {
    const metrics = new MetricsCollector();
    const logs = aggregator({ metrics, sampling: { levels: { DEBUG: 0 } } });
    for (let i = 0; i < 3; i++) logs.addLog({ level: 'error', message: 'e', source: LogSource.SECURITY });
    logs.addLog({ level: 'info', message: 'i' });
    logs.searchLogs();
    for (let i = 0; i < 8; i++) logs.addLog({ message: 'burst' });
    for (let i = 0; i < 3; i++) logs.addLog({ level: 'debug', message: 'sampled out' });
    const { resourceMetrics } = await metrics.metricProducer.collect();
    const all = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const points = (name: string) => all.find((m) => m.descriptor.name === name)?.dataPoints ?? [];
    expect(points('logs_total').map((p) => [p.attributes, p.value])).toEqual(
      expect.arrayContaining([
        [{ level: 'ERROR', source: 'security' }, 3],
        [{ level: 'INFO', source: 'application' }, 9],
      ]),
    );
    expect(points('datalineage_monitoring_logs_received_total')[0]?.value).toBe(15);
    expect(points('datalineage_monitoring_logs_dropped_total')).toEqual([
      expect.objectContaining({ attributes: { reason: 'sampled' }, value: 3 }),
    ]);
    expect(points('datalineage_monitoring_log_search_duration_seconds')).toHaveLength(1);
  });
});

describe('the OpenTelemetry logs API', () => {
  it('feeds the aggregator once its LoggerProvider is the global one', async () => {
    const { logs } = await import('@opentelemetry/api-logs');
    const aggregatorUnderTest = aggregator();
    logs.setGlobalLoggerProvider(aggregatorUnderTest.loggerProvider);
    try {
      logs
        .getLogger('some-library')
        .emit({ severityNumber: 13, body: 'deprecated option used', attributes: { option: 'x' } });
      const [entry] = aggregatorUnderTest.searchLogs().entries;
      expect(entry).toMatchObject({
        loggerName: 'some-library',
        levelName: 'WARNING',
        extraData: { option: 'x' },
      });
    } finally {
      logs.disable();
    }
  });
});
