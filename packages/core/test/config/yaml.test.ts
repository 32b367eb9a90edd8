// The configuration file's YAML within bounds: every refusal is a problem (never the yaml
// library's exception), comes before the work it bounds, quotes nothing of the file, and takes
// milliseconds. Times are asserted with slack for a loaded two-core machine.
import { describe, expect, it } from 'vitest';
import { type ParsedYaml, parseConfigYaml, YAML_LIMITS } from '../../src/config/yaml.js';

/** Well under a second even on a busy machine; measured: 10-250 ms. */
const FAST_MS = 1000;

function timed(text: string): { parsed: ParsedYaml; ms: number } {
  const start = performance.now();
  const parsed = parseConfigYaml(text);
  return { parsed, ms: performance.now() - start };
}

function problemsOf(text: string): { message: string; line?: number }[] {
  const parsed = parseConfigYaml(text);
  if (!('problems' in parsed)) throw new Error('expected problems');
  return parsed.problems.map((problem) =>
    problem.offset === undefined
      ? { message: problem.message }
      : { message: problem.message, line: parsed.lines.linePos(problem.offset).line },
  );
}

function jsValueOf(text: string): unknown {
  const parsed = parseConfigYaml(text);
  if ('problems' in parsed) throw new Error(parsed.problems.map((p) => p.message).join('; '));
  return parsed.value;
}

const keys = (count: number, indent = '') =>
  Array.from({ length: count }, (_, i) => `${indent}k${i}: v`).join('\n');

describe('a configuration within the bounds', () => {
  it('parses as before, aliases included', () => {
    expect(jsValueOf('dashboard:\n  port: 9000\nx: &a [1, 2]\ny: *a\n')).toEqual({
      dashboard: { port: 9000 },
      x: [1, 2],
      y: [1, 2],
    });
    expect(jsValueOf('')).toBeNull();
  });

  it('may have 9,000 keys, parsed in well under a second', () => {
    const { parsed, ms } = timed(`resource_attributes:\n${keys(9000, '  ')}\n`);
    expect('value' in parsed).toBe(true);
    expect(ms).toBeLessThan(FAST_MS);
  });
});

describe('duplicate keys', () => {
  it('are reported on the line of the second one', () => {
    expect(problemsOf('dashboard:\n  port: 1\n  port: 2\n')).toEqual([
      { line: 3, message: 'duplicate key; YAML map keys must be unique' },
    ]);
    expect(problemsOf('a: {x: 1, x: 2}\n')[0]?.message).toContain('duplicate key');
  });

  it('are found in linear time: one at the end of 9,000 keys (the library’s own check took 2.5 s for 16,000)', () => {
    const { parsed, ms } = timed(`resource_attributes:\n${keys(9000, '  ')}\n  k0: again\n`);
    expect('problems' in parsed && parsed.problems[0]?.message).toContain('duplicate key');
    expect(ms).toBeLessThan(FAST_MS);
  });
});

describe('bounds', () => {
  it(`refuse more than ${YAML_LIMITS.tokens} tokens while lexing, before parsing`, () => {
    const { parsed, ms } = timed(`[${'1,'.repeat(200_000)}1]`);
    expect('problems' in parsed && parsed.problems).toEqual([
      { message: "the YAML has more than 100000 tokens; the guide's whole file has about 300" },
    ]);
    expect(ms).toBeLessThan(FAST_MS);
  });

  it(`refuse nesting deeper than ${YAML_LIMITS.depth} levels (20,000 levels of [ aborted the process)`, () => {
    expect(jsValueOf(`a: ${'['.repeat(31)}${']'.repeat(31)}`)).toBeDefined();
    expect(problemsOf(`a: ${'['.repeat(32)}${']'.repeat(32)}`)).toEqual([
      { line: 1, message: 'the YAML nests deeper than 32 levels' },
    ]);
    for (const text of [`a: ${'['.repeat(20_000)}`, `a:\n${'- '.repeat(20_000)}1\n`]) {
      const { parsed, ms } = timed(text);
      expect('problems' in parsed && parsed.problems[0]?.message).toBe(
        'the YAML nests deeper than 32 levels',
      );
      expect(ms).toBeLessThan(FAST_MS);
    }
  });

  it(`refuse more than ${YAML_LIMITS.entries} keys and list items`, () => {
    expect(jsValueOf(`[${'1,'.repeat(9_999)}1]`)).toHaveLength(10_000);
    expect(problemsOf(`[${'1,'.repeat(10_000)}1]`)).toEqual([
      { message: 'the YAML has 10001 keys and list items (aliases expanded); at most 10000 are read' },
    ]);
  });

  it('refuse a billion laughs by its expanded size, with no exception and at once', () => {
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [i, name] of [...'bcdefghi'].entries()) {
      laughs.push(`${name}: &${name} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`);
    }
    const { parsed, ms } = timed(laughs.join('\n'));
    expect('problems' in parsed && parsed.problems).toEqual([
      { message: 'the YAML has 490329054 keys and list items (aliases expanded); at most 10000 are read' },
    ]);
    expect(ms).toBeLessThan(FAST_MS);
  });

  it('refuse an anchor used over 100 times (the library’s maxAliasCount) as an alias bomb', () => {
    const text = `a: &a 1\nb: [${Array(101).fill('*a').join(', ')}]\n`;
    expect(problemsOf(text)).toEqual([
      {
        message:
          'an anchor is used more than 100 times over (aliases expand exponentially); refused as an alias bomb',
      },
    ]);
  });

  it(`refuse more than ${YAML_LIMITS.aliases} aliases`, () => {
    const anchors = Array.from({ length: 501 }, (_, i) => `a${i}: &n${i} 1\nb${i}: [*n${i}, *n${i}]`);
    expect(problemsOf(anchors.join('\n')).at(-1)?.message).toBe(
      'the YAML has 1002 aliases; at most 1000 are read',
    );
  });

  it('refuse an alias inside the node it refers to, and one to no anchor, without naming them', () => {
    expect(problemsOf('a: &loop [1, *loop]\n')).toEqual([
      { line: 1, message: 'an alias refers to a node that contains it' },
    ]);
    expect(problemsOf('a: 1\nb: *secret-name\n')).toEqual([
      { line: 2, message: 'an alias refers to no anchor before it' },
    ]);
  });
});

describe('syntax errors', () => {
  it('say where, and quote nothing of the file', () => {
    const secret = 'S3cret-in-the-file';
    for (const text of [
      `password: "\\q${secret}"\n`, // bad escape: the library quotes the escape
      `%TAG !${secret}! a b\n---\na: 1\n`, // bad directive
      `%YAML 1.2 ${secret}\n---\na: 1\n`, // another bad directive
      `a: b\n  ${secret}: [\n`, // indentation and an unclosed flow sequence
      `key: |${secret}\n  x\n`, // block scalar header: the library quotes the extra characters
      `a: @${secret}\n`, // reserved character
      `- a\n${secret}: b\n`,
    ]) {
      const problems = problemsOf(text);
      expect(problems.length, text).toBeGreaterThan(0);
      for (const problem of problems) {
        expect(problem.message).toMatch(/^(YAML syntax error: |the file holds more)/);
        expect(problem.message).not.toContain(secret);
        expect(problem.message).not.toContain(secret.slice(0, 6));
      }
    }
  });

  it('keep the library’s message when it quotes nothing', () => {
    expect(problemsOf('a: [1, 2\nb: 3\n')[0]?.message).toMatch(/^YAML syntax error: /);
    expect(problemsOf('a:\n\t- 1\n')[0]?.message).toBe(
      'YAML syntax error: Tabs are not allowed as indentation',
    );
  });

  it('refuse a second document', () => {
    expect(problemsOf('a: 1\n---\nb: 2\n')).toEqual([
      { message: 'the file holds more than one YAML document; keep one' },
    ]);
  });
});
