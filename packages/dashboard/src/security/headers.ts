// Response headers that hold on every answer: a strict Content-Security-Policy (scripts and
// styles from the dashboard itself only, no inline code, no eval, nothing framed or framing),
// no MIME sniffing, no referrer, no embedding; HSTS when served over HTTPS. And, without
// authentication, a Host check against DNS rebinding: a web page cannot point its own domain at
// 127.0.0.1 and read a loopback dashboard that only answers to the names it listens on.
import type { MiddlewareHandler } from 'hono';
import { apiError } from '../api/errors.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function securityHeaders(options: { https: boolean }): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Frame-Options', 'DENY');
    c.header('Cross-Origin-Opener-Policy', 'same-origin');
    c.header('Cross-Origin-Resource-Policy', 'same-origin');
    c.header('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    if (options.https) c.header('Strict-Transport-Security', 'max-age=31536000');
  };
}

const LOOPBACK_NAMES: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** The host part of a Host header (`[::1]:8080` → `[::1]`). */
export function hostName(header: string): string {
  const trimmed = header.trim().toLowerCase();
  if (trimmed.startsWith('[')) return trimmed.slice(0, trimmed.indexOf(']') + 1);
  const colon = trimmed.lastIndexOf(':');
  return colon === -1 ? trimmed : trimmed.slice(0, colon);
}

/**
 * Without authentication, answers only requests addressed to a loopback name or one of
 * `allowedHosts` (the configured host). With authentication it lets everything through: the
 * credentials protect it then.
 */
export function hostCheck(options: { enabled: boolean; allowedHosts: readonly string[] }): MiddlewareHandler {
  const allowed = new Set([...LOOPBACK_NAMES, ...options.allowedHosts.map((host) => host.toLowerCase())]);
  return async (c, next) => {
    if (!options.enabled) return next();
    // The request URL's host is the Host header (the Node adapter builds the URL from it).
    const host = new URL(c.req.url).host;
    if (!allowed.has(hostName(host))) {
      return apiError(
        c,
        403,
        'forbidden',
        'unexpected Host header; open the dashboard by the address it listens on',
      );
    }
    return next();
  };
}
