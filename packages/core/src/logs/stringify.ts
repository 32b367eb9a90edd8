// Turning whatever a caller logs into text (messages) and into storable values (extraData), on the
// record path, so nothing here may throw: circular objects, BigInt, Errors, throwing getters and
// Proxies all come out as something readable, and size is bounded before anything is stored.
import type { LogError } from './types.js';

/** The byte limit the aggregator applies to a message by default (64 KiB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;

/** Nesting walked before an object is shown as `[Object]` / `[Array]`, like `util.inspect`. */
const MAX_DEPTH = 8;
/** Keys or items kept per object, array, Map or Set; the rest are counted in one marker. */
const MAX_KEYS = 100;
/**
 * Values visited in one call. Depth and width limits alone still allow 100^8 values; this bounds
 * the work (and the text produced) for a wide and deep object.
 */
const MAX_VALUES = 5000;

const encoder = new TextEncoder();

/**
 * Any message as text, never throwing: strings as they are, `Error` as `name: message`, other
 * primitives via `String` (null and undefined as ''), symbols as their description, functions as
 * `[Function name]`, objects as JSON (see {@link plainValue} for the limits) with circular
 * references as `"[Circular]"`, BigInt as `"123n"`, nested Errors as `{name, message, stack}` and
 * Maps and Sets as arrays. A property that cannot be read becomes `"[unserializable: reason]"`;
 * a value that cannot be read at all (a revoked Proxy) gives `[unserializable: reason]`.
 * @example messageText(new Error('boom')) // 'Error: boom'
 * @example messageText({ n: 1n }) // '{"n":"1n"}'
 */
export function messageText(value: unknown, maxChars = Number.POSITIVE_INFINITY): string {
  try {
    switch (typeof value) {
      case 'string':
        return value;
      case 'number':
      case 'boolean':
      case 'bigint':
        return String(value);
      case 'undefined':
        return '';
      case 'symbol':
        return value.description ?? '';
      case 'function':
        return functionLabel(value);
    }
    if (value === null || value === undefined) return '';
    if (isError(value)) {
      const info = errorInfo(value);
      if (info !== undefined) return errorText(info);
    }
    const plain = walk(value, 0, TEXT, { values: 0, chars: maxChars, ancestors: new Set() });
    // A top-level Date or boxed string reads better unquoted.
    if (typeof plain === 'string') return plain;
    return JSON.stringify(plain) ?? '';
  } catch (error) {
    return unserializable(error);
  }
}

/**
 * Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a character (a surrogate pair
 * stays whole), ending it with `…[truncated N bytes]`, where N counts the original bytes dropped.
 * The marker's own bytes count within the limit; when even the marker does not fit, the text is
 * cut without one. Lone surrogates count 3 bytes, as they encode to U+FFFD.
 * @param maxBytes the limit; the aggregator uses {@link DEFAULT_MAX_MESSAGE_BYTES}
 * @example truncateUtf8('a'.repeat(100), 40) // { text: 'aaaaaaaaaaaaaaaa…[truncated 84 bytes]', truncatedBytes: 84 }
 */
export function truncateUtf8(text: string, maxBytes: number): { text: string; truncatedBytes: number } {
  // A UTF-16 code unit never takes more than 3 UTF-8 bytes, so short texts need no counting:
  // this keeps the common case (a short log line) at one multiplication.
  if (text.length * 3 <= maxBytes) return { text, truncatedBytes: 0 };
  const total = Buffer.byteLength(text, 'utf8');
  if (total <= maxBytes) return { text, truncatedBytes: 0 };
  const limit = Number.isFinite(maxBytes) && maxBytes > 0 ? Math.floor(maxBytes) : 0;
  // Size the marker for the largest count it could show (all bytes dropped): the real count has
  // no more digits, so the text plus the real marker can never exceed the limit.
  const markerBytes = Buffer.byteLength(truncationMarker(total), 'utf8');
  if (markerBytes > limit) {
    const kept = utf8Prefix(text, limit);
    return { text: kept.text, truncatedBytes: total - kept.bytes };
  }
  const kept = utf8Prefix(text, limit - markerBytes);
  const truncatedBytes = total - kept.bytes;
  return { text: kept.text + truncationMarker(truncatedBytes), truncatedBytes };
}

/**
 * The type, message and stack of an Error, or of an error-like object (a string `message` with a
 * string `name` or `stack`, as errors crossing realms or serialized errors are); undefined for
 * anything else. Never throws: an Error whose properties cannot be read gives
 * `[unserializable: reason]` as its message.
 */
export function errorInfo(value: unknown): LogError | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  let isRealError = false;
  try {
    isRealError = isError(value);
    const { name, message, stack } = value as { name?: unknown; message?: unknown; stack?: unknown };
    const errorLike = typeof message === 'string' && (typeof name === 'string' || typeof stack === 'string');
    if (!isRealError && !errorLike) return undefined;
    // An Error's class names it when `name` is blank; a plain error-like object's class is just Object.
    const fallback = isRealError ? (constructorName(value) ?? 'Error') : 'Error';
    const type = typeof name === 'string' && name !== '' ? name : fallback;
    // Not messageText: a message that is the error itself would recurse forever.
    const text = typeof message === 'string' ? message : message === undefined ? '' : safeString(message);
    return typeof stack === 'string' ? { type, message: text, stack } : { type, message: text };
  } catch (error) {
    return isRealError ? { type: 'Error', message: unserializable(error) } : undefined;
  }
}

/**
 * An extraData value made storable and exportable as an OpenTelemetry AnyValue, never throwing:
 * primitives as they are (bigint as its decimal string, symbols and functions as labels), Date as
 * its ISO string, Error as {@link errorInfo}, Uint8Array copied, Maps as arrays of `[key, value]`,
 * Sets and other arrays and objects copied recursively. Circular references become
 * `'[Circular]'`; nesting deeper than 8 becomes `'[Object]'` / `'[Array]'`; past 100 keys or items
 * the rest is counted in one marker; past 5000 values in all, values become `'…'`.
 * @param maxChars characters of string values kept in all; past them strings are cut, then `'…'`
 */
export function plainValue(value: unknown, maxChars = Number.POSITIVE_INFINITY): unknown {
  try {
    return walk(value, 0, PLAIN, { values: 0, chars: maxChars, ancestors: new Set() });
  } catch (error) {
    return unserializable(error);
  }
}

/**
 * Sets `object[key] = value` as an own, enumerable property: a `'__proto__'` key becomes a key
 * rather than the object's prototype.
 */
export function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}

/** What differs between the JSON of a message and a stored value. */
interface WalkStyle {
  bigint(value: bigint): string;
  error(value: object): unknown;
  /** Keep a Uint8Array as bytes (an AnyValue) rather than an array of numbers. */
  readonly bytes: boolean;
}

const TEXT: WalkStyle = {
  bigint: (value) => `${value}n`,
  error(value) {
    const info = errorInfo(value);
    if (info === undefined) return { name: 'Error', message: '' };
    return info.stack === undefined
      ? { name: info.type, message: info.message }
      : { name: info.type, message: info.message, stack: info.stack };
  },
  bytes: false,
};

const PLAIN: WalkStyle = {
  bigint: (value) => value.toString(),
  error: (value) => errorInfo(value),
  bytes: true,
};

interface WalkState {
  values: number;
  /** Characters of strings still to keep: a bound on the text a walk can produce. */
  chars: number;
  /** Objects on the current path: a repeat is a cycle, while shared (non-cyclic) objects print twice. */
  readonly ancestors: Set<object>;
}

/** A copy of `value` made only of JSON/AnyValue-compatible data. */
function walk(value: unknown, depth: number, style: WalkStyle, state: WalkState): unknown {
  if (++state.values > MAX_VALUES) return '…';
  switch (typeof value) {
    case 'string':
      if (value.length <= state.chars) {
        state.chars -= value.length;
        return value;
      }
      if (state.chars === 0) return '…';
      value = value.slice(0, state.chars);
      state.chars = 0;
      return value;
    case 'number':
    case 'boolean':
    case 'undefined':
      return value;
    case 'bigint':
      return style.bigint(value);
    case 'symbol':
      return value.toString();
    case 'function':
      return functionLabel(value);
  }
  if (value === null) return null;
  const object = value as object;
  if (state.ancestors.has(object)) return '[Circular]';
  state.ancestors.add(object);
  // Everything below may run user code (getters, Proxy traps, toJSON): a failure spoils this
  // value only, not its parent.
  try {
    // The error's own texts are walked too, so its message and stack count against the bounds.
    if (isError(object)) return walk(style.error(object), depth, style, state);
    if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
    if (object instanceof String || object instanceof Number || object instanceof Boolean) {
      return object.valueOf();
    }
    if (depth >= MAX_DEPTH) return Array.isArray(object) ? '[Array]' : '[Object]';
    if (style.bytes && object instanceof Uint8Array) return new Uint8Array(object);
    if (Array.isArray(object) || (ArrayBuffer.isView(object) && !(object instanceof DataView))) {
      return walkItems(object as unknown as ArrayLike<unknown>, depth, style, state);
    }
    if (object instanceof Map) return walkIterable(object.entries(), object.size, depth, style, state);
    if (object instanceof Set) return walkIterable(object.values(), object.size, depth, style, state);
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    // Honour toJSON as JSON.stringify does (URL, Decimal…); the result is walked at the same
    // depth, and the value budget stops a toJSON that keeps returning new objects.
    if (typeof toJSON === 'function') return walk(toJSON.call(object, ''), depth, style, state);
    return walkObject(object, depth, style, state);
  } catch (error) {
    return unserializable(error);
  } finally {
    state.ancestors.delete(object);
  }
}

function walkItems(items: ArrayLike<unknown>, depth: number, style: WalkStyle, state: WalkState): unknown[] {
  const length = items.length;
  const kept = Math.min(length, MAX_KEYS);
  const out: unknown[] = [];
  for (let i = 0; i < kept; i++) out.push(walkProperty(items, i, depth, style, state) ?? null);
  if (length > kept) out.push(`[… ${length - kept} more items]`);
  return out;
}

function walkIterable(
  items: Iterable<unknown>,
  size: number,
  depth: number,
  style: WalkStyle,
  state: WalkState,
): unknown[] {
  const out: unknown[] = [];
  for (const item of items) {
    if (out.length === MAX_KEYS) {
      out.push(`[… ${size - MAX_KEYS} more items]`);
      break;
    }
    // Map entries arrive as [key, value] arrays, walked (and depth-limited) like any array.
    out.push(walk(item, depth + 1, style, state) ?? null);
  }
  return out;
}

function walkObject(object: object, depth: number, style: WalkStyle, state: WalkState): object {
  const keys = Object.keys(object);
  const kept = Math.min(keys.length, MAX_KEYS);
  const entries: Array<[string, unknown]> = [];
  for (let i = 0; i < kept; i++) {
    const key = keys[i]!;
    const item = walkProperty(object as Record<string, unknown>, key, depth, style, state);
    // Undefined values are left out, as JSON.stringify does.
    if (item !== undefined) entries.push([key, item]);
  }
  if (keys.length > kept) entries.push(['…', `${keys.length - kept} more keys`]);
  // fromEntries defines properties, so a '__proto__' key stays a key instead of a prototype.
  return Object.fromEntries(entries);
}

/** One property, read so that a throwing getter spoils only that property. */
function walkProperty(
  holder: Record<string | number, unknown> | ArrayLike<unknown>,
  key: string | number,
  depth: number,
  style: WalkStyle,
  state: WalkState,
): unknown {
  let item: unknown;
  try {
    item = (holder as Record<string | number, unknown>)[key];
  } catch (error) {
    return unserializable(error);
  }
  return walk(item, depth + 1, style, state);
}

function isError(value: object): boolean {
  // The tag check also recognises Errors from other realms (vm contexts, iframes).
  return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
}

function errorText(info: LogError): string {
  if (info.message === '') return info.type;
  return `${info.type}: ${info.message}`;
}

function functionLabel(fn: unknown): string {
  const name = (fn as { name?: unknown }).name;
  return `[Function ${typeof name === 'string' && name !== '' ? name : '(anonymous)'}]`;
}

function constructorName(value: object): string | undefined {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** String() that cannot throw (a null-prototype object or a Proxy can make it throw): `fallback` then. */
export function safeString(value: unknown, fallback = ''): string {
  try {
    return String(value);
  } catch {
    return fallback;
  }
}

/** The reason something could not be serialized; itself unable to throw or recurse. */
function unserializable(error: unknown): string {
  let reason = 'unknown error';
  try {
    if (error instanceof Error) reason = `${String(error.name)}: ${String(error.message)}`;
    else reason = String(error);
  } catch {
    // A thrown value whose name, message or toString throws again: keep the generic reason.
  }
  return `[unserializable: ${reason}]`;
}

function truncationMarker(bytes: number): string {
  return `…[truncated ${bytes} bytes]`;
}

/** The longest prefix of `text` within `maxBytes` UTF-8 bytes, ending on a character boundary. */
function utf8Prefix(text: string, maxBytes: number): { text: string; bytes: number } {
  if (maxBytes <= 0) return { text: '', bytes: 0 };
  // encodeInto stops before a character that does not fit whole, and reports the UTF-16 units
  // it consumed, so it finds the boundary natively without a JavaScript loop over the text.
  const { read, written } = encoder.encodeInto(text, new Uint8Array(maxBytes));
  return { text: text.slice(0, read), bytes: written };
}
