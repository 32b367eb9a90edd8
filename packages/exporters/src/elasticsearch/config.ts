// The Elasticsearch exporter's configuration, checked once at construction: a URL that fetch can
// use (credentials in it move to basic auth), an index prefix or data stream name Elasticsearch
// accepts, and one way to authenticate. Secrets live in private fields, so neither
// JSON.stringify nor console.log of a config shows them.
import { diagnostics } from '@datalineage/core';
import { ExporterConfigError } from '../export/types.js';

/** Where documents go: one index per UTC day, or a data stream. */
export type ElasticsearchIndexMode = 'daily' | 'datastream';

/** Options of {@link ElasticsearchConfig}; the guide's snake_case spellings are accepted too. */
export interface ElasticsearchOptions {
  /**
   * Elasticsearch's HTTP(S) address; a path is kept (a proxy at `https://proxy/es`), `/_bulk` is
   * appended. Credentials in it (`https://user:pw@host:9200`) are used as basic auth.
   * @default 'http://localhost:9200'
   */
  url?: string;
  /**
   * Daily indices are `<indexPrefix>-YYYY.MM.DD` (the document's UTC date). Lowercase, without
   * `\ / * ? " < > | , # :` or spaces, not starting with `-`, `_`, `+` or `.`.
   * @default 'datalineagepy'
   */
  indexPrefix?: string;
  /** Basic auth user; requires `password`. @default undefined */
  username?: string;
  /** Basic auth password; requires `username`. Never shown in status or errors. @default undefined */
  password?: string;
  /**
   * An API key as Elasticsearch returns it in `encoded` (base64 of `id:api_key`), sent as
   * `Authorization: ApiKey <key>`. Not together with username/password. @default undefined
   */
  apiKey?: string;
  /**
   * `'daily'`: one index per UTC day. `'datastream'`: every document into {@link dataStream},
   * which needs an index template with `data_stream` (built in for `logs-*-*`).
   * @default 'datastream' when `dataStream` is given, else 'daily'
   */
  index?: ElasticsearchIndexMode;
  /**
   * The data stream's name, `logs-<dataset>-<namespace>` so Elasticsearch's built-in `logs`
   * template applies. @default 'logs-datalineage-default'
   */
  dataStream?: string;
  /**
   * `service.name` of every document.
   * @default the records' OpenTelemetry resource `service.name`
   */
  serviceName?: string;
  /** Accepted for the YAML section `exporters.elasticsearch`; the facade reads it, this does not. */
  enabled?: boolean;
}

/** The snake_case spellings from the guide and its YAML file. */
export interface ElasticsearchSnakeOptions {
  index_prefix?: string;
  api_key?: string;
  data_stream?: string;
  service_name?: string;
}

const KIND = 'elasticsearch';
const DEFAULT_DATA_STREAM = 'logs-datalineage-default';
const ALIASES: Readonly<Record<string, keyof ElasticsearchOptions>> = {
  index_prefix: 'indexPrefix',
  api_key: 'apiKey',
  data_stream: 'dataStream',
  service_name: 'serviceName',
};
const KEYS: ReadonlySet<string> = new Set<keyof ElasticsearchOptions>([
  'url',
  'indexPrefix',
  'username',
  'password',
  'apiKey',
  'index',
  'dataStream',
  'serviceName',
  'enabled',
]);
/** What Elasticsearch refuses in index names (`MetadataCreateIndexService.validateIndexOrAliasName`). */
const FORBIDDEN = /[\\/*?"<>|,# :]/;
/** The daily suffix `-YYYY.MM.DD`; index names are at most 255 bytes. */
const DAILY_SUFFIX_BYTES = 11;

/**
 * The Elasticsearch exporter's configuration; invalid options throw at once.
 * @throws ExporterConfigError naming the option at fault and how to fix it
 * @example
 * new ElasticsearchConfig({ url: 'https://es:9200', indexPrefix: 'lineage', username: 'elastic', password });
 * new ElasticsearchConfig({ url, apiKey: process.env.ES_API_KEY, index: 'datastream' });
 */
export class ElasticsearchConfig {
  /** Where `/_bulk` is appended: scheme, host and path, without credentials or a trailing slash. */
  readonly url: string;
  readonly indexPrefix: string;
  readonly index: ElasticsearchIndexMode;
  /** The data stream, in `'datastream'` mode. */
  readonly dataStream: string | undefined;
  readonly username: string | undefined;
  readonly serviceName: string | undefined;
  readonly #password: string | undefined;
  readonly #apiKey: string | undefined;

  constructor(options: ElasticsearchOptions & ElasticsearchSnakeOptions = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new ExporterConfigError(KIND, 'config', `expected an options object, got ${typeof options}`);
    }
    const raw = options as Readonly<Record<string, unknown>>;
    const given = normalise(raw);
    const text = (key: string): string | undefined => {
      const value = given[key];
      if (value === undefined) return undefined;
      if (typeof value !== 'string' || value === '') {
        throw new ExporterConfigError(KIND, spelling(raw, key), `expected a non-empty string`);
      }
      return value;
    };

    const parsed = parseUrl(text('url') ?? 'http://localhost:9200', spelling(raw, 'url'));
    this.url = parsed.url;
    let username = text('username');
    let password = text('password');
    if (parsed.username !== undefined) {
      if (username !== undefined || password !== undefined) {
        throw new ExporterConfigError(
          KIND,
          'url',
          'holds credentials and username/password are given too: keep one of them',
        );
      }
      username = parsed.username;
      password = parsed.password;
    }
    const apiKey = text('apiKey');
    if ((username === undefined) !== (password === undefined)) {
      throw new ExporterConfigError(
        KIND,
        username === undefined ? 'username' : 'password',
        'username and password go together: give both for basic auth, or neither',
      );
    }
    if (apiKey !== undefined && username !== undefined) {
      throw new ExporterConfigError(
        KIND,
        spelling(raw, 'apiKey'),
        'give either an API key or username/password, not both',
      );
    }
    if (apiKey !== undefined && /[\s:]/.test(apiKey)) {
      throw new ExporterConfigError(
        KIND,
        spelling(raw, 'apiKey'),
        'expected the key as Elasticsearch returns it in "encoded" (base64 of id:api_key), without spaces or a colon',
      );
    }
    this.username = username;
    this.#password = password;
    this.#apiKey = apiKey;

    const prefixKey = spelling(raw, 'indexPrefix');
    this.indexPrefix = text('indexPrefix') ?? 'datalineagepy';
    checkIndexName(this.indexPrefix, prefixKey, 255 - DAILY_SUFFIX_BYTES);

    const dataStream = text('dataStream');
    const mode = given.index ?? (dataStream === undefined ? 'daily' : 'datastream');
    if (mode !== 'daily' && mode !== 'datastream') {
      throw new ExporterConfigError(KIND, 'index', `expected 'daily' or 'datastream', got ${String(mode)}`);
    }
    if (mode === 'daily' && dataStream !== undefined) {
      throw new ExporterConfigError(
        KIND,
        spelling(raw, 'dataStream'),
        "is used with index: 'datastream'; remove it or set index: 'datastream'",
      );
    }
    this.index = mode;
    if (mode === 'datastream') {
      const name = dataStream ?? DEFAULT_DATA_STREAM;
      const key = spelling(raw, 'dataStream');
      checkIndexName(name, key, 255);
      if (name.startsWith('.ds-')) {
        throw new ExporterConfigError(KIND, key, `"${name}": names starting with ".ds-" are reserved`);
      }
      if (!/^logs-[^-]+-[^-]+$/.test(name)) {
        diagnostics.warn(
          'DLM_ES_DATA_STREAM_NAME',
          `elasticsearch data stream "${name}" is not of the form logs-<dataset>-<namespace>: it needs an index template with data_stream enabled, or Elasticsearch creates a plain index of that name.`,
        );
      }
      this.dataStream = name;
    } else {
      this.dataStream = undefined;
    }
    this.serviceName = text('serviceName');
    if (given.enabled !== undefined && typeof given.enabled !== 'boolean') {
      throw new ExporterConfigError(KIND, 'enabled', `expected true or false, got ${String(given.enabled)}`);
    }
  }

  /** How requests authenticate. */
  get auth(): 'basic' | 'apiKey' | 'none' {
    if (this.#apiKey !== undefined) return 'apiKey';
    return this.username === undefined ? 'none' : 'basic';
  }

  /** The basic auth password; a getter, so it is not an own property that serialisers show. */
  get password(): string | undefined {
    return this.#password;
  }

  /** The API key; a getter, like {@link password}. */
  get apiKey(): string | undefined {
    return this.#apiKey;
  }

  /** The configuration as status pages show it, secrets masked. */
  toJSON(): Record<string, unknown> {
    return {
      url: this.url,
      index: this.index,
      ...(this.index === 'daily' ? { indexPrefix: this.indexPrefix } : { dataStream: this.dataStream }),
      auth: this.auth,
      ...(this.username === undefined ? {} : { username: this.username, password: '[REDACTED]' }),
      ...(this.#apiKey === undefined ? {} : { apiKey: '[REDACTED]' }),
      ...(this.serviceName === undefined ? {} : { serviceName: this.serviceName }),
    };
  }
}

/** The options under their camelCase names; unknown keys and a key given twice are errors. */
function normalise(options: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const given: Record<string, unknown> = {};
  for (const key of Object.keys(options)) {
    const value = options[key];
    if (value === undefined) continue;
    const name = ALIASES[key] ?? key;
    if (!KEYS.has(name)) {
      throw new ExporterConfigError(
        KIND,
        key,
        `unknown option; the options are ${[...KEYS].join(', ')} (or index_prefix, api_key, data_stream, service_name)`,
      );
    }
    if (given[name] !== undefined) {
      throw new ExporterConfigError(KIND, key, `is given twice (as ${name} and ${key}); keep one`);
    }
    given[name] = value;
  }
  return given;
}

/** The key as the user spelled it, for messages. */
function spelling(options: Readonly<Record<string, unknown>>, key: string): string {
  for (const [snake, camel] of Object.entries(ALIASES)) {
    if (camel === key && options[snake] !== undefined) return snake;
  }
  return key;
}

function parseUrl(
  text: string,
  key: string,
): { url: string; username: string | undefined; password: string | undefined } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ExporterConfigError(KIND, key, 'is not a URL; expected e.g. http://localhost:9200');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ExporterConfigError(KIND, key, `expected an http:// or https:// URL, got ${url.protocol}//`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new ExporterConfigError(
      KIND,
      key,
      'must not have a query or fragment; give the base address, /_bulk is appended',
    );
  }
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw new ExporterConfigError(KIND, key, 'holds credentials that are not valid percent-encoding');
    }
  };
  const username = url.username === '' ? undefined : decode(url.username);
  const password = url.password === '' ? undefined : decode(url.password);
  if ((username === undefined) !== (password === undefined)) {
    throw new ExporterConfigError(KIND, key, 'holds a username without a password (or the reverse)');
  }
  const path = url.pathname.replace(/\/+$/, '');
  return { url: `${url.protocol}//${url.host}${path}`, username, password };
}

/** Elasticsearch's rules for index (and data stream) names. */
function checkIndexName(name: string, key: string, maxBytes: number): void {
  const fail = (why: string) => {
    throw new ExporterConfigError(KIND, key, `"${name}" is not a valid index name: ${why}`);
  };
  if (name !== name.toLowerCase()) fail('it must be lowercase');
  const bad = FORBIDDEN.exec(name);
  if (bad !== null) fail(`it must not contain ${bad[0] === ' ' ? 'a space' : `"${bad[0]}"`}`);
  if (/^[-_+.]/.test(name)) fail('it must not start with -, _, + or .');
  if (Buffer.byteLength(name, 'utf8') > maxBytes) fail(`it must be at most ${maxBytes} bytes`);
}
