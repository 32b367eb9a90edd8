// Searching the store newest first: a scan over the columns a filter needs, with a cursor for
// paging that stays valid while old entries are evicted (it is a sequence number, not a position)
// and a time budget that cuts off a search that would take too long, saying so.
import { attributeAt, type LogFilter } from './filter.js';
import { levelName } from './levels.js';
import type { LogStore } from './store.js';
import type { LogEntry, LogError, LogLevel } from './types.js';

export interface SearchOptions {
  /** @default 100 */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /**
   * Milliseconds a search may run before it stops and returns what it found, with `truncated`.
   * @default 2000
   */
  timeBudgetMs?: number;
  /**
   * Stop adding entries once their size (UTF-16 units of their texts, 8 per other value, about
   * their JSON size) passes this; at least one matching entry is returned, and `nextCursor`
   * continues after the last. Bounds what one answer can weigh (the dashboard's API and live
   * events use it).
   * @default no bound
   */
  maxBytes?: number;
  /** Entries older than this (epoch ms) are past retention and never returned. @internal */
  notBefore?: number;
}

export interface SearchResult {
  /** Matching entries, newest first. */
  entries: LogEntry[];
  /** Pass as `cursor` for the next (older) page; absent when there is none. */
  nextCursor?: string;
  /** Entries examined. */
  scanned: number;
  /** Set when the time budget ran out before the search finished. */
  truncated?: { reason: string };
  tookMs: number;
}

/** Attribute keys the aggregator uses itself; not part of an entry's extraData. */
export const RESERVED_ATTRIBUTES: ReadonlySet<string> = new Set([
  'log.source',
  'logger.name',
  'trace_id',
  'exception.type',
  'exception.message',
  'exception.stacktrace',
]);

const CURSOR_PREFIX = 'c1.';

export function encodeCursor(seq: number): string {
  return `${CURSOR_PREFIX}${seq.toString(36)}`;
}

/** @throws TypeError for a string that is not a cursor this store handed out. */
export function decodeCursor(cursor: string): number {
  const seq = cursor.startsWith(CURSOR_PREFIX)
    ? Number.parseInt(cursor.slice(CURSOR_PREFIX.length), 36)
    : Number.NaN;
  if (!Number.isInteger(seq) || seq < 0 || encodeCursor(seq) !== cursor) {
    throw new TypeError(`searchLogs: ${JSON.stringify(cursor)} is not a cursor from a previous search`);
  }
  return seq;
}

function extraDataOf(
  attributes: Readonly<Record<string, unknown>> | undefined,
): Readonly<Record<string, unknown>> {
  if (attributes === undefined) return EMPTY;
  let reserved = false;
  for (const key in attributes) {
    if (RESERVED_ATTRIBUTES.has(key)) {
      reserved = true;
      break;
    }
  }
  if (!reserved) return attributes;
  const extra: Record<string, unknown> = {};
  for (const key in attributes) if (!RESERVED_ATTRIBUTES.has(key)) extra[key] = attributes[key];
  return extra;
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

/** Build the public entry for `seq` (the caller checked it is stored). */
export function entryAt(store: LogStore, seq: number): LogEntry {
  const { segment, at } = store.locate(seq);
  const level = segment.levels[at] as LogLevel;
  const entry: {
    -readonly [K in keyof LogEntry]: LogEntry[K];
  } = {
    id: seq,
    timestamp: segment.times[at] as number,
    level,
    levelName: levelName(level),
    message: segment.messages[at] ?? '',
    loggerName: store.loggers.names[segment.loggers[at] as number] ?? '',
    source: store.sources.names[segment.sources[at] as number] ?? '',
    extraData: extraDataOf(segment.attributes[at]),
  };
  const error: LogError | undefined = segment.errors[at];
  if (error !== undefined) entry.error = error;
  const traceId = segment.traces[at];
  if (traceId !== undefined) entry.traceId = traceId;
  const spanId = segment.spans[at];
  if (spanId !== undefined) entry.spanId = spanId;
  return entry;
}

/** Newest entry at or before `time` when the store is time-ordered (binary search), else `newest`. */
function startFor(store: LogStore, newest: number, to: number): number {
  if (to === Number.POSITIVE_INFINITY || !store.timeOrdered) return newest;
  let low = store.oldest;
  let high = newest;
  let found = low - 1;
  while (low <= high) {
    const mid = Math.floor((low + high) / 2);
    if (store.timestampOf(mid) <= to) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}

export function searchStore(store: LogStore, filter: LogFilter, options: SearchOptions = {}): SearchResult {
  const started = performance.now();
  const limit = options.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1)
    throw new TypeError(`searchLogs: limit must be a positive integer, got ${limit}`);
  const budget = options.timeBudgetMs ?? 2000;
  if (typeof budget !== 'number' || !(budget > 0))
    throw new TypeError(`searchLogs: timeBudgetMs must be a positive number, got ${budget}`);
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  if (typeof maxBytes !== 'number' || !(maxBytes > 0))
    throw new TypeError(`searchLogs: maxBytes must be a positive number, got ${maxBytes}`);
  let newest = store.newest;
  if (options.cursor !== undefined) {
    if (typeof options.cursor !== 'string')
      throw new TypeError(`searchLogs: cursor must be the nextCursor string of a previous search`);
    newest = Math.min(newest, decodeCursor(options.cursor) - 1);
  }
  newest = startFor(store, newest, filter.to);
  const oldest = store.oldest;
  const ordered = store.timeOrdered;

  const sources =
    filter.sources === undefined ? undefined : idSet(filter.sources, (n) => store.sources.find(n));
  const loggers =
    filter.loggerNames === undefined ? undefined : idSet(filter.loggerNames, (n) => store.loggers.find(n));
  const { minLevel, maxLevel, to, messageTests, attributes, hasAttributes, traceId } = filter;
  const from = Math.max(filter.from, options.notBefore ?? Number.NEGATIVE_INFINITY);

  const entries: LogEntry[] = [];
  let scanned = 0;
  let bytes = 0;
  /** Work since the clock was last read: one per entry, one more per 256 characters tested. */
  let work = 0;
  let seq = newest;
  let truncated: SearchResult['truncated'];
  // Nothing can match when a wanted source or logger name was never stored.
  const impossible =
    (sources !== undefined && sources.size === 0) || (loggers !== undefined && loggers.size === 0);
  for (; !impossible && seq >= oldest; seq--) {
    scanned++;
    // The clock is read by work done, not by entries: a pattern tested on long messages must not
    // overrun the budget by thousands of them.
    if (++work >= 1024) {
      work = 0;
      if (performance.now() - started > budget) {
        truncated = { reason: `time budget of ${budget} ms exhausted after ${scanned} entries` };
        break;
      }
    }
    const { segment, at } = store.locate(seq);
    const time = segment.times[at] as number;
    if (time > to) continue;
    if (time < from) {
      if (ordered) break; // everything older is older still
      continue;
    }
    const level = segment.levels[at] as number;
    if (level < minLevel || level > maxLevel) continue;
    if (sources !== undefined && !sources.has(segment.sources[at] as number)) continue;
    if (loggers !== undefined && !loggers.has(segment.loggers[at] as number)) continue;
    if (traceId !== undefined && segment.traces[at] !== traceId) continue;
    if (attributes.length > 0 || hasAttributes.length > 0) {
      const attrs = segment.attributes[at];
      if (attrs === undefined || !attributesMatch(attrs, attributes, hasAttributes)) continue;
    }
    if (messageTests.length > 0) {
      const message = segment.messages[at] ?? '';
      work += message.length >> 8;
      if (!messageMatches(message, messageTests)) continue;
    }
    const entry = entryAt(store, seq);
    if (maxBytes !== Number.POSITIVE_INFINITY) {
      bytes += entrySize(entry);
      if (bytes > maxBytes && entries.length > 0) break; // seq is the first entry not returned
    }
    entries.push(entry);
    if (entries.length === limit) {
      seq--;
      break;
    }
  }
  const result: SearchResult = { entries, scanned, tookMs: performance.now() - started };
  const more =
    !impossible && seq >= oldest && (entries.length === limit || truncated !== undefined || bytes > maxBytes);
  if (more) result.nextCursor = encodeCursor(seq + 1);
  if (truncated !== undefined) result.truncated = truncated;
  return result;
}

/** About the JSON size of an entry: its texts in UTF-16 units, 8 for any other value. */
export function entrySize(entry: LogEntry): number {
  let size = 64 + entry.message.length + entry.loggerName.length + entry.source.length;
  if (entry.error !== undefined) {
    size += entry.error.type.length + entry.error.message.length + (entry.error.stack?.length ?? 0);
  }
  return size + valueSize(entry.extraData, 0);
}

function valueSize(value: unknown, depth: number): number {
  if (typeof value === 'string') return value.length + 2;
  if (typeof value !== 'object' || value === null || depth > 16) return 8;
  let size = 2;
  if (Array.isArray(value)) {
    for (const item of value) size += valueSize(item, depth + 1) + 1;
  } else if (value instanceof Uint8Array) {
    size += value.byteLength * 4;
  } else {
    for (const key in value)
      size += key.length + 4 + valueSize((value as Record<string, unknown>)[key], depth + 1);
  }
  return size;
}

// Plain loops rather than every(): the scan runs a million times and must not allocate.
function attributesMatch(
  attrs: Readonly<Record<string, unknown>>,
  equal: LogFilter['attributes'],
  present: LogFilter['hasAttributes'],
): boolean {
  for (let i = 0; i < equal.length; i++) {
    const [path, value] = equal[i] as (typeof equal)[number];
    if (attributeAt(attrs, path) !== value) return false;
  }
  for (let i = 0; i < present.length; i++) {
    if (attributeAt(attrs, present[i] as string[]) === undefined) return false;
  }
  return true;
}

function messageMatches(message: string, tests: LogFilter['messageTests']): boolean {
  for (let i = 0; i < tests.length; i++)
    if (!(tests[i] as { test(text: string): boolean }).test(message)) return false;
  return true;
}

function idSet(names: ReadonlySet<string>, find: (name: string) => number | undefined): Set<number> {
  const ids = new Set<number>();
  for (const name of names) {
    const id = find(name);
    if (id !== undefined) ids.add(id);
  }
  return ids;
}
