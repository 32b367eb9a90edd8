// How much one log line may hold beyond its message: each string value of its extraData, the
// extraData as a whole (keys and values), the number of keys, and the names that label the line.
// A caller controls all of them, so each is bounded where the line enters and counted when the
// bound bites (docs/security.md). The common line — a few short flat values — is checked in one
// pass and kept as it is; only a line that may exceed a bound is measured exactly and cut.
import { setOwn, truncateUtf8 } from './stringify.js';

/** Bounds of one line's extraData, in UTF-8 bytes. */
export interface AttributeLimits {
  /** One string value, at any depth. */
  readonly valueBytes: number;
  /** The whole extraData: keys, string values, and 8 bytes for any other value. */
  readonly totalBytes: number;
}

/** The defaults (`logs.max_attribute_value_bytes`, `logs.max_attribute_bytes`). */
export const DEFAULT_ATTRIBUTE_LIMITS: AttributeLimits = Object.freeze({
  valueBytes: 16_384,
  totalBytes: 65_536,
});

/** Keys kept per line (OpenTelemetry's default attribute count limit). */
export const MAX_ATTRIBUTE_KEYS = 128;
/** Logger names, sources and trace ids are cut to this many characters. */
export const MAX_NAME_LENGTH = 256;
/**
 * What is kept of a long text before redaction looks at it: the bound plus this margin, so a
 * secret across the final cut is still seen whole (and masked) while a 10 MB value costs the
 * redaction pass no more than a short one.
 */
export const REDACTION_MARGIN = 4096;
/** The key that says how many keys a cut line lost. */
export const DROPPED_KEYS = '…';

/** Bytes counted for a value that is not a string (numbers, booleans, null). */
const SCALAR_BYTES = 8;

/** A long text cut to what redaction needs to see (UTF-16 units ≥ UTF-8 bytes / 3). */
export function preCut(text: string, bytes: number): string {
  const keep = bytes + REDACTION_MARGIN;
  return text.length > keep ? text.slice(0, keep) : text;
}

/** A name (logger, source, trace id) cut to MAX_NAME_LENGTH characters. */
export function boundName(name: string): string {
  return name.length > MAX_NAME_LENGTH ? name.slice(0, MAX_NAME_LENGTH) : name;
}

/**
 * True when extraData is flat and certainly fits: at most MAX_ATTRIBUTE_KEYS keys of strings,
 * numbers and booleans whose worst-case size (3 bytes a character) is within the limits.
 */
export function fitsFlat(
  attributes: Readonly<Record<string, unknown>>,
  limits: AttributeLimits,
  /** Keys that make the answer false too (the aggregator's own), checked in the same pass. */
  reserved?: ReadonlySet<string>,
): boolean {
  let keys = 0;
  let units = 0;
  for (const key in attributes) {
    if (++keys > MAX_ATTRIBUTE_KEYS || reserved?.has(key) === true) return false;
    const value = attributes[key];
    if (typeof value === 'string') {
      if (value.length * 3 > limits.valueBytes) return false;
      units += key.length + value.length;
    } else if (typeof value === 'number' || typeof value === 'boolean') {
      units += key.length + SCALAR_BYTES;
    } else {
      return false; // objects are measured exactly; anything else is made plain first
    }
  }
  return units * 3 <= limits.totalBytes;
}

/**
 * extraData within the limits: each string cut to `valueBytes` with a marker, keys past
 * MAX_ATTRIBUTE_KEYS or past `totalBytes` left out (the `…` key says how many), nested values
 * likewise. Returns the same object when nothing had to go; `cut` says whether anything did.
 * The input is plain data (see plainValue): objects, arrays, strings, numbers, booleans, null.
 */
export function boundAttributes(
  attributes: Readonly<Record<string, unknown>>,
  limits: AttributeLimits,
): { attributes: Readonly<Record<string, unknown>>; cut: boolean } {
  const budget = { left: limits.totalBytes, cut: false };
  const bounded = boundObject(attributes, limits.valueBytes, budget);
  return { attributes: bounded as Readonly<Record<string, unknown>>, cut: budget.cut };
}

interface Budget {
  left: number;
  cut: boolean;
}

function boundObject(
  object: Readonly<Record<string, unknown>>,
  valueBytes: number,
  budget: Budget,
): Readonly<Record<string, unknown>> {
  const kept: Array<readonly [string, unknown]> = [];
  let changed = false;
  let dropped = 0;
  for (const key of Object.keys(object)) {
    const keyBytes = Buffer.byteLength(key);
    if (kept.length >= MAX_ATTRIBUTE_KEYS || keyBytes > budget.left) {
      dropped++;
      continue;
    }
    budget.left -= keyBytes;
    const value = object[key];
    const bounded = boundValue(value, valueBytes, budget);
    if (bounded === DROP) {
      budget.left += keyBytes;
      dropped++;
      continue;
    }
    if (bounded !== value) changed = true;
    kept.push([key, bounded]);
  }
  if (!changed && dropped === 0) return object;
  budget.cut = true;
  const out: Record<string, unknown> = {};
  for (const [key, value] of kept) setOwn(out, key, value);
  if (dropped > 0) setOwn(out, DROPPED_KEYS, `${dropped} more keys left out (log attribute limits)`);
  return out;
}

const DROP: unique symbol = Symbol('drop');

function boundValue(value: unknown, valueBytes: number, budget: Budget): unknown {
  if (typeof value === 'string') {
    const bytes =
      value.length * 3 <= Math.min(valueBytes, budget.left) ? value.length : Buffer.byteLength(value);
    if (bytes <= valueBytes && bytes <= budget.left) {
      budget.left -= bytes;
      return value;
    }
    const room = Math.min(valueBytes, budget.left);
    if (room < 64) return DROP; // not even the marker would fit
    const cut = truncateUtf8(value, room).text;
    budget.left -= Buffer.byteLength(cut);
    budget.cut = true;
    return cut;
  }
  if (value instanceof Uint8Array) {
    const room = Math.min(valueBytes, budget.left);
    if (value.byteLength <= room) {
      budget.left -= value.byteLength;
      return value;
    }
    if (room < SCALAR_BYTES) return DROP;
    budget.left -= room;
    budget.cut = true;
    return value.slice(0, room);
  }
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      const bounded = boundValue(item, valueBytes, budget);
      if (bounded === DROP) {
        budget.cut = true;
        out ??= value.slice(0, i);
        out.push(`[… ${value.length - i} more items left out (log attribute limits)]`);
        return out;
      }
      if (bounded !== item || out !== undefined) {
        out ??= value.slice(0, i);
        out.push(bounded);
      }
    }
    return out ?? value;
  }
  if (typeof value === 'object' && value !== null) {
    return boundObject(value as Readonly<Record<string, unknown>>, valueBytes, budget);
  }
  if (SCALAR_BYTES > budget.left) return DROP;
  budget.left -= SCALAR_BYTES;
  return value;
}
