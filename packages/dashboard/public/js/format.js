// @ts-check
// Display formatting shared by the views (numbers, durations, sizes, times, units, conditions).
// Every function returns plain text; `—` stands for a missing value.

const NUMBER = new Intl.NumberFormat('en', { maximumFractionDigits: 3 });
const COMPACT = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 2 });

/** @param {unknown} v */
export function fmtNum(v) {
  if (typeof v !== 'number') return '—';
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '∞' : '−∞';
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.001 || a >= 1e15)) return v.toExponential(2);
  return (a >= 1e6 ? COMPACT : NUMBER).format(v);
}

/** Short numbers for chart axes: 1.2K, 0.005. @param {number} v */
export const fmtCompact = (v) => (v !== 0 && Math.abs(v) < 0.01 ? v.toPrecision(2) : COMPACT.format(v));

/** `3 h 5 min`: the two largest units. @param {unknown} seconds */
export function fmtDuration(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '—';
  let s = Math.max(0, Math.floor(seconds));
  const parts = [];
  for (const [size, unit] of /** @type {const} */ ([
    [86400, 'd'],
    [3600, 'h'],
    [60, 'min'],
    [1, 's'],
  ])) {
    if (s >= size || (size === 1 && parts.length === 0)) parts.push(`${Math.floor(s / size)} ${unit}`);
    s %= size;
  }
  return parts.slice(0, 2).join(' ');
}

/** @param {unknown} ms */
export const fmtMs = (ms) => (typeof ms === 'number' ? `${fmtNum(Math.round(ms * 100) / 100)} ms` : '—');

/** @param {unknown} bytes */
export function fmtBytes(bytes) {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes)) return '—';
  const i = Math.min(3, Math.max(0, Math.floor(Math.log2(Math.max(bytes, 1)) / 10)));
  return `${fmtNum(Math.round((bytes / 1024 ** i) * 10) / 10)} ${['B', 'KiB', 'MiB', 'GiB'][i]}`;
}

/** Epoch ms from what the API sends: epoch ms, or an ISO string. @param {unknown} t */
export function toMs(t) {
  const ms =
    typeof t === 'number'
      ? t
      : typeof t === 'string'
        ? /^\d+$/.test(t)
          ? Number(t)
          : Date.parse(t)
        : Number.NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

const pad = (/** @type {number} */ n, w = 2) => String(n).padStart(w, '0');

/** Local time `2024-05-01 14:03:07` (`.123` with millis). @param {unknown} t */
export function fmtTime(t, millis = false) {
  const ms = toMs(t);
  if (ms === undefined) return '—';
  const d = new Date(ms);
  const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return `${day} ${time}${millis ? `.${pad(d.getMilliseconds(), 3)}` : ''}`;
}

/** `5 min ago`, `in 2 h`. @param {unknown} t */
export function fmtAgo(t, now = Date.now()) {
  const ms = toMs(t);
  if (ms === undefined) return '—';
  const diff = (now - ms) / 1000;
  if (Math.abs(diff) < 5) return 'just now';
  const text = fmtDuration(Math.abs(diff)).split(' ').slice(0, 2).join(' ');
  return diff > 0 ? `${text} ago` : `in ${text}`;
}

/** For `<time datetime>`. @param {unknown} t */
export function isoTime(t) {
  const ms = toMs(t);
  return ms === undefined ? null : new Date(ms).toISOString();
}

/** UCUM as people read it: `By` is bytes, `1` is no unit, `{requests}` is requests. @param {unknown} unit */
export function unitLabel(unit) {
  if (typeof unit !== 'string' || unit === '1') return '';
  return unit === 'By' ? 'bytes' : unit.replace(/^\{(.*)\}$/, '$1');
}

/** `method=GET, status=200`. @param {Record<string, unknown> | undefined} labels */
export const fmtLabels = (labels) =>
  Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');

/** @type {Record<string, [string, string]>} */
const CONDITIONS = {
  gt: ['>', 'greater than'],
  ge: ['≥', 'greater than or equal to'],
  lt: ['<', 'less than'],
  le: ['≤', 'less than or equal to'],
  eq: ['=', 'equal to'],
  ne: ['≠', 'not equal to'],
  absent: ['absent', 'fires when there is no data'],
};

/** A condition's symbol and words. @param {unknown} c */
export const fmtCondition = (c) => CONDITIONS[String(c)] ?? [String(c ?? '—'), ''];

/** The sum of a `{ reason: count }` record (drops by reason). @param {unknown} record */
export function total(record) {
  if (typeof record === 'number') return record;
  let n = 0;
  for (const v of Object.values(record ?? {})) if (typeof v === 'number') n += v;
  return n;
}
