// InfluxDB line protocol: `measurement,tag=value field=1.5,count=3i 1700000000000`. Escaping per
// https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/ — measurement:
// comma and space; tag keys, tag values and field keys: comma, equals sign and space. What cannot
// be written at all is refused rather than mangled: a newline (it ends the line), a backslash at
// the end of a name or an odd run of them before a character that needs escaping (the parser reads
// `\` + next character as one pair, so `a\` followed by the separator would swallow it), and a
// measurement starting with `#` (a comment line).

/** Timestamp precision of the written points, InfluxDB's `precision` parameter. */
export type Precision = 'ns' | 'us' | 'ms' | 's';

/** A field value: a float, or an integer written with the `i` suffix. */
export type FieldValue = { readonly float: number } | { readonly int: number };

export interface Point {
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, FieldValue>>;
  /** Epoch milliseconds. */
  readonly time: number;
}

/** Why a point cannot be written. */
export type Unwritable = { readonly unwritable: string };

const MEASUREMENT_SPECIAL = /[, ]/g;
const KEY_SPECIAL = /[,= ]/g;
/**
 * What InfluxDB's parser misreads: an odd run of backslashes before a character that gets escaped
 * (the last one pairs with the escape's own), and any backslash at the end (it pairs with the
 * separator that follows, whatever the run's length — checked against InfluxDB 1.6).
 */
const AMBIGUOUS_MEASUREMENT = /(?:(?:^|[^\\])(?:\\\\)*\\[, ])|\\$/;
const AMBIGUOUS_KEY = /(?:(?:^|[^\\])(?:\\\\)*\\[,= ])|\\$/;

/** Whether `text` has a character escaping must look at (most names have none: they pass as they are). */
function plain(text: string, key: boolean): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // , space \ \n \r, and = in keys and tag values
    if (c === 44 || c === 32 || c === 92 || c === 10 || c === 13 || (key && c === 61)) return false;
  }
  return true;
}

function escapeWith(text: string, special: RegExp, ambiguous: RegExp, what: string): string | Unwritable {
  if (plain(text, special === KEY_SPECIAL)) return text;
  if (text.includes('\n') || text.includes('\r')) return { unwritable: `${what} contains a line break` };
  if (text.includes('\\') && ambiguous.test(text)) {
    return { unwritable: `${what} has a backslash before a separator or at its end` };
  }
  return text.replace(special, '\\$&');
}

/** A float as InfluxDB reads it: shortest round-trip text, exponents allowed. */
function formatFloat(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

function scale(time: number, precision: Precision): string {
  const ms = Math.trunc(time);
  switch (precision) {
    case 's':
      return String(Math.floor(ms / 1000));
    case 'ms':
      return String(ms);
    case 'us':
      return `${ms}000`;
    case 'ns':
      return `${ms}000000`;
  }
}

/**
 * The series part of a line, `measurement,tag=value…`, or why it cannot be written. Tags are
 * sorted by key (InfluxDB's advice: it parses sorted tags faster); empty tag values are left out,
 * as InfluxDB refuses them and reads a missing tag as empty anyway. It depends only on the
 * measurement and tags, so an exporter can keep it per series.
 */
export function encodeSeries(
  measurement: string,
  tags: Readonly<Record<string, string>>,
): string | Unwritable {
  const escaped = escapeWith(measurement, MEASUREMENT_SPECIAL, AMBIGUOUS_MEASUREMENT, 'the measurement');
  if (typeof escaped !== 'string') return escaped;
  if (escaped === '') return { unwritable: 'the measurement is empty' };
  // A line starting with # is a comment: InfluxDB would skip it and answer success.
  if (escaped.startsWith('#')) return { unwritable: 'the measurement starts with #' };
  let line = escaped;
  const keys = Object.keys(tags);
  if (keys.length > 1) keys.sort();
  for (const key of keys) {
    const value = tags[key] as string;
    if (value === '') continue;
    // InfluxDB 1.x refuses a tag named `time`: it is kept as `time_`, unless that is taken too.
    if (key === 'time' && 'time_' in tags)
      return { unwritable: 'tags "time" and "time_" cannot both be written' };
    const name = escapeWith(key === 'time' ? 'time_' : key, KEY_SPECIAL, AMBIGUOUS_KEY, `tag key "${key}"`);
    if (typeof name !== 'string') return name;
    const text = escapeWith(value, KEY_SPECIAL, AMBIGUOUS_KEY, `the value of tag "${key}"`);
    if (typeof text !== 'string') return text;
    if (name === '') return { unwritable: 'a tag key is empty' };
    line += `,${name}=${text}`;
  }
  return line;
}

/**
 * A whole line from its series part (see `encodeSeries`): fields and timestamp. Non-finite field
 * values are left out; a point with no field left cannot be written.
 */
export function encodeLine(
  series: string,
  fields: Readonly<Record<string, FieldValue>>,
  time: number,
  precision: Precision,
): string | Unwritable {
  let text = '';
  for (const key in fields) {
    const value = fields[key] as FieldValue;
    let formatted: string;
    if ('int' in value) {
      if (!Number.isSafeInteger(value.int)) continue;
      formatted = `${value.int}i`;
    } else {
      if (!Number.isFinite(value.float)) continue;
      formatted = formatFloat(value.float);
    }
    const name = escapeWith(key, KEY_SPECIAL, AMBIGUOUS_KEY, `field key "${key}"`);
    if (typeof name !== 'string') return name;
    text += `${text === '' ? '' : ','}${name}=${formatted}`;
  }
  if (text === '') return { unwritable: 'no field has a finite value' };
  return `${series} ${text} ${scale(time, precision)}`;
}

/**
 * One point as a line (without the newline), or why it cannot be written.
 * @example encodePoint({ measurement: 'operations.total', tags: { stage: 'load' }, fields: { value: { float: 3 } }, time: 1000 }, 'ms')
 *   // 'operations.total,stage=load value=3 1000'
 */
export function encodePoint(point: Point, precision: Precision): string | Unwritable {
  const series = encodeSeries(point.measurement, point.tags);
  return typeof series === 'string' ? encodeLine(series, point.fields, point.time, precision) : series;
}
