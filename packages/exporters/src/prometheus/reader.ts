// The Prometheus pull side: a MetricReader that collects on each scrape and renders the
// exposition. Failed metric callbacks cost only their own metric: the rest is served, the failure
// counted in datalineage_monitoring_collection_errors_total{reader="prometheus"}.
import type { MetricsCollector } from '@datalineage/core';
import { type MetricProducer, MetricReader } from '@opentelemetry/sdk-metrics';
import { CONTENT_TYPES, type ExpositionFormat, negotiateFormat, serialize } from './exposition.js';

export interface PrometheusReaderOptions {
  /**
   * The collector whose metrics to serve; its producer is added to this reader and collection
   * failures are counted on it.
   */
  collector?: MetricsCollector;
  /** More producers to collect from (e.g. another library's). */
  metricProducers?: MetricProducer[];
  /**
   * Time limit for one collection, in milliseconds.
   * @default 10000
   */
  timeoutMillis?: number;
}

export interface Scrape {
  status: number;
  contentType: string;
  body: string;
  /** Failures during collection (each left its own metric out). */
  errors: unknown[];
}

export class PrometheusReader extends MetricReader {
  private readonly collector: MetricsCollector | undefined;
  private readonly timeoutMillis: number;

  constructor(options: PrometheusReaderOptions = {}) {
    const producers = [...(options.metricProducers ?? [])];
    if (options.collector !== undefined) producers.push(options.collector.metricProducer);
    super({ metricProducers: producers });
    this.collector = options.collector;
    this.timeoutMillis = options.timeoutMillis ?? 10_000;
  }

  /**
   * Collect and render for a scraper's Accept header. Never throws: a collection that fails
   * outright (reader shut down, not attached to a MeterProvider) answers 503 with the reason.
   */
  async scrape(accept?: string | null): Promise<Scrape> {
    const format: ExpositionFormat = negotiateFormat(accept);
    try {
      const { resourceMetrics, errors } = await this.collect({ timeoutMillis: this.timeoutMillis });
      this.collector?.reportCollectionErrors(errors, 'prometheus');
      return {
        status: 200,
        contentType: CONTENT_TYPES[format],
        body: serialize(resourceMetrics, format),
        errors,
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return {
        status: 503,
        contentType: 'text/plain; charset=utf-8',
        body: `metrics collection failed: ${message}\n`,
        errors: [error],
      };
    }
  }

  protected override async onForceFlush(): Promise<void> {}

  protected override async onShutdown(): Promise<void> {}
}
