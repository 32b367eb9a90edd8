// Every API error has one shape, `{ error: { code, message } }`, with a matching HTTP status:
// never an error inside a 200. Also the request-body limit, whose refusal is one of these errors.
import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export type ApiErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'csrf'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'too_many_requests'
  | 'unavailable';

export function apiError(
  c: Context,
  status: ContentfulStatusCode,
  code: ApiErrorCode,
  message: string,
): Response {
  c.header('Cache-Control', 'no-store');
  return c.json({ error: { code, message } }, status);
}

/** Thrown by parameter readers; the app turns it into a 400 naming the parameter. */
export class BadRequest extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`${parameter}: ${message}`);
  }
}

/**
 * Bytes a request body may have. The API's bodies are small JSON forms: the largest valid one, a
 * silence at every bound of core's, is about 20 KiB of plain text.
 */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Refuses a request body past `maxBytes` with 413 `payload_too_large` and closes the connection:
 * at once when its Content-Length says so (Node's parser holds a body to its Content-Length),
 * else as soon as that many bytes of a chunked body were read, leaving the rest unread. The route
 * then reads what was read. (Hono's `hono/body-limit` cannot rebuild a chunked request from
 * node-server's lazy one unless node-server replaces the global Request, which a library must
 * not do: see server.ts.)
 */
export function bodyLimit(maxBytes = MAX_BODY_BYTES): MiddlewareHandler {
  const tooLarge = (c: Context): Response => {
    c.header('Connection', 'close');
    return apiError(c, 413, 'payload_too_large', `request bodies are limited to ${maxBytes} bytes`);
  };
  return async (c, next) => {
    const request = c.req.raw;
    if (request.body === null) return next();
    const declared = request.headers.get('content-length');
    if (declared !== null && !request.headers.has('transfer-encoding'))
      return Number(declared) > maxBytes ? tooLarge(c) : next();
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        reader.cancel().catch(() => {});
        return tooLarge(c);
      }
      chunks.push(value);
    }
    const headers = new Headers(request.headers);
    headers.delete('transfer-encoding');
    c.req.raw = new Request(request.url, {
      method: request.method,
      headers,
      body: Buffer.concat(chunks),
      signal: request.signal,
    });
    return next();
  };
}
