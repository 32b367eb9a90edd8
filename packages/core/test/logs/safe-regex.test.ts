// User search patterns cannot hang the process: catastrophic patterns finish in linear time on
// RE2, features RE2 lacks fail with a stable code, and literal searches take the native fast path
// with the same answers.
import { describe, expect, it } from 'vitest';
import { compileSearchPattern, InvalidSearchPatternError } from '../../src/logs/safe-regex.js';

/** The error compiling a pattern throws. */
const rejection = (pattern: string | RegExp): InvalidSearchPatternError => {
  try {
    compileSearchPattern(pattern);
  } catch (error) {
    return error as InvalidSearchPatternError;
  }
  throw new Error(`expected ${String(pattern)} to be rejected`);
};

describe('compileSearchPattern', () => {
  it.each([
    ['(a+)+$', `${'a'.repeat(30)}b`],
    ['(a|aa)+$', `${'a'.repeat(40)}b`],
    ['^(\\w+\\s?)*$', `${'word '.repeat(20)}!`],
    ['(x+x+)+y', 'x'.repeat(5000)],
  ])('runs the catastrophic pattern /%s/ in well under 100 ms', (pattern, text) => {
    const compiled = compileSearchPattern(pattern);
    expect(compiled.engine).toBe('re2');
    const started = performance.now();
    expect(compiled.test(text)).toBe(false);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('stays linear on a long input', () => {
    const compiled = compileSearchPattern('(a+)+$');
    const started = performance.now();
    expect(compiled.test(`${'a'.repeat(200_000)}b`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(compiled.test('xaaa')).toBe(true);
  });

  it('matches like a RegExp for ordinary patterns', () => {
    const compiled = compileSearchPattern(String.raw`status=(5\d\d)\b`);
    expect(compiled.test('GET / status=503 in 3ms')).toBe(true);
    expect(compiled.test('GET / status=200 in 3ms')).toBe(false);
    expect(compileSearchPattern('(?<code>E\\d{4})').test('failed with E1234')).toBe(true);
    expect(compileSearchPattern('\\u0041BC').test('xABC')).toBe(true);
  });

  it.each([
    ['(a)\\1', 'backreferences (\\1…)'],
    ['(?<q>["\'])x\\k<q>', 'backreferences (\\k…)'],
  ])('rejects the backreference in /%s/ with DLM_INVALID_SEARCH_PATTERN', (pattern, reason) => {
    const error = rejection(pattern);
    expect(error).toBeInstanceOf(InvalidSearchPatternError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('DLM_INVALID_SEARCH_PATTERN');
    expect(error.pattern).toBe(pattern);
    expect(error.message).toContain(`/${pattern}/`);
    expect(error.message).toContain(reason);
    expect(error.message).toContain('linear time');
  });

  it.each([
    ['foo(?=bar)', 'lookahead'],
    ['foo(?!bar)', 'lookahead'],
    ['(?<=\\$)\\d+', 'lookbehind'],
    ['(?<!x)y', 'lookbehind'],
  ])('rejects the lookaround in /%s/', (pattern, kind) => {
    const error = rejection(pattern);
    expect(error.code).toBe('DLM_INVALID_SEARCH_PATTERN');
    expect(error.message).toContain(`/${pattern}/`);
    expect(error.message).toContain(`${kind} (`);
  });

  it('does not mistake an escaped paren or a class for lookaround', () => {
    expect(compileSearchPattern('\\(?=x').test('=x')).toBe(true);
    expect(compileSearchPattern('[(?=]+').test('?')).toBe(true);
  });

  it.each([
    ['(unclosed', 'missing closing )'],
    ['[abc', 'missing closing ]'],
    ['a{2000}', 'invalid repeat count'],
    ['*a', 'missing argument to repetition operator'],
  ])('rejects the invalid pattern /%s/, naming the reason', (pattern, reason) => {
    const error = rejection(pattern);
    expect(error.code).toBe('DLM_INVALID_SEARCH_PATTERN');
    expect(error.message).toContain(`/${pattern}/`);
    expect(error.message).toContain(reason);
  });

  it('rejects the y and v flags and a pattern that is neither string nor RegExp', () => {
    expect(rejection(/a/y).message).toContain('sticky');
    // biome-ignore lint/complexity/useRegexLiterals: a /v literal needs an ES2024 target; Node 20 supports it at run time
    expect(rejection(new RegExp('a', 'v')).message).toContain('v flag');
    expect(rejection(42 as unknown as string).message).toContain('must be a string or a RegExp');
  });

  it('matches case-insensitively with the option or the i flag, and not otherwise', () => {
    for (const pattern of ['conn(ection)? refused', 'timeout|refused']) {
      expect(compileSearchPattern(pattern).test('Connection REFUSED')).toBe(false);
      expect(compileSearchPattern(pattern, { caseInsensitive: true }).test('Connection REFUSED')).toBe(true);
      expect(compileSearchPattern(new RegExp(pattern, 'i')).test('Connection REFUSED')).toBe(true);
      expect(compileSearchPattern(pattern, { caseInsensitive: true }).flags).toBe('i');
    }
  });

  it('applies the m and s flags of a RegExp', () => {
    expect(compileSearchPattern(/^second/).test('first\nsecond')).toBe(false);
    expect(compileSearchPattern(/^second/m).test('first\nsecond')).toBe(true);
    expect(compileSearchPattern(/first.second/).test('first\nsecond')).toBe(false);
    expect(compileSearchPattern(/first.second/s).test('first\nsecond')).toBe(true);
    expect(compileSearchPattern(/x/ims).flags).toBe('ims');
  });

  it('is stateless even for a RegExp with the g flag', () => {
    const compiled = compileSearchPattern(/err(or)?/g);
    expect([compiled.test('error'), compiled.test('error'), compiled.test('error')]).toEqual([
      true,
      true,
      true,
    ]);
  });

  it('keeps the source as given', () => {
    expect(compileSearchPattern('a|b').source).toBe('a|b');
    expect(compileSearchPattern(/x\d/i).source).toBe('x\\d');
  });
});

describe('compileSearchPattern literal fast path', () => {
  it.each([
    ['timeout', 'timeout'],
    ['timeout|refused', 'timeout|refused'],
    ['conn\\.refused|a\\+b', 'escaped punctuation'],
    ['', 'the empty pattern'],
    ['état|中文|😀', 'non-ASCII literals'],
  ])('runs /%s/ (%s) natively', (pattern) => {
    expect(compileSearchPattern(pattern).engine).toBe('literal');
  });

  it.each([['a.b'], ['a+'], ['\\d'], ['(a)'], ['a{2}'], ['[ab]'], ['^a'], ['a$'], ['a?']])(
    'leaves /%s/ to RE2',
    (pattern) => {
      expect(compileSearchPattern(pattern).engine).toBe('re2');
    },
  );

  it('answers exactly as RE2 does, case-sensitive and not', () => {
    const texts = [
      'connection timeout after 5s',
      'conn.refused by peer',
      'CONN.REFUSED',
      'connXrefused',
      'a+b=c',
      'ab',
      'ÉTAT critique',
      'temp 300\u212A',
      '😀 done',
      '',
    ];
    const patterns = ['timeout|conn\\.refused', 'a\\+b', 'état|k', '😀', ''];
    for (const pattern of patterns) {
      for (const caseInsensitive of [false, true]) {
        const literal = compileSearchPattern(pattern, { caseInsensitive });
        // The same pattern with a group around it is not literal, so it runs on RE2.
        const re2 = compileSearchPattern(`(?:${pattern})`, { caseInsensitive });
        expect(literal.engine).toBe('literal');
        expect(re2.engine).toBe('re2');
        for (const text of texts) {
          expect(
            literal.test(text),
            `/${pattern}/${caseInsensitive ? 'i' : ''} on ${JSON.stringify(text)}`,
          ).toBe(re2.test(text));
        }
      }
    }
  });
});
