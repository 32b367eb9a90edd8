// InfluxDB line protocol: `measurement,tag=value field=1.5,count=3i 1700000000000`. Escaping per
// https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/ — tag keys and
// values: comma, equals sign and space; the measurement and field keys: those and the double quote
// (the reference names fewer, but InfluxDB 1.x unescapes `\=` and `\"` there too). What cannot be
// written at all is refused rather than mangled: a line break (it ends the line), a backslash at the
// end of a name or one that the parser would pair with the escape that follows it, a measurement
// starting with `#` (a comment line), and a measurement or field key starting with a tab or NUL (the
// parser skips those and they cannot be escaped). Each rule was found or confirmed by the property
// test that writes random points to a real InfluxDB 1.6 (test/property/line-protocol.property.test.ts).

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

/** How one part of a line is escaped, and what in it cannot be written. */
interface Escaping {
  readonly special: RegExp;
  readonly unwritable: RegExp;
}

/**
 * Tag keys and values: the reference's comma, equals sign and space. The parser reads `\` and the
 * next character as one pair, so an odd run of backslashes before an escaped character would eat
 * the escape's own; a backslash at the end pairs with the separator after it, whatever the run.
 */
const TAG: Escaping = { special: /[,= ]/g, unwritable: /(?:(?:^|[^\\])(?:\\\\)*\\[,= ])|\\$/ };
/** Field keys: as tags, and the double quote, which InfluxDB 1.x unescapes in field keys. */
const FIELD_KEY: Escaping = { special: /[,= "]/g, unwritable: /(?:(?:^|[^\\])(?:\\\\)*\\[,= "])|\\$/ };
/**
 * The measurement: as field keys, but InfluxDB 1.6 unescapes the measurement twice (once parsing,
 * once reading the series key back), so any backslash before an escaped character is misread, even
 * in an even run: the measurement `a\\,b`, written `a\\\,b`, is stored as `a\,b`.
 */
const MEASUREMENT: Escaping = { special: /[,= "]/g, unwritable: /\\(?:[,= "]|$)/ };

/** Whether `text` has a character escaping must look at (most names have none: they pass as they are). */
function plain(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // , space \ \n \r = "
    if (c === 44 || c === 32 || c === 92 || c === 10 || c === 13 || c === 61 || c === 34) return false;
  }
  return true;
}

/** Whether InfluxDB's parser would skip the first character as whitespace (tab or NUL; spaces get escaped). */
function skippedStart(text: string): boolean {
  const c = text.charCodeAt(0);
  return c === 9 || c === 0;
}

function escapeWith(text: string, what: string, escaping: Escaping): string | Unwritable {
  if (plain(text)) return text;
  if (text.includes('\n') || text.includes('\r')) return { unwritable: `${what} contains a line break` };
  if (text.includes('\\') && escaping.unwritable.test(text)) {
    return { unwritable: `${what} has a backslash before a separator or at its end` };
  }
  return text.replace(escaping.special, '\\$&');
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
  if (skippedStart(measurement)) return { unwritable: 'the measurement starts with a tab or NUL' };
  const escaped = escapeWith(measurement, 'the measurement', MEASUREMENT);
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
    const name = escapeWith(key === 'time' ? 'time_' : key, `tag key "${key}"`, TAG);
    if (typeof name !== 'string') return name;
    const text = escapeWith(value, `the value of tag "${key}"`, TAG);
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
    if (skippedStart(key)) return { unwritable: `field key ${JSON.stringify(key)} starts with a tab or NUL` };
    // InfluxDB 1.x refuses a field named `time` as it does a tag: kept as `time_` likewise.
    if (key === 'time' && 'time_' in fields)
      return { unwritable: 'fields "time" and "time_" cannot both be written' };
    const name = escapeWith(key === 'time' ? 'time_' : key, `field key "${key}"`, FIELD_KEY);
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
