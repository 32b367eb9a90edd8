// GET /api/metrics and /api/metrics/:name/series: the metrics list and one metric's chart series
// from the history, filtered by labels, over a range of the last 5 minutes, hour or 6 hours.
import type { Hono } from 'hono';
import type { MetricHistory } from '../history.js';
import { apiError, BadRequest } from './errors.js';

export const RANGES: Readonly<Record<string, number>> = { '5m': 300_000, '1h': 3_600_000, '6h': 21_600_000 };

/** Series returned at most per request; a chart with more lines than this is unreadable anyway. */
const MAX_SERIES = 50;

/** `label.<name>=<value>` query parameters (each name once). */
export function labelFilter(query: Record<string, string[]>): Record<string, string> {
  const filter: Record<string, string> = {};
  for (const [key, values] of Object.entries(query)) {
    if (!key.startsWith('label.')) continue;
    const name = key.slice('label.'.length);
    if (name === '') throw new BadRequest(key, 'a label filter needs a label name: label.<name>=<value>');
    if (values.length !== 1) throw new BadRequest(key, 'give each label once');
    filter[name] = values[0] as string;
  }
  return filter;
}

export function metricRoutes(app: Hono, history: MetricHistory | undefined, now: () => number): void {
  app.get('/api/metrics', (c) => c.json({ metrics: history?.metrics() ?? [] }));

  app.get('/api/metrics/:name/series', (c) => {
    const name = c.req.param('name');
    const range = c.req.query('range') ?? '1h';
    const span = RANGES[range];
    if (span === undefined) {
      return apiError(
        c,
        400,
        'bad_request',
        `range: ${JSON.stringify(range)} is not one of ${Object.keys(RANGES).join(', ')}`,
      );
    }
    const listing = history?.describe(name);
    if (history === undefined || listing === undefined) {
      return apiError(
        c,
        404,
        'not_found',
        `no metric named ${JSON.stringify(name)} has data (see /api/metrics)`,
      );
    }
    const filter = labelFilter(c.req.queries());
    const to = now();
    const from = to - span;
    const { series, truncated } = history.series(name, { from, to, filter, limit: MAX_SERIES });
    return c.json({ name, kind: listing.kind, unit: listing.unit, range, from, to, truncated, series });
  });
}
