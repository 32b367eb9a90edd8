// Logs to Elasticsearch: a processor on the log aggregator turns each record into an ECS document
// as it is emitted and queues it; `send` posts a batch to `_bulk` and reads the answer item by
// item. Queueing, batching, timeouts and retries are the ExporterManager's.
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { answerError, basicAuth, describeUrl, request } from '../export/http.js';
import { scrub, secretsOf } from '../export/secrets.js';
import { ExportError, type Exporter, type SendResult } from '../export/types.js';
import { type EcsDocItem, EcsEncoder, encodeBulk, parseBulkResponse } from './bulk.js';
import { ElasticsearchConfig, type ElasticsearchOptions, type ElasticsearchSnakeOptions } from './config.js';

/** What the exporter needs of the log aggregator. */
export interface LogExportSource {
  /** Registers a processor that sees every record the store does; returns its removal. */
  addExportProcessor(processor: LogRecordProcessor): () => void;
}

/**
 * Only the status and the error type of each item come back: a `_bulk` answer with every field
 * runs to hundreds of bytes per item, megabytes per batch.
 */
const FILTER_PATH = 'errors,items.*.status,items.*.error.type';

/**
 * Ships the aggregator's logs to Elasticsearch, one ECS document per record, into daily indices
 * or a data stream. Add it to an ExporterManager, which batches and retries.
 * @example
 * const exporter = new ElasticsearchExporter(
 *   new ElasticsearchConfig({ url: 'https://es:9200', indexPrefix: 'lineage', username: 'elastic', password }),
 *   logAggregator,
 * );
 * exporterManager.addExporter(exporter, { interval: 5 });
 */
export class ElasticsearchExporter implements Exporter<EcsDocItem> {
  readonly kind = 'elasticsearch';
  readonly config: ElasticsearchConfig;
  private readonly logs: LogExportSource;
  private readonly encoder: EcsEncoder;
  private readonly bulkUrl: string;
  private readonly target: string;
  // Private fields, so that console.log(exporter) shows no Authorization header.
  readonly #headers: Readonly<Record<string, string>>;
  /** Strings an error message must never carry: the password, the API key, the header value. */
  readonly #secrets: readonly string[];

  /** @throws ExporterConfigError for invalid options; TypeError without a log aggregator */
  constructor(
    config: ElasticsearchConfig | (ElasticsearchOptions & ElasticsearchSnakeOptions),
    logAggregator: LogExportSource,
  ) {
    this.config = config instanceof ElasticsearchConfig ? config : new ElasticsearchConfig(config);
    if (typeof logAggregator?.addExportProcessor !== 'function') {
      throw new TypeError(
        'ElasticsearchExporter needs the log aggregator as its second argument (monitoring.logAggregator)',
      );
    }
    this.logs = logAggregator;
    const { url, dataStream, indexPrefix, serviceName, username, password, apiKey } = this.config;
    this.encoder = new EcsEncoder({
      target:
        dataStream === undefined
          ? { kind: 'daily', prefix: indexPrefix }
          : { kind: 'datastream', name: dataStream },
      serviceName,
    });
    this.bulkUrl = `${url}/_bulk?filter_path=${FILTER_PATH}`;
    this.target = `Elasticsearch ${describeUrl(url)}`;
    let authorization: string | undefined;
    if (apiKey !== undefined) authorization = `ApiKey ${apiKey}`;
    else if (username !== undefined && password !== undefined) authorization = basicAuth(username, password);
    this.#headers = {
      'content-type': 'application/x-ndjson',
      accept: 'application/json',
      ...(authorization === undefined ? {} : { authorization }),
    };
    this.#secrets = secretsOf([password, apiKey, authorization]);
  }

  /**
   * Registers the processor that turns each record into a document and queues it. It runs inside
   * the application's logging call, so it never throws.
   */
  attach(enqueue: (items: readonly EcsDocItem[]) => void): () => void {
    const encoder = this.encoder;
    const processor: LogRecordProcessor = {
      onEmit(record) {
        try {
          enqueue([encoder.encode(record)]);
        } catch {
          // encode() does not throw and enqueue() counts its own drops; nothing may reach the app.
        }
      },
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    return this.logs.addExportProcessor(processor);
  }

  async send(batch: readonly EcsDocItem[], signal: AbortSignal): Promise<SendResult | undefined> {
    try {
      const answer = await request(
        this.bulkUrl,
        {
          method: 'POST',
          headers: this.#headers,
          body: encodeBulk(batch),
          // Filtered answers take ~30 bytes an item; room for a proxy that drops filter_path.
          maxBodyBytes: (1 << 20) + batch.length * 1024,
          secrets: this.#secrets,
        },
        this.target,
        signal,
      );
      if (answer.status < 200 || answer.status >= 300) {
        if (answer.status === 413) {
          throw new ExportError(
            `${this.target} answered HTTP 413: the batch is larger than its http.max_content_length; lower the exporter's batchSize`,
            { status: 413 },
          );
        }
        throw answerError(answer, this.target);
      }
      return parseBulkResponse(answer.text, batch.length, this.target);
    } catch (error) {
      throw this.scrub(error);
    }
  }

  /** The configuration for status pages: the URL without credentials, secrets masked. */
  describe(): Record<string, unknown> {
    return { ...this.config.toJSON(), url: describeUrl(this.config.url) };
  }

  /**
   * An error without any secret: a backend or proxy that echoes the request (its Authorization
   * header) in an error body would otherwise put it in the exporter's status.
   */
  private scrub(error: unknown): unknown {
    if (!(error instanceof ExportError)) return error;
    const text = scrub(error.message, this.#secrets);
    if (text === error.message) return error;
    return new ExportError(text, {
      ...(error.status === undefined ? {} : { status: error.status }),
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
      retryable: error.retryable,
    });
  }
}
