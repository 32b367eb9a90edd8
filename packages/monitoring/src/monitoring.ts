// The monitoring system: wires the collector into an OpenTelemetry MeterProvider with its readers,
// and runs the servers (dashboard with /metrics, optional standalone scrape endpoint).
import {
  type AlertChannel,
  AlertManager,
  type AlertRuleOptions,
  bridgeToMeterProvider,
  type CircuitBreakerLike,
  diagnostics,
  type HealthCheckerLike,
  type HorizontalScalerLike,
  type Integration,
  integrateWithHighAvailability,
  integrateWithScalability,
  integrateWithTracker,
  type Labels,
  type LineageTracker,
  type LoadBalancerLike,
  LogAggregator,
  type MeterProviderBridge,
  MetricsCollector,
  type MonitoredDecorator,
  type MonitoringConfig,
  type OperationHandle,
  OperationMonitor,
  type RoutingOptions,
  type TrackerIntegrationOptions,
  within,
} from '@datalineage/core';
import {
  type DashboardServer,
  HistoryReader,
  MetricHistory,
  startDashboardServer,
} from '@datalineage/dashboard';
import {
  createMetricsHandler,
  createOtlpLogProcessor,
  createOtlpMetricReader,
  ExporterManager,
  type MetricsServer,
  type OtlpLogProcessor,
  type OtlpMetricReader,
  PrometheusReader,
  startMetricsServer,
} from '@datalineage/exporters';
import type { MeterProvider as ApiMeterProvider } from '@opentelemetry/api';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, type MetricProducer, type MetricReader } from '@opentelemetry/sdk-metrics';
import { configuredExporters } from './exporters-setup.js';
import { RuntimeMetrics } from './runtime-metrics.js';
import type { MonitoringStatus } from './status.js';

export interface MonitoringOptions {
  /**
   * More OpenTelemetry readers for the SDK's MeterProvider (an OTLP exporter, say). A function
   * receives the collector's producer so the reader can be built with
   * `metricProducers: [producer]` and see the collector's metrics.
   */
  metricReaders?: Array<MetricReader | ((producer: MetricProducer) => MetricReader)>;
  /**
   * A MeterProvider of your own (e.g. the one `NodeSDK` registered) that should also receive the
   * collector's metrics, for the exporters you configured on it. Counters, gauges and summaries
   * are read through observable instruments at collection time; histogram observations are also
   * recorded into an OpenTelemetry histogram (OpenTelemetry's per-call cost, for histograms only).
   * The SDK's own MeterProvider still serves `/metrics` and the dashboard.
   */
  meterProvider?: ApiMeterProvider;
}

export class MonitoringSystem {
  readonly config: MonitoringConfig;
  /** The metrics collector (`monitoring.metricsCollector.increment(...)`). */
  readonly metricsCollector: MetricsCollector;
  /** The OpenTelemetry MeterProvider every reader hangs off; its meters' instruments are served too. */
  readonly meterProvider: MeterProvider;
  readonly prometheusReader: PrometheusReader;
  /** The log aggregator (`monitoring.logAggregator.addLog(...)`, `.searchLogs(...)`). */
  readonly logAggregator: LogAggregator;
  /**
   * The exporter manager (`monitoring.exporterManager.addExporter(new InfluxDBExporter(…))`): the
   * exporters of the `exporters` configuration are in it already, and it starts and stops (with a
   * flush) with monitoring.
   */
  readonly exporterManager: ExporterManager;
  /** The alert manager (`monitoring.alertManager.addRule(...)`, `.addNotificationHandler(...)`). */
  readonly alertManager: AlertManager;

  /** Node runtime metrics (`metrics.runtime`), sampled while running. */
  private readonly runtime: RuntimeMetrics | undefined;
  /** Monitored functions and operations (`monitorFunction`, `monitorOperation`). */
  private readonly operations: OperationMonitor;
  /** OTLP metric export (`exporters.otlp`), a reader on the MeterProvider. */
  private readonly otlpMetricReader: OtlpMetricReader | undefined;
  /** OTLP log export (`logs.otlp`), a processor on the log aggregator. */
  private readonly otlpLogProcessor: OtlpLogProcessor | undefined;
  private running = false;
  /** start() and stop() run one after another, in call order, never interleaved. */
  private transition: Promise<void> = Promise.resolve();
  private readonly bridge: MeterProviderBridge | undefined;
  private startedAt: number | undefined;
  private dashboardServer: DashboardServer | undefined;
  /** The dashboard charts' history, sampled through its own reader on the MeterProvider. */
  private readonly history: MetricHistory;
  private metricsServer: MetricsServer | undefined;

  constructor(config: MonitoringConfig, options: MonitoringOptions = {}) {
    this.config = config;
    diagnostics.setLevel(config.diagnostics.level);
    const resource = defaultResource().merge(
      resourceFromAttributes({ ...config.resourceAttributes, 'service.name': config.serviceName }),
    );
    const metrics = config.metrics;
    this.metricsCollector = new MetricsCollector({
      cardinalityLimit: metrics.cardinalityLimit,
      maxSeries: metrics.maxMetrics,
      histogramBuckets: metrics.histogramBuckets,
      summary: metrics.summary,
      idleSeriesExpiry: metrics.idleSeriesExpiry,
      cleanupInterval: metrics.cleanupInterval,
      resource,
    });
    this.prometheusReader = new PrometheusReader({ collector: this.metricsCollector });
    const producer = this.metricsCollector.metricProducer;
    const extra = (options.metricReaders ?? []).map((reader) =>
      typeof reader === 'function' ? reader(producer) : reader,
    );
    const alerts = config.alerts;
    this.alertManager = new AlertManager({
      evaluationInterval: alerts.evaluationInterval,
      resolveTimeout: alerts.resolveTimeout,
      metricProducers: [producer],
      metrics: this.metricsCollector,
      delivery: { timeoutMs: alerts.delivery.timeout * 1000, retries: alerts.delivery.retries },
      routing: routingOf(config),
    });
    const otlpMetrics = config.exporters.otlp;
    this.otlpMetricReader = otlpMetrics.enabled
      ? createOtlpMetricReader({
          ...(otlpMetrics.url === undefined ? {} : { url: otlpMetrics.url }),
          ...(otlpMetrics.protocol === undefined ? {} : { protocol: otlpMetrics.protocol }),
          ...(otlpMetrics.compression === undefined ? {} : { compression: otlpMetrics.compression }),
          headers: otlpMetrics.headers,
          exportIntervalMillis: otlpMetrics.interval * 1000,
          // OpenTelemetry refuses a timeout longer than the interval (exports would overlap).
          timeoutMillis: Math.min(otlpMetrics.timeout, otlpMetrics.interval) * 1000,
          metricProducers: [producer],
        })
      : undefined;
    const historyReader = new HistoryReader({ metricProducers: [producer] });
    this.history = new MetricHistory({
      reader: historyReader,
      intervalMs: config.dashboard.sampleInterval * 1000,
      maxDataPoints: config.dashboard.maxDataPoints,
      retainMs: config.metrics.retentionPeriod * 1000,
    });
    this.meterProvider = new MeterProvider({
      resource,
      readers: [
        this.prometheusReader,
        historyReader,
        this.alertManager.reader,
        ...(this.otlpMetricReader === undefined ? [] : [this.otlpMetricReader]),
        ...extra,
      ],
    });
    // Channels, then rules, from the configuration: a bad one throws here, at setup.
    for (const { type, name, ...channel } of alerts.channels) {
      this.alertManager.addNotificationHandler(
        type as AlertChannel,
        channel,
        typeof name === 'string' ? name : undefined,
      );
    }
    for (const rule of alerts.rules) {
      this.alertManager.addRule({
        ...rule,
        minDuration: rule.minDuration ?? alerts.minDuration,
      } as AlertRuleOptions);
    }
    const logs = config.logs;
    const otlp = logs.otlp;
    this.otlpLogProcessor =
      logs.enabled && otlp.enabled
        ? createOtlpLogProcessor({
            ...(otlp.url === undefined ? {} : { url: otlp.url }),
            ...(otlp.protocol === undefined ? {} : { protocol: otlp.protocol }),
            ...(otlp.compression === undefined ? {} : { compression: otlp.compression }),
            headers: otlp.headers,
            exportIntervalMillis: otlp.exportIntervalMillis,
            maxQueueSize: logs.processingQueueSize,
          })
        : undefined;
    this.logAggregator = new LogAggregator({
      enabled: logs.enabled,
      maxEntries: logs.maxEntries,
      retentionDays: logs.retentionDays,
      cleanupInterval: logs.cleanupInterval,
      maxMessageBytes: logs.maxMessageBytes,
      maxAttributeValueBytes: logs.maxAttributeValueBytes,
      maxAttributeBytes: logs.maxAttributeBytes,
      sampling: logs.sampling,
      redaction: logs.redaction,
      searchTimeBudgetMs: logs.searchTimeBudgetMs,
      resource,
      metrics: this.metricsCollector,
      exportProcessors: this.otlpLogProcessor === undefined ? [] : [this.otlpLogProcessor],
    });
    this.operations = new OperationMonitor(this.metricsCollector, this.logAggregator);
    this.runtime = metrics.enabled && metrics.runtime ? new RuntimeMetrics(this.meterProvider) : undefined;
    this.exporterManager = new ExporterManager({ metrics: this.metricsCollector });
    // The Prometheus reader sits on the MeterProvider: what it collects is what /metrics shows,
    // the collector's metrics and every OpenTelemetry instrument's.
    const reader = this.prometheusReader;
    const collector = this.metricsCollector;
    for (const { exporter, settings } of configuredExporters(config.exporters, {
      metrics: {
        // Bounded, so a metric callback that never settles cannot stall exports (or stop());
        // failed callbacks are counted as on every other reader.
        collect: async () => {
          const result = await reader.collect({ timeoutMillis: 10_000 });
          collector.reportCollectionErrors(result.errors, 'exporters');
          return result;
        },
      },
      logs: this.logAggregator,
      serviceName: config.serviceName,
    })) {
      this.exporterManager.addExporter(exporter, settings);
    }
    this.bridge =
      options.meterProvider === undefined
        ? undefined
        : bridgeToMeterProvider(this.metricsCollector, options.meterProvider);
  }

  /** Start the servers and background work. Throws if a configured port cannot be bound. */
  start(): Promise<void> {
    return this.enqueue(() => this.startNow());
  }

  /** Flush every reader, close the servers, stop background work. Safe to call more than once. */
  stop(): Promise<void> {
    return this.enqueue(() => this.stopNow());
  }

  /**
   * Stop for good: also detach from a user-supplied MeterProvider and shut the SDK's
   * MeterProvider down (its readers export a last time). The system cannot start again.
   */
  shutdown(): Promise<void> {
    return this.enqueue(async () => {
      await this.stopNow();
      this.bridge?.detach();
      await this.alertManager.close();
      await this.logAggregator.shutdown();
      try {
        await this.meterProvider.shutdown();
      } catch (error) {
        diagnostics.warn('DLM_SHUTDOWN_FAILED', `shutting the MeterProvider down failed: ${String(error)}`);
      }
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.transition.then(step);
    this.transition = next.catch(() => {});
    return next;
  }

  private async startNow(): Promise<void> {
    if (this.running) return;
    this.metricsCollector.start();
    this.runtime?.start();
    this.logAggregator.start();
    if (this.config.alerts.enabled) this.alertManager.start();
    this.exporterManager.start();
    try {
      if (this.config.dashboard.enabled) await this.startDashboard();
      const endpoint = this.config.metrics.endpoint;
      if (endpoint.enabled && this.config.metrics.enabled) {
        this.metricsServer = await startMetricsServer(this.prometheusReader, {
          host: endpoint.host,
          port: endpoint.port,
          path: endpoint.path,
        });
      }
    } catch (error) {
      await this.closeServers();
      this.metricsCollector.stop();
      await this.alertManager.stop();
      await this.logAggregator.stop();
      await this.exporterManager.stop();
      throw error;
    }
    this.running = true;
    this.startedAt = Date.now();
    if (this.config.handleSignals) this.watchSignals();
  }

  private async stopNow(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unwatchSignals();
    // One deadline for the whole stop (`shutdownTimeout`): each step gets what is left of it.
    const deadline = Date.now() + this.config.shutdownTimeout * 1000;
    const left = (): number => Math.max(0, deadline - Date.now());
    await this.alertManager.stop(left()); // waits for notifications in flight
    // Logs first: stopping the aggregator hands what is queued to the exporters at once, and then
    // the OTLP batch and the exporters' queues flush side by side.
    await Promise.all([
      withDeadline(this.logAggregator.stop(), left(), 'flushing the OTLP log export'),
      this.exporterManager.stop(left()), // a last collection, then every queue flushed
      withDeadline(this.meterProvider.forceFlush(), left(), 'flushing the metric readers'),
    ]);
    await this.closeServers();
    this.metricsCollector.stop();
    this.runtime?.stop();
  }

  private readonly signalHandlers = new Map<NodeJS.Signals, () => void>();

  /**
   * Flush on SIGTERM / SIGINT. When nothing else listens for the signal, it is raised again after
   * the flush, so the process ends as it would have; a second signal arrives with no listener of
   * ours left and ends the process at once.
   */
  private watchSignals(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      if (this.signalHandlers.has(signal)) continue;
      const handler = (): void => {
        this.signalHandlers.delete(signal);
        let raised = false;
        const reraise = (): void => {
          if (raised) return;
          raised = true;
          if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
        };
        this.stop().then(reraise, reraise);
        // stop() keeps to the deadline; should a step still hang, the process goes anyway.
        setTimeout(reraise, this.config.shutdownTimeout * 1000 + 1000).unref();
      };
      this.signalHandlers.set(signal, handler);
      process.once(signal, handler);
    }
  }

  private unwatchSignals(): void {
    for (const [signal, handler] of this.signalHandlers) process.off(signal, handler);
    this.signalHandlers.clear();
  }

  getMonitoringStatus(): MonitoringStatus {
    return {
      running: this.running,
      serviceName: this.config.serviceName,
      startedAt: this.startedAt === undefined ? undefined : new Date(this.startedAt).toISOString(),
      uptimeSeconds: this.running && this.startedAt !== undefined ? (Date.now() - this.startedAt) / 1000 : 0,
      metricsCollector: { ...this.metricsCollector.stats(), running: this.running },
      logAggregator: this.logAggregator.stats(),
      alertManager: { enabled: this.config.alerts.enabled, ...this.alertManager.status() },
      exporters: this.exporterManager.stats(),
      otlp: {
        ...(this.otlpMetricReader === undefined ? {} : { metrics: this.otlpMetricReader.stats() }),
        ...(this.otlpLogProcessor === undefined ? {} : { logs: this.otlpLogProcessor.stats() }),
      },
      dashboard: {
        enabled: this.config.dashboard.enabled,
        running: this.dashboardServer !== undefined,
        url: this.dashboardServer?.url,
        ...(this.dashboardServer === undefined
          ? {}
          : {
              connections: this.dashboardServer.stats(),
              searches: this.dashboardServer.searches(),
              logins: this.dashboardServer.logins(),
            }),
      },
      metricsEndpoint: {
        enabled: this.config.metrics.endpoint.enabled,
        running: this.metricsServer !== undefined,
        url: this.metricsServer?.url,
        ...(this.metricsServer === undefined ? {} : { connections: this.metricsServer.stats() }),
      },
    };
  }

  /** Where the dashboard listens once started (`http://127.0.0.1:8080`). */
  get dashboardAddress(): string | undefined {
    return this.dashboardServer?.url;
  }

  /**
   * The guide's `monitor_function`: wrap a function (sync or async), or decorate a method, so
   * every call counts as started and completed or failed, with its duration; a failure logs one
   * ERROR line with the error, which is rethrown unchanged; logs emitted inside carry `operation`.
   * @example
   * class Tracker { @monitoring.monitorFunction('track') async track(df: DataFrame) { … } }
   */
  monitorFunction(name: string, labels?: Labels): MonitoredDecorator {
    return this.operations.monitorFunction(name, labels);
  }

  /**
   * The guide's `integrate_with_tracker`: the tracker's methods (`track`, `createNode`, … or
   * `options.methods`) become monitored operations, and its events (`node`, `edge`,
   * `operation`) lineage metrics. See `LineageTracker` for what is looked for; `dispose()` undoes it.
   * @example const integration = monitoring.integrateWithTracker(tracker);
   */
  integrateWithTracker(tracker: LineageTracker, options?: TrackerIntegrationOptions): Integration {
    return integrateWithTracker(
      tracker,
      { collector: this.metricsCollector, logs: this.logAggregator, operations: this.operations },
      options,
    );
  }

  /**
   * The guide's `integrate_with_scalability`: servers a load balancer chooses and its healthy
   * servers, a horizontal scaler's instances and scale events, as metrics and logs (see
   * `LoadBalancerLike`, `HorizontalScalerLike`).
   */
  integrateWithScalability(components: {
    loadBalancer?: LoadBalancerLike;
    horizontalScaler?: HorizontalScalerLike;
  }): Integration {
    return integrateWithScalability(components, {
      collector: this.metricsCollector,
      logs: this.logAggregator,
    });
  }

  /**
   * The guide's `integrate_with_high_availability`: a health checker's component health and a
   * circuit breaker's state and transitions, as metrics and logs (see `HealthCheckerLike`,
   * `CircuitBreakerLike`).
   */
  integrateWithHighAvailability(components: {
    healthChecker?: HealthCheckerLike;
    circuitBreaker?: CircuitBreakerLike | readonly CircuitBreakerLike[];
  }): Integration {
    return integrateWithHighAvailability(components, {
      collector: this.metricsCollector,
      logs: this.logAggregator,
    });
  }

  /**
   * The guide's `monitor_operation`: run `fn` as a monitored operation (its result, or the same
   * promise, is returned), or start one for `using` — call `op.fail(error)` in a catch, since a
   * disposal cannot see the exception.
   * @example
   * await monitoring.monitorOperation('resolve_lineage', () => resolve(dataset));
   * { using op = monitoring.monitorOperation('nightly_batch'); … }
   */
  monitorOperation<R>(name: string, fn: () => R, labels?: Labels): R;
  monitorOperation(name: string, labels?: Labels): OperationHandle;
  monitorOperation<R>(name: string, fnOrLabels?: (() => R) | Labels, labels?: Labels): R | OperationHandle {
    return typeof fnOrLabels === 'function'
      ? this.operations.monitorOperation(name, fnOrLabels, labels)
      : this.operations.monitorOperation(name, fnOrLabels);
  }

  private async startDashboard(): Promise<void> {
    const dashboard = this.config.dashboard;
    this.dashboardServer = await startDashboardServer({
      host: dashboard.host,
      port: dashboard.port,
      auth: dashboard.auth,
      allowUnauthenticated: dashboard.allowUnauthenticated,
      tls: dashboard.tls,
      debug: dashboard.debug,
      autoRefresh: dashboard.autoRefresh,
      theme: dashboard.theme,
      getStatus: () => ({ ...this.getMonitoringStatus() }),
      history: this.history,
      logs: this.logAggregator,
      alerts: this.alertManager,
      ready: () => this.running,
      ...(this.config.metrics.enabled ? { metricsHandler: createMetricsHandler(this.prometheusReader) } : {}),
    });
    this.history.start();
  }

  private async closeServers(): Promise<void> {
    this.history.stop();
    const dashboard = this.dashboardServer;
    this.dashboardServer = undefined;
    await dashboard?.close();
    const metricsServer = this.metricsServer;
    this.metricsServer = undefined;
    await metricsServer?.close();
  }
}

/** The alert manager's routing from the `alerts` section (seconds there, milliseconds here). */
function routingOf(config: MonitoringConfig): RoutingOptions {
  const { alerts, dashboard } = config;
  const host = dashboard.host.includes(':') ? `[${dashboard.host}]` : dashboard.host;
  return {
    repeatIntervalMs: alerts.maxFrequency * 1000,
    groupBy: alerts.groupBy,
    groupWaitMs: alerts.groupWait * 1000,
    groupIntervalMs: alerts.groupInterval * 1000,
    sendResolved: alerts.sendResolved,
    inhibitFrom: alerts.inhibitFrom === 'none' ? false : alerts.inhibitFrom,
    ...(alerts.escalation === undefined
      ? {}
      : { escalation: { afterMs: alerts.escalation.after * 1000, channels: alerts.escalation.channels } }),
    // Known before start() unless the port is 0 (picked by the OS).
    ...(dashboard.enabled && dashboard.port !== 0
      ? { dashboardUrl: `http://${host}:${dashboard.port}/` }
      : {}),
  };
}

/** Wait for `work` at most `ms`; a failure or the deadline is reported, never thrown. */
async function withDeadline(work: Promise<unknown>, ms: number, what: string): Promise<void> {
  const settled = await within(work, ms);
  if (settled.outcome === 'expired')
    diagnostics.warn(
      'DLM_SHUTDOWN_DEADLINE',
      `${what} did not finish within the shutdown deadline (${ms} ms)`,
    );
  else if (settled.outcome === 'failed')
    diagnostics.warn('DLM_FLUSH_FAILED', `${what} failed on stop: ${String(settled.error)}`);
}
