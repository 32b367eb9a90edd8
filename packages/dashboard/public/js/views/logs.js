// @ts-check
// The logs view: a search form with a control for every filter of GET api/logs, the results
// (level colours, expandable rows with extraData/error as JSON text, "Older" paging by cursor),
// the message patterns, and a live tail fed by `logs` events (or by polling), newest at the top.

import { api, errorText, query } from '../api.js';
import { field, h, messageBox, replace, table } from '../dom.js';
import { fmtNum, fmtTime, isoTime } from '../format.js';

/** @typedef {import('../main.js').Context} Context */
/** @typedef {{ id: number, timestamp: number, level: number, levelName: string, message: string, loggerName: string, source: string, extraData?: Record<string, unknown>, error?: any, traceId?: string, spanId?: string }} LogEntry */

/** @type {Record<string, number>} */
const LEVELS = { DEBUG: 5, INFO: 9, WARNING: 13, ERROR: 17, CRITICAL: 21 };
const MAX_TAIL_ROWS = 500;

/** Comma- or newline-separated values. @param {string} text */
const listOf = (text) =>
  text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);

/** Fields that take a whole row on narrow screens. @param {HTMLElement} el */
const wide = (el) => {
  el.classList.add('wide');
  return el;
};

/** @param {Context} ctx */
export function create(ctx) {
  /** @param {string} id @param {Record<string, string | number>} [attrs] */
  const input = (id, attrs) =>
    h('input', { id, name: id, autocomplete: 'off', spellcheck: 'false', 'data-testid': id, ...attrs });
  /** @param {string} id */
  const levelSelect = (id) =>
    h(
      'select',
      { id, name: id, 'data-testid': id },
      h('option', { value: '' }, 'Any'),
      Object.keys(LEVELS).map((l) => h('option', { value: l }, l)),
    );
  const c = {
    contains: input('log-contains', { type: 'search', placeholder: 'text in the message' }),
    minLevel: levelSelect('log-min-level'),
    maxLevel: levelSelect('log-max-level'),
    source: input('log-source', { placeholder: 'application, security' }),
    logger: input('log-logger', { placeholder: 'api, worker' }),
    since: input('log-since', { type: 'datetime-local', step: 1 }),
    until: input('log-until', { type: 'datetime-local', step: 1 }),
    regex: input('log-regex', { placeholder: 'timeout|refused' }),
    has: input('log-has', { placeholder: 'request.id' }),
    attr: h('textarea', {
      id: 'log-attr',
      name: 'log-attr',
      rows: 2,
      spellcheck: 'false',
      placeholder: 'user.id=42',
      'data-testid': 'log-attr',
    }),
    traceId: input('log-trace-id', { placeholder: '32 hex digits' }),
    limit: input('log-limit', { type: 'number', min: 1, max: 500, step: 1, value: 100 }),
  };
  const tail = h('input', { id: 'live-tail', type: 'checkbox', 'data-testid': 'live-tail' });
  const formMessage = messageBox('log-error');
  const form = h(
    'form.panel.form-grid.log-form',
    { 'aria-label': 'Search logs', 'data-testid': 'log-form' },
    wide(field('Contains', c.contains)),
    field('Minimum level', c.minLevel),
    field('Maximum level', c.maxLevel),
    field('Sources', c.source, 'Comma-separated'),
    field('Loggers', c.logger, 'Comma-separated, exact names'),
    wide(field('Since', c.since)),
    wide(field('Until', c.until)),
    field('Regular expression', c.regex, 'RE2 syntax'),
    field('Has attributes', c.has, 'Comma-separated paths'),
    wide(field('Attributes', c.attr, 'One path=value per line')),
    field('Trace id', c.traceId),
    field('Limit', c.limit, '1–500'),
    h(
      'div.actions.span-all',
      h('button.btn.btn--primary', { type: 'submit', 'data-testid': 'log-submit' }, 'Search'),
      h('button.btn', { type: 'reset', 'data-testid': 'log-reset' }, 'Reset'),
      h('span.field--check.tail-toggle', tail, h('label', { for: 'live-tail' }, 'Live tail')),
    ),
    h('div.span-all', formMessage.el),
  );

  const summary = h('p.muted.small', { 'aria-live': 'polite', 'data-testid': 'log-summary' });
  const truncatedNote = h('p.notice', { 'data-testid': 'log-truncated', hidden: true });
  const tbody = h('tbody');
  const older = h('button.btn', { type: 'button', 'data-testid': 'log-older', hidden: true }, 'Older');
  const patternsBody = h('div', h('p.muted', 'Loading…'));
  const patternsMessage = messageBox('patterns-error');

  /** @type {LogEntry[]} */
  let entries = [];
  /** @type {string | undefined} */
  let cursor;
  let maxId = -1;
  let seq = 0;
  let filterQuery = new URLSearchParams();

  /** The query from the form, or what is wrong with it. @returns {URLSearchParams | string} */
  function readForm() {
    const iso = (/** @type {string} */ v) => (v ? new Date(v).toISOString() : undefined); // datetime-local is local time
    const pairs = [
      ['min_level', c.minLevel.value],
      ['max_level', c.maxLevel.value],
      ...listOf(c.source.value).map((s) => ['source', s]),
      ...listOf(c.logger.value).map((s) => ['logger', s]),
      ['since', iso(c.since.value)],
      ['until', iso(c.until.value)],
      ['contains', c.contains.value.trim()],
      ['regex', c.regex.value],
      ...listOf(c.has.value).map((s) => ['has', s]),
      ['trace_id', c.traceId.value.trim()],
      ['limit', c.limit.value],
    ];
    for (const [i, raw] of c.attr.value.split('\n').entries()) {
      const line = raw.trim();
      const eq = line.indexOf('=');
      if (line && eq <= 0) return `Attributes line ${i + 1} is not path=value.`;
      if (line) pairs.push([`attr.${line.slice(0, eq).trim()}`, line.slice(eq + 1).trim()]);
    }
    return query(pairs);
  }

  /** A result row and its (hidden) detail row. @param {LogEntry} e */
  function rows(e) {
    const level = String(e.levelName ?? 'INFO').toLowerCase();
    const data = {
      id: e.id,
      extraData: e.extraData ?? {},
      error: e.error,
      traceId: e.traceId,
      spanId: e.spanId,
    };
    const detail = h(
      'tr.log-detail',
      { id: `log-detail-${e.id}`, hidden: true, 'data-testid': 'log-detail' },
      h(
        'td',
        { colspan: 6 },
        h('pre', { 'data-testid': 'log-json' }, JSON.stringify(data, null, 2)),
        typeof e.error?.stack === 'string' && h('pre.stack', { 'data-testid': 'log-stack' }, e.error.stack),
      ),
    );
    const toggle = h(
      'button.expander',
      {
        type: 'button',
        'aria-expanded': 'false',
        'aria-controls': detail.id,
        'aria-label': `Details of entry ${e.id}`,
        'data-testid': 'log-expand',
        'data-key': `log:${e.id}`,
      },
      '▸',
    );
    toggle.addEventListener('click', () => {
      detail.hidden = !detail.hidden;
      toggle.setAttribute('aria-expanded', String(!detail.hidden));
      toggle.textContent = detail.hidden ? '▸' : '▾';
    });
    return [
      h(
        `tr.log-row.level--${level}`,
        { 'data-testid': 'log-row', 'data-level': e.levelName },
        h('td.expand-cell', toggle),
        h('td.nowrap', h('time', { datetime: isoTime(e.timestamp) }, fmtTime(e.timestamp, true))),
        h('td', h(`span.level.level--${level}`, e.levelName)),
        h('td', String(e.loggerName ?? '')),
        h('td', String(e.source ?? '')),
        h(
          'td.message',
          { 'data-testid': 'log-message' },
          String(e.message ?? ''),
          e.error && h('span.err-type', ` ${String(e.error.type ?? 'error')}`),
        ),
      ),
      detail,
    ];
  }

  function renderSummary() {
    const n = `${fmtNum(entries.length)} ${entries.length === 1 ? 'entry' : 'entries'}`;
    summary.textContent = tail.checked
      ? `Live tail: ${n}, newest first (at most ${MAX_TAIL_ROWS}).`
      : entries.length
        ? `${n}, newest first.`
        : 'No entries match.';
  }

  /** @param {boolean} more the next page after the rows shown */
  async function search(more) {
    const mine = ++seq;
    const q = new URLSearchParams(filterQuery);
    if (more && cursor) q.set('cursor', cursor);
    older.disabled = true;
    try {
      const data = await api('api/logs', { query: q });
      if (mine !== seq) return;
      formMessage.clear();
      /** @type {LogEntry[]} */
      const page = data.entries ?? [];
      if (!more) {
        entries = [];
        tbody.replaceChildren();
      }
      entries.push(...page);
      tbody.append(...page.flatMap(rows));
      for (const e of page) maxId = Math.max(maxId, e.id);
      cursor = data.nextCursor ?? undefined;
      older.hidden = !cursor || tail.checked;
      const reason = data.truncated?.reason;
      truncatedNote.hidden = !data.truncated;
      truncatedNote.textContent = `The search stopped early${reason ? ` (${reason})` : ''}: the results may be incomplete. Narrow the filter, or page on with Older.`;
      renderSummary();
    } catch (error) {
      if (mine === seq) formMessage.show(`Search failed: ${errorText(error)}`);
    } finally {
      older.disabled = false;
    }
  }

  /** Whether a live entry passes the filters the page can check itself. @param {LogEntry} e */
  function matches(e) {
    const sources = listOf(c.source.value);
    const loggers = listOf(c.logger.value);
    const text = c.contains.value.trim().toLowerCase();
    const trace = c.traceId.value.trim().toLowerCase();
    return (
      e.level >= (LEVELS[c.minLevel.value] ?? 0) &&
      e.level <= (LEVELS[c.maxLevel.value] ?? 255) &&
      (!sources.length || sources.includes(e.source)) &&
      (!loggers.length || loggers.includes(e.loggerName)) &&
      (!text || String(e.message).toLowerCase().includes(text)) &&
      (!trace || e.traceId?.toLowerCase() === trace)
    );
  }

  /** New entries (newest last) go on top; at most MAX_TAIL_ROWS stay. @param {LogEntry[]} fresh */
  function prepend(fresh) {
    const added = fresh.filter((e) => e.id > maxId).reverse();
    if (added.length === 0) return;
    maxId = Math.max(maxId, ...added.map((e) => e.id));
    tbody.prepend(...added.flatMap(rows));
    entries = [...added, ...entries];
    for (; entries.length > MAX_TAIL_ROWS; entries.pop()) {
      tbody.lastElementChild?.remove(); // the detail row
      tbody.lastElementChild?.remove(); // the entry's row
    }
    renderSummary();
  }

  async function pollTail() {
    const q = new URLSearchParams(filterQuery);
    q.set('limit', '200');
    try {
      const data = await api('api/logs', { query: q });
      if (tail.checked) prepend([...(data.entries ?? [])].reverse());
    } catch (error) {
      formMessage.show(`Live tail failed: ${errorText(error)}`);
    }
  }

  async function loadPatterns() {
    try {
      const { patterns = [] } = await api('api/logs/patterns');
      patternsMessage.clear();
      const tr = (/** @type {any} */ p) =>
        h(
          'tr',
          { 'data-testid': 'pattern-row' },
          h('td.num', fmtNum(p.count)),
          h('td.mono.wrap', String(p.template ?? '')),
          h('td.message', String(p.example ?? '')),
        );
      replace(
        patternsBody,
        patterns.length
          ? table(
              'pattern-table',
              'Message patterns, most frequent first',
              ['Count', 'Pattern', 'Example'],
              h('tbody', patterns.map(tr)),
            )
          : h('p.muted', 'No patterns yet.'),
      );
    } catch (error) {
      patternsMessage.show(`Could not load the patterns: ${errorText(error)}`);
    }
  }

  const submit = () => {
    const q = readForm();
    if (typeof q === 'string') return formMessage.show(q);
    filterQuery = q;
    search(false);
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit();
  });
  form.addEventListener('reset', () => {
    formMessage.clear();
    setTimeout(submit); // once the browser has put the defaults back
  });
  older.addEventListener('click', () => search(true));
  tail.addEventListener('change', () => {
    older.hidden = tail.checked || !cursor;
    renderSummary();
    if (tail.checked && ctx.liveMode === 'polling') pollTail();
  });

  const el = h(
    'section.view',
    { 'aria-labelledby': 'view-title', 'data-testid': 'view-logs' },
    h('h2', { id: 'view-title', tabindex: -1 }, 'Logs'),
    form,
    h(
      'section.panel.log-results-wrap',
      { 'aria-label': 'Results' },
      summary,
      truncatedNote,
      table(
        'log-results',
        'Log entries, newest first',
        ['', 'Time', 'Level', 'Logger', 'Source', 'Message'],
        tbody,
      ),
      h('div.actions', older),
    ),
    h(
      'section.panel',
      { 'aria-labelledby': 'patterns-title', 'data-testid': 'patterns' },
      h(
        'div.panel-head',
        h('h3', { id: 'patterns-title' }, 'Patterns'),
        h(
          'button.btn.btn--small',
          { type: 'button', 'data-testid': 'patterns-refresh', on: { click: () => loadPatterns() } },
          'Refresh',
        ),
      ),
      patternsMessage.el,
      patternsBody,
    ),
  );

  submit();
  loadPatterns();

  return {
    el,
    /** @param {string} type @param {any} data */
    event(type, data) {
      if (!tail.checked) return;
      if (type === 'logs') prepend((data?.entries ?? []).filter(matches));
      else if (type === 'tick' && data?.polled) pollTail();
    },
    destroy() {
      seq++;
    },
  };
}
