// Redaction: every built-in key and value pattern, user keys, patterns and every pino path form;
// values are copied only when something changed, inputs are never mutated, and bad options fail
// at construction with a clear message.
import { describe, expect, it } from 'vitest';
import { DEFAULT_REDACT_KEYS, RedactionConfigError, Redactor } from '../../src/logs/redact.js';

const R = '[REDACTED]';
const defaults = new Redactor();

/** Freezes a value and everything in it, so any write by the redactor would throw. */
const deepFreeze = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
};

/** The error a constructor call throws. */
const setupError = (make: () => unknown): RedactionConfigError => {
  try {
    make();
  } catch (error) {
    return error as RedactionConfigError;
  }
  throw new Error('expected the constructor to throw');
};

describe('Redactor value patterns (redactText)', () => {
  it.each([
    ['Visa, spaces', 'card 4111 1111 1111 1111 charged', `card ${R} charged`],
    ['Visa, dashes', 'card 4111-1111-1111-1111.', `card ${R}.`],
    ['Mastercard', 'pan=5555555555554444', `pan=${R}`],
    ['Mastercard 2-series', 'pan 2223003122003222', `pan ${R}`],
    ['Amex (15 digits)', 'amex 378282246310005', `amex ${R}`],
    ['Discover', '6011111111111117', R],
    ['13 digits', 'old visa 4222222222222', `old visa ${R}`],
    ['19 digits', 'long 4111111111111111110 end', `long ${R} end`],
  ])('redacts a Luhn-valid card number: %s', (_name, text, expected) => {
    expect(defaults.redactText(text)).toBe(expected);
  });

  it('keeps a number that fails the Luhn check', () => {
    const text = 'card 4111 1111 1111 1112 declined';
    expect(defaults.redactText(text)).toBe(text);
  });

  it('keeps numbers that are not card-shaped: too short, too long, or starting with 1 (timestamps)', () => {
    for (const text of [
      'id 411111111111', // 12 digits
      'trace 41111111111111111111234', // 23 digits: no 16-digit slice is taken out of it
      'at 1718000000006 ms', // Luhn-valid epoch milliseconds
    ]) {
      expect(defaults.redactText(text)).toBe(text);
    }
  });

  it.each([
    ['Bearer', 'Authorization: Bearer abc123XYZ.def-456', `Authorization: Bearer ${R}`],
    ['lower-case bearer', 'authorization=bearer 9f8e7d6c5b4a', `authorization=bearer ${R}`],
    ['Basic', 'Authorization: Basic dXNlcjpwYXNzd29yZA==', `Authorization: Basic ${R}`],
    ['short Basic', 'Basic YTpi', `Basic ${R}`],
  ])('redacts the credential after the scheme, keeping the scheme: %s', (_name, text, expected) => {
    expect(defaults.redactText(text)).toBe(expected);
  });

  it('keeps prose that merely contains "Basic" or "Bearer"', () => {
    for (const text of ['Basic setup complete', 'Bearer token expired', 'Basic Authentication enabled']) {
      expect(defaults.redactText(text)).toBe(text);
    }
  });

  it('redacts JWTs', () => {
    const jwt =
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    expect(defaults.redactText(`token=${jwt}; path=/`)).toBe(`token=${R}; path=/`);
    expect(defaults.redactText('unsigned eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0. ok')).toBe(`unsigned ${R} ok`);
  });

  it('redacts AWS access key ids (AKIA and temporary ASIA), not look-alikes', () => {
    expect(defaults.redactText('key AKIAIOSFODNN7EXAMPLE used')).toBe(`key ${R} used`);
    expect(defaults.redactText('key ASIAIOSFODNN7EXAMPLE used')).toBe(`key ${R} used`);
    const short = 'key AKIAIOSFODNN7EXAMPL used';
    expect(defaults.redactText(short)).toBe(short);
  });

  it('redacts several secrets in one line', () => {
    expect(defaults.redactText('a 4111111111111111 b AKIAIOSFODNN7EXAMPLE c Bearer x1y2z3w4')).toBe(
      `a ${R} b ${R} c Bearer ${R}`,
    );
  });

  it('returns the very same string when nothing matched', () => {
    const text = 'GET /api/v1/orders?page=2 completed with status 200 in 35ms for user alice';
    expect(defaults.redactText(text)).toBe(text);
    expect(defaults.redactText('')).toBe('');
  });

  it('adds user patterns (RegExp with flags, or strings) to the defaults', () => {
    const redactor = new Redactor({ patterns: [/acct-\d{6}/i, 'ghp_[A-Za-z0-9]{8}'] });
    expect(redactor.redactText('ACCT-123456 ghp_abcdEFGH 4111111111111111')).toBe(`${R} ${R} ${R}`);
  });

  it('runs user patterns with clashing group names, each on its own', () => {
    const redactor = new Redactor({ patterns: [/(?<id>sid_\d+)/, /(?<id>uid_\d+)/], defaults: false });
    expect(redactor.redactText('a sid_9 b uid_8')).toBe(`a ${R} b ${R}`);
  });

  it('runs user patterns on RE2: a catastrophic pattern stays linear, backtracking features are refused', () => {
    // On V8's engine, (a+)+$ takes seconds at 28 a's and doubles per character (the issue's case 9).
    const redactor = new Redactor({ patterns: ['(a+)+$'], defaults: false });
    const started = performance.now();
    expect(redactor.redactText(`${'a'.repeat(30_000)}!`)).toBe(`${'a'.repeat(30_000)}!`);
    expect(redactor.redactText('xx aaaa')).toBe(`xx ${R}`);
    expect(performance.now() - started).toBeLessThan(500);
    expect(setupError(() => new Redactor({ patterns: [/(["'])tok_\w+\1/] })).message).toMatch(
      /backreferences .* not supported: user patterns run on RE2/,
    );
    expect(setupError(() => new Redactor({ patterns: ['secret(?=-)'] })).message).toMatch(/lookahead/);
  });

  it('uses the given censor', () => {
    expect(new Redactor({ censor: '***' }).redactText('Bearer abc123def')).toBe('Bearer ***');
  });

  it('can drop the defaults', () => {
    const redactor = new Redactor({ defaults: false, patterns: [/internal-\d+/] });
    expect(redactor.redactText('internal-42 4111111111111111')).toBe(`${R} 4111111111111111`);
    expect(redactor.redactValue({ password: 'p' })).toEqual({ password: 'p' });
  });
});

describe('Redactor keys (redactValue)', () => {
  const variants = (key: string): string[] => [
    key,
    key.toUpperCase(),
    key.replace(/[-_]/g, ''),
    key.replace(/_/g, '-'),
    key.replace(/[-_](.)/g, (_, c: string) => c.toUpperCase()),
  ];

  it.each(DEFAULT_REDACT_KEYS.map((key) => [key]))(
    'redacts the default key "%s" in any case, with or without - and _',
    (key) => {
      for (const variant of variants(key)) {
        expect(defaults.redactValue({ [variant]: 'hunter2', other: 'kept' })).toEqual({
          [variant]: R,
          other: 'kept',
        });
      }
    },
  );

  it('matches whole keys only', () => {
    const value = { author: 'a', tokenCount: 3, passwordHint: 'pet', sessions: 2 };
    expect(defaults.redactValue(value)).toBe(value);
  });

  it('redacts keys at any depth, inside arrays, and whole values that are objects', () => {
    const input = {
      request: { headers: { Authorization: 'x', Accept: 'json' } },
      users: [{ name: 'a', password: 'p1' }, { name: 'b' }],
      credentials: { user: 'u', key: 'k' },
    };
    expect(defaults.redactValue(input)).toEqual({
      request: { headers: { Authorization: R, Accept: 'json' } },
      users: [{ name: 'a', password: R }, { name: 'b' }],
      credentials: R,
    });
  });

  it('keeps null and undefined under a sensitive key (they hide nothing)', () => {
    const value = { password: null, token: undefined };
    expect(defaults.redactValue(value)).toBe(value);
  });

  it('applies value patterns to strings in objects and arrays', () => {
    expect(
      defaults.redactValue({ note: 'paid with 4111 1111 1111 1111', list: ['AKIAIOSFODNN7EXAMPLE', 1] }),
    ).toEqual({
      note: `paid with ${R}`,
      list: [R, 1],
    });
  });

  it('adds user keys to the defaults, normalized the same way', () => {
    const redactor = new Redactor({ keys: ['ssn', 'X-Api-Key'] });
    expect(redactor.redactValue({ SSN: '1', x_api_key: '2', password: '3', name: 'n' })).toEqual({
      SSN: R,
      x_api_key: R,
      password: R,
      name: 'n',
    });
  });

  it('returns the same object when nothing changed, and shares untouched branches when something did', () => {
    const untouched = { a: { b: [1, 'two', { c: 'three' }] }, d: 'four' };
    expect(defaults.redactValue(untouched)).toBe(untouched);

    const input = { safe: { list: [1, 2] }, secret: 'x', nested: { keep: 'k', token: 't' } };
    const out = defaults.redactValue(input);
    expect(out).not.toBe(input);
    expect(out.safe).toBe(input.safe);
    expect(out.nested).not.toBe(input.nested);
  });

  it('never mutates its input', () => {
    const input = deepFreeze({ user: { password: 'p', cards: ['4111111111111111'] }, token: 't' });
    const before = structuredClone(input);
    const out = defaults.redactValue(input);
    expect(out).toEqual({ user: { password: R, cards: [R] }, token: R });
    expect(input).toEqual(before);
  });

  it('redacts a top-level string and leaves non-plain objects as they are', () => {
    expect(defaults.redactValue('Bearer abc123def')).toBe(`Bearer ${R}`);
    const date = new Date(0);
    expect(defaults.redactValue({ at: date }).at).toBe(date);
  });

  it('keeps a "__proto__" key a key', () => {
    const input = JSON.parse('{"__proto__":{"password":"x"},"ok":1}') as Record<string, unknown>;
    const out = defaults.redactValue(input);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ password: R });
  });

  it('fails closed: cycles, throwing getters and revoked Proxies are censored, never thrown', () => {
    const cyclic: Record<string, unknown> = { name: 'n' };
    cyclic.self = cyclic;
    expect(defaults.redactValue(cyclic)).toEqual({ name: 'n', self: R });

    const getter = {
      ok: { v: 1 },
      hostile: {
        get password(): never {
          throw new Error('boom');
        },
      },
    };
    expect(defaults.redactValue(getter)).toEqual({ ok: { v: 1 }, hostile: R });

    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(defaults.redactValue(proxy)).toBe(R);
    expect(defaults.redactValue({ p: proxy })).toEqual({ p: R });
  });
});

describe('Redactor paths', () => {
  const only = (paths: string[]): Redactor => new Redactor({ paths, defaults: false });

  it('a.b.c: exactly that value', () => {
    expect(
      only(['user.address.street']).redactValue({
        user: { address: { street: 's', city: 'c' } },
        street: 's',
      }),
    ).toEqual({ user: { address: { street: R, city: 'c' } }, street: 's' });
  });

  it('a["x-api-key"].b and single quotes: keys with any characters', () => {
    const input = { headers: { 'x-api-key': { value: 'k', kind: 'static' } } };
    const expected = { headers: { 'x-api-key': { value: R, kind: 'static' } } };
    expect(only(['headers["x-api-key"].value']).redactValue(input)).toEqual(expected);
    expect(only(["headers['x-api-key'].value"]).redactValue(input)).toEqual(expected);
    expect(only(['["a.b"]']).redactValue({ 'a.b': 1, a: { b: 2 } })).toEqual({ 'a.b': R, a: { b: 2 } });
    expect(only(['a["say \\"hi\\""]']).redactValue({ a: { 'say "hi"': 1 } })).toEqual({
      a: { 'say "hi"': R },
    });
  });

  it('a[0].b: one array element', () => {
    expect(only(['items[0].price']).redactValue({ items: [{ price: 1 }, { price: 2 }] })).toEqual({
      items: [{ price: R }, { price: 2 }],
    });
  });

  it('*.pin: any top-level key, one level only', () => {
    expect(only(['*.pin']).redactValue({ card: { pin: 1 }, other: { pin: 2, x: 3 }, pin: 4 })).toEqual({
      card: { pin: R },
      other: { pin: R, x: 3 },
      pin: 4,
    });
  });

  it('a.*.code: any key in the middle', () => {
    expect(
      only(['a.*.code']).redactValue({ a: { x: { code: 1 }, y: { code: 2, z: 3 } }, b: { x: { code: 4 } } }),
    ).toEqual({
      a: { x: { code: R }, y: { code: R, z: 3 } },
      b: { x: { code: 4 } },
    });
  });

  it('a[*] and a[*].b: every element', () => {
    expect(only(['a[*]']).redactValue({ a: [1, 2], b: [1] })).toEqual({ a: [R, R], b: [1] });
    expect(only(['a[*].b']).redactValue({ a: [{ b: 1, c: 1 }, { b: 2 }] })).toEqual({
      a: [{ b: R, c: 1 }, { b: R }],
    });
  });

  it('a["*"]: a quoted star is a literal key, not a wildcard', () => {
    expect(only(['a["*"]']).redactValue({ a: { '*': 1, b: 2 } })).toEqual({ a: { '*': R, b: 2 } });
  });

  it('adds nothing for a missing key, and returns the same object', () => {
    const input = { user: { name: 'n' }, list: [] as unknown[] };
    expect(only(['user.ssn', 'list[3]', 'nothing.here', 'user.name.first']).redactValue(input)).toBe(input);
  });

  it('works together with keys and patterns', () => {
    expect(
      new Redactor({ paths: ['user.ssn'] }).redactValue({
        user: { ssn: '1', password: 'p', note: 'AKIAIOSFODNN7EXAMPLE' },
      }),
    ).toEqual({
      user: { ssn: R, password: R, note: R },
    });
  });

  it.each([
    ['', 'non-empty'],
    ['a..b', 'empty segment'],
    ['.a', 'empty segment'],
    ['a.', 'empty segment'],
    ['a[', 'unterminated ['],
    ['a[x]', 'expected an index, * or a quoted key'],
    ['a["x', 'unterminated "'],
    ['a["x"b]', 'expected ] after the quoted key'],
    ['a*', 'a wildcard must be a whole segment'],
    ['a]b', 'unexpected ]'],
    ['a[0]b', 'expected . or ['],
  ])('rejects the path %j at construction: %s', (path, reason) => {
    const error = setupError(() => only([path]));
    expect(error).toBeInstanceOf(RedactionConfigError);
    expect(error.code).toBe('DLM_INVALID_REDACTION_OPTION');
    expect(error.message).toContain(reason);
    if (path !== '') expect(error.message).toContain(JSON.stringify(path));
  });
});

describe('Redactor setup', () => {
  it('rejects an invalid pattern, naming it', () => {
    const error = setupError(() => new Redactor({ patterns: ['secret-('] }));
    expect(error).toBeInstanceOf(RedactionConfigError);
    expect(error.message).toMatch(/redaction pattern "secret-\(" is not a valid regular expression/);
  });

  it('rejects a pattern that matches the empty string', () => {
    expect(setupError(() => new Redactor({ patterns: [/x*/] })).message).toMatch(/matches the empty string/);
  });

  it('rejects empty keys, a non-string censor and a non-array option', () => {
    expect(setupError(() => new Redactor({ keys: ['-_'] })).message).toMatch(/redaction key "-_" is empty/);
    expect(setupError(() => new Redactor({ censor: 1 as unknown as string })).message).toMatch(
      /"censor" must be a string/,
    );
    expect(setupError(() => new Redactor({ keys: 'password' as unknown as string[] })).message).toMatch(
      /"keys" must be an array/,
    );
    expect(setupError(() => new Redactor({ patterns: [42 as unknown as string] })).message).toMatch(
      /must be a RegExp or a string, got 42/,
    );
  });

  it('is active unless there is nothing to redact', () => {
    expect(defaults.active).toBe(true);
    expect(new Redactor({ defaults: false }).active).toBe(false);
    expect(new Redactor({ defaults: false, paths: ['a'] }).active).toBe(true);
    expect(new Redactor({ defaults: false, keys: ['a'] }).active).toBe(true);
    expect(new Redactor({ defaults: false, patterns: ['a'] }).active).toBe(true);
    const idle = new Redactor({ defaults: false });
    const value = { password: 'p' };
    expect(idle.redactValue(value)).toBe(value);
    expect(idle.redactText('Bearer abc123def')).toBe('Bearer abc123def');
  });
});
