// Silences: time-boxed mutes of the alerts whose labels match, with who set them and why, as in
// Alertmanager. Matchers are equality, or a regular expression written /like this/, anchored as
// Alertmanager anchors them and run on a linear-time engine, since silences come from people
// (the dashboard's silence form) and no pattern may hang evaluation.
import { compileSearchPattern } from '../logs/safe-regex.js';

export interface SilenceInput {
  /** Label matchers: `{ alertname: 'high_error_rate', instance: '/web-.+/' }`. At least one. */
  matchers: Readonly<Record<string, string>>;
  /** Epoch ms. @default now */
  startsAt?: number;
  /** Epoch ms; must be after startsAt. */
  endsAt: number;
  createdBy: string;
  comment: string;
}

export interface Silence extends Required<SilenceInput> {
  readonly id: string;
}

export class SilenceError extends Error {
  readonly code = 'DLM_SILENCE';
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

export class SilenceStore {
  private readonly silences = new Map<string, { silence: Silence; match: Array<[string, Matcher]> }>();
  private nextId = 1;

  /** @throws SilenceError on no matchers, an invalid regex, or an empty time window. */
  add(input: SilenceInput, now: number): Silence {
    if (Object.keys(input.matchers ?? {}).length === 0)
      throw new SilenceError('a silence needs at least one matcher');
    const startsAt = input.startsAt ?? now;
    if (!(input.endsAt > startsAt)) throw new SilenceError('a silence must end after it starts');
    if (!input.createdBy || !input.comment) throw new SilenceError('a silence needs createdBy and a comment');
    let match: Array<[string, Matcher]>;
    try {
      match = compile(input.matchers);
    } catch (error) {
      throw new SilenceError(`invalid matcher: ${(error as Error).message}`);
    }
    const silence: Silence = { id: `s${this.nextId++}`, ...input, startsAt };
    this.silences.set(silence.id, { silence, match });
    return silence;
  }

  /** End a silence now. */
  expire(id: string, now: number): boolean {
    const entry = this.silences.get(id);
    if (entry === undefined) return false;
    entry.silence = { ...entry.silence, endsAt: Math.min(entry.silence.endsAt, now) };
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

  /** Forget silences that ended more than `keepMs` ago. */
  prune(now: number, keepMs = 86_400_000): void {
    for (const [id, { silence }] of this.silences)
      if (silence.endsAt + keepMs < now) this.silences.delete(id);
  }
}
