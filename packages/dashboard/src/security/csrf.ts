// Cross-site request forgery: every mutation (acknowledge, silence) is a POST that carries
// `X-CSRF-Token`, an HMAC of the principal under a per-process secret. A page on another origin
// can make the browser send the dashboard's cookies or basic-auth credentials, but it can neither
// read the token nor set a custom header without a CORS preflight, which the dashboard never
// grants. A request whose Origin names another host is refused as well.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { apiError } from '../api/errors.js';

export class CsrfTokens {
  private readonly secret = randomBytes(32);

  /** The token of a principal (stable for the process's life). */
  tokenFor(principal: string): string {
    return createHmac('sha256', this.secret).update(principal, 'utf8').digest('base64url');
  }

  valid(principal: string, token: string | undefined): boolean {
    if (token === undefined) return false;
    const expected = Buffer.from(this.tokenFor(principal));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/** Refuses unsafe methods without a valid token, or from another origin. */
export function csrfProtection(tokens: CsrfTokens): MiddlewareHandler<{ Variables: { principal: string } }> {
  return async (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next();
    const origin = c.req.header('origin');
    if (origin !== undefined && origin !== 'null') {
      let host: string | undefined;
      try {
        host = new URL(origin).host;
      } catch {
        host = undefined;
      }
      if (host !== new URL(c.req.url).host)
        return apiError(c, 403, 'csrf', 'cross-origin requests are refused');
    }
    if (!tokens.valid(c.get('principal'), c.req.header('x-csrf-token'))) {
      return apiError(c, 403, 'csrf', 'missing or invalid X-CSRF-Token (get one from /api/session)');
    }
    return next();
  };
}
