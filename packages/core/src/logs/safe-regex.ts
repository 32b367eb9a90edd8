// Search patterns typed by users (the dashboard's search box, the search API), compiled so that no
// pattern can hang the process: a backtracking engine (V8's RegExp) takes exponential time on
// patterns like `(a+)+$`, so they run on re2js, a port of RE2 that matches in linear time.
// Plain literals and alternations of literals, the common searches, keep the native engine: for
// them it is linear too, and several times faster (see compileSearchPattern).
import { RE2JS } from 're2js';

/** A compiled search pattern; `test` is linear in the text whatever the pattern. */
export interface SearchPattern {
  /** The pattern as given (a RegExp's `source`). */
  readonly source: string;
  /** The flags that apply, among `i`, `m` and `s`. */
  readonly flags: string;
  /** Which engine runs it: `literal` (native RegExp, literals only) or `re2`. */
  readonly engine: 'literal' | 're2';
  /** Whether the pattern matches anywhere in `text`. Stateless, unlike a RegExp with `g`. */
  test(text: string): boolean;
}

export interface SearchPatternOptions {
  /**
   * Match regardless of case, as the `i` flag does (either one is enough).
   * @default false
   */
  caseInsensitive?: boolean;
}

/** Thrown for a search pattern that is not valid, or uses what RE2 cannot run in linear time. */
export class InvalidSearchPatternError extends Error {
  override readonly name = 'InvalidSearchPatternError';
  /** Stable, never reused, so it can be matched on and searched for. */
  readonly code = 'DLM_INVALID_SEARCH_PATTERN';

  constructor(
    /** The pattern as given. */
    readonly pattern: string,
    /** Why it was rejected. */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`invalid search pattern /${pattern}/: ${reason}`, options);
  }
}

/**
 * Compiles a user's search pattern, in JavaScript syntax (RE2's own `\A`, `\z`, `(?i)` and
 * `[[:alpha:]]` work too). Flags `i`, `m` and `s` apply; `g`, `u` and `d` are ignored (`test` is
 * stateless, and RE2 is Unicode-aware anyway); `y` and `v` are rejected.
 * @throws InvalidSearchPatternError for invalid syntax, backreferences and lookaround (which
 *   need backtracking), and nesting or repetition beyond RE2's limits (a count above 1000).
 * @example compileSearchPattern('timeout|refused', { caseInsensitive: true }).test('Conn REFUSED') // true
 */
export function compileSearchPattern(
  pattern: string | RegExp,
  options: SearchPatternOptions = {},
): SearchPattern {
  let source: string;
  let given = '';
  if (pattern instanceof RegExp) {
    source = pattern.source;
    given = pattern.flags;
  } else if (typeof pattern === 'string') {
    source = pattern;
  } else {
    throw new InvalidSearchPatternError(String(pattern), 'a search pattern must be a string or a RegExp');
  }
  for (const flag of given) {
    if (flag === 'y') throw new InvalidSearchPatternError(source, 'the sticky flag (y) is not supported');
    if (flag === 'v') {
      throw new InvalidSearchPatternError(
        source,
        'the v flag (set notation) is not supported; use the u flag',
      );
    }
  }
  const caseInsensitive = options.caseInsensitive === true || given.includes('i');
  const flags = `${caseInsensitive ? 'i' : ''}${given.includes('m') ? 'm' : ''}${given.includes('s') ? 's' : ''}`;

  const literals = literalAlternatives(source);
  if (literals !== undefined) {
    // Only literals: V8 tries each alternative at each position, O(text × pattern) at worst with
    // nothing to backtrack into. `u` makes `i` use Unicode case folding, as RE2 does (K ≈ K).
    const native = new RegExp(literals.map(escapeLiteral).join('|'), caseInsensitive ? 'iu' : 'u');
    return { source, flags, engine: 'literal', test: (text) => native.test(text) };
  }

  const re2 = compileRe2(source, flags);
  return { source, flags, engine: 're2', test: (text) => re2.test(text) };
}

/**
 * Compiles a pattern in JavaScript syntax for RE2 (linear time), for callers that need more than
 * `test` (redaction replaces matches). Flags among `i`, `m` and `s`.
 * @throws InvalidSearchPatternError for invalid syntax, backreferences and lookaround
 */
export function compileRe2(source: string, flags: string): RE2JS {
  const unsupported = unsupportedFeature(source);
  if (unsupported !== undefined) throw new InvalidSearchPatternError(source, unsupported);
  try {
    return RE2JS.compile(
      RE2JS.translateRegExp(source),
      (flags.includes('i') ? RE2JS.CASE_INSENSITIVE : 0) |
        (flags.includes('m') ? RE2JS.MULTILINE : 0) |
        (flags.includes('s') ? RE2JS.DOTALL : 0),
    );
  } catch (error) {
    throw new InvalidSearchPatternError(source, describeRe2Error(error), { cause: error });
  }
}

/** Characters with a meaning in a pattern; anything else is itself. */
const SPECIAL = new Set(['\\', '^', '$', '.', '|', '?', '*', '+', '(', ')', '[', ']', '{', '}']);

/**
 * The alternatives of a pattern made only of literal text (`timeout|conn\.refused`), unescaped,
 * or undefined when anything else appears. Escapes count as literal only for punctuation, which
 * stands for itself in every engine; `\d`, `\n` and the like are left to RE2.
 */
function literalAlternatives(source: string): string[] | undefined {
  const alternatives: string[] = [];
  let current = '';
  for (let i = 0; i < source.length; i++) {
    const char = source[i]!;
    if (char === '|') {
      alternatives.push(current);
      current = '';
    } else if (char === '\\') {
      const next = source[i + 1];
      if (next === undefined || !/^[!-/:-@[-`{-~]$/.test(next)) return undefined;
      current += next;
      i++;
    } else if (SPECIAL.has(char)) {
      return undefined;
    } else {
      current += char;
    }
  }
  alternatives.push(current);
  return alternatives;
}

/** Escapes for a `u`-flag RegExp, which rejects escapes of anything but syntax characters and `/`. */
function escapeLiteral(literal: string): string {
  return literal.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/**
 * Names a feature RE2 lacks, read from the JavaScript source before translation: re2js's
 * translation turns `\k<name>` into a literal `k<name>` (as JavaScript does without named
 * groups), so a named backreference would silently match something else instead of failing.
 */
function unsupportedFeature(source: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char === '\\') {
      const next = source[i + 1] ?? '';
      if (!inClass && (/[1-9]/.test(next) || (next === 'k' && source[i + 2] === '<'))) {
        return `backreferences (${source.slice(i, i + 2)}…) are not supported: user patterns run on RE2, which matches in linear time and so has no backreferences`;
      }
      i++;
    } else if (char === '[') {
      inClass = true;
    } else if (char === ']') {
      inClass = false;
    } else if (!inClass && char === '(' && source[i + 1] === '?') {
      const kind = source.slice(i + 2, i + 4);
      if (kind.startsWith('=') || kind.startsWith('!')) {
        return `lookahead (${source.slice(i, i + 3)}…) is not supported: user patterns run on RE2, which matches in linear time and so has no lookaround`;
      }
      if (kind === '<=' || kind === '<!') {
        return `lookbehind (${source.slice(i, i + 4)}…) is not supported: user patterns run on RE2, which matches in linear time and so has no lookaround`;
      }
    }
  }
  return undefined;
}

function describeRe2Error(error: unknown): string {
  if (error instanceof Error && 'error' in error && typeof error.error === 'string') {
    const input = 'input' in error && typeof error.input === 'string' ? `: ${error.input}` : '';
    return `${error.error}${input}`;
  }
  return error instanceof Error ? error.message : String(error);
}
