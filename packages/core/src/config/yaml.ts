// Parses the configuration file's YAML within bounds, in time linear in its size, and reports
// every failure as a problem at an offset — never as the yaml library's exception, and never with
// the file's content, since a file named by mistake (or by an attacker) may not be configuration.
//
// The bounds are checked before the work they bound: tokens while lexing (lexing stops at the
// limit), nesting on the parser's tree before nodes are composed (the composer recurses, and a
// few thousand levels abort the process), entries and aliases on the document before it becomes
// JavaScript. Duplicate keys are found here with one Set per map, because the yaml library's own
// check compares every key with every other (16,000 keys: 2.5 s).
import {
  Composer,
  type CST,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  type Node,
  Parser,
  type YAMLError,
} from 'yaml';

/** The bounds of a configuration file's YAML. */
export const YAML_LIMITS = Object.freeze({
  /** Lexer tokens (a `key: value` line is about six); lexing stops past it. */
  tokens: 100_000,
  /** Nesting of maps and lists; the guide's file nests 4 deep. */
  depth: 32,
  /** Keys and list items, aliases expanded: what validation walks. */
  entries: 10_000,
  /** Alias nodes (`*name`) in the file. */
  aliases: 1000,
  /** Uses of one anchor: the yaml library's `maxAliasCount`, against alias bombs. */
  aliasUses: 100,
});

/** One problem, at an offset of the text when it has one. */
export interface YamlProblem {
  readonly offset?: number;
  readonly message: string;
}

export type ParsedYaml =
  | { readonly document: Document.Parsed; readonly lines: LineCounter; readonly value: unknown }
  | { readonly problems: readonly YamlProblem[]; readonly lines: LineCounter };

/** Parses `text` as one YAML document, or says why not. */
export function parseConfigYaml(text: string): ParsedYaml {
  const lines = new LineCounter();
  const lexed = checkTokens(text);
  if (lexed !== undefined) return { problems: [lexed], lines };

  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  const deep = checkDepth(tokens);
  if (deep !== undefined) return { problems: [deep], lines };

  const documents = new Composer({ uniqueKeys: false }).compose(tokens, true, text.length);
  const first = documents.next();
  const document = first.value as Document.Parsed;
  const problems: YamlProblem[] = document.errors.map(syntaxProblem);
  if (!documents.next().done) {
    problems.push({ message: 'the file holds more than one YAML document; keep one' });
  }
  if (problems.length > 0) return { problems, lines };

  const structure = checkStructure(document);
  if (structure.length > 0) return { problems: structure, lines };

  try {
    return { document, lines, value: document.toJS({ maxAliasCount: YAML_LIMITS.aliasUses }) };
  } catch (error) {
    // The library throws ReferenceError for an alias bomb (and for aliases it cannot resolve).
    const message =
      error instanceof ReferenceError && /alias/i.test(error.message)
        ? `an anchor is used more than ${YAML_LIMITS.aliasUses} times over (aliases expand exponentially); refused as an alias bomb`
        : `the YAML could not be read (${error instanceof Error ? error.name : 'error'})`;
    return { problems: [{ message }], lines };
  }
}

function checkTokens(text: string): YamlProblem | undefined {
  let count = 0;
  for (const _token of new Lexer().lex(text)) {
    if (++count > YAML_LIMITS.tokens) {
      return {
        message: `the YAML has more than ${YAML_LIMITS.tokens} tokens; the guide's whole file has about 300`,
      };
    }
  }
  return undefined;
}

/** Nesting depth of the parser's tree, walked with a stack: the tree may be deeper than the call stack. */
function checkDepth(tokens: readonly CST.Token[]): YamlProblem | undefined {
  const stack: { token: CST.Token | null | undefined; depth: number }[] = tokens.map((token) => ({
    token,
    depth: 0,
  }));
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { token, depth } = next;
    if (token === null || token === undefined) continue;
    if (token.type === 'document') {
      stack.push({ token: token.value, depth });
    } else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      if (depth >= YAML_LIMITS.depth) {
        return { offset: token.offset, message: `the YAML nests deeper than ${YAML_LIMITS.depth} levels` };
      }
      for (const item of token.items) {
        if ('key' in item) stack.push({ token: item.key, depth: depth + 1 });
        stack.push({ token: item.value, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

/**
 * Duplicate keys, entries with aliases expanded, alias count and alias cycles, in one walk of the
 * document in source order (depth is bounded, so recursion is safe). An alias refers to the last
 * node before it with its anchor: already walked, so its size is known, or still open — a cycle.
 */
function checkStructure(document: Document.Parsed): YamlProblem[] {
  const problems: YamlProblem[] = [];
  const anchors = new Map<string, Node>();
  const sizes = new Map<Node, number>();
  const open = new Set<Node>();
  let aliases = 0;

  const size = (node: unknown): number => {
    if (isAlias(node)) {
      aliases++;
      const target = anchors.get(node.source);
      if (target === undefined) {
        problems.push({ offset: node.range?.[0], message: 'an alias refers to no anchor before it' });
        return 0;
      }
      if (open.has(target)) {
        problems.push({ offset: node.range?.[0], message: 'an alias refers to a node that contains it' });
        return 0;
      }
      return sizes.get(target) ?? 0;
    }
    if (!isMap(node) && !isSeq(node)) {
      if (isScalar(node) && node.anchor !== undefined) anchors.set(node.anchor, node);
      return 0;
    }
    if (node.anchor !== undefined) anchors.set(node.anchor, node);
    open.add(node);
    let total = 0;
    const keys = new Set<unknown>();
    for (const item of node.items) {
      total += 1;
      if (isPair(item)) {
        if (isScalar(item.key)) {
          if (keys.has(item.key.value)) {
            problems.push({
              offset: item.key.range?.[0],
              message: 'duplicate key; YAML map keys must be unique',
            });
          }
          keys.add(item.key.value);
        }
        total += size(item.key) + size(item.value);
      } else {
        total += size(item);
      }
    }
    open.delete(node);
    sizes.set(node, total);
    return total;
  };

  const entries = size(document.contents);
  if (aliases > YAML_LIMITS.aliases) {
    problems.push({ message: `the YAML has ${aliases} aliases; at most ${YAML_LIMITS.aliases} are read` });
  }
  if (entries > YAML_LIMITS.entries) {
    problems.push({
      message: `the YAML has ${entries} keys and list items (aliases expanded); at most ${YAML_LIMITS.entries} are read`,
    });
  }
  return problems;
}

/**
 * The yaml library's messages that quote nothing of the source are kept; the others (an escape, a
 * tag, a directive, a token — each quoting what it found) are replaced by a sentence for their code.
 */
function syntaxProblem(error: YAMLError): YamlProblem {
  const message = QUOTES_NOTHING.has(error.message)
    ? error.message
    : `${BY_CODE[error.code] ?? 'invalid YAML'} (${error.code})`;
  return { offset: error.pos[0], message: `YAML syntax error: ${message}` };
}

const FLOW_MESSAGES = ['flow map', 'flow sequence'].flatMap((flow) => [
  `Missing , between ${flow} items`,
  `Missing , or : between ${flow} items`,
  `Missing space after : in ${flow}`,
  `Unexpected , in ${flow}`,
  `Unexpected empty item in ${flow}`,
]);

const QUOTES_NOTHING: ReadonlySet<string> = new Set([
  ...FLOW_MESSAGES,
  'A block sequence may not be used as an implicit map key',
  'A node can have at most one anchor',
  'A node can have at most one tag',
  'Alias cannot be an empty string',
  'Alias ending in : is ambiguous',
  'All sequence items must start at the same column',
  'An alias node must not specify any properties',
  'Anchor cannot be an empty string',
  'Anchor ending in : is ambiguous',
  'Block collection cannot start on same line with directives-end marker',
  'Comments must be separated from other tokens by white space characters',
  'Implicit keys need to be on a single line',
  'Implicit keys of flow sequence pairs need to be on a single line',
  'Implicit map keys need to be followed by map values',
  'Map keys must be unique',
  'Missing closing "quote',
  "Missing closing 'quote",
  'Missing directives-end indicator line',
  'Missing directives-end/doc-start indicator line',
  'Nested mappings are not allowed in compact mappings',
  'Sequence item without - indicator',
  'Tabs are not allowed as indentation',
  'Tags and anchors must be separated from the next token by white space',
]);

const BY_CODE: Readonly<Partial<Record<YAMLError['code'], string>>> = {
  BAD_DIRECTIVE: 'invalid directive',
  BAD_DQ_ESCAPE: 'invalid escape sequence in a double-quoted string',
  BAD_INDENT: 'bad indentation',
  BAD_PROP_ORDER: 'anchors and tags must come after the indicator',
  BAD_SCALAR_START: 'a plain value cannot start with this character; quote it',
  BLOCK_AS_IMPLICIT_KEY: 'a block collection cannot be an implicit key',
  KEY_OVER_1024_CHARS: 'an implicit key may have at most 1024 characters',
  MISSING_CHAR: 'a character is missing',
  MULTILINE_IMPLICIT_KEY: 'implicit keys need to be on a single line',
  NON_STRING_KEY: 'a key must be a string',
  RESOURCE_EXHAUSTION: 'the YAML is too complex',
  TAG_RESOLVE_FAILED: 'unresolved tag',
  UNEXPECTED_TOKEN: 'unexpected token',
};
