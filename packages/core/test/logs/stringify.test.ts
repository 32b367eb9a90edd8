// Turning anything logged into text and storable values without throwing: circular objects,
// BigInt, Errors, throwing getters and Proxies; and UTF-8 truncation that never splits a character.
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  errorInfo,
  messageText,
  plainValue,
  truncateUtf8,
} from '../../src/logs/stringify.js';

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** An Error with a fixed stack, so expectations can spell it out. */
const fixedError = (message: string, ErrorClass: ErrorConstructor = Error): Error => {
  const error = new ErrorClass(message);
  error.stack = `${error.name}: ${message}\n    at test`;
  return error;
};

/** An object nested `levels` deep: { child: { child: … { leaf: true } } }. */
const nested = (levels: number): Record<string, unknown> => {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < levels; i++) value = { child: value };
  return value;
};

/** How many `child` links a parsed value has before it stops being an object. */
const depthOf = (value: unknown): number => {
  let depth = 0;
  let current = value as Record<string, unknown>;
  while (typeof current.child === 'object' && current.child !== null) {
    current = current.child as Record<string, unknown>;
    depth++;
  }
  return depth;
};

describe('messageText', () => {
  it('keeps a string as it is', () => {
    const text = 'plain message';
    expect(messageText(text)).toBe(text);
  });

  it('writes an Error as "name: message", and a message-less Error as its name', () => {
    expect(messageText(new TypeError('bad input'))).toBe('TypeError: bad input');
    expect(messageText(new Error(''))).toBe('Error');
    class QueueFullError extends Error {
      override name = 'QueueFullError';
    }
    expect(messageText(new QueueFullError('queue full'))).toBe('QueueFullError: queue full');
  });

  it('writes numbers, booleans and bigints with String, null and undefined as empty', () => {
    expect(messageText(42)).toBe('42');
    expect(messageText(-0.5)).toBe('-0.5');
    expect(messageText(true)).toBe('true');
    expect(messageText(12345678901234567890n)).toBe('12345678901234567890');
    expect(messageText(null)).toBe('');
    expect(messageText(undefined)).toBe('');
  });

  it('writes a symbol as its description and a function as [Function name]', () => {
    expect(messageText(Symbol('shutdown'))).toBe('shutdown');
    expect(messageText(Symbol())).toBe('');
    function handleRequest(): void {}
    expect(messageText(handleRequest)).toBe('[Function handleRequest]');
    const anonymous = (() => () => {})();
    expect(messageText(anonymous)).toBe('[Function (anonymous)]');
  });

  it('writes objects as JSON', () => {
    expect(messageText({ user: 'alice', attempts: 3, tags: ['a', 'b'] })).toBe(
      '{"user":"alice","attempts":3,"tags":["a","b"]}',
    );
  });

  it('replaces a circular reference with "[Circular]" but writes a shared (non-circular) object twice', () => {
    const node: Record<string, unknown> = { name: 'root' };
    node.self = node;
    node.list = [1, node];
    expect(messageText(node)).toBe('{"name":"root","self":"[Circular]","list":[1,"[Circular]"]}');

    const shared = { id: 1 };
    expect(messageText({ a: shared, b: shared })).toBe('{"a":{"id":1},"b":{"id":1}}');
  });

  it('writes a BigInt inside an object as "123n"', () => {
    expect(messageText({ bytes: 123n, list: [1n] })).toBe('{"bytes":"123n","list":["1n"]}');
  });

  it('writes a nested Error as {name, message, stack}', () => {
    expect(messageText({ op: 'save', err: fixedError('disk full', RangeError) })).toBe(
      '{"op":"save","err":{"name":"RangeError","message":"disk full","stack":"RangeError: disk full\\n    at test"}}',
    );
  });

  it('writes Maps as [key, value] arrays and Sets as arrays', () => {
    expect(
      messageText({
        m: new Map<unknown, unknown>([
          ['a', 1],
          [{ k: 2 }, 3n],
        ]),
        s: new Set([1, 2]),
      }),
    ).toBe('{"m":[["a",1],[{"k":2},"3n"]],"s":[1,2]}');
    expect(messageText(new Set(['x']))).toBe('["x"]');
  });

  it('follows JSON for dates, toJSON, undefined and boxed primitives', () => {
    expect(messageText(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
    expect(messageText({ at: new Date(0), bad: new Date(Number.NaN) })).toBe(
      '{"at":"1970-01-01T00:00:00.000Z","bad":"Invalid Date"}',
    );
    expect(messageText({ url: new URL('https://example.com/a') })).toBe('{"url":"https://example.com/a"}');
    expect(messageText({ gone: undefined, list: [undefined] })).toBe('{"list":[null]}');
    expect(messageText({ s: new String('boxed') })).toBe('{"s":"boxed"}');
  });

  it('keeps a "__proto__" key as a key', () => {
    const parsed = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as unknown;
    expect(messageText(parsed)).toBe('{"__proto__":{"polluted":true},"a":1}');
  });

  it('stops at depth 8 with "[Object]"', () => {
    const parsed = JSON.parse(messageText(nested(20))) as unknown;
    expect(depthOf(parsed)).toBe(7);
    let level = parsed as Record<string, unknown>;
    for (let i = 0; i < 7; i++) level = level.child as Record<string, unknown>;
    expect(level.child).toBe('[Object]');
  });

  it('keeps 100 keys or items and counts the rest', () => {
    const wide = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`k${i}`, i]));
    const parsedObject = JSON.parse(messageText(wide)) as Record<string, unknown>;
    expect(Object.keys(parsedObject)).toHaveLength(101);
    expect(parsedObject.k99).toBe(99);
    expect(parsedObject.k100).toBeUndefined();
    expect(parsedObject['…']).toBe('50 more keys');

    const parsedArray = JSON.parse(messageText(Array.from({ length: 150 }, (_, i) => i))) as unknown[];
    expect(parsedArray).toHaveLength(101);
    expect(parsedArray[100]).toBe('[… 50 more items]');

    const parsedSet = JSON.parse(messageText(new Set(Array.from({ length: 150 }, (_, i) => i)))) as unknown[];
    expect(parsedSet).toHaveLength(101);
    expect(parsedSet[100]).toBe('[… 50 more items]');
  });

  it('bounds the work on a wide and deep object (100^4 values) to a few thousand values', () => {
    let level: unknown = 'leaf';
    for (let d = 0; d < 4; d++) {
      const child = level;
      level = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, child]));
    }
    const started = performance.now();
    const text = messageText(level);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(text).toContain('"…"');
    expect(text.length).toBeLessThan(200_000);
  });

  it('marks only the property whose getter throws', () => {
    const value = {
      ok: 1,
      get bad(): never {
        throw new Error('boom');
      },
    };
    expect(messageText(value)).toBe('{"ok":1,"bad":"[unserializable: Error: boom]"}');
  });

  it('returns [unserializable: reason] for a revoked Proxy', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(messageText(proxy)).toMatch(/^\[unserializable: TypeError: .*revoked.*\]$/);
  });

  it('returns [unserializable: reason] for a Proxy whose traps throw, and marks a throwing get', () => {
    const noKeys = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('ownKeys trap');
        },
      },
    );
    expect(messageText(noKeys)).toBe('[unserializable: Error: ownKeys trap]');

    const noGet = new Proxy(
      { a: 1 },
      {
        get() {
          throw new Error('get trap');
        },
      },
    );
    // Even the Error check reads through the trap (Symbol.toStringTag): the value is unreadable.
    expect(messageText(noGet)).toBe('[unserializable: Error: get trap]');
    expect(messageText({ inner: noKeys })).toBe('{"inner":"[unserializable: Error: ownKeys trap]"}');
  });

  it('survives a thrown value that cannot even be turned into a reason', () => {
    const hostile = {
      toString(): string {
        throw new Error('again');
      },
    };
    const value = {
      get bad(): never {
        throw hostile;
      },
    };
    expect(messageText(value)).toBe('{"bad":"[unserializable: unknown error]"}');
  });
});

describe('truncateUtf8', () => {
  it('returns the same string when it cannot exceed the limit (fast path) or fits', () => {
    const short = 'abc';
    expect(truncateUtf8(short, 9)).toEqual({ text: short, truncatedBytes: 0 });
    expect(truncateUtf8('中'.repeat(10), 30)).toEqual({ text: '中'.repeat(10), truncatedBytes: 0 });
    // Not the fast path (50 × 3 > 50), but 50 ASCII bytes fit exactly.
    expect(truncateUtf8('a'.repeat(50), 50)).toEqual({ text: 'a'.repeat(50), truncatedBytes: 0 });
  });

  it('cuts ASCII and counts the marker within the limit', () => {
    // The marker is sized for "100" (24 bytes): 16 bytes of text remain, 84 are dropped.
    const result = truncateUtf8('a'.repeat(100), 40);
    expect(result).toEqual({ text: `${'a'.repeat(16)}…[truncated 84 bytes]`, truncatedBytes: 84 });
    expect(bytes(result.text)).toBe(39);
  });

  it('never splits an emoji (a surrogate pair, 4 bytes) at the boundary', () => {
    const text = `${'a'.repeat(15)}😀${'b'.repeat(100)}`; // 119 bytes
    // 41 − 24 (marker) = 17 bytes of room: the emoji would end at byte 19, so it goes whole.
    const cut = truncateUtf8(text, 41);
    expect(cut).toEqual({ text: `${'a'.repeat(15)}…[truncated 104 bytes]`, truncatedBytes: 104 });
    expect(cut.text).not.toMatch(/[\uD800-\uDFFF]/);
    expect(bytes(cut.text)).toBe(39);
    // 43 − 24 = 19 bytes of room: exactly the 15 a's and the emoji.
    const kept = truncateUtf8(text, 43);
    expect(kept).toEqual({ text: `${'a'.repeat(15)}😀…[truncated 100 bytes]`, truncatedBytes: 100 });
    expect(bytes(kept.text)).toBe(43);
  });

  it('never splits a CJK character (3 bytes)', () => {
    const result = truncateUtf8('中'.repeat(50), 40); // 150 bytes; room 40 − 24 = 16 → 5 characters
    expect(result).toEqual({ text: `${'中'.repeat(5)}…[truncated 135 bytes]`, truncatedBytes: 135 });
    expect(bytes(result.text)).toBe(39);
  });

  it('cuts without a marker when the marker itself does not fit', () => {
    expect(truncateUtf8('€'.repeat(10), 20)).toEqual({ text: '€'.repeat(6), truncatedBytes: 12 });
    expect(truncateUtf8('abcdef', 0)).toEqual({ text: '', truncatedBytes: 6 });
  });

  it('holds a 1 MB message to the default 64 KiB', () => {
    const text = 'x'.repeat(1024 * 1024);
    const result = truncateUtf8(text, DEFAULT_MAX_MESSAGE_BYTES);
    expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(65_536);
    expect(bytes(result.text)).toBeLessThanOrEqual(65_536);
    expect(bytes(result.text)).toBeGreaterThan(65_500);
    expect(result.text).toMatch(/…\[truncated \d+ bytes\]$/);
    expect(result.truncatedBytes).toBe(1024 * 1024 - result.text.indexOf('…'));
  });

  it('for mixed-width text at every limit: stays within it, keeps a whole-character prefix, counts exactly', () => {
    const alphabet = ['a', 'é', '中', '😀', ' ', '\n'];
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let n = 0; n < 40; n++) {
      const text = Array.from({ length: 80 }, () => alphabet[Math.floor(random() * alphabet.length)]).join(
        '',
      );
      const total = bytes(text);
      for (let limit = 0; limit <= total + 2; limit++) {
        const { text: out, truncatedBytes } = truncateUtf8(text, limit);
        expect(bytes(out)).toBeLessThanOrEqual(Math.max(limit, 0));
        const marker = out.indexOf('…[truncated');
        const kept = marker === -1 ? out : out.slice(0, marker);
        expect(text.startsWith(kept)).toBe(true);
        expect(kept).not.toMatch(LONE_SURROGATE);
        expect(truncatedBytes).toBe(total - bytes(kept));
        if (marker !== -1) expect(out.slice(marker)).toBe(`…[truncated ${truncatedBytes} bytes]`);
      }
    }
  });
});

describe('errorInfo', () => {
  it('reads type, message and stack from an Error', () => {
    expect(errorInfo(fixedError('nope', TypeError))).toEqual({
      type: 'TypeError',
      message: 'nope',
      stack: 'TypeError: nope\n    at test',
    });
  });

  it('reads an error-like object (string message with a name or stack)', () => {
    expect(errorInfo({ name: 'AbortError', message: 'aborted' })).toEqual({
      type: 'AbortError',
      message: 'aborted',
    });
    expect(errorInfo({ message: 'm', stack: 's' })).toEqual({ type: 'Error', message: 'm', stack: 's' });
  });

  it('recognises an Error from another realm', () => {
    const foreign = runInNewContext('new RangeError("elsewhere")') as unknown;
    expect(foreign instanceof Error).toBe(false);
    expect(errorInfo(foreign)).toMatchObject({ type: 'RangeError', message: 'elsewhere' });
  });

  it('returns undefined for what is not an error', () => {
    expect(errorInfo('boom')).toBeUndefined();
    expect(errorInfo(42)).toBeUndefined();
    expect(errorInfo(null)).toBeUndefined();
    expect(errorInfo({ message: 'no name or stack' })).toBeUndefined();
    expect(errorInfo({ name: 'no message' })).toBeUndefined();
  });

  it('names an Error by its class when its name is blank, and stringifies a non-string message', () => {
    class DbError extends Error {}
    const error = new DbError('x');
    error.name = '';
    expect(errorInfo(error)?.type).toBe('DbError');
    const odd = new Error('x');
    (odd as { message: unknown }).message = 42;
    expect(errorInfo(odd)?.message).toBe('42');
  });

  it('never throws: an Error whose message getter throws gives a marker', () => {
    const error = new Error('x');
    Object.defineProperty(error, 'message', {
      get() {
        throw new Error('getter');
      },
    });
    expect(errorInfo(error)).toEqual({ type: 'Error', message: '[unserializable: Error: getter]' });
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(errorInfo(proxy)).toBeUndefined();
  });
});

describe('plainValue', () => {
  it('keeps primitives, writes bigint as a decimal string, Date as ISO, Error as errorInfo', () => {
    expect(plainValue('s')).toBe('s');
    expect(plainValue(1.5)).toBe(1.5);
    expect(plainValue(false)).toBe(false);
    expect(plainValue(null)).toBe(null);
    expect(plainValue(undefined)).toBe(undefined);
    expect(plainValue(2n ** 70n)).toBe('1180591620717411303424');
    expect(plainValue(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
    expect(plainValue(fixedError('bad'))).toEqual({
      type: 'Error',
      message: 'bad',
      stack: 'Error: bad\n    at test',
    });
    expect(plainValue(Symbol('s'))).toBe('Symbol(s)');
    expect(plainValue(() => {})).toMatch(/^\[Function /);
  });

  it('copies objects and arrays deeply, leaving the input untouched', () => {
    const input = { user: { id: 7, roles: ['admin'] }, when: new Date(0), n: 5n };
    const out = plainValue(input) as typeof input;
    expect(out).toEqual({ user: { id: 7, roles: ['admin'] }, when: '1970-01-01T00:00:00.000Z', n: '5' });
    expect(out.user).not.toBe(input.user);
    expect(out.user.roles).not.toBe(input.user.roles);
    expect(input.when).toBeInstanceOf(Date);
    expect(input.n).toBe(5n);
  });

  it('keeps bytes as a copied Uint8Array (an AnyValue) and turns Maps and Sets into arrays', () => {
    const buffer = Buffer.from([1, 2, 3]);
    const out = plainValue({ raw: buffer, m: new Map([['k', 1n]]), s: new Set(['a']) }) as Record<
      string,
      unknown
    >;
    expect(out.raw).toBeInstanceOf(Uint8Array);
    expect(out.raw).not.toBe(buffer);
    expect([...(out.raw as Uint8Array)]).toEqual([1, 2, 3]);
    expect(out.m).toEqual([['k', '1']]);
    expect(out.s).toEqual(['a']);
  });

  it('protects against cycles, depth, throwing getters and Proxies like messageText', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.me = cyclic;
    expect(plainValue(cyclic)).toEqual({ a: 1, me: '[Circular]' });
    expect(depthOf(plainValue(nested(20)))).toBe(7);
    const getter = {
      get bad(): never {
        throw new Error('boom');
      },
    };
    expect(plainValue(getter)).toEqual({ bad: '[unserializable: Error: boom]' });
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(plainValue(proxy)).toMatch(/^\[unserializable: TypeError/);
  });

  it('produces something JSON can always write', () => {
    const messy: Record<string, unknown> = {
      big: 1n,
      err: new Error('e'),
      map: new Map([[1n, new Set([2n])]]),
    };
    messy.loop = [messy];
    expect(() => JSON.stringify(plainValue(messy))).not.toThrow();
  });
});
