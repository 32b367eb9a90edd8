// InfluxDB line protocol: `measurement,tag=value field=1.5,count=3i 1700000000000`. Escaping per
// https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/ — measurement:
// comma and space; tag keys, tag values and field keys: comma, equals sign and space. What cannot
// be written at all is refused rather than mangled: a newline (it ends the line), and an odd run
// of backslashes before a character that needs escaping or at the end of a name (the parser reads
// `\` + next character as one pair, so `a\` followed by the separator would swallow it).

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
/** An odd number of backslashes before a character that gets escaped, or at the end. */
const AMBIGUOUS_MEASUREMENT = /(?:^|[^\\])(?:\\\\)*\\(?:[, ]|$)/;
const AMBIGUOUS_KEY = /(?:^|[^\\])(?:\\\\)*\\(?:[,= ]|$)/;

function escapeWith(text: string, special: RegExp, ambiguous: RegExp, what: string): string | Unwritable {
  if (text.includes('\n') || text.includes('\r')) return { unwritable: `${what} contains a line break` };
  if (text.includes('\\') && ambiguous.test(text)) {
    return { unwritable: `${what} has a backslash before a separator or at its end` };
  }
  return text.replace(special, (c) => `\\${c}`);
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
 * One point as a line (without the newline), or why it cannot be written. Tags are sorted by key
 * (InfluxDB's advice: it parses sorted tags faster); empty tag values are left out, as InfluxDB
 * refuses them and reads a missing tag as empty anyway. Non-finite field values are left out; a
 * point with no field left cannot be written.
 * @example encodePoint({ measurement: 'operations.total', tags: { stage: 'load' }, fields: { value: { float: 3 } }, time: 1000 }, 'ms')
 *   // 'operations.total,stage=load value=3 1000'
 */
export function encodePoint(point: Point, precision: Precision): string | Unwritable {
  const measurement = escapeWith(
    point.measurement,
    MEASUREMENT_SPECIAL,
    AMBIGUOUS_MEASUREMENT,
    'the measurement',
  );
  if (typeof measurement !== 'string') return measurement;
  if (measurement === '') return { unwritable: 'the measurement is empty' };
  let line = measurement;
  const keys = Object.keys(point.tags).sort();
  for (const key of keys) {
    const value = point.tags[key] as string;
    if (value === '') continue;
    // InfluxDB 1.x refuses a tag named `time`: it is kept as `time_`.
    const name = escapeWith(key === 'time' ? 'time_' : key, KEY_SPECIAL, AMBIGUOUS_KEY, `tag key "${key}"`);
    if (typeof name !== 'string') return name;
    const text = escapeWith(value, KEY_SPECIAL, AMBIGUOUS_KEY, `the value of tag "${key}"`);
    if (typeof text !== 'string') return text;
    if (name === '') return { unwritable: 'a tag key is empty' };
    line += `,${name}=${text}`;
  }
  let fields = '';
  for (const key of Object.keys(point.fields)) {
    const value = point.fields[key] as FieldValue;
    let text: string;
    if ('int' in value) {
      if (!Number.isSafeInteger(value.int)) continue;
      text = `${value.int}i`;
    } else {
      if (!Number.isFinite(value.float)) continue;
      text = formatFloat(value.float);
    }
    const name = escapeWith(key, KEY_SPECIAL, AMBIGUOUS_KEY, `field key "${key}"`);
    if (typeof name !== 'string') return name;
    fields += `${fields === '' ? '' : ','}${name}=${text}`;
  }
  if (fields === '') return { unwritable: 'no field has a finite value' };
  return `${line} ${fields} ${scale(point.time, precision)}`;
}
