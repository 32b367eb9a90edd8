// Channel set-up. `createChannel` turns a configuration as the guide writes it (snake_case keys,
// or camelCase) into a channel, and fails fast, at set-up, with one ChannelConfigError naming the
// channel and the key. Each channel file owns its keys (`parse*Config`); this file owns the
// reading rules: aliases, types, unknown keys, and never echoing a value that may be a secret.
import { AlertChannel, type NotificationChannel } from '../types.js';
import { AlertmanagerChannel, parseAlertmanagerConfig } from './alertmanager.js';
import { CustomChannel, type CustomHandler, parseCustomConfig } from './custom.js';
import { EmailChannel, parseEmailConfig } from './email.js';
import { parseSlackConfig, SlackChannel } from './slack.js';
import { parseWebhookConfig, WebhookChannel } from './webhook.js';

/**
 * Thrown by `createChannel` for a configuration that cannot work: a missing or invalid key, an
 * unknown key (a typo would otherwise be ignored silently), an unknown kind.
 *
 * @example
 * // email channel 'ops': recipients: missing; give a list of addresses or a comma-separated string
 */
export class ChannelConfigError extends Error {
  override readonly name = 'ChannelConfigError';
  /** Stable, never reused. */
  readonly code = 'DLM_CHANNEL_CONFIG';
  /** The channel kind as given. */
  readonly kind: string;
  /** The channel's name. */
  readonly channel: string;
  /** The key at fault, as the configuration spells it; undefined when the whole config is. */
  readonly key: string | undefined;

  constructor(kind: string, channel: string, key: string | undefined, problem: string) {
    super(`${kind} channel '${channel}': ${key === undefined ? '' : `${key}: `}${problem}`);
    this.kind = kind;
    this.channel = channel;
    this.key = key;
  }
}

/** Aliases of one key, the guide's spelling first (it is the one error messages use). */
export type ConfigKeys = readonly [string, ...string[]];

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const ADDRESS = /^[^\s@<>,;]+@[^\s@<>,;]+$/;
const NAMED_ADDRESS = /^[^<>]*<[^\s@<>,;]+@[^\s@<>,;]+>$/;

/**
 * Reads one channel's configuration object. Each getter takes the accepted spellings of a key;
 * a key given under two spellings, a value of the wrong type and, in `done()`, a key nobody asked
 * for are errors. `null` counts as absent (YAML `key:` with no value).
 */
export class ConfigReader {
  readonly kind: AlertChannel;
  readonly channel: string;
  readonly #raw: Readonly<Record<string, unknown>>;
  readonly #asked = new Set<string>();
  readonly #canonical: string[] = [];

  constructor(kind: AlertChannel, channel: string, raw: Readonly<Record<string, unknown>>) {
    this.kind = kind;
    this.channel = channel;
    this.#raw = raw;
  }

  /** Throws the ChannelConfigError for `key`. */
  fail(key: string | undefined, problem: string): never {
    throw new ChannelConfigError(this.kind, this.channel, key, problem);
  }

  /** A string; `required` is the hint shown when it is missing. Never trimmed (passwords). */
  string(keys: ConfigKeys): string | undefined;
  string(keys: ConfigKeys, required: string): string;
  string(keys: ConfigKeys, required?: string): string | undefined {
    const found = this.#lookup(keys, required);
    if (found === undefined) return undefined;
    if (typeof found.value !== 'string') this.fail(found.key, `must be a string, got ${typeOf(found.value)}`);
    if (found.value.trim() === '') this.fail(found.key, 'must not be empty');
    return found.value;
  }

  /** `true`/`false`, or the strings "true"/"false" (configuration from the environment). */
  boolean(keys: ConfigKeys): boolean | undefined {
    const found = this.#lookup(keys);
    if (found === undefined) return undefined;
    if (typeof found.value === 'boolean') return found.value;
    if (typeof found.value === 'string' && /^(true|false)$/i.test(found.value.trim())) {
      return found.value.trim().toLowerCase() === 'true';
    }
    return this.fail(found.key, `must be true or false, got ${typeOf(found.value)}`);
  }

  /** A TCP port, 1–65535, as a number or a numeric string. */
  port(keys: ConfigKeys): number | undefined {
    const found = this.#lookup(keys);
    if (found === undefined) return undefined;
    const port =
      typeof found.value === 'string' && /^\d+$/.test(found.value.trim()) ? Number(found.value) : found.value;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) {
      this.fail(found.key, `must be a port number from 1 to 65535, got ${describeValue(found.value)}`);
    }
    return port;
  }

  /**
   * An absolute http(s) URL without embedded credentials (fetch refuses them, and they would show
   * wherever the URL does). The value is never echoed: webhook URLs hold secrets.
   */
  url(keys: ConfigKeys): string | undefined;
  url(keys: ConfigKeys, required: string): string;
  url(keys: ConfigKeys, required?: string): string | undefined {
    const text = required === undefined ? this.string(keys) : this.string(keys, required);
    if (text === undefined) return undefined;
    const key = this.#presentKey(keys);
    let url: URL;
    try {
      url = new URL(text.trim());
    } catch {
      return this.fail(key, 'must be an absolute http:// or https:// URL, got something that is not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      this.fail(key, `must be an http:// or https:// URL, got a ${url.protocol} URL`);
    }
    if (url.username !== '' || url.password !== '') {
      this.fail(key, 'must not embed credentials (user:password@); give them as separate keys or headers');
    }
    return url.href;
  }

  /** E-mail addresses: an array of strings or one comma-separated string; `Name <a@b>` allowed. */
  addresses(keys: ConfigKeys, required: string): string[] {
    const found = this.#lookup(keys, required)!;
    let list: unknown[];
    if (typeof found.value === 'string') list = found.value.split(',');
    else if (Array.isArray(found.value)) list = found.value;
    else
      return this.fail(
        found.key,
        `must be a list of addresses or a comma-separated string, got ${typeOf(found.value)}`,
      );
    const addresses: string[] = [];
    for (const item of list) {
      if (typeof item !== 'string')
        this.fail(found.key, `every address must be a string, got ${typeOf(item)}`);
      const address = item.trim();
      if (address === '' && typeof found.value === 'string') continue; // "a@b, " trailing comma
      if (!ADDRESS.test(address) && !NAMED_ADDRESS.test(address)) {
        this.fail(found.key, `'${address}' is not an e-mail address`);
      }
      addresses.push(address);
    }
    if (addresses.length === 0) this.fail(found.key, `must name at least one address; ${required}`);
    return addresses;
  }

  /** HTTP headers: an object of name → string (numbers are converted). Values are never echoed. */
  headers(keys: ConfigKeys): Record<string, string> | undefined {
    const found = this.#lookup(keys);
    if (found === undefined) return undefined;
    if (!isPlainObject(found.value))
      this.fail(found.key, `must be an object of header names to values, got ${typeOf(found.value)}`);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(found.value)) {
      if (!HEADER_NAME.test(name)) this.fail(found.key, `'${name}' is not a valid HTTP header name`);
      if (typeof value !== 'string' && typeof value !== 'number') {
        this.fail(found.key, `header '${name}' must be a string, got ${typeOf(value)}`);
      }
      const text = String(value);
      if (/[\r\n\0]/.test(text)) this.fail(found.key, `header '${name}' must not contain line breaks`);
      headers[name] = text;
    }
    return headers;
  }

  /** One of `allowed`, compared case-insensitively; returns the spelling in `allowed`. */
  choice<T extends string>(keys: ConfigKeys, allowed: readonly T[]): T | undefined {
    const text = this.string(keys);
    if (text === undefined) return undefined;
    const match = allowed.find((option) => option.toLowerCase() === text.trim().toLowerCase());
    if (match === undefined) {
      this.fail(this.#presentKey(keys), `must be one of ${allowed.join(', ')}, got '${text}'`);
    }
    return match;
  }

  /** A function. */
  function<F extends (...args: never[]) => unknown>(keys: ConfigKeys, required: string): F {
    const found = this.#lookup(keys, required)!;
    if (typeof found.value !== 'function')
      this.fail(found.key, `must be a function, got ${typeOf(found.value)}`);
    return found.value as F;
  }

  /** Fails on any key no getter asked for: a misspelt optional key would otherwise do nothing. */
  done(): void {
    const unknown = Object.keys(this.#raw).filter((key) => !this.#asked.has(key));
    if (unknown.length > 0) {
      this.fail(
        unknown[0],
        `unknown key${unknown.length > 1 ? ` (also unknown: ${unknown.slice(1).join(', ')})` : ''}; ` +
          `known keys: ${this.#canonical.join(', ')}`,
      );
    }
  }

  #lookup(keys: ConfigKeys, required?: string): { key: string; value: unknown } | undefined {
    this.#canonical.push(keys[0]);
    let found: { key: string; value: unknown } | undefined;
    for (const key of keys) {
      this.#asked.add(key);
      if (!Object.hasOwn(this.#raw, key)) continue;
      const value = this.#raw[key];
      if (value === undefined || value === null) continue;
      if (found !== undefined)
        this.fail(found.key, `given twice, as '${found.key}' and as '${key}'; keep one`);
      found = { key, value };
    }
    if (found === undefined && required !== undefined) {
      const also = keys.length > 1 ? ` (also accepted as ${keys.slice(1).join(', ')})` : '';
      this.fail(keys[0], `missing${also}; ${required}`);
    }
    return found;
  }

  #presentKey(keys: ConfigKeys): string {
    return keys.find((key) => this.#raw[key] !== undefined && this.#raw[key] !== null) ?? keys[0];
  }
}

const KINDS: readonly string[] = Object.values(AlertChannel);

/**
 * Builds a channel from its configuration, validating every key now rather than at the first
 * alert. Keys are the guide's (`smtp_server`, `smtp_port`, `username`, `password`, `recipients`;
 * `url`, `method`, `headers`) or their camelCase forms; see each channel's `parse*Config`.
 *
 * @param kind One of `AlertChannel`.
 * @param config The channel's keys; for `custom`, a function or `{ handler }`.
 * @param name Unique channel name that rules refer to. @default kind
 * @throws ChannelConfigError naming the channel and the key, for any invalid configuration.
 * @example
 * const email = createChannel(AlertChannel.EMAIL, {
 *   smtp_server: 'smtp.example.com',
 *   smtp_port: 587,
 *   username: 'alerts@example.com',
 *   password: process.env.SMTP_PASSWORD,
 *   recipients: ['ops@example.com'],
 * });
 */
export function createChannel(kind: AlertChannel, config: unknown, name?: string): NotificationChannel {
  const channelName = name ?? String(kind);
  if (typeof channelName !== 'string' || channelName.trim() === '') {
    throw new ChannelConfigError(String(kind), String(channelName), 'name', 'must be a non-empty string');
  }
  if (!KINDS.includes(kind)) {
    throw new ChannelConfigError(
      String(kind),
      channelName,
      undefined,
      `unknown channel kind; expected one of ${KINDS.join(', ')}`,
    );
  }
  if (kind === AlertChannel.CUSTOM && typeof config === 'function') {
    return new CustomChannel({ handler: config as CustomHandler }, channelName);
  }
  if (!isPlainObject(config)) {
    throw new ChannelConfigError(
      kind,
      channelName,
      undefined,
      `configuration must be an object of keys${kind === AlertChannel.CUSTOM ? ' or a function' : ''}, got ${typeOf(config)}`,
    );
  }
  const read = new ConfigReader(kind, channelName, config);
  // Every key is read and checked (done) before the channel exists, so a bad config leaves
  // nothing behind to close.
  switch (kind) {
    case AlertChannel.EMAIL: {
      const options = parseEmailConfig(read);
      read.done();
      return new EmailChannel(options, channelName);
    }
    case AlertChannel.WEBHOOK: {
      const options = parseWebhookConfig(read);
      read.done();
      return new WebhookChannel(options, channelName);
    }
    case AlertChannel.SLACK: {
      const options = parseSlackConfig(read);
      read.done();
      return new SlackChannel(options, channelName);
    }
    case AlertChannel.ALERTMANAGER: {
      const options = parseAlertmanagerConfig(read);
      read.done();
      return new AlertmanagerChannel(options, channelName);
    }
    case AlertChannel.CUSTOM: {
      const options = parseCustomConfig(read);
      read.done();
      return new CustomChannel(options, channelName);
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Short, for values that are never secret (ports). */
function describeValue(value: unknown): string {
  return typeof value === 'number' || typeof value === 'string'
    ? `'${String(value).slice(0, 40)}'`
    : typeOf(value);
}
