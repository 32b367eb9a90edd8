// Properties of the log search. First, any options at all — right or wrong types, hostile
// patterns, bad cursors and limits — either search or fail with the documented errors, whose
// message names the option; nothing else escapes. Second, for valid filters over random logs, the
// pages a search returns, followed by cursor to the end, are exactly the entries a plain
// reference predicate selects, newest first, with no entry twice.
import {
  InvalidSearchPatternError,
  LogAggregator,
  type LogEntry,
  LogFilter,
  type LogFilterOptions,
  LogLevel,
} from '@datalineage/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns, propertyTimeout } from './runs.js';

const LEVELS = [LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARNING, LogLevel.ERROR, LogLevel.CRITICAL];
const SOURCES = ['application', 'security', 'audit'];
const LOGGERS = ['api', 'db', 'datalineage.tracker'];
const KEYS = ['stage', 'user', 'n', 'nested.deep'];
const T0 = Date.UTC(2026, 11, 1);

/** Anything a caller might pass by mistake, or on purpose. */
const anything = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.constantFrom(
    '(a+)+$',
    '[',
    '(?=x)',
    '\\1',
    'a{1001}',
    'WARNING',
    'warn',
    'nope',
    -1,
    0,
    1.5,
    1e308,
    Number.NaN,
  ),
  fc.date({ noInvalidDate: false }),
);
const randomOptions = fc.dictionary(
  fc.constantFrom<keyof LogFilterOptions>(
    'minLevel',
    'maxLevel',
    'sources',
    'loggerNames',
    'timeRange',
    'messageContains',
    'regex',
    'attributes',
    'hasAttributes',
    'traceId',
  ),
  anything,
  { maxKeys: 4 },
);
const randomSearch = fc.record(
  { limit: fc.oneof(fc.integer({ min: -2, max: 50 }), anything), cursor: fc.oneof(fc.string(), anything) },
  { requiredKeys: [] },
);

/** The documented failures: a TypeError naming the option, or an invalid search pattern. */
function isDocumented(error: unknown): boolean {
  if (error instanceof InvalidSearchPatternError) return true;
  return error instanceof TypeError && /^(LogFilter|searchLogs): /.test(error.message);
}

const attributeValue = fc.oneof(
  fc.constantFrom('load', 'ann', ''),
  fc.integer({ min: 0, max: 3 }),
  fc.boolean(),
  fc.constant(null),
);
const logInput = fc.record({
  level: fc.constantFrom(...LEVELS),
  message: fc.oneof(
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.constantFrom('Timeout on db', 'timeout', 'ERROR x', 'ok'),
  ),
  source: fc.constantFrom(...SOURCES),
  loggerName: fc.constantFrom(...LOGGERS),
  extraData: fc
    .dictionary(fc.constantFrom('stage', 'user', 'n'), attributeValue, { maxKeys: 3 })
    .chain((flat) =>
      fc.option(attributeValue).map((deep) => (deep === null ? flat : { ...flat, nested: { deep } })),
    ),
  offset: fc.integer({ min: 0, max: 60_000 }),
});

const validOptions: fc.Arbitrary<LogFilterOptions> = fc
  .record(
    {
      minLevel: fc.constantFrom(...LEVELS),
      maxLevel: fc.constantFrom(...LEVELS),
      sources: fc.subarray(SOURCES),
      loggerNames: fc.subarray(LOGGERS),
      timeRange: fc.tuple(
        fc.option(fc.integer({ min: 0, max: 60_000 })),
        fc.option(fc.integer({ min: 0, max: 60_000 })),
      ),
      messageContains: fc.oneof(fc.constantFrom('timeout', 'TIME', 'x', ''), fc.string({ maxLength: 2 })),
      attributes: fc.dictionary(fc.constantFrom(...KEYS), attributeValue, { maxKeys: 2 }),
      hasAttributes: fc.subarray(KEYS, { maxLength: 2 }),
    },
    { requiredKeys: [] },
  )
  .map((o) => {
    const { timeRange, ...rest } = o;
    const options: LogFilterOptions = { ...rest };
    if (o.minLevel !== undefined && o.maxLevel !== undefined && o.minLevel > o.maxLevel)
      delete options.maxLevel;
    if (timeRange !== undefined) {
      const [a, b] = timeRange;
      const [from, to] = a !== null && b !== null && a > b ? [b, a] : [a, b];
      options.timeRange = [from === null ? undefined : T0 + from, to === null ? undefined : T0 + to];
    }
    return options;
  });

/** The reference: what a filter selects, written plainly from the option documentation. */
function selects(options: LogFilterOptions, entry: LogEntry): boolean {
  const at = (path: string) => {
    if (Object.hasOwn(entry.extraData, path)) return entry.extraData[path];
    return path
      .split('.')
      .reduce<unknown>(
        (v, k) =>
          v !== null && typeof v === 'object' && Object.hasOwn(v, k)
            ? (v as Record<string, unknown>)[k]
            : undefined,
        entry.extraData,
      );
  };
  const [from, to] = options.timeRange ?? [undefined, undefined];
  return (
    entry.level >= ((options.minLevel as number | undefined) ?? 0) &&
    entry.level <= ((options.maxLevel as number | undefined) ?? 255) &&
    (options.sources === undefined || options.sources.includes(entry.source)) &&
    (options.loggerNames === undefined || options.loggerNames.includes(entry.loggerName)) &&
    (from === undefined || entry.timestamp >= (from as number)) &&
    (to === undefined || entry.timestamp <= (to as number)) &&
    (!options.messageContains ||
      entry.message.toLowerCase().includes(options.messageContains.toLowerCase())) &&
    Object.entries(options.attributes ?? {}).every(([k, v]) => at(k) === v) &&
    (options.hasAttributes ?? []).every((k) => at(k) !== undefined)
  );
}

describe('log search on random input', () => {
  it(
    'searches or fails with a documented error naming the option, whatever the options',
    () => {
      const logs = new LogAggregator();
      for (let i = 0; i < 20; i++) logs.addLog({ message: `entry ${i} timeout`, extraData: { n: i } });
      fc.assert(
        fc.property(randomOptions, randomSearch, (options, search) => {
          try {
            logs.searchLogs(new LogFilter(options as LogFilterOptions), search as never);
          } catch (error) {
            expect(isDocumented(error), String(error)).toBe(true);
          }
          try {
            logs.searchLogs(options as LogFilterOptions);
          } catch (error) {
            expect(isDocumented(error), String(error)).toBe(true);
          }
        }),
        { numRuns: propertyRuns(500) },
      );
    },
    propertyTimeout(30_000),
  );

  it(
    'returns, page by page, exactly the entries the reference selects, newest first',
    () => {
      fc.assert(
        fc.property(
          fc.array(logInput, { maxLength: 60 }),
          validOptions,
          fc.integer({ min: 1, max: 7 }),
          (inputs, options, limit) => {
            // A small store: cases run back to back, and each store is freed only once its drain has run.
            const logs = new LogAggregator({ now: () => T0 + 60_000, maxEntries: 1000 });
            for (const { offset, ...input } of inputs) logs.addLog({ ...input, timestamp: T0 + offset });
            const all = logs.searchLogs(undefined, { limit: 1000 }).entries;
            expect(all).toHaveLength(inputs.length);
            const expected = all.filter((entry) => selects(options, entry)).map((entry) => entry.id);

            const got: number[] = [];
            let cursor: string | undefined;
            let pages = 0;
            do {
              const page = logs.searchLogs(options, cursor === undefined ? { limit } : { limit, cursor });
              expect(page.entries.length).toBeLessThanOrEqual(limit);
              got.push(...page.entries.map((entry) => entry.id));
              cursor = page.nextCursor;
            } while (cursor !== undefined && ++pages < 1000);
            expect(new Set(got).size).toBe(got.length);
            expect(got).toEqual(expected);
          },
        ),
        { numRuns: propertyRuns(300) },
      );
    },
    propertyTimeout(30_000),
  );
});
