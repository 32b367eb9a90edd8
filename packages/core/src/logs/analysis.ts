// Counting log entries for the dashboard: counts over time by level, source or logger, error
// rates, the busiest loggers and a summary. Each function reads its iterable once, and no result
// depends on the entries' order: search may return them newest first or oldest first.
import { fromSeverityNumber } from './levels.js';
import { LogLevel, type LogLevelName } from './types.js';

/** The fields analysis reads; a LogEntry has them all. */
export interface AnalysisEntry {
  /** Epoch milliseconds. */
  readonly timestamp: number;
  readonly level: LogLevel;
  readonly source: string;
  readonly loggerName: string;
}

/** Most buckets one query may ask for, which bounds the memory of a series to keys × this. */
export const MAX_BUCKETS = 10_000;

/** Level names in severity order, the order of a `by: 'level'` series. */
const LEVEL_NAMES = (Object.entries(LogLevel) as Array<[LogLevelName, LogLevel]>)
  .sort((a, b) => a[1] - b[1])
  .map(([name]) => name);

const LEVEL_INDEX: ReadonlyMap<number, number> = new Map(
  LEVEL_NAMES.map((name, i) => [LogLevel[name] as number, i]),
);

/** Index in LEVEL_NAMES; levels off the five values fall in their OpenTelemetry severity range. */
function levelIndex(level: number): number {
  return LEVEL_INDEX.get(level) ?? LEVEL_INDEX.get(fromSeverityNumber(level))!;
}

function isError(level: number): boolean {
  return fromSeverityNumber(level) >= LogLevel.ERROR;
}

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const DURATION = /^(\d+)(ms|s|m|h|d|w)$/;

/**
 * A bucket size in milliseconds: a whole number with one unit (`ms`, `s`, `m`, `h`, `d`, `w`, as
 * in Prometheus, but not compound like `1h30m`), or a positive whole number of milliseconds.
 * Throws a RangeError on anything else, including unitless strings, which are too easily meant as
 * seconds or minutes.
 *
 * @example
 * parseBucket('5m') // 300000
 * parseBucket(250)  // 250
 */
export function parseBucket(size: string | number): number {
  if (typeof size === 'number') {
    if (Number.isSafeInteger(size) && size > 0) return size;
    throw new RangeError(`bucket must be a positive whole number of milliseconds, got ${size}`);
  }
  const match = typeof size === 'string' ? DURATION.exec(size) : null;
  if (match !== null) {
    const ms = Number(match[1]) * UNIT_MS[match[2]!]!;
    if (Number.isSafeInteger(ms) && ms > 0) return ms;
  }
  const shown = typeof size === 'string' ? `'${size}'` : String(size);
  throw new RangeError(
    `bucket must be a duration like '500ms', '30s', '5m', '1h', '1d' or '1w', or a number of milliseconds; got ${shown}`,
  );
}

/** Buckets aligned to multiples of bucketMs since the epoch, covering [from, to]. */
function alignBuckets(
  fn: string,
  from: number,
  to: number,
  bucketMs: number,
): { start: number; count: number } {
  checkRange(fn, from, to);
  const start = Math.floor(from / bucketMs) * bucketMs;
  const count = Math.floor(to / bucketMs) - Math.floor(from / bucketMs) + 1;
  if (count > MAX_BUCKETS) {
    throw new RangeError(
      `${fn}: ${count} buckets of ${bucketMs} ms between ${from} and ${to}, more than ${MAX_BUCKETS}; use a larger bucket or a shorter range`,
    );
  }
  return { start, count };
}

function checkRange(fn: string, from: number, to: number): void {
  if (!Number.isFinite(from) || !Number.isFinite(to) || from > to) {
    throw new RangeError(
      `${fn}: from and to must be epoch milliseconds with from ≤ to, got ${from} and ${to}`,
    );
  }
}

/** Options of {@link countOverTime}. */
export interface CountOverTimeOptions {
  /** Bucket size, as {@link parseBucket} takes it. */
  bucket: string | number;
  /** Entries with `from ≤ timestamp ≤ to` (epoch ms) are counted. */
  from: number;
  to: number;
  /** @default 'level' */
  by?: 'level' | 'source' | 'logger';
}

/** What {@link countOverTime} returns. */
export interface CountsOverTime {
  bucketMs: number;
  /** Start of the first bucket: `from` rounded down to a multiple of bucketMs. Bucket i starts at `from + i × bucketMs`. */
  from: number;
  /** End of the last bucket (exclusive). */
  to: number;
  /**
   * One series per key, `counts[i]` for bucket i. By level: all five level names (`ERROR`) in
   * severity order, zeros included, so legends and colours stay put. By source or logger: the keys
   * seen, most entries first, ties by name.
   */
  series: Array<{ key: string; counts: number[] }>;
  /** All entries per bucket. */
  totals: number[];
}

/**
 * Counts entries per time bucket and key. Buckets are aligned to the epoch like Prometheus range
 * queries, so the same bucket always covers the same time whatever the range; empty buckets are 0.
 * Throws a RangeError for a bad bucket or range, or more than {@link MAX_BUCKETS} buckets.
 *
 * @example
 * countOverTime(entries, { bucket: '1m', from: now - 3_600_000, to: now, by: 'level' })
 */
export function countOverTime(
  entries: Iterable<AnalysisEntry>,
  options: CountOverTimeOptions,
): CountsOverTime {
  const { from, to, by = 'level' } = options;
  if (by !== 'level' && by !== 'source' && by !== 'logger') {
    throw new RangeError(`countOverTime: by must be 'level', 'source' or 'logger', got ${String(by)}`);
  }
  const bucketMs = parseBucket(options.bucket);
  const { start, count } = alignBuckets('countOverTime', from, to, bucketMs);
  const zeros = (): number[] => new Array<number>(count).fill(0);
  const totals = zeros();

  if (by === 'level') {
    const byLevel = LEVEL_NAMES.map(zeros);
    for (const entry of entries) {
      const t = entry.timestamp;
      if (!(t >= from && t <= to)) continue;
      const i = Math.floor((t - start) / bucketMs);
      byLevel[levelIndex(entry.level)]![i]!++;
      totals[i]!++;
    }
    const series = LEVEL_NAMES.map((key, l) => ({ key: key as string, counts: byLevel[l]! }));
    return { bucketMs, from: start, to: start + count * bucketMs, series, totals };
  }

  const byKey = new Map<string, { counts: number[]; total: number }>();
  for (const entry of entries) {
    const t = entry.timestamp;
    if (!(t >= from && t <= to)) continue;
    const key = by === 'source' ? entry.source : entry.loggerName;
    let row = byKey.get(key);
    if (row === undefined) {
      row = { counts: zeros(), total: 0 };
      byKey.set(key, row);
    }
    const i = Math.floor((t - start) / bucketMs);
    row.counts[i]!++;
    row.total++;
    totals[i]!++;
  }
  const series = [...byKey]
    .sort(([ka, a], [kb, b]) => b.total - a.total || compareNames(ka, kb))
    .map(([key, row]) => ({ key, counts: row.counts }));
  return { bucketMs, from: start, to: start + count * bucketMs, series, totals };
}

/** Options of {@link errorRate}. */
export interface ErrorRateOptions {
  /** Entries with `from ≤ timestamp ≤ to` (epoch ms) are counted. */
  from: number;
  to: number;
  /** Given, `series` holds the rate per bucket, aligned as in {@link countOverTime}. @default none */
  bucket?: string | number;
}

/** What {@link errorRate} returns. */
export interface ErrorRate {
  total: number;
  /** ERROR and CRITICAL entries. */
  errors: number;
  /** errors / total; 0 when there are no entries, so a quiet period does not read as failing. */
  rate: number;
  /** Rate per bucket (0 for empty buckets), when `bucket` was given. */
  series?: number[];
}

/**
 * The share of ERROR and CRITICAL entries in a time range, and per bucket if asked.
 *
 * @example
 * errorRate(entries, { from: now - 900_000, to: now, bucket: '1m' }).rate
 */
export function errorRate(entries: Iterable<AnalysisEntry>, options: ErrorRateOptions): ErrorRate {
  const { from, to } = options;
  if (options.bucket === undefined) {
    checkRange('errorRate', from, to);
    let total = 0;
    let errors = 0;
    for (const entry of entries) {
      const t = entry.timestamp;
      if (!(t >= from && t <= to)) continue;
      total++;
      if (isError(entry.level)) errors++;
    }
    return { total, errors, rate: total === 0 ? 0 : errors / total };
  }

  const bucketMs = parseBucket(options.bucket);
  const { start, count } = alignBuckets('errorRate', from, to, bucketMs);
  const totals = new Array<number>(count).fill(0);
  const failures = new Array<number>(count).fill(0);
  let total = 0;
  let errors = 0;
  for (const entry of entries) {
    const t = entry.timestamp;
    if (!(t >= from && t <= to)) continue;
    const i = Math.floor((t - start) / bucketMs);
    total++;
    totals[i]!++;
    if (isError(entry.level)) {
      errors++;
      failures[i]!++;
    }
  }
  const series = totals.map((n, i) => (n === 0 ? 0 : failures[i]! / n));
  return { total, errors, rate: total === 0 ? 0 : errors / total, series };
}

/** One logger's counts. */
export interface LoggerCount {
  loggerName: string;
  count: number;
  /** ERROR and CRITICAL entries among `count`. */
  errors: number;
}

/** Options of {@link topLoggers}. */
export interface TopLoggersOptions {
  /** @default 10 */
  limit?: number;
  /** Only entries at or above this level are counted. @default all levels */
  minLevel?: LogLevel;
}

/**
 * The loggers with the most entries, most first, ties by name.
 *
 * @example
 * topLoggers(entries, { limit: 5, minLevel: LogLevel.WARNING })
 */
export function topLoggers(entries: Iterable<AnalysisEntry>, options: TopLoggersOptions = {}): LoggerCount[] {
  const { limit = 10, minLevel } = options;
  checkLimit('topLoggers', limit);
  const counts = new Map<string, LoggerCount>();
  for (const entry of entries) {
    if (minLevel !== undefined && !(entry.level >= minLevel)) continue;
    countLogger(counts, entry);
  }
  return rankLoggers(counts, limit);
}

/** What {@link summarize} returns. */
export interface LogSummary {
  total: number;
  /** Every level name, zeros included. */
  byLevel: Record<LogLevelName, number>;
  /** Entries per source, most first. */
  bySource: Record<string, number>;
  /** The ten busiest loggers, as {@link topLoggers} ranks them. */
  topLoggers: LoggerCount[];
  /** Smallest and largest timestamp; undefined without entries. */
  firstTimestamp: number | undefined;
  lastTimestamp: number | undefined;
}

/**
 * Counts by level, source and logger, and the time span, in one pass.
 *
 * @example
 * const { total, byLevel } = summarize(entries);
 */
export function summarize(entries: Iterable<AnalysisEntry>): LogSummary {
  const levels = LEVEL_NAMES.map(() => 0);
  const sources = new Map<string, number>();
  const loggers = new Map<string, LoggerCount>();
  let total = 0;
  let first: number | undefined;
  let last: number | undefined;
  for (const entry of entries) {
    total++;
    levels[levelIndex(entry.level)]!++;
    sources.set(entry.source, (sources.get(entry.source) ?? 0) + 1);
    countLogger(loggers, entry);
    const t = entry.timestamp;
    if (Number.isFinite(t)) {
      if (first === undefined || t < first) first = t;
      if (last === undefined || t > last) last = t;
    }
  }
  return {
    total,
    byLevel: Object.fromEntries(LEVEL_NAMES.map((name, i) => [name, levels[i]!])) as Record<
      LogLevelName,
      number
    >,
    // fromEntries defines own properties, so a source named `__proto__` is counted, not a prototype.
    bySource: Object.fromEntries([...sources].sort(([ka, a], [kb, b]) => b - a || compareNames(ka, kb))),
    topLoggers: rankLoggers(loggers, 10),
    firstTimestamp: first,
    lastTimestamp: last,
  };
}

function countLogger(counts: Map<string, LoggerCount>, entry: AnalysisEntry): void {
  let row = counts.get(entry.loggerName);
  if (row === undefined) {
    row = { loggerName: entry.loggerName, count: 0, errors: 0 };
    counts.set(entry.loggerName, row);
  }
  row.count++;
  if (isError(entry.level)) row.errors++;
}

function rankLoggers(counts: Map<string, LoggerCount>, limit: number): LoggerCount[] {
  return [...counts.values()]
    .sort((a, b) => b.count - a.count || compareNames(a.loggerName, b.loggerName))
    .slice(0, limit);
}

function checkLimit(fn: string, limit: number): void {
  if (!Number.isInteger(limit) || limit < 0) {
    throw new RangeError(`${fn}: limit must be an integer ≥ 0, got ${String(limit)}`);
  }
}

/** Code-unit order: the same in every locale, unlike localeCompare. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
