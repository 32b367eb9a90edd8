// @ts-check
// Time-series charts on uPlot: one line per series on a shared time axis, coloured from the
// theme's CSS variables, resized with its container (ResizeObserver) and rebuilt when the theme
// changes. uPlot sets legend labels with textContent, never as markup.

import uPlot from '../vendor/uplot.esm.js';
import { fmtCompact, fmtNum, fmtTime } from './format.js';

/**
 * A line: legend label and `[epoch ms, value]` points. Lines of one `group` (a series'
 * quantiles) share a colour and differ by `dash`.
 * @typedef {{ label: string, points: Array<[number, number | null]>, group?: number, dash?: number[] }} Line
 */

export class TimeChart {
  /** @param {HTMLElement} host */
  constructor(host) {
    this.host = host;
    /** @type {uPlot | undefined} */
    this.plot = undefined;
    this.key = '';
    this.width = 0;
    /** @type {[Line[], string] | undefined} */
    this.last = undefined;
    this.observer = new ResizeObserver(() => requestAnimationFrame(() => this.resize()));
    this.observer.observe(host);
    this.onTheme = () => this.last && this.build(...this.last);
    document.addEventListener('themechange', this.onTheme);
  }

  /** Show these lines; new values on the same lines keep the chart. @param {Line[]} lines @param {string} unit */
  set(lines, unit) {
    this.last = [lines, unit];
    const key = [unit, ...lines.map((l) => l.label)].join('\u0000');
    if (this.plot && key === this.key) this.plot.setData(align(lines));
    else this.build(lines, unit);
    this.key = key;
  }

  /** @param {Line[]} lines @param {string} unit */
  build(lines, unit) {
    this.plot?.destroy();
    const css = getComputedStyle(document.documentElement);
    const v = (/** @type {string} */ name) => css.getPropertyValue(name).trim();
    // The theme's eight colours, then golden-angle hues at the theme's lightness.
    const colour = (/** @type {number} */ i) =>
      v(`--series-${i + 1}`) || `hsl(${Math.round((i * 137.5) % 360)} 70% ${v('--series-lightness')})`;
    const axis = {
      stroke: v('--muted'),
      grid: { stroke: v('--grid'), width: 1 },
      ticks: { stroke: v('--grid'), width: 1 },
    };
    const suffix = unit ? ` ${unit}` : '';
    this.width = Math.floor(this.host.clientWidth);
    /** @type {uPlot.Options} */
    const options = {
      width: Math.max(this.width, 200),
      height: this.height(),
      scales: { x: { time: true } },
      series: [
        { label: 'Time', value: (_u, t) => (t == null ? '—' : fmtTime(t * 1000)) },
        ...lines.map((line, i) => ({
          label: line.label,
          stroke: colour(line.group ?? i),
          width: 1.5,
          dash: line.dash,
          spanGaps: true,
          value: (/** @type {uPlot} */ _u, /** @type {number | null} */ y) =>
            y == null ? '—' : `${fmtNum(y)}${suffix}`,
        })),
      ],
      axes: [
        axis,
        {
          ...axis,
          size: 64,
          label: unit || undefined,
          values: (_u, ticks) => ticks.map((t) => fmtCompact(t)),
        },
      ],
    };
    this.plot = new uPlot(options, align(lines), this.host);
  }

  height() {
    return this.host.clientWidth < 520 ? 220 : 320;
  }

  resize() {
    const width = Math.floor(this.host.clientWidth);
    if (!this.plot || width === 0 || width === this.width) return;
    this.width = width;
    this.plot.setSize({ width, height: this.height() });
  }

  /** Remove the plot (for "no data yet"); set() builds it again. */
  clear() {
    this.plot?.destroy();
    this.plot = undefined;
    this.key = '';
    this.last = undefined;
  }

  destroy() {
    this.clear();
    this.observer.disconnect();
    document.removeEventListener('themechange', this.onTheme);
  }
}

/** uPlot's aligned data: one x array (seconds), one y array per line, gaps as null. @param {Line[]} lines */
function align(lines) {
  const tables = lines.map(
    (line) =>
      /** @type {uPlot.AlignedData} */ ([line.points.map((p) => p[0] / 1000), line.points.map((p) => p[1])]),
  );
  return tables.length === 1 ? /** @type {uPlot.AlignedData} */ (tables[0]) : uPlot.join(tables);
}
