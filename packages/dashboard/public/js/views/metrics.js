// @ts-check
// The metrics view: a filterable list of every metric (kind, unit, label names, series count)
// and, for the selected one (#/metrics/<name>), a time-series chart with a range selector, a
// label filter and, for counters, a rate/raw toggle. Histograms and summaries show quantiles.

import { api, errorText, query, statusOf } from '../api.js';
import { TimeChart } from '../charts.js';
import { h, messageBox, replace } from '../dom.js';
import { fmtLabels, fmtNum, unitLabel } from '../format.js';

/** @typedef {import('../main.js').Context} Context */
/** @typedef {import('../charts.js').Line} Line */
/** @typedef {{ name: string, kind: string, unit: string, description: string, labelNames?: string[], series: number }} MetricInfo */

/** A series' quantiles share its colour: the lowest solid, higher ones dashed ever finer. */
const DASHES = [undefined, [8, 4], [3, 3], [1, 3]];

/**
 * The lines to draw from a series answer, and their unit.
 * @param {any} data @param {boolean} rate
 * @returns {[Line[], string]}
 */
function linesOf(data, rate) {
  const unit = unitLabel(data.unit);
  const useRate = data.kind === 'counter' && rate;
  const series = data.series ?? [];
  /** @type {Line[]} */
  const lines = [];
  for (const [group, s] of series.entries()) {
    const labels = fmtLabels(s.labels) || data.name;
    if ((data.kind === 'histogram' || data.kind === 'summary') && s.quantiles) {
      const keys = Object.keys(s.quantiles).sort((a, b) => Number(a) - Number(b));
      for (const [rank, q] of keys.entries()) {
        const line = {
          label: `p${Math.round(Number(q) * 1000) / 10} ${labels}`,
          points: s.quantiles[q] ?? [],
        };
        // One series: a colour per quantile. Several: a colour per series, a dash per quantile.
        lines.push(series.length === 1 ? line : { ...line, group, dash: DASHES[rank % DASHES.length] });
      }
    } else {
      lines.push({ label: labels, points: (useRate ? s.rates : s.points) ?? [] });
    }
  }
  return [lines, useRate ? (unit ? `${unit}/s` : 'per second') : unit];
}

/** @param {Context} ctx @param {string} [initial] */
export function create(ctx, initial) {
  const ranges = ctx.session.ranges?.length ? ctx.session.ranges : ['5m', '1h', '6h'];
  /** @type {MetricInfo[]} */
  let metrics = [];
  let listSignature = '';
  /** @type {string | undefined} */
  let selected;
  let range = ranges.includes('1h') ? '1h' : ranges[0];
  let rate = true;
  /** @type {Record<string, string>} */
  let labelFilter = {};
  /** Label values seen, offered as suggestions. @type {Map<string, Set<string>>} */
  let seen = new Map();
  let seq = 0;
  /** @type {TimeChart | undefined} */
  let chart;
  /** @type {any} */
  let lastData;
  /** The selected metric answered 404: not refetched on every tick until the list has it. */
  let missing = false;

  const filter = h('input', {
    id: 'metric-filter',
    type: 'search',
    autocomplete: 'off',
    placeholder: 'Name, kind or label',
    'data-testid': 'metric-filter',
    on: { input: () => applyFilter() },
  });
  const count = h('p.muted.small', { 'aria-live': 'polite', 'data-testid': 'metric-count' });
  const list = h('ul.metric-list', { 'aria-label': 'Metrics', 'data-testid': 'metric-list' });
  const listMessage = messageBox('metric-list-error');
  const detail = h('div.panel.metric-detail', { 'data-testid': 'metric-detail' });
  const el = h(
    'section.view',
    { 'aria-labelledby': 'view-title', 'data-testid': 'view-metrics' },
    h('h2', { id: 'view-title', tabindex: -1 }, 'Metrics'),
    h(
      'div.split',
      h(
        'div.panel.metric-side',
        h('div.field', h('label', { for: 'metric-filter' }, 'Filter metrics'), filter),
        count,
        listMessage.el,
        list,
      ),
      detail,
    ),
  );

  function applyFilter() {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const li of list.querySelectorAll('li')) {
      const match = words.every((w) => (li.dataset.search ?? '').includes(w));
      li.hidden = !match;
      if (match) shown++;
    }
    count.textContent = !metrics.length
      ? ''
      : `${words.length ? `${shown} of ` : ''}${metrics.length} metrics`;
  }

  function renderList() {
    replace(
      list,
      metrics.length === 0
        ? h('li.muted.empty', 'No metrics yet.')
        : metrics.map((m) =>
            h(
              'li',
              {
                'data-search': [m.name, m.kind, m.unit, m.description, ...(m.labelNames ?? [])]
                  .join(' ')
                  .toLowerCase(),
              },
              h(
                'a.metric-link',
                {
                  href: `#/metrics/${encodeURIComponent(m.name)}`,
                  'data-key': `metric:${m.name}`,
                  'data-testid': 'metric-link',
                  'aria-current': m.name === selected && 'page',
                },
                h('span.metric-name', m.name),
                h(
                  'span.metric-meta',
                  h(`span.kind.kind--${m.kind}`, m.kind),
                  unitLabel(m.unit) && h('span', unitLabel(m.unit)),
                  h('span', `${fmtNum(m.series)} series`),
                ),
                m.labelNames?.length ? h('span.metric-labels', m.labelNames.join(', ')) : null,
              ),
            ),
          ),
    );
    applyFilter();
  }

  async function loadList() {
    try {
      const data = await api('api/metrics');
      listMessage.clear();
      const signature = JSON.stringify(data.metrics);
      if (signature === listSignature) return;
      listSignature = signature;
      metrics = data.metrics ?? [];
      renderList();
      if (selected) renderControls();
      if (missing && metrics.some((m) => m.name === selected)) {
        missing = false;
        loadSeries();
      }
    } catch (error) {
      listMessage.show(`Could not load the metrics: ${errorText(error)}`);
    }
  }

  // The detail panel's parts, reused from one selected metric to the next.
  const description = h('p.muted.metric-description');
  const controls = h('div.chart-controls');
  const labelForm = h('form.label-filter', { 'data-testid': 'label-filter' });
  const seriesMessage = messageBox('chart-error');
  const truncated = h(
    'p.notice',
    { 'data-testid': 'chart-truncated', hidden: true },
    'Only the first 50 series are shown. Narrow the label filter to see the others.',
  );
  const chartHost = h('div.chart', { 'data-testid': 'chart' });
  const empty = h(
    'p.empty-chart',
    { 'data-testid': 'chart-empty', hidden: true },
    `No data yet. Samples are taken every ${ctx.session.sampleInterval || 5} s.`,
  );
  let labelSignature = '';

  function renderControls() {
    const info = metrics.find((m) => m.name === selected);
    const kind = lastData?.kind ?? info?.kind;
    const unit = unitLabel(info?.unit);
    description.textContent = [info?.description, info && `${info.kind}${unit ? `, unit ${unit}` : ''}`]
      .filter(Boolean)
      .join(' · ');
    replace(
      controls,
      h(
        'div.field.field--inline',
        h('label', { for: 'range-select' }, 'Range'),
        h(
          'select',
          {
            id: 'range-select',
            'data-testid': 'range-select',
            on: {
              change: (e) => {
                range = /** @type {HTMLSelectElement} */ (e.target).value;
                loadSeries();
              },
            },
          },
          ranges.map((r) => h('option', { value: r, selected: r === range }, r)),
        ),
      ),
      kind === 'counter' &&
        h(
          'div.field--check',
          h('input', {
            id: 'rate-toggle',
            type: 'checkbox',
            checked: rate,
            'data-testid': 'rate-toggle',
            on: {
              change: (e) => {
                rate = /** @type {HTMLInputElement} */ (e.target).checked;
                if (lastData) draw(lastData);
              },
            },
          }),
          h('label', { for: 'rate-toggle' }, 'Per-second rate'),
        ),
    );
    const names = info?.labelNames ?? [...seen.keys()];
    if (JSON.stringify(names) === labelSignature) return;
    labelSignature = JSON.stringify(names);
    replace(
      labelForm,
      names.length > 0 &&
        h(
          'fieldset',
          h('legend', 'Filter series by label'),
          h(
            'div.label-fields',
            names.map((name, i) =>
              h(
                'div.field',
                h('label', { for: `label-${i}` }, name),
                h('input', {
                  id: `label-${i}`,
                  name,
                  list: `label-values-${i}`,
                  autocomplete: 'off',
                  'data-testid': `label-input-${name}`,
                }),
                h(
                  'datalist',
                  { id: `label-values-${i}` },
                  [...(seen.get(name) ?? [])].sort().map((v) => h('option', { value: v })),
                ),
              ),
            ),
          ),
          h(
            'div.actions',
            h('button.btn.btn--primary', { type: 'submit', 'data-testid': 'label-apply' }, 'Apply'),
            h('button.btn', { type: 'reset', 'data-testid': 'label-clear' }, 'Clear'),
          ),
        ),
    );
  }

  /** @param {boolean} reset */
  const applyLabels = (reset) => {
    labelFilter = {};
    for (const input of labelForm.querySelectorAll('input'))
      if (!reset && input.value.trim()) labelFilter[input.name] = input.value.trim();
    loadSeries();
  };
  labelForm.addEventListener('submit', (event) => {
    event.preventDefault();
    applyLabels(false);
  });
  labelForm.addEventListener('reset', () => applyLabels(true));

  /** @param {any} data */
  function draw(data) {
    const [lines, unit] = linesOf(data, rate);
    const hasData = lines.some((l) => l.points.length > 0);
    truncated.hidden = !data.truncated;
    empty.hidden = hasData;
    chartHost.hidden = !hasData;
    if (hasData) chart?.set(lines, unit);
    else chart?.clear();
  }

  async function loadSeries() {
    if (!selected || missing) return;
    const mine = ++seq;
    const q = query([
      ['range', range],
      ...Object.entries(labelFilter).map(([k, v]) => /** @type {[string, string]} */ ([`label.${k}`, v])),
    ]);
    try {
      const data = await api(`api/metrics/${encodeURIComponent(selected)}/series`, { query: q });
      if (mine !== seq) return;
      seriesMessage.clear();
      for (const s of data.series ?? []) {
        for (const [k, v] of Object.entries(s.labels ?? {}))
          seen.set(k, (seen.get(k) ?? new Set()).add(String(v)));
      }
      lastData = data;
      renderControls();
      draw(data);
    } catch (error) {
      if (mine !== seq) return;
      missing = statusOf(error) === 404;
      seriesMessage.show(
        missing ? `There is no metric named ${selected}.` : `Could not load the series: ${errorText(error)}`,
      );
    }
  }

  /** @param {string | undefined} name */
  function select(name) {
    if (name === selected && chart) return;
    selected = name;
    seq++;
    chart?.destroy();
    chart = undefined;
    lastData = undefined;
    missing = false;
    labelFilter = {};
    seen = new Map();
    labelSignature = '';
    const href = `#/metrics/${encodeURIComponent(name ?? '')}`;
    for (const a of list.querySelectorAll('a')) {
      if (a.getAttribute('href') === href) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    if (!name) {
      replace(
        detail,
        h('p.muted.empty', { 'data-testid': 'metric-none' }, 'Select a metric to see its chart.'),
      );
      return;
    }
    empty.hidden = true;
    truncated.hidden = true;
    chartHost.hidden = false;
    seriesMessage.clear();
    replace(
      detail,
      h('h3.metric-title', { 'data-testid': 'metric-title' }, name),
      description,
      controls,
      labelForm,
      seriesMessage.el,
      truncated,
      chartHost,
      empty,
    );
    chart = new TimeChart(chartHost);
    renderControls();
    loadSeries();
  }

  select(initial);
  loadList();

  return {
    el,
    /** @param {string | undefined} param */
    update: select,
    /** @param {string} type */
    event(type) {
      if (type !== 'tick') return;
      loadList();
      loadSeries();
    },
    destroy() {
      chart?.destroy();
      seq++;
    },
  };
}
