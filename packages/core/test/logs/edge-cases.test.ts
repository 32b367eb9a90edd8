// Review findings as regression tests: bounds on names, secrets that only become text late,
// invalid and out-of-order timestamps, retention, trace-only logs, the store's ring.
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { BatchLogRecordProcessor, InMemoryLogRecordExporter } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import { LogAggregator, LogFilter, LogHandler, LogLevel } from '../../src/index.js';
import { LogStore } from '../../src/logs/store.js';

describe('bounds', () => {
  it('survives more distinct sources than the store can intern', () => {
    const logs = new LogAggregator();
    expect(() => {
      for (let i = 0; i < 300; i++) logs.addLog({ message: `m${i}`, source: `tenant-${i}` });
      logs.searchLogs();
    }).not.toThrow();
    const sources = new Set(logs.searchLogs(undefined, { limit: 1000 }).entries.map((e) => e.source));
    expect(logs.stats().entries).toBe(300);
    expect(sources.has('tenant-0')).toBe(true);
    expect(sources.has('(other sources)')).toBe(true);
    expect(sources.size).toBeLessThanOrEqual(256);
  });

  it('keeps the names of loggers past the first thousand without a logger each', () => {
    const logs = new LogAggregator();
    for (let i = 0; i < 1500; i++) logs.addLog({ message: 'hi', loggerName: `logger-${i}` });
    const names = logs.searchLogs(undefined, { limit: 2000 }).entries.map((e) => e.loggerName);
    expect(new Set(names).size).toBe(1500);
    expect(logs.searchLogs({ loggerNames: ['logger-1499'] }).entries).toHaveLength(1);
    expect(logs.searchLogs({ loggerNames: ['logger-1499'] }).entries[0]?.extraData).toEqual({});
  });
});

describe('secrets that become text late', () => {
  it('redacts object messages and non-Error errors by key before they are stringified', () => {
    const exporter = new InMemoryLogRecordExporter();
    const logs = new LogAggregator({ exportProcessors: [new BatchLogRecordProcessor({ exporter })] });
    logs.addLog({ message: { user: 'ann', password: 'hunter2' } });
    logs.addLog({ message: 'login failed', error: { reason: 'bad', token: 'tok-123' } });
    const handler = new LogHandler(logs);
    const capture = handler.captureConsole({ passthrough: false });
    try {
      console.log('user', { apiKey: 'k', secret: 's3cr3t' });
    } finally {
      capture.restore();
    }
    const stored = JSON.stringify(logs.searchLogs().entries);
    for (const secret of ['hunter2', 'tok-123', 's3cr3t']) expect(stored).not.toContain(secret);
    expect(stored).toContain('ann');
    return logs.stop().then(() => {
      const wire = JSON.stringify(exporter.getFinishedLogRecords().map((r) => [r.body, r.attributes]));
      for (const secret of ['hunter2', 'tok-123', 's3cr3t']) expect(wire).not.toContain(secret);
    });
  });

  it('redacts structured bodies emitted through the OpenTelemetry API', () => {
    const logs = new LogAggregator();
    logs.loggerProvider.getLogger('lib').emit({ body: { password: 'p@ss', n: 1 } });
    expect(JSON.stringify(logs.searchLogs().entries)).not.toContain('p@ss');
  });

  it('redacts before truncating, so a secret at the cut is not left half-visible', () => {
    const logs = new LogAggregator({ maxMessageBytes: 128 });
    // Cut first, the limit would fall inside the card number and leave "4111 1111 1111" behind.
    logs.addLog({ message: `${'x'.repeat(85)} card 4111 1111 1111 1111 ${'y'.repeat(200)}` });
    const [entry] = logs.searchLogs().entries;
    expect(entry?.message).not.toMatch(/4111/);
    expect(entry?.message).toMatch(/truncated/);
    expect(Buffer.byteLength(entry?.message ?? '')).toBeLessThanOrEqual(128);
  });
});

describe('time', () => {
  it('stamps an invalid timestamp with the current time, counted, keeping time searches right', () => {
    let now = 1_800_000_000_000;
    const logs = new LogAggregator({ now: () => now });
    logs.addLog({ message: 'bad', timestamp: new Date('not a date') });
    logs.addLog({ message: 'also bad', timestamp: Number.NaN });
    now += 5000;
    logs.addLog({ message: 'good' });
    expect(logs.stats().invalidTimestamps).toBe(2);
    expect(logs.searchLogs({ timeRange: [now - 1000, now] }).entries.map((e) => e.message)).toEqual(['good']);
    expect(logs.searchLogs({ timeRange: [now - 6000, now - 4000] }).entries.map((e) => e.message)).toEqual([
      'also bad',
      'bad',
    ]);
  });

  it('finds time ranges correctly when timestamps arrive out of order', () => {
    const logs = new LogAggregator({ now: () => 1_800_000_100_000 });
    const t = 1_800_000_000_000;
    for (const [message, offset] of [
      ['a', 0],
      ['b', 30_000],
      ['late', 10_000],
      ['c', 40_000],
      ['future', 90_000],
    ] as const) {
      logs.addLog({ message, timestamp: t + offset });
    }
    const inRange = (from: number, to: number) =>
      logs.searchLogs({ timeRange: [t + from, t + to] }).entries.map((e) => e.message);
    expect(inRange(5_000, 35_000)).toEqual(['late', 'b']);
    expect(inRange(35_000, 60_000)).toEqual(['c']);
    expect(inRange(-1, 100_000)).toEqual(['future', 'c', 'late', 'b', 'a']);
  });

  it('never returns entries past retention, even when an out-of-order entry blocks eviction', () => {
    let now = Date.UTC(2026, 0, 10);
    const logs = new LogAggregator({ retentionDays: 1, now: () => now });
    logs.addLog({ message: 'recent first', timestamp: now });
    logs.addLog({ message: 'ancient', timestamp: now - 5 * 86_400_000 });
    now += 3_600_000;
    expect(logs.searchLogs().entries.map((e) => e.message)).toEqual(['recent first']);
  });
});

describe('trace ids', () => {
  it('keeps a trace-only id in the store without inventing a span id for the export', async () => {
    const exporter = new InMemoryLogRecordExporter();
    const logs = new LogAggregator({ exportProcessors: [new BatchLogRecordProcessor({ exporter })] });
    logs.addLog({ message: 'trace only', traceId: '0AF7651916CD43DD8448EB211C80319C' });
    logs.addLog({ message: 'numeric id', traceId: 42 as unknown as string });
    const [numeric, only] = logs.searchLogs().entries;
    expect(only).toMatchObject({ message: 'trace only', traceId: '0af7651916cd43dd8448eb211c80319c' });
    expect(only?.spanId).toBeUndefined();
    expect(numeric?.message).toBe('numeric id');
    expect(logs.searchLogs({ traceId: '0af7651916cd43dd8448eb211c80319c' }).entries).toHaveLength(1);
    await logs.stop();
    const exported = exporter.getFinishedLogRecords();
    expect(exported.map((r) => r.spanContext?.spanId)).toEqual([undefined, undefined]);
    void trace.getSpanContext(ROOT_CONTEXT);
  });
});

describe('figures', () => {
  it('reports entries as they are stored, memory that falls on clear(), and bounded ids', () => {
    const logs = new LogAggregator({ maxEntries: 100 });
    for (let i = 0; i < 150; i++) logs.addLog({ message: `line ${i}` });
    expect(logs.stats()).toMatchObject({ entries: 100, stored: 150, evicted: { capacity: 50 } });
    const before = logs.stats().memoryEstimateBytes;
    logs.clear();
    expect(logs.stats().memoryEstimateBytes).toBeLessThan(before);
    expect(logs.getLog(0.5)).toBeUndefined();
  });

  it('resumes a search cut by its budget from the cursor it returned', () => {
    const logs = new LogAggregator();
    for (let i = 0; i < 30_000; i++) logs.addLog({ message: i % 1000 === 0 ? `needle ${i}` : `hay ${i}` });
    const found: string[] = [];
    let cursor: string | undefined;
    let rounds = 0;
    do {
      const page = logs.searchLogs(new LogFilter({ messageContains: 'needle' }), {
        limit: 1000,
        timeBudgetMs: 0.001,
        ...(cursor === undefined ? {} : { cursor }),
      });
      found.push(...page.entries.map((e) => e.message));
      cursor = page.nextCursor;
      rounds++;
    } while (cursor !== undefined && rounds < 100);
    expect(rounds).toBeGreaterThan(1);
    expect(found).toEqual(Array.from({ length: 30 }, (_, i) => `needle ${(29 - i) * 1000}`));
  });

  it('rejects invalid options at construction', () => {
    expect(() => new LogAggregator({ retentionDays: -1 })).toThrow(/retentionDays/);
    expect(() => new LogAggregator({ searchTimeBudgetMs: Number.NaN })).toThrow(/searchTimeBudgetMs/);
    expect(() => new LogAggregator({ maxEntries: 0 })).toThrow(/maxEntries/);
  });

  it('keeps working when addLog is passed around unbound', () => {
    const logs = new LogAggregator();
    const add = logs.addLog;
    expect(() => add({ message: 'unbound', level: LogLevel.WARNING })).not.toThrow();
    expect(logs.searchLogs().entries[0]?.message).toBe('unbound');
  });
});

describe('the store ring', () => {
  it('wraps across segments with no gap or repeat, at capacities that are not powers of two', () => {
    for (const capacity of [1, 7, 16_383, 16_385, 20_000]) {
      const store = new LogStore(capacity);
      const total = capacity * 2 + 3;
      for (let i = 0; i < total; i++) {
        store.append({
          timestamp: i,
          level: LogLevel.INFO,
          source: 's',
          loggerName: 'l',
          message: `m${i}`,
          attributes: undefined,
          error: undefined,
          traceId: undefined,
          spanId: undefined,
        });
      }
      expect(store.size).toBe(capacity);
      expect(store.oldest).toBe(total - capacity);
      for (const seq of [store.oldest, store.newest, store.oldest + Math.floor(capacity / 2)]) {
        const { segment, at } = store.locate(seq);
        expect(segment.messages[at]).toBe(`m${seq}`);
        expect(segment.times[at]).toBe(seq);
      }
    }
  });
});

describe('options of the wrong type (found by test/property/search.property.test.ts)', () => {
  it('fail with a TypeError naming the option, never a TypeError from inside', () => {
    const bad: Array<[unknown, RegExp]> = [
      [null, /^LogFilter: options must be an object, got null$/],
      [{ sources: 'api' }, /^LogFilter: sources must be an array of strings, got string$/],
      [{ loggerNames: [1] }, /^LogFilter: loggerNames must be an array of strings, got an array$/],
      [{ timeRange: 5 }, /^LogFilter: timeRange must be \[start, end\], got number$/],
      [{ timeRange: ['x', undefined] }, /^LogFilter: timeRange\[0\] is not a valid time/],
      [{ messageContains: 3 }, /^LogFilter: messageContains must be a string, got number$/],
      [{ regex: {} }, /^LogFilter: regex must be a string or a RegExp, got an object$/],
      [{ attributes: [] }, /^LogFilter: attributes must be an object of field values, got an array$/],
      [
        { attributes: { n: undefined } },
        /^LogFilter: attributes\.n must be a string, number, boolean or null$/,
      ],
      [{ hasAttributes: 'n' }, /^LogFilter: hasAttributes must be an array of strings, got string$/],
      [{ traceId: 1 }, /^LogFilter: traceId must be a string, got number$/],
    ];
    for (const [options, message] of bad) {
      expect(() => new LogFilter(options as never), JSON.stringify(options)).toThrow(message);
    }
    const logs = new LogAggregator();
    expect(() => logs.searchLogs(undefined, null as never)).toThrow(/^searchLogs: options must be an object/);
    expect(() => logs.searchLogs(undefined, { cursor: 5 as never })).toThrow(/^searchLogs: cursor must be/);
    expect(() => logs.searchLogs(undefined, { timeBudgetMs: '5' as never })).toThrow(
      /^searchLogs: timeBudgetMs must be a positive number/,
    );
  });
});
