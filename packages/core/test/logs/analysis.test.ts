// Log analysis: bucket sizes, epoch-aligned counts over time by every key, error rates, top
// loggers and summaries — and none of them depends on the order of the entries.
import { describe, expect, it } from 'vitest';
import {
  type AnalysisEntry,
  countOverTime,
  errorRate,
  MAX_BUCKETS,
  parseBucket,
  summarize,
  topLoggers,
} from '../../src/logs/analysis.js';
import { LogLevel } from '../../src/logs/types.js';

const { DEBUG, INFO, WARNING, ERROR, CRITICAL } = LogLevel;
const MIN = 60_000;

const entry = (
  timestamp: number,
  level: LogLevel = INFO,
  source = 'application',
  loggerName = 'app',
): AnalysisEntry => ({
  timestamp,
  level,
  source,
  loggerName,
});

/** A fixed mixed set of entries over ten minutes. */
function sample(): AnalysisEntry[] {
  const levels = [DEBUG, INFO, INFO, WARNING, ERROR, CRITICAL, INFO];
  const sources = ['application', 'system', 'security'];
  const loggers = ['api', 'db', 'auth', 'worker'];
  return Array.from({ length: 97 }, (_, i) =>
    entry((i * 6_151) % (10 * MIN), levels[i % levels.length], sources[i % 3], loggers[(i * 7) % 4]),
  );
}

/** A deterministic shuffle. */
function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  let seed = 7;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 48_271) % 2_147_483_647;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('parseBucket', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 5 * MIN],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['2w', 2 * 604_800_000],
    [1_500, 1_500],
  ])('reads %j as %d ms', (size, ms) => {
    expect(parseBucket(size)).toBe(ms);
  });

  it.each([
    '',
    '5',
    '5x',
    '-5m',
    '0s',
    '1.5h',
    '5 m',
    ' 5m',
    '1h30m',
    'M',
    '5M',
    'm',
    0,
    -1,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
  ])('rejects %j with a RangeError that names it', (size) => {
    expect(() => parseBucket(size)).toThrow(RangeError);
    expect(() => parseBucket(size)).toThrow(typeof size === 'string' ? `got '${size}'` : `got ${size}`);
  });

  it('rejects values that are not strings or numbers', () => {
    expect(() => parseBucket(null as never)).toThrow(RangeError);
    expect(() => parseBucket({} as never)).toThrow(RangeError);
  });
});

describe('countOverTime', () => {
  it('aligns buckets to multiples of the bucket size and counts only entries within [from, to]', () => {
    const entries = [
      entry(64_999), // in the first bucket's span but before from
      entry(65_000),
      entry(119_999),
      entry(120_000),
      entry(185_000),
      entry(185_001), // after to
    ];
    const result = countOverTime(entries, { bucket: '1m', from: 65_000, to: 185_000, by: 'level' });
    expect(result.bucketMs).toBe(MIN);
    expect(result.from).toBe(MIN);
    expect(result.to).toBe(4 * MIN);
    expect(result.totals).toEqual([2, 1, 1]);
  });

  it('puts a time in the same bucket whatever the range starts at', () => {
    const entries = [entry(125_000)];
    const a = countOverTime(entries, { bucket: '1m', from: 61_000, to: 200_000, by: 'level' });
    const b = countOverTime(entries, { bucket: '1m', from: 119_999, to: 200_000, by: 'level' });
    expect(a.from).toBe(b.from);
    expect(a.totals).toEqual([0, 1, 0]);
    expect(b.totals).toEqual([0, 1, 0]);
  });

  it('reports empty buckets as 0', () => {
    const entries = [entry(10_000), entry(20_000), entry(4 * MIN + 1)];
    const { totals, series } = countOverTime(entries, {
      bucket: '1m',
      from: 0,
      to: 5 * MIN - 1,
      by: 'level',
    });
    expect(totals).toEqual([2, 0, 0, 0, 1]);
    expect(series.find((s) => s.key === 'INFO')?.counts).toEqual([2, 0, 0, 0, 1]);
  });

  it('by level: every level name in severity order, zeros included', () => {
    const entries = [entry(0, ERROR), entry(1, ERROR), entry(MIN, CRITICAL), entry(MIN, DEBUG)];
    const { series, totals } = countOverTime(entries, {
      bucket: '1m',
      from: 0,
      to: 2 * MIN - 1,
      by: 'level',
    });
    expect(series).toEqual([
      { key: 'DEBUG', counts: [0, 1] },
      { key: 'INFO', counts: [0, 0] },
      { key: 'WARNING', counts: [0, 0] },
      { key: 'ERROR', counts: [2, 0] },
      { key: 'CRITICAL', counts: [0, 1] },
    ]);
    expect(totals).toEqual([2, 2]);
  });

  it('by source: the sources seen, most entries first, ties by name', () => {
    const entries = [
      entry(0, INFO, 'system'),
      entry(0, INFO, 'audit'),
      entry(MIN, INFO, 'security'),
      entry(MIN, INFO, 'security'),
      entry(MIN, INFO, 'application'),
    ];
    const { series } = countOverTime(entries, { bucket: MIN, from: 0, to: 2 * MIN - 1, by: 'source' });
    expect(series).toEqual([
      { key: 'security', counts: [0, 2] },
      { key: 'application', counts: [0, 1] },
      { key: 'audit', counts: [1, 0] },
      { key: 'system', counts: [1, 0] },
    ]);
  });

  it('by logger: the logger names seen', () => {
    const entries = [
      entry(0, INFO, 's', 'db'),
      entry(30_000, ERROR, 's', 'api'),
      entry(90_000, INFO, 's', 'db'),
    ];
    const { series, totals } = countOverTime(entries, {
      bucket: '1m',
      from: 0,
      to: 2 * MIN - 1,
      by: 'logger',
    });
    expect(series).toEqual([
      { key: 'db', counts: [1, 1] },
      { key: 'api', counts: [1, 0] },
    ]);
    expect(totals).toEqual([2, 1]);
  });

  it('defaults to counting by level', () => {
    const { series } = countOverTime([entry(0, WARNING)], { bucket: '1m', from: 0, to: 0 });
    expect(series.map((s) => s.key)).toEqual(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']);
  });

  it(`allows ${MAX_BUCKETS} buckets and rejects one more`, () => {
    expect(
      countOverTime([], { bucket: 1_000, from: 0, to: MAX_BUCKETS * 1_000 - 1, by: 'level' }).totals,
    ).toHaveLength(MAX_BUCKETS);
    expect(() => countOverTime([], { bucket: 1_000, from: 0, to: MAX_BUCKETS * 1_000, by: 'level' })).toThrow(
      /10001 buckets/,
    );
  });

  it('rejects a bad bucket, a reversed or non-finite range, and an unknown key', () => {
    expect(() => countOverTime([], { bucket: '5 minutes', from: 0, to: 1 })).toThrow(RangeError);
    expect(() => countOverTime([], { bucket: '1m', from: 2, to: 1 })).toThrow(RangeError);
    expect(() => countOverTime([], { bucket: '1m', from: 0, to: Number.NaN })).toThrow(RangeError);
    expect(() => countOverTime([], { bucket: '1m', from: 0, to: 1, by: 'host' as never })).toThrow(
      RangeError,
    );
  });
});

describe('errorRate', () => {
  it('is 0 with no entries, not NaN', () => {
    expect(errorRate([], { from: 0, to: MIN })).toEqual({ total: 0, errors: 0, rate: 0 });
    expect(errorRate([entry(5 * MIN, ERROR)], { from: 0, to: MIN, bucket: '30s' })).toEqual({
      total: 0,
      errors: 0,
      rate: 0,
      series: [0, 0, 0],
    });
  });

  it('counts ERROR and CRITICAL as errors, not WARNING, within the range', () => {
    const entries = [
      entry(0, INFO),
      entry(1, WARNING),
      entry(2, ERROR),
      entry(3, CRITICAL),
      entry(MIN + 1, ERROR),
    ];
    expect(errorRate(entries, { from: 0, to: MIN })).toEqual({ total: 4, errors: 2, rate: 0.5 });
  });

  it('gives the rate per bucket, 0 for empty buckets', () => {
    const entries = [entry(0, ERROR), entry(MIN, INFO), entry(3 * MIN, ERROR), entry(3 * MIN, INFO)];
    expect(errorRate(entries, { from: 0, to: 4 * MIN - 1, bucket: '1m' })).toEqual({
      total: 4,
      errors: 2,
      rate: 0.5,
      series: [1, 0, 0, 0.5],
    });
  });

  it('rejects a bad bucket or range', () => {
    expect(() => errorRate([], { from: 0, to: 1, bucket: 'soon' })).toThrow(RangeError);
    expect(() => errorRate([], { from: 1, to: 0 })).toThrow(RangeError);
  });
});

describe('topLoggers', () => {
  it('sorts by count, ties by name, and counts errors', () => {
    const entries = [
      entry(0, ERROR, 's', 'db'),
      entry(0, INFO, 's', 'db'),
      entry(0, CRITICAL, 's', 'auth'),
      entry(0, INFO, 's', 'api'),
      entry(0, WARNING, 's', 'zeta'),
      entry(0, INFO, 's', 'zeta'),
    ];
    expect(topLoggers(entries)).toEqual([
      { loggerName: 'db', count: 2, errors: 1 },
      { loggerName: 'zeta', count: 2, errors: 0 },
      { loggerName: 'api', count: 1, errors: 0 },
      { loggerName: 'auth', count: 1, errors: 1 },
    ]);
  });

  it('keeps 10 by default and honours limit', () => {
    const entries = Array.from({ length: 12 }, (_, i) =>
      entry(0, INFO, 's', `logger-${String(i).padStart(2, '0')}`),
    );
    expect(topLoggers(entries)).toHaveLength(10);
    expect(topLoggers(entries, { limit: 3 }).map((l) => l.loggerName)).toEqual([
      'logger-00',
      'logger-01',
      'logger-02',
    ]);
    expect(() => topLoggers(entries, { limit: -1 })).toThrow(RangeError);
  });

  it('counts only entries at or above minLevel', () => {
    const entries = [
      entry(0, DEBUG, 's', 'chatty'),
      entry(0, DEBUG, 's', 'chatty'),
      entry(0, DEBUG, 's', 'chatty'),
      entry(0, WARNING, 's', 'api'),
      entry(0, ERROR, 's', 'api'),
      entry(0, ERROR, 's', 'db'),
    ];
    expect(topLoggers(entries, { minLevel: WARNING })).toEqual([
      { loggerName: 'api', count: 2, errors: 1 },
      { loggerName: 'db', count: 1, errors: 1 },
    ]);
  });
});

describe('summarize', () => {
  it('counts by level, source and logger, with the time span', () => {
    const entries = [
      entry(5_000, INFO, 'application', 'api'),
      entry(1_000, ERROR, 'system', 'db'),
      entry(9_000, INFO, 'application', 'api'),
      entry(3_000, WARNING, '__proto__', 'api'),
    ];
    const summary = summarize(entries);
    expect(summary).toEqual({
      total: 4,
      byLevel: { DEBUG: 0, INFO: 2, WARNING: 1, ERROR: 1, CRITICAL: 0 },
      bySource: { application: 2, ['__proto__']: 1, system: 1 },
      topLoggers: [
        { loggerName: 'api', count: 3, errors: 0 },
        { loggerName: 'db', count: 1, errors: 1 },
      ],
      firstTimestamp: 1_000,
      lastTimestamp: 9_000,
    });
    expect(Object.hasOwn(summary.bySource, '__proto__')).toBe(true);
    expect(Object.keys(summary.bySource)).toEqual(['application', '__proto__', 'system']);
  });

  it('summarizes nothing as zeros without timestamps', () => {
    expect(summarize([])).toEqual({
      total: 0,
      byLevel: { DEBUG: 0, INFO: 0, WARNING: 0, ERROR: 0, CRITICAL: 0 },
      bySource: {},
      topLoggers: [],
      firstTimestamp: undefined,
      lastTimestamp: undefined,
    });
  });
});

describe('order independence', () => {
  const entries = sample();
  const orders = { 'newest first': [...entries].reverse(), shuffled: shuffled(entries) };

  it.each(Object.entries(orders))('gives the same results for entries %s', (_, reordered) => {
    for (const by of ['level', 'source', 'logger'] as const) {
      const options = { bucket: '1m', from: 30_000, to: 9 * MIN, by };
      expect(countOverTime(reordered, options)).toEqual(countOverTime(entries, options));
    }
    const range = { from: 30_000, to: 9 * MIN, bucket: '2m' };
    expect(errorRate(reordered, range)).toEqual(errorRate(entries, range));
    expect(topLoggers(reordered, { limit: 3 })).toEqual(topLoggers(entries, { limit: 3 }));
    expect(summarize(reordered)).toEqual(summarize(entries));
    // Key order too, which toEqual does not check.
    expect(Object.keys(summarize(reordered).bySource)).toEqual(Object.keys(summarize(entries).bySource));
  });

  it('is fed by a one-shot iterable, as a search cursor would be', () => {
    function* once(): Generator<AnalysisEntry> {
      yield* entries;
    }
    expect(summarize(once())).toEqual(summarize(entries));
    expect(
      countOverTime(once(), { bucket: '1m', from: 0, to: 10 * MIN - 1, by: 'level' }).totals.reduce(
        (a, b) => a + b,
      ),
    ).toBe(entries.length);
  });
});
