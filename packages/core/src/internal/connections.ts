// Bounds on the connections of an HTTP server the SDK runs inside its host (the dashboard, the
// standalone /metrics endpoint): time limits on request headers, whole requests, idle keep-alive
// and stalled answers, and caps on connections open in all and per client address. When a cap is
// reached, a new connection takes the place of the one that has waited longest for a request (a
// slowloris dribbling headers, an idle keep-alive), so holding connections open keeps nobody out;
// only when every connection is busy answering is it refused. Each bound is counted when it bites.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { diagnostics } from './diag.js';

/** How long clients may take, and how many connections they may hold. */
export interface ConnectionLimits {
  /**
   * Milliseconds a client has to send its request headers, from connecting (or from the first
   * byte of its next request on a kept-alive connection); then the connection is closed with 408.
   * A client sends its headers in a round trip or two; Node's own default, 60 s, lets a slowloris
   * hold a connection a minute for a few bytes.
   * @default 10_000
   */
  headersTimeoutMs?: number;
  /**
   * Milliseconds to receive a whole request, headers and body (bodies are at most 64 KiB). It
   * does not limit the answer: a live event stream (`/api/events`) stays open. At least
   * headersTimeoutMs.
   * @default 30_000
   */
  requestTimeoutMs?: number;
  /** Milliseconds an idle kept-alive connection stays open (Node's default). @default 5_000 */
  keepAliveTimeoutMs?: number;
  /**
   * Milliseconds without traffic either way before a connection is closed: a client that stopped
   * reading its answer (the live event stream writes at least every 15 s).
   * @default 60_000
   */
  idleTimeoutMs?: number;
  /**
   * Connections open at once, in all: far above what a few people and a scraper use, and half
   * of 1,024, the file-descriptor limit many hosts still set, which the host application shares.
   * @default 512
   */
  maxConnections?: number;
  /**
   * Connections one client address (an IPv6 /64) holds at once: far above a browser's 6 or a
   * scraper's 1, and above the 50 clients of the load test, which all come from 127.0.0.1. Behind
   * a reverse proxy every client has the proxy's address: raise it to maxConnections there.
   * @default 128
   */
  maxConnectionsPerClient?: number;
}

/** What the connection bounds did, since the server started. */
export interface ConnectionStats {
  /** Connections open now. */
  open: number;
  /** New connections closed at once: the server or their address was full of busy connections. */
  refused: number;
  /** Connections waiting for a request, closed to make room for a new one. */
  evicted: number;
  /** Requests whose headers or body (or TLS handshake) came too slowly: answered 408, closed. */
  timedOut: number;
  /** Answers the client stopped reading, closed after idleTimeoutMs. */
  stalled: number;
}

/** The limits used where none are given. */
export const DEFAULT_CONNECTION_LIMITS: Readonly<Required<ConnectionLimits>> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  maxConnections: 512,
  maxConnectionsPerClient: 128,
};

/**
 * How often Node looks for requests past their headers or request timeout. Its default, 30 s,
 * would let a slow client hold its connection up to that much past the limit; a walk over at most
 * maxConnections entries a second costs nothing.
 */
const CONNECTIONS_CHECK_MS = 1000;

/**
 * The limits with their defaults.
 * @param owner how messages name the server (`dashboard`, `metrics endpoint`)
 * @param fail makes the setup error for a limit that cannot work; its message names the key
 */
export function resolveConnectionLimits(
  given: ConnectionLimits | undefined,
  owner: string,
  fail: (message: string) => Error,
): Required<ConnectionLimits> {
  const limits = { ...DEFAULT_CONNECTION_LIMITS };
  for (const [key, value] of Object.entries(given ?? {}) as Array<[keyof ConnectionLimits, unknown]>) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_CONNECTION_LIMITS))
      throw fail(
        `${owner} connections.${key} is not a connection limit; the limits are ${Object.keys(DEFAULT_CONNECTION_LIMITS).join(', ')}`,
      );
    if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > 2_147_483_647)
      throw fail(
        `${owner} connections.${key} must be a whole number from 1 to 2147483647, got ${String(value)}`,
      );
    limits[key] = value as number;
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs)
    throw fail(
      `${owner} connections.headersTimeoutMs (${limits.headersTimeoutMs}) must not exceed requestTimeoutMs (${limits.requestTimeoutMs})`,
    );
  if (limits.maxConnectionsPerClient > limits.maxConnections)
    throw fail(
      `${owner} connections.maxConnectionsPerClient (${limits.maxConnectionsPerClient}) must not exceed maxConnections (${limits.maxConnections})`,
    );
  return limits;
}

/** What a node:http server must be created with for these limits (the rest is `guard.attach`). */
export function connectionServerOptions(limits: Required<ConnectionLimits>) {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
  };
}

/** The address a per-client cap counts by: IPv4 as it is, IPv6 by its /64, one host's share. */
export function clientAddress(address: string): string {
  if (!address.includes(':')) return address;
  const bare = (address.split('%')[0] ?? '').toLowerCase();
  if (bare.startsWith('::ffff:') && bare.includes('.')) return bare.slice(7);
  const [head = '', tail] = bare.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros =
    tail === undefined ? [] : Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0');
  const groups = [...left, ...zeros, ...right].slice(0, 4).map((group) => group.replace(/^0+(?=.)/, ''));
  return `${groups.join(':')}::/64`;
}

/** Node's answers to a client error, which a `clientError` listener must write itself. */
const CLIENT_ERROR_ANSWERS: Readonly<Record<string, string>> = {
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: '413 Payload Too Large',
};

/** One open connection: its client address, and how many of its requests are being answered. */
interface Tracked {
  readonly socket: Socket;
  readonly client: string;
  busy: number;
}

/**
 * The connection caps and their counts. Connections are kept in the order they began to wait for
 * a request (opened, or answered their last one): at a cap, the one that has waited longest —
 * of the same address at the per-client cap, of any at the global one — makes room. A scraper
 * sends its request as soon as it connects, so it is never the one that waited longest.
 */
export class ConnectionGuard {
  /** By remote address and port (the same for a TLS socket and its TCP socket), longest waiting first. */
  private readonly open = new Map<string, Tracked>();
  private readonly perClient = new Map<string, number>();
  private readonly counts = { refused: 0, evicted: 0, timedOut: 0, stalled: 0 };

  constructor(
    private readonly limits: Required<ConnectionLimits>,
    /** How messages name the server: `dashboard`, `metrics endpoint`. */
    private readonly owner: string,
  ) {}

  /** Bounds `server`'s connections; it must have been created with `connectionServerOptions`. */
  attach(server: Server): void {
    server.timeout = this.limits.idleTimeoutMs;
    server.on('connection', this.admit);
    server.on('request', this.request);
    server.on('timeout', this.idle);
    server.on('clientError', this.clientError);
    server.on('tlsClientError', this.tlsClientError);
  }

  stats(): ConnectionStats {
    return { open: this.open.size, ...this.counts };
  }

  /** A new TCP connection: admitted, in place of the longest waiting one, or refused. */
  readonly admit = (socket: Socket): void => {
    const key = keyOf(socket);
    if (key === undefined || socket.remoteAddress === undefined) return; // closed already
    const client = clientAddress(socket.remoteAddress);
    const room =
      (this.perClient.get(client) ?? 0) >= this.limits.maxConnectionsPerClient
        ? this.evict(client)
        : this.open.size < this.limits.maxConnections || this.evict(undefined);
    if (!room) {
      this.counts.refused++;
      this.warn(
        'refused',
        `${this.owner} connections refused: ${this.open.size} open, all busy (connections.maxConnections ` +
          `${this.limits.maxConnections}, maxConnectionsPerClient ${this.limits.maxConnectionsPerClient})`,
      );
      socket.destroy();
      return;
    }
    const entry: Tracked = { socket, client, busy: 0 };
    this.open.set(key, entry);
    this.perClient.set(client, (this.perClient.get(client) ?? 0) + 1);
    socket.once('close', () => {
      if (this.open.get(key) === entry) this.forget(key, entry);
    });
  };

  /** A request whose headers arrived: its connection is busy until the answer ends. */
  readonly request = (request: IncomingMessage, response: ServerResponse): void => {
    const key = keyOf(request.socket);
    const entry = key === undefined ? undefined : this.open.get(key);
    if (key === undefined || entry === undefined) return;
    entry.busy++;
    response.once('close', () => {
      entry.busy--;
      if (entry.busy > 0 || this.open.get(key) !== entry) return;
      this.open.delete(key); // waiting again: to the back of the line
      this.open.set(key, entry);
    });
  };

  /** No traffic for idleTimeoutMs (or past keepAliveTimeoutMs): close; a stalled answer is counted. */
  readonly idle = (socket: Socket): void => {
    const key = keyOf(socket);
    if ((key === undefined ? undefined : this.open.get(key))?.busy) {
      this.counts.stalled++;
      this.warn(
        'stalled',
        `${this.owner} answers not read for connections.idleTimeoutMs (${this.limits.idleTimeoutMs} ms) were cut`,
      );
    }
    socket.destroy();
  };

  /** A parse error or a request too slow: counted, then answered as Node answers it. */
  readonly clientError = (error: NodeJS.ErrnoException, socket: Socket): void => {
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      this.counts.timedOut++;
      this.warn(
        'timedOut',
        `${this.owner} requests too slow were closed with 408 (connections.headersTimeoutMs ` +
          `${this.limits.headersTimeoutMs}, requestTimeoutMs ${this.limits.requestTimeoutMs})`,
      );
    }
    // As Node does without a listener: a status line, unless an answer already began here.
    const answer = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && answer?.headersSent !== true) {
      const status = CLIENT_ERROR_ANSWERS[error.code ?? ''] ?? '400 Bad Request';
      socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    }
    socket.destroy();
  };

  /** A TLS handshake past headersTimeoutMs (Node has closed the connection already): counted. */
  readonly tlsClientError = (error: NodeJS.ErrnoException): void => {
    if (error.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') this.counts.timedOut++;
  };

  /** Closes the longest-waiting connection (of `client`, if given); false if all are busy. */
  private evict(client: string | undefined): boolean {
    for (const [key, entry] of this.open) {
      if (entry.busy > 0 || (client !== undefined && entry.client !== client)) continue;
      this.forget(key, entry);
      entry.socket.destroy();
      this.counts.evicted++;
      this.warn(
        'evicted',
        `${this.owner} connections waiting for a request were closed to make room (connections.maxConnections ` +
          `${this.limits.maxConnections}, maxConnectionsPerClient ${this.limits.maxConnectionsPerClient})`,
      );
      return true;
    }
    return false;
  }

  private forget(key: string, entry: Tracked): void {
    this.open.delete(key);
    const held = (this.perClient.get(entry.client) ?? 1) - 1;
    if (held > 0) this.perClient.set(entry.client, held);
    else this.perClient.delete(entry.client);
  }

  private warn(cause: keyof ConnectionGuard['counts'], message: string): void {
    diagnostics.warnOnce('DLM_SERVER_CONNECTIONS', `${this.owner}: ${cause}`, message);
  }
}

function keyOf(socket: Socket): string | undefined {
  return socket.remoteAddress === undefined ? undefined : `${socket.remoteAddress}|${socket.remotePort}`;
}
