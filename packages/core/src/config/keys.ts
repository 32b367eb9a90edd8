// Accepts the guide's snake_case keys (`auto_refresh`) beside camelCase ones (`autoRefresh`) by
// walking the zod schema, and remembers how the user spelled each key so errors can quote it back.
import { isDeepStrictEqual } from 'node:util';
import type * as z from 'zod';
import { monitoringConfigSchema } from './schema.js';

/** One step of a path: an object key or an array index. */
export type PathSegment = string | number;

/** What the schema expects at one place of the input, with the wrappers (default, optional…) removed. */
export type Shape =
  | {
      readonly kind: 'object';
      /** Every accepted spelling → the canonical camelCase key. */
      readonly spellings: ReadonlyMap<string, string>;
      readonly children: ReadonlyMap<string, Shape>;
    }
  | { readonly kind: 'record'; readonly value: Shape }
  | { readonly kind: 'array'; readonly element: Shape }
  | { readonly kind: 'value' };

const VALUE: Shape = { kind: 'value' };

export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** Builds the shape of a schema once, so normalising an input is a walk, not a schema analysis. */
export function describeSchema(schema: z.core.$ZodType): Shape {
  const def = (schema as z.core.$ZodTypes)._zod.def;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return describeSchema(def.innerType);
    case 'pipe':
      return describeSchema(def.in);
    case 'object': {
      const spellings = new Map<string, string>();
      const children = new Map<string, Shape>();
      for (const [key, child] of Object.entries(def.shape)) {
        spellings.set(key, key);
        spellings.set(snakeCase(key), key);
        children.set(key, describeSchema(child));
      }
      return { kind: 'object', spellings, children };
    }
    // Record keys are data (attribute names, label names), never spellings to convert.
    case 'record':
      return { kind: 'record', value: describeSchema(def.valueType) };
    case 'array':
      return { kind: 'array', element: describeSchema(def.element) };
    default:
      return VALUE;
  }
}

/** The shape of the monitoring configuration. */
export const CONFIG_SHAPE: Shape = describeSchema(monitoringConfigSchema);

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A key problem found while normalising, at the path the user wrote. */
export interface KeyProblem {
  readonly path: readonly PathSegment[];
  readonly message: string;
}

/** An input with canonical keys, and the way back to the user's spelling. */
export interface NormalizedInput {
  /** The input with camelCase keys; unknown and conflicting keys are left out (they are problems). */
  readonly value: unknown;
  readonly problems: readonly KeyProblem[];
  /** Translates a path in canonical keys (as zod reports it) into the user's spelling. */
  userPath(path: readonly PropertyKey[]): PathSegment[];
}

interface Spelling {
  readonly spelling: PathSegment;
  readonly children: Map<PathSegment, Spelling>;
}

/**
 * Rewrites every object key to its camelCase form. Unknown keys are reported here rather than by
 * zod, because here both spellings are known and the suggestion can be made in the user's style.
 */
export function normalizeKeys(input: unknown, shape: Shape = CONFIG_SHAPE): NormalizedInput {
  const problems: KeyProblem[] = [];
  const root: Spelling = { spelling: '', children: new Map() };

  const walk = (value: unknown, at: Shape, spelled: Spelling, path: readonly PathSegment[]): unknown => {
    if (at.kind === 'array' && Array.isArray(value)) {
      return value.map((item, index) =>
        walk(item, at.element, remember(spelled, index, index), [...path, index]),
      );
    }
    if (!isPlainObject(value) || (at.kind !== 'object' && at.kind !== 'record')) return value;

    const entries: [string, unknown][] = [];
    const firstSpelling = new Map<string, { key: string; value: unknown }>();
    for (const [key, child] of Object.entries(value)) {
      if (at.kind === 'record') {
        entries.push([key, walk(child, at.value, remember(spelled, key, key), [...path, key])]);
        continue;
      }
      const canonical = at.spellings.get(key);
      if (canonical === undefined) {
        problems.push({ path: [...path, key], message: unknownKeyMessage(key, at.spellings) });
        continue;
      }
      const first = firstSpelling.get(canonical);
      if (first !== undefined) {
        if (!isDeepStrictEqual(first.value, child)) {
          problems.push({
            path: [...path, first.key],
            message: `"${first.key}" and "${key}" are the same option, set to different values (${preview(first.value)} and ${preview(child)}); keep one`,
          });
        }
        continue;
      }
      firstSpelling.set(canonical, { key, value: child });
      const childShape = at.children.get(canonical) ?? VALUE;
      entries.push([canonical, walk(child, childShape, remember(spelled, canonical, key), [...path, key])]);
    }
    // fromEntries defines own properties, so a `__proto__` key in a record stays data.
    return Object.fromEntries(entries);
  };

  const value = walk(input, shape, root, []);
  return {
    value,
    problems,
    userPath(path) {
      const out: PathSegment[] = [];
      let node: Spelling | undefined = root;
      for (const segment of path) {
        const key = typeof segment === 'symbol' ? String(segment) : segment;
        node = node?.children.get(key);
        out.push(node === undefined ? key : node.spelling);
      }
      return out;
    },
  };
}

function remember(parent: Spelling, canonical: PathSegment, spelling: PathSegment): Spelling {
  const node: Spelling = { spelling, children: new Map() };
  parent.children.set(canonical, node);
  return node;
}

function unknownKeyMessage(key: string, spellings: ReadonlyMap<string, string>): string {
  const suggestion = closest(key, [...spellings.keys()]);
  if (suggestion !== undefined) return `unknown key "${key}" — did you mean "${suggestion}"?`;
  const style = key.includes('_') ? snakeCase : (k: string) => k;
  const known = [...new Set(spellings.values())].map(style);
  return `unknown key "${key}" (known keys: ${known.join(', ')})`;
}

/** The candidate nearest to `key`, if near enough to be a typo rather than a different word. */
function closest(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    const tolerance = Math.max(1, Math.floor(candidate.length / 3));
    // On a tie, prefer the candidate written in the user's style (snake_case or camelCase).
    const sameStyle = key.includes('_') === candidate.includes('_');
    if (distance <= tolerance && (distance < bestDistance || (distance === bestDistance && sameStyle))) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Optimal string alignment distance: Levenshtein plus adjacent transpositions (`prot` → `port`). */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(
        d[(i - 1) * cols + j]! + 1,
        d[i * cols + j - 1]! + 1,
        d[(i - 1) * cols + j - 1]! + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, d[(i - 2) * cols + j - 2]! + 1);
      }
      d[i * cols + j] = value;
    }
  }
  return d[rows * cols - 1]!;
}

/** A short rendering of a user's value for messages. */
export function preview(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}

/** `metrics.histogram_buckets[3]`, `resource_attributes["service.name"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
