// Silences: time-boxed mutes of the alerts whose labels match, with who set them and why, as in
// Alertmanager. Matchers are equality, or a regular expression written /like this/, anchored as
// Alertmanager anchors them and run on a linear-time engine, since silences come from people
// (the dashboard's silence form) and no pattern may hang evaluation.
//
// Silences come from callers, so everything about them is bounded where they enter: how many are
// active, how many matchers each has and how long their names and values are, what one weighs
// as JSON, and how many expired ones are kept for the list. The list (`GET /api/alerts`) is then
// bounded too: (maxActive + MAX_EXPIRED_SILENCES) × MAX_SILENCE_BYTES.
import { diagnostics } from '../internal/diag.js';
import { compileSearchPattern } from '../logs/safe-regex.js';

/** Matchers one silence may have: Alertmanager silences name a handful of labels. */
export const MAX_MATCHERS = 16;
/** Characters in a matcher's label name (Prometheus label names are identifiers). */
export const MAX_LABEL_NAME_LENGTH = 128;
/** Characters in a matcher's value or `/regex/` (room for a long alternation of hosts). */
export const MAX_MATCHER_VALUE_LENGTH = 1024;
/** Characters kept of `createdBy`; a longer one is cut. */
export const MAX_CREATED_BY_LENGTH = 200;
/** Characters kept of `comment`; a longer one is cut. */
export const MAX_COMMENT_LENGTH = 1000;
/**
 * Bytes one silence may weigh as JSON: what the list carries for it. Above the largest silence of
 * plain text the other bounds allow (about 20 KiB); only escapes and multi-byte text reach it.
 */
export const MAX_SILENCE_BYTES = 32 * 1024;
/** Expired silences kept for the list; past it, the ones that ended first are forgotten. */
export const MAX_EXPIRED_SILENCES = 100;
/** How long an expired silence stays in the list at most. */
const KEEP_EXPIRED_MS = 86_400_000;

export interface SilenceInput {
  /**
   * Label matchers: `{ alertname: 'high_error_rate', instance: '/web-.+/' }`. At least one, at
   * most {@link MAX_MATCHERS}; names up to {@link MAX_LABEL_NAME_LENGTH} characters, values up to
   * {@link MAX_MATCHER_VALUE_LENGTH}.
   */
  matchers: Readonly<Record<string, string>>;
  /** Epoch ms. @default now */
  startsAt?: number;
  /** Epoch ms; must be after startsAt. */
  endsAt: number;
  /** Cut to {@link MAX_CREATED_BY_LENGTH} characters. */
  createdBy: string;
  /** Cut to {@link MAX_COMMENT_LENGTH} characters. */
  comment: string;
}

export interface Silence extends Required<SilenceInput> {
  readonly id: string;
}

export interface SilenceStoreOptions {
  /** Silences active or pending (not yet ended) at once; one more is refused. @default 100 */
  maxActive?: number;
}

export class SilenceError extends Error {
  /**
   * @param code `DLM_SILENCE` for an invalid silence or one past a size bound,
   * `DLM_SILENCES_FULL` when as many silences as allowed are already active.
   */
  constructor(
    message: string,
    readonly code: 'DLM_SILENCE' | 'DLM_SILENCES_FULL' = 'DLM_SILENCE',
  ) {
    super(message);
  }
}

type Matcher = (value: string | undefined) => boolean;

function compile(matchers: Readonly<Record<string, string>>): Array<[string, Matcher]> {
  return Object.entries(matchers).map(([name, pattern]) => {
    if (pattern.length > 2 && pattern.startsWith('/') && pattern.endsWith('/')) {
      const regex = compileSearchPattern(`^(?:${pattern.slice(1, -1)})$`);
      return [name, (value) => value !== undefined && regex.test(value)];
    }
    return [name, (value) => value === pattern];
  });
}

/** The first bound the matchers break, in words, if any. */
function brokenBound(entries: ReadonlyArray<readonly [string, string]>): string | undefined {
  if (entries.length > MAX_MATCHERS)
    return `a silence has at most ${MAX_MATCHERS} matchers, got ${entries.length}`;
  for (const [name, value] of entries) {
    if (name.length > MAX_LABEL_NAME_LENGTH)
      return `a matcher's label name has at most ${MAX_LABEL_NAME_LENGTH} characters, got ${name.length}`;
    if (value.length > MAX_MATCHER_VALUE_LENGTH)
      return `matcher ${name}: a value has at most ${MAX_MATCHER_VALUE_LENGTH} characters, got ${value.length}`;
  }
  return undefined;
}

export class SilenceStore {
  private readonly silences = new Map<string, { silence: Silence; match: Array<[string, Matcher]> }>();
  private readonly maxActive: number;
  private nextId = 1;
  private refusedCount = 0;

  /** @throws RangeError on a maxActive that is not an integer ≥ 1. */
  constructor(options: SilenceStoreOptions = {}) {
    const maxActive = options.maxActive ?? 100;
    if (!Number.isInteger(maxActive) || maxActive < 1)
      throw new RangeError(`maxSilences must be an integer ≥ 1, got ${maxActive}`);
    this.maxActive = maxActive;
  }

  /** Silences refused for a bound: too many active, too many matchers, too long, too large. */
  get refused(): number {
    return this.refusedCount;
  }

  /**
   * @throws SilenceError on no matchers, an invalid regex, an empty time window, a matcher or
   * silence past its bound (code `DLM_SILENCE`), or as many silences active as allowed
   * (`DLM_SILENCES_FULL`).
   */
  add(input: SilenceInput, now: number): Silence {
    this.prune(now);
    const given: unknown = input.matchers;
    const entries = given !== null && typeof given === 'object' ? Object.entries(given) : [];
    if (entries.length === 0 || Array.isArray(given))
      throw new SilenceError('a silence needs at least one matcher');
    for (const [name, value] of entries) {
      if (name === '') throw new SilenceError('a matcher needs a label name');
      if (typeof value !== 'string')
        throw new SilenceError(`matcher ${name.slice(0, 40)}: expected a string`);
    }
    const bound = brokenBound(entries as Array<[string, string]>);
    if (bound !== undefined) throw this.refuse(bound);
    const matchers = Object.fromEntries(entries) as Record<string, string>;
    const startsAt = input.startsAt ?? now;
    if (!(input.endsAt > startsAt)) throw new SilenceError('a silence must end after it starts');
    if (!input.createdBy || !input.comment) throw new SilenceError('a silence needs createdBy and a comment');
    let match: Array<[string, Matcher]>;
    try {
      match = compile(matchers);
    } catch (error) {
      throw new SilenceError(`invalid matcher: ${(error as Error).message}`);
    }
    const silence: Silence = {
      id: `s${this.nextId}`,
      matchers,
      startsAt,
      endsAt: input.endsAt,
      createdBy: String(input.createdBy).slice(0, MAX_CREATED_BY_LENGTH),
      comment: String(input.comment).slice(0, MAX_COMMENT_LENGTH),
    };
    const bytes = Buffer.byteLength(JSON.stringify(silence));
    if (bytes > MAX_SILENCE_BYTES)
      throw this.refuse(`a silence weighs at most ${MAX_SILENCE_BYTES} bytes as JSON, this one ${bytes}`);
    let active = 0;
    for (const entry of this.silences.values()) if (entry.silence.endsAt > now) active++;
    if (active >= this.maxActive) {
      const message = `${active} silences are active or pending, the most allowed (maxSilences ${this.maxActive}): expire one first`;
      diagnostics.warnOnce('DLM_SILENCES_FULL', 'full', message);
      throw this.refuse(message, 'DLM_SILENCES_FULL');
    }
    this.nextId++;
    this.silences.set(silence.id, { silence, match });
    return silence;
  }

  /** Counts a refusal for a bound, and the error that says which. */
  private refuse(message: string, code: SilenceError['code'] = 'DLM_SILENCE'): SilenceError {
    this.refusedCount++;
    return new SilenceError(message, code);
  }

  /** End a silence now. */
  expire(id: string, now: number): boolean {
    const entry = this.silences.get(id);
    if (entry === undefined) return false;
    entry.silence = { ...entry.silence, endsAt: Math.min(entry.silence.endsAt, now) };
    this.prune(now);
    return true;
  }

  /** The active silence muting `labels` at `now`, if any. */
  matching(labels: Readonly<Record<string, string>>, now: number): Silence | undefined {
    for (const { silence, match } of this.silences.values()) {
      if (now < silence.startsAt || now >= silence.endsAt) continue;
      if (match.every(([name, test]) => test(labels[name]))) return silence;
    }
    return undefined;
  }

  list(now: number): Array<Silence & { active: boolean }> {
    return [...this.silences.values()].map(({ silence }) => ({
      ...silence,
      active: now >= silence.startsAt && now < silence.endsAt,
    }));
  }

  /**
   * Forget silences that ended more than `keepMs` ago, and beyond {@link MAX_EXPIRED_SILENCES}
   * expired ones, those that ended first.
   */
  prune(now: number, keepMs = KEEP_EXPIRED_MS): void {
    const expired: Silence[] = [];
    for (const [id, { silence }] of this.silences) {
      if (silence.endsAt > now) continue;
      if (silence.endsAt + keepMs < now) this.silences.delete(id);
      else expired.push(silence);
    }
    if (expired.length <= MAX_EXPIRED_SILENCES) return;
    expired.sort((a, b) => a.endsAt - b.endsAt);
    for (const silence of expired.slice(0, expired.length - MAX_EXPIRED_SILENCES))
      this.silences.delete(silence.id);
  }
}
