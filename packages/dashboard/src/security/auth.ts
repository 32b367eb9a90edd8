// Who may use the dashboard: basic auth or a bearer token, compared in constant time (digests of
// equal length, so neither the content nor the length of a secret leaks through timing), with
// failed attempts limited per client address. Probes (/healthz, /readyz) stay open: they carry
// no data and orchestrators call them without credentials.
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

/** Failed logins per client: at most `limit` in `windowMs`, then 429 until the window passes. */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limit = 10,
    private readonly windowMs = 60_000,
    /** Clients tracked at most; the longest-quiet ones are forgotten first. */
    private readonly maxClients = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until `client` may try again; 0 when it may now. */
  blockedFor(client: string): number {
    const times = this.recent(client);
    if (times.length < this.limit) return 0;
    return Math.max(1, (times[0] as number) + this.windowMs - this.now());
  }

  fail(client: string): void {
    const times = this.recent(client);
    times.push(this.now());
    this.failures.delete(client); // re-insert: Map order is then least recently failed first
    this.failures.set(client, times.slice(-this.limit));
    if (this.failures.size > this.maxClients) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
  }

  succeed(client: string): void {
    this.failures.delete(client);
  }

  private recent(client: string): number[] {
    const since = this.now() - this.windowMs;
    return (this.failures.get(client) ?? []).filter((time) => time > since);
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
    const wait = limiter.blockedFor(client);
    if (wait > 0) {
      c.header('Retry-After', String(Math.ceil(wait / 1000)));
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
      if (header !== '') limiter.fail(client);
      c.header('WWW-Authenticate', challenge);
      return apiError(c, 401, 'unauthorized', 'authentication required');
    }
    limiter.succeed(client);
    c.set('principal', principal);
    return next();
  };
}
