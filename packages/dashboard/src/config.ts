// DashboardConfig, as the guide writes it: `new DashboardConfig({ host, port, debug, autoRefresh,
// maxDataPoints, theme })` (the guide's snake_case spellings too), checked at construction and
// handed to `setupMonitoring({ dashboard: … })`.

export interface DashboardConfigOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 8080 */
  port?: number;
  /** Log every request through the SDK's diagnostics. @default false */
  debug?: boolean;
  /** Seconds between polls when live events are not available. @default 30 */
  autoRefresh?: number;
  auto_refresh?: number;
  /** Points kept per chart series. @default 100 */
  maxDataPoints?: number;
  max_data_points?: number;
  /** @default 'dark' */
  theme?: 'dark' | 'light';
  /** Seconds between samples of the charts' history. @default 5 */
  sampleInterval?: number;
  sample_interval?: number;
  /** Basic auth (username and password) or a bearer token. @default none */
  auth?: { username?: string; password?: string; token?: string };
  /** Serve a non-loopback host without authentication anyway. @default false */
  allowUnauthenticated?: boolean;
  allow_unauthenticated?: boolean;
  /** HTTPS with these PEM files. @default none */
  tls?: { keyFile?: string; certFile?: string };
}

/** Thrown by DashboardConfig for an option that cannot work; names it. */
export class DashboardOptionError extends Error {
  override readonly name = 'DashboardOptionError';
  readonly code = 'DLM_DASHBOARD_OPTION';
}

/**
 * @example
 * setupMonitoring({ dashboard: new DashboardConfig({ host: '127.0.0.1', port: 8080, auto_refresh: 30, max_data_points: 100, theme: 'dark' }) });
 */
export class DashboardConfig {
  readonly enabled = true;
  readonly host: string;
  readonly port: number;
  readonly debug: boolean;
  readonly autoRefresh: number;
  readonly maxDataPoints: number;
  readonly theme: 'dark' | 'light';
  readonly sampleInterval: number;
  readonly auth: { username?: string; password?: string; token?: string };
  readonly allowUnauthenticated: boolean;
  readonly tls: { keyFile?: string; certFile?: string };

  /** @throws DashboardOptionError naming the option */
  constructor(options: DashboardConfigOptions = {}) {
    const fail = (key: string, message: string): never => {
      throw new DashboardOptionError(`DashboardConfig ${key}: ${message}`);
    };
    const pick = <T>(camel: T | undefined, snake: T | undefined, key: string): T | undefined => {
      if (camel !== undefined && snake !== undefined && camel !== snake)
        fail(key, 'given twice, differently');
      return camel ?? snake;
    };
    this.host = options.host ?? '127.0.0.1';
    if (typeof this.host !== 'string' || this.host === '') fail('host', 'expected a host name or address');
    this.port = options.port ?? 8080;
    if (!Number.isInteger(this.port) || this.port < 0 || this.port > 65_535) fail('port', 'expected 0–65535');
    this.debug = options.debug ?? false;
    this.autoRefresh = pick(options.autoRefresh, options.auto_refresh, 'autoRefresh') ?? 30;
    if (!(this.autoRefresh > 0)) fail('autoRefresh', 'expected seconds, more than 0');
    this.maxDataPoints = pick(options.maxDataPoints, options.max_data_points, 'maxDataPoints') ?? 100;
    if (!Number.isInteger(this.maxDataPoints) || this.maxDataPoints < 2)
      fail('maxDataPoints', 'expected an integer ≥ 2');
    this.theme = options.theme ?? 'dark';
    if (this.theme !== 'dark' && this.theme !== 'light') fail('theme', 'expected "dark" or "light"');
    this.sampleInterval = pick(options.sampleInterval, options.sample_interval, 'sampleInterval') ?? 5;
    if (!(this.sampleInterval > 0)) fail('sampleInterval', 'expected seconds, more than 0');
    this.auth = { ...options.auth };
    this.allowUnauthenticated =
      pick(options.allowUnauthenticated, options.allow_unauthenticated, 'allowUnauthenticated') ?? false;
    this.tls = { ...options.tls };
    Object.freeze(this);
  }
}
