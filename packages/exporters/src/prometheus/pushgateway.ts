// Pushing to a Prometheus Pushgateway: every export tick the whole exposition (text format 0.0.4,
// the names Prometheus expects, no timestamps — the Pushgateway refuses pushed timestamps) goes to
// the group `/metrics/job/<job>/instance/<instance>/<label>/<value>…`. A push is the group's whole
// state, so a newer snapshot replaces an unsent one (`supersedes`), and `PUT` (the default)
// replaces the group's metrics while `POST` replaces only metrics of the same name.
// https://github.com/prometheus/pushgateway#api
import { answerError, basicAuth, describeUrl, request } from '../export/http.js';
import { collectMetrics, type MetricSource } from '../export/metric-source.js';
import { secretsOf } from '../export/secrets.js';
import { type Exporter, ExporterConfigError } from '../export/types.js';
import { CONTENT_TYPES, serialize } from './exposition.js';

export interface PrometheusConfigOptions {
  /** Base URL of the Pushgateway. @example 'http://localhost:9091' */
  pushgatewayUrl?: string;
  pushgateway_url?: string;
  /** The `job` grouping label. @default 'datalineagepy' */
  jobName?: string;
  job_name?: string;
  /** The `instance` grouping label. @default none */
  instance?: string;
  /** More grouping labels; names must be valid Prometheus label names. @default {} */
  groupingLabels?: Readonly<Record<string, string>>;
  grouping_labels?: Readonly<Record<string, string>>;
  /** `PUT` replaces the group's metrics; `POST` only those of the same name. @default 'PUT' */
  method?: 'PUT' | 'POST';
  /** Delete the group when the exporter stops, so a finished job leaves no stale metrics. @default false */
  deleteOnShutdown?: boolean;
  delete_on_shutdown?: boolean;
  /** Basic auth, for a Pushgateway behind `--web.config.file`. @default none */
  username?: string;
  /** @default none */
  password?: string;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * @example new PrometheusConfig({ pushgatewayUrl: 'http://localhost:9091', jobName: 'datalineagepy', instance: 'production-01' })
 */
export class PrometheusConfig {
  readonly pushgatewayUrl: string;
  readonly jobName: string;
  readonly instance: string | undefined;
  readonly groupingLabels: Readonly<Record<string, string>>;
  readonly method: 'PUT' | 'POST';
  readonly deleteOnShutdown: boolean;
  readonly username: string | undefined;
  readonly password: string | undefined;

  /** @throws ExporterConfigError naming the option */
  constructor(options: PrometheusConfigOptions = {}) {
    const fail = (key: string, message: string): never => {
      throw new ExporterConfigError('pushgateway', key, message);
    };
    const url = options.pushgatewayUrl ?? options.pushgateway_url;
    if (url === undefined)
      fail('pushgatewayUrl', 'the Pushgateway URL is required, e.g. http://localhost:9091');
    let parsed: URL | undefined;
    try {
      parsed = new URL(url as string);
    } catch {
      fail('pushgatewayUrl', `${JSON.stringify(url)} is not a URL`);
    }
    if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:')
      fail('pushgatewayUrl', 'expected http or https');
    if (parsed?.username || parsed?.password) fail('pushgatewayUrl', 'put credentials in username/password');
    if (parsed?.search || parsed?.hash)
      fail('pushgatewayUrl', 'give the base URL only, without a query or fragment');
    this.pushgatewayUrl = (url as string).replace(/\/+$/, '');
    this.jobName = options.jobName ?? options.job_name ?? 'datalineagepy';
    if (typeof this.jobName !== 'string' || this.jobName === '')
      fail('jobName', 'expected a non-empty job name');
    this.instance = options.instance;
    if (this.instance !== undefined && (typeof this.instance !== 'string' || this.instance === '')) {
      fail('instance', 'expected a non-empty string');
    }
    const labels = options.groupingLabels ?? options.grouping_labels ?? {};
    for (const [name, value] of Object.entries(labels)) {
      if (!LABEL_NAME.test(name) || name.startsWith('__')) {
        fail('groupingLabels', `"${name}" is not a valid Prometheus label name`);
      }
      if (name === 'job' || name === 'instance')
        fail('groupingLabels', `set "${name}" with jobName/instance`);
      if (typeof value !== 'string') fail('groupingLabels', `"${name}" must be a string`);
    }
    this.groupingLabels = Object.freeze({ ...labels });
    this.method = options.method ?? 'PUT';
    if (this.method !== 'PUT' && this.method !== 'POST')
      fail('method', `expected PUT or POST, got ${String(this.method)}`);
    this.deleteOnShutdown = options.deleteOnShutdown ?? options.delete_on_shutdown ?? false;
    this.username = options.username;
    this.password = options.password;
    if (this.username === '' || this.password === '')
      fail('username', 'username and password must not be empty');
    if ((this.username === undefined) !== (this.password === undefined)) {
      fail(this.username === undefined ? 'username' : 'password', 'give username and password together');
    }
    Object.freeze(this);
  }

  /** The group's URL path: values with a `/`, only dots, or empty in URL-safe base64, as the Pushgateway reads them. */
  groupPath(): string {
    // Base64 for what a URL cannot carry as a plain segment: empty, a slash, or only dots
    // (`.` and `..` are path steps: /instance/.. would push to another group).
    const part = (name: string, value: string) =>
      value === '' || value.includes('/') || /^\.+$/.test(value)
        ? `/${name}@base64/${value === '' ? '=' : Buffer.from(value, 'utf8').toString('base64url')}`
        : `/${name}/${encodeURIComponent(value)}`;
    let path = `/metrics${part('job', this.jobName)}`;
    if (this.instance !== undefined) path += part('instance', this.instance);
    for (const [name, value] of Object.entries(this.groupingLabels)) path += part(name, value);
    return path;
  }
}

/**
 * @example
 * exporters.addExporter(new PrometheusExporter(new PrometheusConfig({ pushgatewayUrl }), collector), { interval: 15 });
 */
export class PrometheusExporter implements Exporter<string> {
  readonly kind = 'pushgateway';
  readonly supersedes = true;
  private readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly target: string;
  private readonly secrets: readonly string[];

  constructor(
    readonly config: PrometheusConfig,
    private readonly source: MetricSource,
  ) {
    this.url = `${config.pushgatewayUrl}${config.groupPath()}`;
    this.headers = { 'Content-Type': CONTENT_TYPES.text };
    if (config.username !== undefined)
      this.headers.Authorization = basicAuth(config.username, config.password as string);
    this.target = `Pushgateway ${describeUrl(config.pushgatewayUrl)}`;
    this.secrets = secretsOf([config.password, this.headers.Authorization]);
  }

  /** The whole exposition, one item. */
  async collect(): Promise<string[]> {
    return [serialize(await collectMetrics(this.source, 'pushgateway'), 'text')];
  }

  async send(batch: readonly string[], signal: AbortSignal): Promise<undefined> {
    // Only the newest snapshot matters (the manager keeps just one queued).
    const body = batch[batch.length - 1] ?? '';
    const answer = await request(
      this.url,
      { method: this.config.method, headers: this.headers, body, secrets: this.secrets },
      this.target,
      signal,
    );
    if (answer.status >= 200 && answer.status < 300) return undefined;
    throw answerError(answer, this.target);
  }

  async shutdown(signal: AbortSignal): Promise<void> {
    if (!this.config.deleteOnShutdown) return;
    const answer = await request(
      this.url,
      { method: 'DELETE', headers: this.headers, secrets: this.secrets },
      this.target,
      signal,
    );
    if (answer.status < 200 || answer.status >= 300) throw answerError(answer, this.target);
  }

  describe(): Record<string, unknown> {
    const { config } = this;
    return {
      pushgatewayUrl: describeUrl(config.pushgatewayUrl),
      jobName: config.jobName,
      ...(config.instance === undefined ? {} : { instance: config.instance }),
      groupingLabels: { ...config.groupingLabels },
      method: config.method,
      deleteOnShutdown: config.deleteOnShutdown,
      ...(config.username === undefined ? {} : { username: config.username, password: '[REDACTED]' }),
    };
  }
}
