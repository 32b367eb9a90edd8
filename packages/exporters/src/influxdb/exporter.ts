// InfluxDBExporter: every export tick, one point per series stamped with the collection time,
// written as line protocol to InfluxDB 1.x `/write` or 2.x `/api/v2/write`. Points are written
// with their own timestamps, so a batch re-sent after a lost answer overwrites the same points
// rather than adding new ones: nothing is written twice.
//
// Measurements are the metric names as the collector knows them (`operations.total`), tags the
// series' labels. Fields: `value` (float) for counters and gauges; `count` (integer), `sum`
// (float) and cumulative buckets `le_<bound>` (integer, `le_+Inf` = count) for histograms;
// `count`, `sum` and quantiles `p50`, `p99.9`… (floats) for summaries. A field keeps its type for
// ever (InfluxDB refuses a float into an integer field), so the types never depend on the value.
import { type SeriesSample, toSamples } from '@datalineage/core';
import { answerError, basicAuth, describeUrl, request } from '../export/http.js';
import { collectMetrics, type MetricSource } from '../export/metric-source.js';
import { secretsOf } from '../export/secrets.js';
import { type DropReason, ExportError, type Exporter, type SendResult } from '../export/types.js';
import type { InfluxDBConfig } from './config.js';
import { encodeLine, encodeSeries, type FieldValue, type Unwritable } from './line-protocol.js';

/** The fields of one sample, by kind. */
function fieldsOf(sample: SeriesSample): Record<string, FieldValue> {
  switch (sample.kind) {
    case 'counter':
    case 'gauge':
      return { value: { float: sample.value } };
    case 'histogram': {
      const fields: Record<string, FieldValue> = {
        count: { int: sample.value },
        sum: { float: sample.sum ?? 0 },
      };
      const buckets = sample.buckets;
      if (buckets !== undefined) {
        let cumulative = 0;
        buckets.boundaries.forEach((bound, i) => {
          cumulative += buckets.counts[i] ?? 0;
          fields[`le_${bound}`] = { int: cumulative };
        });
        fields['le_+Inf'] = { int: sample.value };
      }
      return fields;
    }
    case 'summary': {
      const fields: Record<string, FieldValue> = {
        count: { int: sample.value },
        sum: { float: sample.sum ?? 0 },
      };
      for (const [quantile, value] of Object.entries(sample.quantiles ?? {})) {
        fields[`p${Number((Number(quantile) * 100).toPrecision(12))}`] = { float: value };
      }
      return fields;
    }
  }
}

/**
 * @example
 * const exporters = new ExporterManager();
 * exporters.addExporter(new InfluxDBExporter(new InfluxDBConfig({ url, database: 'datalineagepy' }), collector), { interval: 10 });
 */
export class InfluxDBExporter implements Exporter<string> {
  readonly kind = 'influxdb';
  private readonly writeUrl: string;
  private readonly headers: Record<string, string>;
  private readonly target: string;
  private readonly secrets: readonly string[];

  constructor(
    readonly config: InfluxDBConfig,
    private readonly source: MetricSource,
  ) {
    const params = new URLSearchParams();
    if (config.version === 1) {
      params.set('db', config.database);
      if (config.retentionPolicy !== undefined) params.set('rp', config.retentionPolicy);
    } else {
      params.set('org', config.org as string);
      params.set('bucket', config.bucket as string);
    }
    // InfluxDB 1.x spells micro- and nanoseconds `u` and `n`, and reads any other value as nanoseconds.
    params.set(
      'precision',
      config.version === 1
        ? ({ ns: 'n', us: 'u', ms: 'ms', s: 's' } as const)[config.precision]
        : config.precision,
    );
    this.writeUrl = `${config.url}${config.version === 1 ? '/write' : '/api/v2/write'}?${params}`;
    this.headers = { 'Content-Type': 'text/plain; charset=utf-8' };
    if (config.version === 2) this.headers.Authorization = `Token ${config.token}`;
    else if (config.username !== undefined)
      this.headers.Authorization = basicAuth(config.username, config.password as string);
    this.target = `InfluxDB ${describeUrl(config.url)}`;
    this.secrets = secretsOf([config.password, config.token, this.headers.Authorization]);
  }

  /** One line per series, stamped `now`; series that cannot be written are dropped and counted. */
  async collect(now: number, drop: (reason: DropReason, count: number) => void): Promise<string[]> {
    const lines: string[] = [];
    let unwritable = 0;
    const { scopeMetrics } = await collectMetrics(this.source, 'influxdb');
    for (const sample of toSamples(
      scopeMetrics.flatMap((scope) => scope.metrics),
      now,
    )) {
      const series = this.seriesOf(sample);
      const line =
        typeof series === 'string'
          ? encodeLine(series, fieldsOf(sample), now, this.config.precision)
          : series;
      if (typeof line === 'string') lines.push(line);
      else unwritable++;
    }
    drop('unrepresentable', unwritable);
    return lines;
  }

  /**
   * The escaped `measurement,tags` of a series, kept per label object: the collector hands out
   * the same label object for a series every collection, so escaping happens once per series.
   */
  private readonly seriesCache = new WeakMap<object, Map<string, string | Unwritable>>();

  private seriesOf(sample: SeriesSample): string | Unwritable {
    let byMetric = this.seriesCache.get(sample.labels);
    if (byMetric === undefined) {
      byMetric = new Map();
      this.seriesCache.set(sample.labels, byMetric);
    }
    let series = byMetric.get(sample.metric);
    if (series === undefined) {
      const extra = this.config.tags;
      series = encodeSeries(
        sample.metric,
        Object.keys(extra).length === 0 ? sample.labels : { ...extra, ...sample.labels },
      );
      byMetric.set(sample.metric, series);
    }
    return series;
  }

  async send(batch: readonly string[], signal: AbortSignal): Promise<SendResult | undefined> {
    const answer = await request(
      this.writeUrl,
      { method: 'POST', headers: this.headers, body: `${batch.join('\n')}\n`, secrets: this.secrets },
      this.target,
      signal,
    );
    if (answer.status >= 200 && answer.status < 300) return undefined;
    if ((answer.status === 400 || answer.status === 422) && /partial write|dropped=\d/.test(answer.text)) {
      // The rest was written (1.x answers 400, 2.x 422). InfluxDB counts points it refused (type
      // conflicts, retention) in dropped=N and lists lines it could not parse without counting them.
      const dropped = Number(/dropped=(\d+)/.exec(answer.text)?.[1] ?? 0);
      const unparsed = answer.text.split('unable to parse').length - 1;
      const reason = /field type conflict/.test(answer.text) ? 'field_type_conflict' : 'rejected';
      return { dropped: { [reason]: Math.max(1, dropped + unparsed) } };
    }
    if (answer.status === 404 && /database not found/.test(answer.text)) {
      if (this.config.createDatabase) {
        await this.createDatabase(signal);
        throw new ExportError(
          `${this.target}: database "${this.config.database}" did not exist; created it`,
          {
            retryable: true,
          },
        );
      }
      // Kept for a retry: someone may create it; the queue bounds what waits meanwhile.
      throw new ExportError(
        `${this.target}: database "${this.config.database}" does not exist; create it or set createDatabase`,
        { status: 404, retryable: true },
      );
    }
    throw answerError(answer, this.target);
  }

  private async createDatabase(signal: AbortSignal): Promise<void> {
    const query = `CREATE DATABASE "${this.config.database.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    const answer = await request(
      `${this.config.url}/query`,
      {
        method: 'POST',
        headers: {
          ...(this.headers.Authorization === undefined ? {} : { Authorization: this.headers.Authorization }),
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ q: query }).toString(),
        secrets: this.secrets,
      },
      this.target,
      signal,
    );
    if (answer.status < 200 || answer.status >= 300) throw answerError(answer, this.target);
  }

  describe(): Record<string, unknown> {
    const { config } = this;
    return {
      url: describeUrl(config.url),
      version: config.version,
      ...(config.version === 1
        ? {
            database: config.database,
            ...(config.retentionPolicy === undefined ? {} : { retentionPolicy: config.retentionPolicy }),
            ...(config.username === undefined ? {} : { username: config.username, password: '[REDACTED]' }),
          }
        : { org: config.org, bucket: config.bucket, token: '[REDACTED]' }),
      precision: config.precision,
    };
  }
}
