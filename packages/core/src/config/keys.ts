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
            message: `"${first.key}" and "${key}" are the same option, set to different values (${describeValue(first.value, [...path, key])} and ${describeValue(child, [...path, key])}); keep one`,
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
  const shown = cut(key, KEY_LENGTH);
  // A key far longer than any option is no typo of one (and comparing it would cost its length).
  const suggestion = key.length > KEY_LENGTH ? undefined : closest(key, [...spellings.keys()]);
  if (suggestion !== undefined) return `unknown key "${shown}" — did you mean "${suggestion}"?`;
  const style = key.includes('_') ? snakeCase : (k: string) => k;
  const known = [...new Set(spellings.values())].map(style);
  return `unknown key "${shown}" (known keys: ${known.join(', ')})`;
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

/** A short rendering of a user's value for messages; see {@link describeValue} for one with a path. */
export function preview(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(cut(value, 60));
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}

/** `text` cut to `length` characters, with `...` when something was left out. */
export function cut(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 3)}...` : text;
}

/** Longest key quoted in a message or a path; a longer one is data, not a typo. */
const KEY_LENGTH = 40;

/** `metrics.histogram_buckets[3]`, `resource_attributes["service.name"]`; long keys are cut. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment) && segment.length <= KEY_LENGTH)
      out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(cut(segment, KEY_LENGTH))}]`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Secrets: the one definition of which values are never shown, used by error messages here and
// by the command line's print-config.

/** Names of keys whose values are secrets, in either spelling, at any depth. */
const SECRET_KEY =
  /pass(word|phrase)?|token|secret|api_?key|authori[sz]ation|credential|private_?key|cookie/i;

/**
 * Whether the value of a key with this name is a secret (a password, token, secret, API key,
 * authorization, credential, private key or cookie), whatever its spelling or nesting.
 * @example isSecretKey('api_key') // true
 */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Maps whose every value is a secret whatever its key: HTTP headers carry API keys and tokens. */
const SECRET_MAPS: ReadonlySet<string> = new Set(['headers']);

/** Whether the value at `path` is a secret: under a secret key, or in (or as) a `headers` map. */
export function isSecretPath(path: readonly PropertyKey[]): boolean {
  return path.some(
    (segment) => typeof segment === 'string' && (isSecretKey(segment) || SECRET_MAPS.has(segment)),
  );
}

/** Keys whose values are URLs, which carry credentials in their userinfo or query. */
const URL_KEY = /url$/i;

const REDACTED = 'REDACTED';

/**
 * A URL for messages and printouts: its userinfo, every query value and its fragment replaced by
 * `REDACTED`; scheme, host and path kept so a mistake can still be seen. Text that does not parse
 * as a URL is masked the same way by its shape (`user:pw@` before the host, `?k=v` values).
 * @example maskUrlCredentials('http://u:pw@host/p?token=abc') // 'http://REDACTED@host/p?token=REDACTED'
 */
export function maskUrlCredentials(url: string): string {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  // Only http(s) URLs are masked through the URL API: `admin:pw@host` parses too, as scheme
  // `admin:` with an opaque path, which the API would keep whole.
  if (parsed !== undefined && (parsed.protocol === 'http:' || parsed.protocol === 'https:')) {
    // Nothing to hide: shown as written (URL's href would add a trailing slash to a bare host).
    if (parsed.username === '' && parsed.password === '' && parsed.search === '' && parsed.hash === '')
      return url;
    if (parsed.username !== '' || parsed.password !== '') {
      parsed.username = REDACTED;
      parsed.password = '';
    }
    for (const name of new Set(parsed.searchParams.keys())) parsed.searchParams.set(name, REDACTED);
    // A fragment can carry a token too (OAuth's implicit flow puts access_token there).
    if (parsed.hash !== '') parsed.hash = REDACTED;
    return parsed.href;
  }
  // Anything else by its shape: everything between the scheme (`http//` mistyped too) and the last
  // `@` before the query may be userinfo; query and fragment values may be tokens.
  const scheme = /^[A-Za-z][\w+.-]*:?\/\//.exec(url)?.[0].length ?? 0;
  const query = url.search(/[?#]/);
  const at = (query === -1 ? url : url.slice(0, query)).lastIndexOf('@');
  const masked = at < scheme ? url : `${url.slice(0, scheme)}${REDACTED}${url.slice(at)}`;
  return masked.replace(/([?&#][^=&#]*=)[^&#]*/g, `$1${REDACTED}`);
}

/**
 * A user's value for a message about `path`: a secret only by its type (`a number`), a URL with
 * its credentials masked, anything else as {@link preview} shows it.
 */
export function describeValue(value: unknown, path: readonly PropertyKey[]): string {
  if (isSecretPath(path)) return typeName(value);
  const key = path.at(-1);
  if (typeof value === 'string' && typeof key === 'string' && URL_KEY.test(key)) {
    return preview(maskUrlCredentials(value));
  }
  return preview(value);
}

/** What a value is, without what it says. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
    case 'bigint':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    default:
      return value instanceof Date ? 'a date' : 'an object';
  }
}
