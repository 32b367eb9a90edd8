// Who may use the dashboard: basic auth or a bearer token, compared in constant time (digests of
// equal length, so neither the content nor the length of a secret leaks through timing), with
// failed attempts limited per address and in all, in a way that cannot lock out the right
// credentials of an address that used them before (see LoginLimiter). Probes (/healthz, /readyz)
// stay open: they carry no data and orchestrators call them without credentials.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { apiError } from '../api/errors.js';

/** Credentials the dashboard accepts; nothing means no authentication. */
export interface DashboardAuth {
  readonly username?: string;
  readonly password?: string;
  readonly token?: string;
}

export type AuthMode = 'none' | 'basic' | 'bearer';

export function authMode(auth: DashboardAuth | undefined): AuthMode {
  if (auth?.token !== undefined) return 'bearer';
  if (auth?.username !== undefined && auth.password !== undefined) return 'basic';
  return 'none';
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

function same(given: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(given), expected);
}

/** Bounds of the login limiter. */
export interface LoginLimits {
  /** Failed attempts per client address in a window. @default 10 */
  readonly perClient?: number;
  /** Failed attempts from all addresses together in a window: rotating addresses gains nothing. @default 100 */
  readonly global?: number;
  /** The window, in milliseconds. @default 60000 */
  readonly windowMs?: number;
  /** How long an address that authenticated stays trusted, in milliseconds. @default 86400000 (a day) */
  readonly trustMs?: number;
  /** How long a trusted address's failed attempt waits for its answer past its limit. @default 1000 */
  readonly penaltyMs?: number;
  /** Addresses tracked at most (each map); the longest-quiet ones are forgotten first. @default 10000 */
  readonly maxClients?: number;
}

/** What the limiter says about a request before its credentials are checked. */
export type Admission = { readonly check: true } | { readonly check: false; readonly retryAfterMs: number };

/**
 * Failed logins, limited so that guessing is slow and the right credentials are never locked out:
 *
 * - An address that has never authenticated (untrusted) may fail `perClient` times a window, and
 *   all such addresses together `global` times; past either, its requests are refused with 429
 *   without their credentials being checked, so rotating addresses buys no guesses and a refusal
 *   tells nothing about a guess.
 * - An address that authenticated within `trustMs` (the user's browser, Prometheus scraping
 *   /metrics) is always checked: its right credentials always pass, whatever anyone else did.
 *   Past its own `perClient` failures, each wrong attempt is answered only after `penaltyMs`, so
 *   someone sharing that address (a proxy, NAT, loopback) guesses slowly.
 * - A success is never counted, and resets nothing for anyone else.
 */
export class LoginLimiter {
  private readonly perClient: number;
  private readonly global: number;
  private readonly windowMs: number;
  private readonly trustMs: number;
  private readonly penaltyMs: number;
  private readonly maxClients: number;
  /** Recent failures by address, oldest first, `perClient` at most each. */
  private readonly failures = new Map<string, number[]>();
  /** Recent failures of untrusted addresses, oldest first, `global` at most. */
  private readonly globalFailures: number[] = [];
  /** Trusted addresses → when their trust ends. */
  private readonly trusted = new Map<string, number>();
  private failedTotal = 0;
  private refusedTotal = 0;

  constructor(
    limits: LoginLimits = {},
    private readonly now: () => number = Date.now,
  ) {
    this.perClient = limits.perClient ?? 10;
    this.global = limits.global ?? 100;
    this.windowMs = limits.windowMs ?? 60_000;
    this.trustMs = limits.trustMs ?? 86_400_000;
    this.penaltyMs = limits.penaltyMs ?? 1000;
    this.maxClients = limits.maxClients ?? 10_000;
  }

  /** Failed logins and requests refused unchecked, since the limiter was made. */
  stats(): { failed: number; refused: number } {
    return { failed: this.failedTotal, refused: this.refusedTotal };
  }

  /** Whether `client`'s credentials may be checked now; a refusal is counted. */
  admit(client: string): Admission {
    const admission = this.decide(client);
    if (!admission.check) this.refusedTotal++;
    return admission;
  }

  private decide(client: string): Admission {
    if (this.isTrusted(client)) return { check: true };
    const since = this.now() - this.windowMs;
    const own = this.recent(client, since);
    if (own.length >= this.perClient) {
      return { check: false, retryAfterMs: Math.max(1, (own[0] as number) + this.windowMs - this.now()) };
    }
    while (this.globalFailures.length > 0 && (this.globalFailures[0] as number) <= since)
      this.globalFailures.shift();
    if (this.globalFailures.length >= this.global) {
      return {
        check: false,
        retryAfterMs: Math.max(1, (this.globalFailures[0] as number) + this.windowMs - this.now()),
      };
    }
    return { check: true };
  }

  /** Counts a failed attempt; returns how long its answer should wait, in milliseconds. */
  fail(client: string): number {
    this.failedTotal++;
    const now = this.now();
    const times = this.recent(client, now - this.windowMs);
    times.push(now);
    this.remember(this.failures, client, times.slice(-this.perClient));
    if (this.isTrusted(client)) return times.length > this.perClient ? this.penaltyMs : 0;
    this.globalFailures.push(now);
    if (this.globalFailures.length > this.global) this.globalFailures.shift();
    return 0;
  }

  /** Marks `client` trusted: its right credentials will pass whatever others do. */
  succeed(client: string): void {
    this.remember(this.trusted, client, this.now() + this.trustMs);
  }

  private isTrusted(client: string): boolean {
    const until = this.trusted.get(client);
    return until !== undefined && until > this.now();
  }

  private recent(client: string, since: number): number[] {
    return (this.failures.get(client) ?? []).filter((time) => time > since);
  }

  /** Sets a map entry last in order, forgetting the longest-quiet entry past `maxClients`. */
  private remember<V>(map: Map<string, V>, client: string, value: V): void {
    map.delete(client);
    map.set(client, value);
    if (map.size > this.maxClients) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
  }
}

export interface AuthOptions {
  readonly auth: DashboardAuth | undefined;
  /** Paths that need no credentials whatever the mode. */
  readonly open: (path: string) => boolean;
  /** The client's address, for the login limiter. */
  readonly clientOf: (request: Request, env: unknown) => string;
  readonly limiter?: LoginLimiter;
  readonly realm?: string;
}

/**
 * The authentication middleware. On success the principal (the username, or `token`) is in the
 * context as `principal`; `anonymous` without authentication.
 */
export function authentication(
  options: AuthOptions,
): MiddlewareHandler<{ Variables: { principal: string } }> {
  const mode = authMode(options.auth);
  const realm = options.realm ?? 'DataLineage Monitoring';
  const limiter = options.limiter ?? new LoginLimiter();
  const expected =
    mode === 'basic'
      ? digest(`${options.auth?.username}:${options.auth?.password}`)
      : mode === 'bearer'
        ? digest(options.auth?.token as string)
        : undefined;
  const challenge = mode === 'basic' ? `Basic realm="${realm}", charset="UTF-8"` : `Bearer realm="${realm}"`;
  return async (c, next) => {
    if (mode === 'none' || expected === undefined || options.open(c.req.path)) {
      c.set('principal', 'anonymous');
      return next();
    }
    const client = options.clientOf(c.req.raw, c.env);
    const admission = limiter.admit(client);
    if (!admission.check) {
      c.header('Retry-After', String(Math.ceil(admission.retryAfterMs / 1000)));
      return apiError(c, 429, 'too_many_requests', 'too many failed logins; try again later');
    }
    const header = c.req.header('authorization') ?? '';
    let principal: string | undefined;
    if (mode === 'basic' && /^basic /i.test(header)) {
      const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
      if (same(decoded, expected)) principal = decoded.slice(0, decoded.indexOf(':'));
    } else if (mode === 'bearer' && /^bearer /i.test(header)) {
      if (same(header.slice(7).trim(), expected)) principal = 'token';
    }
    if (principal === undefined) {
      // Only attempts that sent credentials count: a browser's first, credential-less request does not.
      const wait = header === '' ? 0 : limiter.fail(client);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      c.header('WWW-Authenticate', challenge);
      return apiError(c, 401, 'unauthorized', 'authentication required');
    }
    limiter.succeed(client);
    c.set('principal', principal);
    return next();
  };
}
