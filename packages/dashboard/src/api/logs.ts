// GET /api/logs (search with every LogFilter field, paged by cursor) and /api/logs/patterns.
// Query parameters are read strictly: an unknown level, time or limit is a 400 naming it.
// Anyone who reaches the dashboard can ask for a search, so the work is bounded: a search runs in
// slices that hold the event loop 10 ms at most, for 1 s in all; at most four run at once (more
// get 429 with Retry-After); an answer weighs 4 MiB at most (then it ends with a cursor).
import {
  InvalidSearchPatternError,
  type LogAggregator,
  LogFilter,
  type LogFilterOptions,
} from '@datalineage/core';
import type { Context, Hono } from 'hono';
import { apiError, BadRequest } from './errors.js';

/** What the API needs of the log aggregator. */
export type LogSource = Pick<LogAggregator, 'searchLogs' | 'searchLogsAsync' | 'patternsAsync'>;

/** Searches (and pattern minings) running at once at most; more are refused with 429. */
export const MAX_CONCURRENT_SEARCHES = 4;
/** The longest one slice of a search holds the event loop, in milliseconds. */
export const SEARCH_SLICE_MS = 10;
/** The most one request may search in all, in milliseconds; then it answers with what it found. */
export const SEARCH_BUDGET_MS = 1000;
/** The most one answer of /api/logs may weigh (about its JSON size); then it ends with a cursor. */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;
/** Entries mined for /api/logs/patterns at most. */
const PATTERN_ENTRIES = 10_000;

/** The concurrency gate of the search routes, and what it refused. */
export interface SearchGate {
  /** Searches running now. */
  readonly running: () => number;
  /** Searches refused because MAX_CONCURRENT_SEARCHES were running. */
  readonly refused: () => number;
}

const KNOWN = new Set([
  'min_level',
  'max_level',
  'source',
  'logger',
  'since',
  'until',
  'contains',
  'regex',
  'has',
  'trace_id',
  'limit',
  'cursor',
]);

function time(value: string | undefined, parameter: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms))
    throw new BadRequest(parameter, `${JSON.stringify(value)} is not an ISO time or epoch milliseconds`);
  return ms;
}

/** The filter and paging of a search request. */
export function searchRequest(query: Record<string, string[]>): {
  filter: LogFilterOptions;
  limit: number;
  cursor: string | undefined;
} {
  const one = (name: string): string | undefined => {
    const values = query[name];
    if (values === undefined || values.length === 0) return undefined;
    if (values.length > 1) throw new BadRequest(name, 'give it once');
    return values[0] === '' ? undefined : values[0];
  };
  const attributes: Record<string, string> = {};
  for (const [key, values] of Object.entries(query)) {
    if (key.startsWith('attr.')) {
      const path = key.slice(5);
      if (path === '' || values.length !== 1)
        throw new BadRequest(key, 'use attr.<path>=<value>, each path once');
      attributes[path] = values[0] as string;
    } else if (!KNOWN.has(key)) {
      throw new BadRequest(key, `unknown parameter; use ${[...KNOWN].join(', ')} or attr.<path>`);
    }
  }
  const since = time(one('since'), 'since');
  const until = time(one('until'), 'until');
  const sources = (query.source ?? []).filter((s) => s !== '');
  const loggers = (query.logger ?? []).filter((s) => s !== '');
  const has = (query.has ?? []).filter((s) => s !== '');
  const filter: LogFilterOptions = {
    ...(one('min_level') === undefined ? {} : { minLevel: one('min_level') }),
    ...(one('max_level') === undefined ? {} : { maxLevel: one('max_level') }),
    ...(sources.length === 0 ? {} : { sources }),
    ...(loggers.length === 0 ? {} : { loggerNames: loggers }),
    ...(since === undefined && until === undefined ? {} : { timeRange: [since, until] as const }),
    ...(one('contains') === undefined ? {} : { messageContains: one('contains') }),
    ...(one('regex') === undefined ? {} : { regex: one('regex') }),
    ...(Object.keys(attributes).length === 0 ? {} : { attributes }),
    ...(has.length === 0 ? {} : { hasAttributes: has }),
    ...(one('trace_id') === undefined ? {} : { traceId: one('trace_id') }),
  };
  const limitText = one('limit') ?? '100';
  const limit = Number(limitText);
  if (!/^\d+$/.test(limitText) || limit < 1 || limit > 500)
    throw new BadRequest('limit', 'expected an integer from 1 to 500');
  return { filter, limit, cursor: one('cursor') };
}

export function logRoutes(app: Hono, logs: LogSource | undefined): SearchGate {
  let running = 0;
  let refused = 0;
  /** Runs `search` if a slot is free; otherwise answers 429. */
  const gated = async (c: Context, search: () => Promise<Response>): Promise<Response> => {
    if (running >= MAX_CONCURRENT_SEARCHES) {
      refused++;
      c.header('Retry-After', '1');
      return apiError(
        c,
        429,
        'too_many_requests',
        `${MAX_CONCURRENT_SEARCHES} log searches are running; try again in a second`,
      );
    }
    running++;
    try {
      return await search();
    } finally {
      running--;
    }
  };

  app.get('/api/logs', async (c) => {
    const { filter, limit, cursor } = searchRequest(c.req.queries());
    if (logs === undefined) return c.json({ entries: [], truncated: false });
    let compiled: LogFilter;
    try {
      compiled = new LogFilter(filter);
    } catch (error) {
      if (error instanceof TypeError || error instanceof InvalidSearchPatternError) {
        return apiError(c, 400, 'bad_request', error.message);
      }
      throw error;
    }
    return gated(c, async () => {
      let result: Awaited<ReturnType<LogSource['searchLogsAsync']>>;
      try {
        result = await logs.searchLogsAsync(compiled, {
          limit,
          sliceMs: SEARCH_SLICE_MS,
          timeBudgetMs: SEARCH_BUDGET_MS,
          maxBytes: MAX_ANSWER_BYTES,
          ...(cursor === undefined ? {} : { cursor }),
        });
      } catch (error) {
        // An invalid cursor is the caller's mistake.
        if (error instanceof TypeError) return apiError(c, 400, 'bad_request', `cursor: ${error.message}`);
        throw error;
      }
      return c.json({
        entries: result.entries,
        ...(result.nextCursor === undefined ? {} : { nextCursor: result.nextCursor }),
        truncated: result.truncated !== undefined,
      });
    });
  });

  app.get('/api/logs/patterns', (c) => {
    const text = c.req.query('limit') ?? '20';
    const limit = Number(text);
    if (!/^\d+$/.test(text) || limit < 1 || limit > 200) {
      return apiError(c, 400, 'bad_request', 'limit: expected an integer from 1 to 200');
    }
    if (logs === undefined) return c.json({ patterns: [] });
    return gated(c, async () => {
      const mined = await logs.patternsAsync({
        limit,
        maxEntries: PATTERN_ENTRIES,
        sliceMs: SEARCH_SLICE_MS,
        timeBudgetMs: SEARCH_BUDGET_MS,
      });
      const patterns = mined.map(({ template, count, example }) => ({ template, count, example }));
      return c.json({ patterns });
    });
  });
  return { running: () => running, refused: () => refused };
}
