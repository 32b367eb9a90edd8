// InfluxDBConfig: where and how metrics are written, checked once at construction. InfluxDB 1.x
// (`/write`, a database, basic auth) and 2.x (`/api/v2/write`, org and bucket, a token).
import { ExporterConfigError } from '../export/types.js';
import type { Precision } from './line-protocol.js';

export interface InfluxDBConfigOptions {
  /** @default 'http://localhost:8086' */
  url?: string;
  /** InfluxDB 1.x database. @default 'datalineagepy' (the Python library's, so dashboards keep matching) */
  database?: string;
  /** InfluxDB 1.x user (sent as basic auth, never in the URL). @default none */
  username?: string;
  /** @default none */
  password?: string;
  /** InfluxDB 1.x retention policy. @default the database's default */
  retentionPolicy?: string;
  /** Snake_case spelling of `retentionPolicy`. */
  retention_policy?: string;
  /** Create the 1.x database when InfluxDB says it does not exist. @default false */
  createDatabase?: boolean;
  /** Snake_case spelling of `createDatabase`. */
  create_database?: boolean;
  /** 2: InfluxDB 2.x's `/api/v2/write` with `org`, `bucket` and `token`. @default 1, or 2 when a token is given */
  version?: 1 | 2;
  /** InfluxDB 2.x organization. @default none */
  org?: string;
  /** InfluxDB 2.x bucket. @default none */
  bucket?: string;
  /** InfluxDB 2.x API token; giving one selects version 2. @default none */
  token?: string;
  /** Timestamp precision. @default 'ms' */
  precision?: Precision;
  /** Tags added to every point (a `host`, say); a series' own label of the same name wins. @default {} */
  tags?: Readonly<Record<string, string>>;
}

const PRECISIONS: ReadonlySet<string> = new Set(['ns', 'us', 'ms', 's']);

/**
 * @example new InfluxDBConfig({ url: 'http://localhost:8086', database: 'datalineagepy', username: 'writer', password })
 * @example new InfluxDBConfig({ url: 'https://eu-central-1-1.aws.cloud2.influxdata.com', org: 'acme', bucket: 'metrics', token })
 */
export class InfluxDBConfig {
  readonly url: string;
  readonly version: 1 | 2;
  readonly database: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly retentionPolicy: string | undefined;
  readonly createDatabase: boolean;
  readonly org: string | undefined;
  readonly bucket: string | undefined;
  readonly token: string | undefined;
  readonly precision: Precision;
  readonly tags: Readonly<Record<string, string>>;

  /** @throws ExporterConfigError naming the option */
  constructor(options: InfluxDBConfigOptions = {}) {
    const fail = (key: string, message: string): never => {
      throw new ExporterConfigError('influxdb', key, message);
    };
    const url = options.url ?? 'http://localhost:8086';
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      fail('url', `${JSON.stringify(url)} is not a URL; expected e.g. http://localhost:8086`);
    }
    if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:')
      fail('url', 'expected an http or https URL');
    if (parsed?.username || parsed?.password) {
      fail('url', 'put credentials in username/password or token, not in the URL (it shows up in logs)');
    }
    if (parsed?.search || parsed?.hash) fail('url', 'give the base URL only, without a query or fragment');
    this.url = url.replace(/\/+$/, '');
    this.version = options.version ?? (options.token !== undefined ? 2 : 1);
    if (this.version !== 1 && this.version !== 2)
      fail('version', `expected 1 or 2, got ${String(options.version)}`);
    this.database = options.database ?? 'datalineagepy';
    if (typeof this.database !== 'string' || this.database === '')
      fail('database', 'expected a database name');
    this.username = options.username;
    this.password = options.password;
    if ((this.username === undefined) !== (this.password === undefined)) {
      fail(this.username === undefined ? 'username' : 'password', 'give username and password together');
    }
    this.retentionPolicy = options.retentionPolicy ?? options.retention_policy;
    this.createDatabase = options.createDatabase ?? options.create_database ?? false;
    this.org = options.org;
    this.bucket = options.bucket;
    this.token = options.token;
    if (this.version === 2) {
      if (!this.org) fail('org', 'InfluxDB 2.x needs the organization (org)');
      if (!this.bucket) fail('bucket', 'InfluxDB 2.x needs a bucket');
      if (!this.token) fail('token', 'InfluxDB 2.x needs an API token');
      // 1.x settings with a 2.x target would be ignored without a word.
      for (const [key, given] of [
        ['username', this.username],
        ['retentionPolicy', this.retentionPolicy],
        ['database', options.database],
      ] as const) {
        if (given !== undefined)
          fail(key, `is an InfluxDB 1.x setting; with a token (2.x) use org and bucket`);
      }
      if (this.createDatabase)
        fail('createDatabase', 'is an InfluxDB 1.x setting; 2.x buckets are created in InfluxDB');
    } else {
      for (const [key, given] of [
        ['org', this.org],
        ['bucket', this.bucket],
      ] as const) {
        if (given !== undefined)
          fail(key, 'is an InfluxDB 2.x setting: give the token too (version 2), or use database');
      }
    }
    this.precision = options.precision ?? 'ms';
    if (!PRECISIONS.has(this.precision))
      fail('precision', `expected ns, us, ms or s, got ${String(this.precision)}`);
    const tags = options.tags ?? {};
    for (const [key, value] of Object.entries(tags)) {
      if (typeof value !== 'string') fail('tags', `"${key}" must be a string`);
    }
    this.tags = Object.freeze({ ...tags });
    Object.freeze(this);
  }
}
