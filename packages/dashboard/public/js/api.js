// @ts-check
// The JSON API client. Relative URLs (the page also works under a path prefix), the bearer token
// kept in sessionStorage and sent on every request, the CSRF token on every POST, and the API's
// `{ error: { code, message } }` answers turned into ApiError.

const TOKEN_KEY = 'datalineage.dashboard.token';

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 when the server could not be reached
   * @param {string} code @param {string} message @param {Headers} [headers]
   */
  constructor(status, code, message, headers) {
    super(message);
    this.status = status;
    this.code = code;
    /** Seconds to wait after a 429, when the server says. */
    this.retryAfter = Number(headers?.get('Retry-After')) || undefined;
    /** The scheme a 401 asks for (`basic`, `bearer`). */
    this.scheme = headers?.get('WWW-Authenticate')?.split(' ')[0]?.toLowerCase();
  }
}

/** Set by main.js: the session's CSRF token, and what to do on a 401. */
export const client = { csrfToken: '', onUnauthorized: (/** @type {ApiError} */ _error) => {} };

export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** @param {string | null} token */
export function setToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: the token lives as long as the page
  }
}

/** @param {Record<string, string>} headers */
export function withAuth(headers) {
  const token = getToken();
  return token ? { ...headers, Authorization: `Bearer ${token}` } : headers;
}

/** Query parameters from pairs: repeated keys stay repeated, empty values are left out. */
export function query(/** @type {Iterable<unknown[]>} */ pairs) {
  const q = new URLSearchParams();
  for (const [k, v] of pairs) if (v !== undefined && v !== '') q.append(String(k), String(v));
  return q;
}

/**
 * Call the API: resolves with the parsed JSON, rejects with ApiError.
 * @param {string} path relative, e.g. `api/status`
 * @param {{ method?: 'GET' | 'POST', query?: URLSearchParams, body?: unknown }} [options]
 * @returns {Promise<any>}
 */
export async function api(path, options = {}) {
  const method = options.method ?? 'GET';
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  if (method === 'POST') headers['X-CSRF-Token'] = client.csrfToken;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const qs = options.query?.toString();
  let response;
  try {
    response = await fetch(qs ? `${path}?${qs}` : path, {
      method,
      headers: withAuth(headers),
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      cache: 'no-store',
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'network', 'The dashboard server cannot be reached.');
  }
  const text = await response.text().catch(() => '');
  let data;
  try {
    data = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON: handled below
  }
  if (!response.ok) {
    const { code, message } = data?.error ?? {};
    const error = new ApiError(
      response.status,
      typeof code === 'string' ? code : `http_${response.status}`,
      typeof message === 'string' ? message : `The server answered ${response.status}.`,
      response.headers,
    );
    if (response.status === 401) client.onUnauthorized(error);
    throw error;
  }
  if (data === undefined) throw new ApiError(response.status, 'bad_response', 'The server sent no JSON.');
  return data;
}

/** A readable line for any error a view catches. @param {unknown} error */
export function errorText(error) {
  if (!(error instanceof Error)) return String(error);
  const wait = error instanceof ApiError && error.status === 429 && error.retryAfter;
  return wait ? `${error.message} (try again in ${wait} s)` : error.message;
}

/** The HTTP status of an error, 0 when there is none. @param {unknown} error */
export const statusOf = (error) => (error instanceof ApiError ? error.status : 0);
