// @ts-check
// The alerts view: alert instances grouped by state (firing, pending, then the rest) with
// Acknowledge and Silence actions, the silence form, the silences with Expire, the rules and the
// recent transitions. Refetches api/alerts on `alerts` events and on every tick.

import { api, errorText } from '../api.js';
import { chips, field, h, messageBox, replace, table } from '../dom.js';
import { fmtAgo, fmtCondition, fmtDuration, fmtNum, fmtTime, isoTime, toMs } from '../format.js';

/** @typedef {import('../main.js').Context} Context */

const USER_KEY = 'datalineage.dashboard.user';

/** A relative time, the absolute one as its tooltip (kept current by refreshTimes). @param {unknown} t */
const ago = (t) => h('time', { datetime: isoTime(t), title: fmtTime(t) }, fmtAgo(t));
/** @param {string} state */
const badge = (state) => h(`span.badge.badge--${state}`, state);
/** @param {string} severity */
const sev = (severity) => h(`span.sev.sev--${severity}`, severity ?? '—');
/** @param {string} text */
const empty = (text) => h('p.panel.muted', text);

/**
 * `label=value` lines → matchers, or the problem with them.
 * @param {string} text @returns {Record<string, string> | string}
 */
function parseMatchers(text) {
  /** @type {Record<string, string>} */
  const matchers = {};
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    const eq = line.indexOf('=');
    if (line && eq <= 0) return `Matcher line ${i + 1} is not label=value.`;
    if (line) matchers[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return Object.keys(matchers).length ? matchers : 'Give at least one matcher.';
}

/** @param {Context} _ctx */
export function create(_ctx) {
  const message = messageBox('alerts-error');
  const summary = h('p.subtitle', { 'data-testid': 'alerts-summary' });
  const alertsBox = h('div', { 'data-testid': 'alerts' }, h('p.muted', 'Loading…'));
  const silencesBox = h('div', { 'data-testid': 'silences' });
  const rulesBox = h('div', { 'data-testid': 'rules' });
  const historyBox = h('div', { 'data-testid': 'history' });

  /** @param {string} id @param {Record<string, string | number | boolean>} attrs */
  const input = (id, attrs) => h('input', { id, name: id, required: true, 'data-testid': id, ...attrs });
  const matchers = h('textarea', {
    id: 'silence-matchers',
    rows: 3,
    required: true,
    spellcheck: 'false',
    placeholder: 'alertname=high_error_rate\ninstance=/web-.+/',
    'data-testid': 'silence-matchers',
  });
  const duration = input('silence-duration', { type: 'number', min: 1, step: 1, value: 60 });
  const createdBy = input('silence-created-by', { autocomplete: 'name' });
  const comment = input('silence-comment', {});
  try {
    createdBy.value = localStorage.getItem(USER_KEY) ?? '';
  } catch {
    // storage disabled: type it each time
  }
  const formMessage = messageBox('silence-error');
  const form = h(
    'form.panel.form-grid.silence-form',
    { 'aria-labelledby': 'silence-title', 'data-testid': 'silence-form' },
    h('h3.span-all', { id: 'silence-title' }, 'New silence'),
    h(
      'div.span-all',
      field(
        'Matchers (one label=value per line)',
        matchers,
        'A value written /like this/ is a regular expression.',
      ),
    ),
    field('Duration (minutes)', duration),
    field('Your name', createdBy),
    h('div.span-all', field('Comment', comment)),
    h(
      'div.actions.span-all',
      h('button.btn.btn--primary', { type: 'submit', 'data-testid': 'silence-submit' }, 'Create silence'),
    ),
    h('div.span-all', formMessage.el),
  );

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const parsed = parseMatchers(matchers.value);
    if (typeof parsed === 'string') {
      formMessage.show(parsed);
      matchers.focus();
      return;
    }
    try {
      localStorage.setItem(USER_KEY, createdBy.value.trim());
    } catch {
      // not remembered
    }
    try {
      const body = {
        matchers: parsed,
        durationMinutes: Number(duration.value),
        createdBy: createdBy.value.trim(),
        comment: comment.value.trim(),
      };
      await api('api/silences', { method: 'POST', body });
      formMessage.show('Silence created.', 'ok');
      matchers.value = '';
      comment.value = '';
      load();
    } catch (error) {
      formMessage.show(`Could not create the silence: ${errorText(error)}`);
    }
  });

  /** Prefill the form with an alert's labels and go there. @param {Record<string, string>} labels */
  function silenceFor(labels) {
    matchers.value = Object.entries(labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join('\n');
    formMessage.clear();
    form.scrollIntoView({ behavior: 'smooth', block: 'start' });
    matchers.focus({ preventScroll: true });
  }

  /** @param {string} path @param {string} done */
  async function post(path, done) {
    try {
      await api(path, { method: 'POST' });
      message.show(done, 'ok');
    } catch (error) {
      message.show(errorText(error));
    }
    load();
  }

  /** @param {string} testid @param {string} key @param {string} text @param {() => void} click */
  const button = (testid, key, text, click) =>
    h(
      'button.btn.btn--small',
      { type: 'button', 'data-testid': testid, 'data-key': key, on: { click } },
      text,
    );

  /** @param {any} a */
  function alertRow(a) {
    const [symbol, words] = fmtCondition(a.condition);
    return h(
      'tr',
      { 'data-testid': 'alert-row', 'data-state': a.state, 'data-id': a.id },
      h('td', badge(a.state)),
      h('th', { scope: 'row' }, a.rule),
      h('td', sev(a.severity)),
      h('td.wrap', chips(a.labels)),
      h('td.num', fmtNum(a.value)),
      h('td.center', { title: words }, symbol),
      h('td.num', fmtNum(a.threshold)),
      h('td', ago(a.since)),
      h('td', a.acknowledged ? 'yes' : 'no'),
      h(
        'td',
        h(
          'div.row-actions',
          a.state === 'firing' &&
            !a.acknowledged &&
            button('ack-button', `ack:${a.id}`, 'Acknowledge', () =>
              post(`api/alerts/${encodeURIComponent(a.id)}/acknowledge`, `Acknowledged ${a.rule}.`),
            ),
          button('silence-button', `silence:${a.id}`, 'Silence…', () => silenceFor(a.labels)),
        ),
      ),
    );
  }

  /** @param {any[]} alerts */
  function renderAlerts(alerts) {
    if (alerts.length === 0) return h('p.panel.muted', { 'data-testid': 'alerts-empty' }, 'No alerts.');
    const groups = [
      ['firing', 'Firing'],
      ['pending', 'Pending'],
      ['', 'Other states'],
    ].map(([state, title]) => {
      const rows = alerts
        .filter((a) => (state ? a.state === state : a.state !== 'firing' && a.state !== 'pending'))
        .sort((a, b) => (toMs(b.since) ?? 0) - (toMs(a.since) ?? 0));
      return (
        rows.length > 0 &&
        h(
          'tbody',
          { 'data-group': state || 'other' },
          h('tr.group-row', h('th', { scope: 'rowgroup', colspan: 10 }, `${title} (${rows.length})`)),
          rows.map(alertRow),
        )
      );
    });
    const columns = [
      'State',
      'Rule',
      'Severity',
      'Labels',
      'Value',
      'Condition',
      'Threshold',
      'Since',
      'Acked',
      'Actions',
    ];
    return table('alert-table', 'Alert instances', columns, groups);
  }

  /** @param {any[]} silences */
  function renderSilences(silences) {
    if (silences.length === 0) return h('p.muted', 'No silences.');
    const rows = silences.map((s) => {
      const active = (toMs(s.endsAt) ?? Number.POSITIVE_INFINITY) > Date.now();
      return h(
        'tr',
        { 'data-testid': 'silence-row', 'data-active': String(active) },
        h('td.wrap', chips(s.matchers)),
        h('td', String(s.createdBy ?? '—')),
        h('td.wrap', String(s.comment ?? '')),
        h('td', ago(s.startsAt)),
        h('td', active ? ago(s.endsAt) : h('span.muted', `expired ${fmtAgo(s.endsAt)}`)),
        h(
          'td',
          active &&
            button('expire-button', `expire:${s.id}`, 'Expire', () =>
              post(`api/silences/${encodeURIComponent(s.id)}/expire`, 'Silence expired.'),
            ),
        ),
      );
    });
    return table(
      'silence-table',
      'Silences',
      ['Matchers', 'Created by', 'Comment', 'Starts', 'Ends', 'Actions'],
      h('tbody', rows),
    );
  }

  /** @param {any[]} rules */
  function renderRules(rules) {
    if (rules.length === 0) return empty('No rules.');
    const rows = rules.map((r) => {
      const [symbol, words] = fmtCondition(r.condition);
      const secs = (/** @type {unknown} */ s) => (typeof s === 'number' ? fmtDuration(s) : '—');
      return h(
        'tr',
        h('th', { scope: 'row' }, r.name),
        h('td', r.metricName ?? '—'),
        h('td', { title: words }, r.condition === 'absent' ? symbol : `${symbol} ${fmtNum(r.threshold)}`),
        h('td', sev(r.severity)),
        h('td', secs(r.evaluationPeriod)),
        h('td', secs(r.minDuration)),
        h('td.num', fmtNum(Array.isArray(r.instances) ? r.instances.length : r.instances)),
        h('td.wrap', r.description ?? ''),
      );
    });
    const columns = [
      'Rule',
      'Metric',
      'Condition',
      'Severity',
      'Evaluation period',
      'For',
      'Instances',
      'Description',
    ];
    return table('rule-table', 'Rules', columns, h('tbody', rows));
  }

  /** @param {any[]} history newest last */
  function renderHistory(history) {
    if (history.length === 0) return empty('No transitions yet.');
    const rows = history
      .slice(-100)
      .reverse()
      .map((t) =>
        h(
          'tr',
          h('td', ago(t.at)),
          h('th', { scope: 'row' }, t.rule),
          h('td.wrap', chips(t.labels)),
          h('td', badge(t.from), ' → ', badge(t.to)),
          h('td.num', fmtNum(t.value)),
        ),
      );
    return table(
      'history-table',
      'Recent transitions, newest first',
      ['When', 'Rule', 'Labels', 'Transition', 'Value'],
      h('tbody', rows),
    );
  }

  let signature = '';
  let loading = false;
  async function load() {
    if (loading) return;
    loading = true;
    try {
      const data = await api('api/alerts');
      const next = JSON.stringify(data);
      if (next === signature) {
        // Same data: only the relative times move; a rebuild would lose the keyboard position.
        for (const t of el.querySelectorAll('time[datetime]'))
          t.textContent = fmtAgo(t.getAttribute('datetime'));
      } else {
        signature = next;
        const alerts = data.alerts ?? [];
        const n = (/** @type {string} */ state) =>
          alerts.filter((/** @type {any} */ a) => a.state === state).length;
        replace(
          summary,
          `${n('firing')} firing · ${n('pending')} pending · ${fmtNum(data.evaluations)} evaluations`,
          data.lastEvaluationAt && [' · last evaluated ', ago(data.lastEvaluationAt)],
        );
        replace(alertsBox, renderAlerts(alerts));
        replace(silencesBox, renderSilences(data.silences ?? []));
        replace(rulesBox, renderRules(data.rules ?? []));
        replace(historyBox, renderHistory(data.history ?? []));
      }
      if (message.el.classList.contains('msg--error')) message.clear();
    } catch (error) {
      message.show(`Could not load the alerts: ${errorText(error)}`);
    } finally {
      loading = false;
    }
  }

  const el = h(
    'section.view',
    { 'aria-labelledby': 'view-title', 'data-testid': 'view-alerts' },
    h('h2', { id: 'view-title', tabindex: -1 }, 'Alerts'),
    summary,
    message.el,
    alertsBox,
    h('div.two-col', form, h('section.panel', h('h3', 'Silences'), silencesBox)),
    h('section', h('h3.section-title', 'Rules'), rulesBox),
    h('section', h('h3.section-title', 'Recent transitions'), historyBox),
  );

  load();
  return {
    el,
    /** @param {string} type */
    event(type) {
      if (type === 'alerts' || type === 'tick') load();
    },
    destroy() {},
  };
}
