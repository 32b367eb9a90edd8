// @ts-check
// The overview: a health card per component (healthy, degraded, stopped or disabled, with the
// reasons), uptime and counts, the monitoring overhead, and the exporters. Fed by `status`
// events; fetches api/status itself when none came for a while (or when polling).

import { api, errorText } from '../api.js';
import { h, messageBox, replace, table } from '../dom.js';
import { fmtAgo, fmtBytes, fmtDuration, fmtMs, fmtNum, toMs, total } from '../format.js';

/** @typedef {import('../main.js').Context} Context */
/** @typedef {{ health: 'healthy' | 'degraded' | 'stopped' | 'disabled' | 'none', reasons: string[] }} Verdict */

/**
 * @param {boolean | undefined} enabled @param {boolean | undefined} running
 * @param {Array<[unknown, string]>} problems counts that degrade the component when above 0
 * @returns {Verdict}
 */
function judge(enabled, running, problems) {
  if (enabled === false) return { health: 'disabled', reasons: [] };
  if (running === false) return { health: 'stopped', reasons: ['not running'] };
  const reasons = problems
    .filter(([n]) => typeof n === 'number' && n > 0)
    .map(([n, what]) => `${fmtNum(n)} ${what}`);
  return { health: reasons.length ? 'degraded' : 'healthy', reasons };
}

/** Failing now: backing off, or the last error is newer than the last success. @param {any} e */
function failing(e) {
  const error = toMs(e.lastErrorAt ?? e.lastFailure);
  const success = toMs(e.lastSuccess);
  if (e.retryAt) return true;
  if (error === undefined) return success === undefined && e.failed > 0 && !e.exported;
  return success === undefined || error > success;
}

/** Every exporter, OTLP included. @param {any} s @returns {Array<[string, any]>} */
function exportersOf(s) {
  const list = Object.entries(s.exporters ?? {});
  for (const [signal, stats] of Object.entries(s.otlp ?? {}))
    if (stats) list.push([`otlp ${signal}`, { kind: 'otlp', ...stats }]);
  return list;
}

/** @param {string} key @param {string} name @param {Verdict} verdict @param {Array<[string, string]>} figures */
function card(key, name, { health, reasons }, figures) {
  return h(
    `article.card.health--${health}`,
    { 'data-testid': `health-${key}`, 'data-health': health },
    h(
      'div.card-head',
      h('h3', name),
      h(`span.badge.badge--${health}`, health[0]?.toUpperCase() + health.slice(1)),
    ),
    h(
      'dl.figures',
      figures.map(([k, v]) => h('div', h('dt', k), h('dd', v))),
    ),
    reasons.length > 0 &&
      h(
        'ul.reasons',
        reasons.map((r) => h('li', r)),
      ),
  );
}

/** @param {string} key @param {string} label @param {string} value @param {string | false} [tone] */
const stat = (key, label, value, tone) =>
  h(
    `div.stat${tone ? `.stat--${tone}` : ''}`,
    { 'data-testid': `stat-${key}` },
    h('span.stat-label', label),
    h('span.stat-value', value),
  );

/** @param {any} s @param {Context} ctx */
function render(s, ctx) {
  const { metricsCollector: mc = {}, logAggregator: la = {}, alertManager: am = {}, dashboard: db = {} } = s;
  const exporters = exportersOf(s);
  const sum = (/** @type {string} */ key) => exporters.reduce((n, [, e]) => n + (e[key] ?? 0), 0);
  const issues = exporters
    .flatMap(([name, e]) => [
      total(e.dropped) > 0 && `${name}: ${fmtNum(total(e.dropped))} dropped`,
      failing(e) && `${name}: failing${e.lastError ? ` (${e.lastError})` : ''}`,
    ])
    .filter((r) => typeof r === 'string');
  const channelFailures = Object.values(am.channels ?? {}).reduce((n, c) => n + (c?.failed ?? 0), 0);
  const droppedLogs = total(la.dropped);
  const firing = am.alerts?.firing ?? 0;
  const pending = am.alerts?.pending ?? 0;
  /** @type {Verdict} */
  const exporterVerdict = exporters.length
    ? { health: issues.length ? 'degraded' : 'healthy', reasons: issues }
    : { health: 'none', reasons: [] };
  const polling = ctx.liveMode === 'polling';
  return [
    h(
      'p.subtitle',
      s.serviceName ? `Service ${s.serviceName}` : 'Monitoring',
      s.running === false ? ' · stopped' : s.startedAt ? ` · started ${fmtAgo(s.startedAt)}` : '',
    ),
    h('h3.section-title', 'Components'),
    h(
      'div.card-grid',
      { 'data-testid': 'health-cards' },
      card(
        'metrics',
        'Metrics collector',
        judge(undefined, mc.running, [
          [mc.collectionErrors, 'collection errors'],
          [mc.droppedMeasurements, 'dropped measurements'],
        ]),
        [
          ['Metrics', fmtNum(mc.metricCount)],
          ['Series', fmtNum(mc.seriesCount)],
          ['Collections', fmtNum(mc.collections)],
        ],
      ),
      card('logs', 'Log aggregator', judge(la.enabled, la.running, [[droppedLogs, 'dropped logs']]), [
        ['Entries', `${fmtNum(la.entries)}${la.capacity ? ` of ${fmtNum(la.capacity)}` : ''}`],
        ['Received', fmtNum(la.received)],
        ['Evicted', fmtNum(total(la.evicted))],
      ]),
      card(
        'alerts',
        'Alert manager',
        judge(am.enabled, am.running, [
          [am.evaluationErrors, 'evaluation errors'],
          [channelFailures, 'failed notifications'],
        ]),
        [
          ['Rules', fmtNum(am.rules)],
          ['Evaluations', fmtNum(am.evaluations)],
          ['Last evaluation', fmtAgo(am.lastEvaluationAt)],
        ],
      ),
      card('exporters', 'Exporters', exporterVerdict, [
        ['Configured', exporters.length ? fmtNum(exporters.length) : 'none'],
        ['Exported', fmtNum(sum('exported'))],
        ['Queued', fmtNum(sum('queued'))],
      ]),
      card(
        'dashboard',
        'Dashboard',
        polling
          ? { health: 'degraded', reasons: ['live events unavailable: polling'] }
          : judge(db.enabled, db.running, []),
        [
          ['Live updates', ctx.liveMode === 'sse' ? 'streaming' : ctx.liveMode],
          ['Refresh', `${fmtNum(ctx.session.autoRefresh)} s when polling`],
        ],
      ),
    ),
    h('h3.section-title', 'At a glance'),
    h(
      'div.stat-grid',
      { 'data-testid': 'counts' },
      stat('uptime', 'Uptime', fmtDuration(s.uptimeSeconds)),
      stat('series', 'Series', fmtNum(mc.seriesCount)),
      stat('metrics', 'Metrics', fmtNum(mc.metricCount)),
      stat('logs', 'Log entries', fmtNum(la.entries)),
      stat('firing', 'Firing alerts', fmtNum(firing), firing > 0 && 'err'),
      stat('pending', 'Pending alerts', fmtNum(pending), pending > 0 && 'warn'),
    ),
    h('h3.section-title', 'Monitoring overhead'),
    h(
      'div.stat-grid',
      { 'data-testid': 'overhead' },
      stat('processing-time', 'Last collection', fmtMs(mc.processingTime)),
      stat(
        'dropped-measurements',
        'Dropped measurements',
        fmtNum(mc.droppedMeasurements),
        mc.droppedMeasurements > 0 && 'warn',
      ),
      stat('dropped-logs', 'Dropped logs', fmtNum(droppedLogs), droppedLogs > 0 && 'warn'),
      stat('evaluation-time', 'Last evaluation', fmtMs(am.lastEvaluationMs)),
      stat(
        'memory',
        'Memory (series + logs)',
        fmtBytes((mc.memoryEstimateBytes ?? 0) + (la.memoryEstimateBytes ?? 0)),
      ),
    ),
    exporters.length > 0 && [
      h('h3.section-title', 'Exporters'),
      table(
        'exporter-table',
        'Exporters',
        ['Name', 'Kind', 'Exported', 'Failed', 'Queued', 'Dropped', 'Last success', 'Last error'],
        h(
          'tbody',
          exporters.map(([name, e]) =>
            h(
              'tr',
              h('th', { scope: 'row' }, name),
              h('td', String(e.kind ?? '—')),
              h('td.num', fmtNum(e.exported)),
              h('td.num', fmtNum(e.failed)),
              h('td.num', fmtNum(e.queued ?? 0)),
              h('td.num', fmtNum(total(e.dropped))),
              h('td', fmtAgo(e.lastSuccess)),
              h('td.wrap', e.lastError ? String(e.lastError) : '—'),
            ),
          ),
        ),
      ),
    ],
  ];
}

/** @param {Context} ctx */
export function create(ctx) {
  const body = h('div.overview-body', h('p.muted', 'Loading…'));
  const message = messageBox('overview-error');
  const el = h(
    'section.view',
    { 'aria-labelledby': 'view-title', 'data-testid': 'view-overview' },
    h('h2', { id: 'view-title', tabindex: -1 }, 'Overview'),
    message.el,
    body,
  );
  let lastAt = 0;
  let loading = false;

  /** @param {any} status */
  const show = (status) => {
    lastAt = Date.now();
    ctx.lastStatus = status;
    message.clear();
    replace(body, render(status, ctx));
  };

  const load = async () => {
    if (loading) return;
    loading = true;
    try {
      show(await api('api/status'));
    } catch (error) {
      message.show(`Could not load the status: ${errorText(error)}`);
    } finally {
      loading = false;
    }
  };

  if (ctx.lastStatus) show(ctx.lastStatus);
  else load();

  return {
    el,
    /** @param {string} type @param {any} data */
    event(type, data) {
      if (type === 'status') show(data);
      else if (type === 'tick' && Date.now() - lastAt > ctx.session.sampleInterval * 1500) load();
      else if (type === 'mode' && ctx.lastStatus) show(ctx.lastStatus);
    },
    destroy() {},
  };
}
