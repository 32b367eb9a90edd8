// Log template mining after Drain (He et al., "Drain: An Online Log Parsing Approach with Fixed
// Depth Tree", ICWS 2017): messages are grouped online into templates such as
// `Connected to <IP> in <NUM>` so a dashboard can show which kinds of lines occur, in bounded
// memory. Variable parts are masked first (numbers, ids, addresses), then a fixed-depth tree keyed
// by token count and leading tokens narrows each message to a few candidate clusters.
import { levelName, toLogLevel } from './levels.js';
import { safeString } from './stringify.js';

/** A regular expression whose matches are replaced by `token` before a message is tokenized. */
export interface Masker {
  readonly pattern: RegExp;
  readonly token: string;
}

/** Characters of a message that are mined; the rest is not read. */
export const MAX_MINED_CHARS = 1024;

/** Where a template's variable positions show, in `Template.template`. */
export const WILDCARD = '<*>';

/**
 * The maskers used when `maskers` is not given, applied in this order:
 * quoted strings → `<STR>`, ISO timestamps and times of day → `<TIME>`, UUIDs → `<UUID>`,
 * IPv4 and IPv6 addresses → `<IP>`, `0x…` and long hex ids → `<HEX>`, numbers with an optional
 * unit (`12`, `3.5s`, `12ms`, `10KB`, `99%`) → `<NUM>`.
 *
 * Quoted strings are masked because their content varies and may hold spaces, which would change
 * the token count and so split one template into many; a quoted constant is hidden too, the price
 * of that. URLs and paths are not masked: their shape is usually the interesting part, and the
 * numbers and ids inside them are masked on their own (`/users/<NUM>`).
 *
 * @example
 * new PatternMiner({ maskers: [...DEFAULT_MASKERS, { pattern: /\buser-\w+/g, token: '<USER>' }] })
 */
export const DEFAULT_MASKERS: readonly Masker[] = Object.freeze([
  // Double quotes, and single quotes that are not apostrophes (`can't` stays a word).
  { pattern: /"[^"\n]*"|(?<![\w'])'[^'\n]*'(?![\w'])/g, token: '<STR>' },
  // Before numbers, which would otherwise take it apart.
  {
    pattern:
      /\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\w:])|(?<![\w:.])\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?![\w:])/g,
    token: '<TIME>',
  },
  { pattern: /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, token: '<UUID>' },
  // IPv4 and IPv6 apart: one alternation would run twice as slow. IPv6 only with a `::` or all
  // eight groups, and a digit, so `12:30:45`, `a::b` and `std::vector` are left alone.
  { pattern: /(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?!\w|\.\d)/g, token: '<IP>' },
  {
    pattern:
      /(?<![\w:.])(?=[0-9a-f:]*\d)(?=[0-9a-f:]*::|(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}(?![\w:]))(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![\w:])/gi,
    token: '<IP>',
  },
  // A long hex run must hold a digit and a letter: all-letter words stay, all-digit runs are numbers.
  { pattern: /\b(?:0x[0-9a-f]+|(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,})\b/gi, token: '<HEX>' },
  // Not inside words (`user42`, `v2` stay: Drain routes tokens with digits to wildcards anyway),
  // nor a piece of a version (`1.2.3`); a sentence's closing period may follow.
  {
    pattern: /(?<![\w.])\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d|b|kb|mb|gb|tb|kib|mib|gib|tib|%)?(?!\w|\.\d)/gi,
    token: '<NUM>',
  },
] satisfies Masker[]);

/** Options of {@link PatternMiner}. */
export interface PatternMinerOptions {
  /**
   * Depth of the parse tree, counting the root, the token-count layer and the leaves: messages are
   * routed on their first `depth - 3` tokens. Deeper trees compare fewer candidates but split
   * templates whose leading tokens vary.
   * @default 4
   */
  depth?: number;
  /**
   * Fraction of a template's constant tokens a message must share, position by position, to join
   * it (the paper's `st`). Wildcard positions do not count as shared.
   * @default 0.4
   */
  similarityThreshold?: number;
  /**
   * Children per tree node; further distinct tokens share one wildcard child, which keeps the tree
   * bounded when a leading token varies.
   * @default 100
   */
  maxChildren?: number;
  /**
   * Templates kept; a new template beyond this evicts the least recently matched one.
   * @default 1000
   */
  maxClusters?: number;
  /**
   * Replacements applied before tokenizing; given, they replace the defaults (extend
   * {@link DEFAULT_MASKERS} to keep them). Patterns without the `g` flag are made global.
   * @default DEFAULT_MASKERS
   */
  maskers?: readonly Masker[];
}

/** One mined template, as a snapshot: later messages do not change it. */
export interface Template {
  /** Unique within a miner, never reused, also not after `clear()`. */
  readonly id: number;
  /** Masked tokens joined by single spaces, positions that varied as `<*>`. */
  readonly template: string;
  /** Messages that joined this template. */
  readonly count: number;
  /** The first message that joined, unmasked. */
  readonly example: string;
  /** The `id` given with the example, if any. */
  readonly exampleId?: number;
  /** Earliest and latest `timestamp` given with the messages (the smallest and largest, whatever the order). */
  readonly firstSeen?: number;
  readonly lastSeen?: number;
  /** Messages by level name (`ERROR`), for those added with a level. */
  readonly levels: Readonly<Record<string, number>>;
}

/** What {@link PatternMiner.templates} returns. */
export interface TemplateQuery {
  /** At most this many templates. @default all */
  limit?: number;
  /**
   * `'count'`: most messages first, then oldest template first. `'recent'`: latest `lastSeen`
   * first, templates without timestamps after those with them, ties most recently matched first.
   * @default 'count'
   */
  sortBy?: 'count' | 'recent';
}

interface Node {
  readonly key: string;
  readonly parent: Node | undefined;
  readonly children: Map<string, Node>;
  readonly clusters: Cluster[];
}

class Cluster {
  count = 0;
  template: string;
  exampleId: number | undefined;
  firstSeen: number | undefined;
  lastSeen: number | undefined;
  levels: Record<string, number> = {};
  /** The add() sequence number of the last match, for the 'recent' tie-break. */
  touched = 0;
  // Links of the recency list that picks evictions in O(1).
  newer: Cluster | undefined;
  older: Cluster | undefined;

  constructor(
    readonly id: number,
    readonly tokens: string[],
    readonly example: string,
    readonly leaf: Node,
  ) {
    this.template = tokens.join(' ');
  }

  snapshot(): Template {
    return {
      id: this.id,
      template: this.template,
      count: this.count,
      example: this.example,
      ...(this.exampleId === undefined ? {} : { exampleId: this.exampleId }),
      ...(this.firstSeen === undefined ? {} : { firstSeen: this.firstSeen, lastSeen: this.lastSeen }),
      levels: { ...this.levels },
    };
  }
}

const HAS_DIGIT = /\d/;
const WHITESPACE = /\s+/;

function newNode(key: string, parent: Node | undefined): Node {
  return { key, parent, children: new Map(), clusters: [] };
}

function positiveInteger(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`PatternMiner: ${name} must be an integer ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

function compileMaskers(maskers: readonly Masker[]): Masker[] {
  if (!Array.isArray(maskers)) throw new TypeError('PatternMiner: maskers must be an array');
  return maskers.map((masker, i) => {
    if (!(masker?.pattern instanceof RegExp) || typeof masker.token !== 'string') {
      throw new TypeError(`PatternMiner: maskers[${i}] must be { pattern: RegExp; token: string }`);
    }
    // Without `g` only the first match would be replaced; `y` would anchor every match.
    const flags = masker.pattern.flags.replace('y', '');
    const pattern =
      flags === masker.pattern.flags && flags.includes('g')
        ? masker.pattern
        : new RegExp(masker.pattern.source, flags.includes('g') ? flags : `${flags}g`);
    return { pattern, token: masker.token };
  });
}

/**
 * Groups log messages into templates online, after Drain: masks variable parts, splits on
 * whitespace, routes by token count and leading tokens, and joins the most similar template in
 * the leaf or starts a new one. Memory is bounded by `maxClusters`.
 *
 * @example
 * const miner = new PatternMiner();
 * miner.add('Connected to 10.0.0.1 in 12ms');
 * miner.add('Connected to 10.0.0.7 in 3ms');
 * miner.templates(); // [{ template: 'Connected to <IP> in <NUM>', count: 2, … }]
 */
export class PatternMiner {
  private readonly prefixLength: number;
  private readonly threshold: number;
  private readonly maxChildren: number;
  private readonly maxClusters: number;
  private readonly maskers: readonly Masker[];
  private readonly byLength = new Map<number, Node>();
  private readonly clusters = new Map<number, Cluster>();
  private newest: Cluster | undefined;
  private oldest: Cluster | undefined;
  private nextId = 1;
  private sequence = 0;

  constructor(options: PatternMinerOptions = {}) {
    this.prefixLength = positiveInteger('depth', options.depth, 4, 3) - 3;
    const threshold = options.similarityThreshold ?? 0.4;
    if (!(threshold >= 0 && threshold <= 1)) {
      throw new RangeError(
        `PatternMiner: similarityThreshold must be between 0 and 1, got ${String(options.similarityThreshold)}`,
      );
    }
    this.threshold = threshold;
    this.maxChildren = positiveInteger('maxChildren', options.maxChildren, 100, 1);
    this.maxClusters = positiveInteger('maxClusters', options.maxClusters, 1000, 1);
    this.maskers = compileMaskers(options.maskers ?? DEFAULT_MASKERS);
  }

  /** Templates currently kept. */
  get size(): number {
    return this.clusters.size;
  }

  /**
   * Adds one message and returns a snapshot of the template it joined or started. Never throws:
   * it runs on the logging path.
   */
  add(message: string, entry?: { id?: number; level?: number; timestamp?: number }): Template {
    const whole = typeof message === 'string' ? message : safeString(message);
    // A template is in a message's head: mining the rest of a 64 KiB line costs the maskers'
    // passes over all of it and changes no template worth showing.
    const text = whole.length > MAX_MINED_CHARS ? whole.slice(0, MAX_MINED_CHARS) : whole;
    let masked = text;
    for (const { pattern, token } of this.maskers) masked = masked.replace(pattern, token);
    const trimmed = masked.trim();
    const tokens = trimmed === '' ? [] : trimmed.split(WHITESPACE);

    let cluster = this.match(tokens);
    if (cluster === undefined) {
      if (this.clusters.size >= this.maxClusters && this.oldest !== undefined) this.evict(this.oldest);
      cluster = new Cluster(this.nextId++, tokens, text, this.insertPath(tokens));
      cluster.leaf.clusters.push(cluster);
      this.clusters.set(cluster.id, cluster);
      if (entry?.id !== undefined) cluster.exampleId = entry.id;
    } else {
      this.generalize(cluster, tokens);
      this.unlink(cluster);
    }
    this.linkNewest(cluster);
    cluster.touched = ++this.sequence;
    cluster.count++;

    const timestamp = entry?.timestamp;
    if (typeof timestamp === 'number' && Number.isFinite(timestamp)) {
      if (cluster.firstSeen === undefined || timestamp < cluster.firstSeen) cluster.firstSeen = timestamp;
      if (cluster.lastSeen === undefined || timestamp > cluster.lastSeen) cluster.lastSeen = timestamp;
    }
    if (entry?.level !== undefined) {
      const name = levelName(toLogLevel(entry.level).level);
      cluster.levels[name] = (cluster.levels[name] ?? 0) + 1;
    }
    return cluster.snapshot();
  }

  /** Snapshots of the templates kept, sorted as asked. */
  templates(options: TemplateQuery = {}): Template[] {
    const { limit, sortBy = 'count' } = options;
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
      throw new RangeError(`PatternMiner.templates: limit must be an integer ≥ 0, got ${String(limit)}`);
    }
    if (sortBy !== 'count' && sortBy !== 'recent') {
      throw new RangeError(
        `PatternMiner.templates: sortBy must be 'count' or 'recent', got ${String(sortBy)}`,
      );
    }
    const all = [...this.clusters.values()];
    if (sortBy === 'count') all.sort((a, b) => b.count - a.count || a.id - b.id);
    else
      all.sort(
        (a, b) =>
          (b.lastSeen ?? Number.NEGATIVE_INFINITY) - (a.lastSeen ?? Number.NEGATIVE_INFINITY) ||
          b.touched - a.touched,
      );
    return (limit === undefined ? all : all.slice(0, limit)).map((c) => c.snapshot());
  }

  /** Forgets every template; ids keep counting so an old id never names a new template. */
  clear(): void {
    this.byLength.clear();
    this.clusters.clear();
    this.newest = undefined;
    this.oldest = undefined;
  }

  /** The leaf's most similar template, if similar enough; ties go to the one with more wildcards. */
  private match(tokens: readonly string[]): Cluster | undefined {
    let node = this.byLength.get(tokens.length);
    const depth = Math.min(this.prefixLength, tokens.length);
    for (let i = 0; i < depth && node !== undefined; i++) {
      node = node.children.get(tokens[i]!) ?? node.children.get(WILDCARD);
    }
    if (node === undefined) return undefined;

    let best: Cluster | undefined;
    let bestSame = -1;
    let bestWild = -1;
    for (const cluster of node.clusters) {
      const template = cluster.tokens;
      let same = 0;
      let wild = 0;
      for (let i = 0; i < template.length; i++) {
        const token = template[i];
        if (token === WILDCARD) wild++;
        else if (token === tokens[i]) same++;
      }
      if (same > bestSame || (same === bestSame && wild > bestWild)) {
        best = cluster;
        bestSame = same;
        bestWild = wild;
      }
    }
    if (best === undefined) return undefined;
    const similarity = tokens.length === 0 ? 1 : bestSame / tokens.length;
    return similarity >= this.threshold ? best : undefined;
  }

  /** The leaf for a new template, creating nodes as needed (the paper's update step). */
  private insertPath(tokens: readonly string[]): Node {
    let node = this.byLength.get(tokens.length);
    if (node === undefined) {
      node = newNode(String(tokens.length), undefined);
      this.byLength.set(tokens.length, node);
    }
    const depth = Math.min(this.prefixLength, tokens.length);
    for (let i = 0; i < depth; i++) {
      const token = tokens[i]!;
      const children: Map<string, Node> = node.children;
      let next = children.get(token);
      if (next === undefined) {
        // Tokens with digits are likely variables; past maxChildren every token shares the
        // wildcard child, which takes the last free slot.
        const full = children.has(WILDCARD)
          ? children.size >= this.maxChildren
          : children.size + 1 >= this.maxChildren;
        const key = HAS_DIGIT.test(token) || full ? WILDCARD : token;
        next = children.get(key);
        if (next === undefined) {
          next = newNode(key, node);
          children.set(key, next);
        }
      }
      node = next;
    }
    return node;
  }

  private generalize(cluster: Cluster, tokens: readonly string[]): void {
    const template = cluster.tokens;
    let changed = false;
    for (let i = 0; i < template.length; i++) {
      if (template[i] !== WILDCARD && template[i] !== tokens[i]) {
        template[i] = WILDCARD;
        changed = true;
      }
    }
    if (changed) cluster.template = template.join(' ');
  }

  /** Drops a template and prunes the tree nodes it leaves empty, so the tree stays bounded too. */
  private evict(cluster: Cluster): void {
    this.unlink(cluster);
    this.clusters.delete(cluster.id);
    const leaf = cluster.leaf;
    const at = leaf.clusters.indexOf(cluster);
    if (at >= 0) leaf.clusters.splice(at, 1);
    let node: Node | undefined = leaf;
    while (node !== undefined && node.clusters.length === 0 && node.children.size === 0) {
      if (node.parent === undefined) this.byLength.delete(cluster.tokens.length);
      else node.parent.children.delete(node.key);
      node = node.parent;
    }
  }

  private unlink(cluster: Cluster): void {
    if (cluster.newer === undefined) this.newest = cluster.older;
    else cluster.newer.older = cluster.older;
    if (cluster.older === undefined) this.oldest = cluster.newer;
    else cluster.older.newer = cluster.newer;
    cluster.newer = undefined;
    cluster.older = undefined;
  }

  private linkNewest(cluster: Cluster): void {
    cluster.older = this.newest;
    if (this.newest === undefined) this.oldest = cluster;
    else this.newest.newer = cluster;
    this.newest = cluster;
  }
}

/**
 * Mines templates from a batch of messages with a fresh {@link PatternMiner}.
 *
 * @example
 * minePatterns(entries, { limit: 20 }) // the 20 most frequent templates
 */
export function minePatterns(
  messages: Iterable<{ message: string; level?: number; timestamp?: number; id?: number }>,
  options: PatternMinerOptions & TemplateQuery = {},
): Template[] {
  const { limit, sortBy, ...minerOptions } = options;
  const miner = new PatternMiner(minerOptions);
  for (const entry of messages) miner.add(entry.message, entry);
  return miner.templates({
    ...(limit === undefined ? {} : { limit }),
    ...(sortBy === undefined ? {} : { sortBy }),
  });
}
