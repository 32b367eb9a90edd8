// The alert manager: rules evaluated every evaluation interval over samples collected from the
// OpenTelemetry metrics pipeline (a MetricReader on the SDK's MeterProvider), each matching series
// its own alert instance with an Alertmanager-grade lifecycle, routed to notification channels.
// Evaluations never overlap, and deliveries run in the background so a slow channel never delays
// the next evaluation.
import { type MetricProducer, MetricReader } from '@opentelemetry/sdk-metrics';
import { within } from '../internal/deadline.js';
import { diagnostics } from '../internal/diag.js';
import type { MetricsCollector } from '../metrics/collector.js';
import { createChannel } from './channels/create.js';
import { type DeliveryOptions, DeliveryStats, deliver } from './channels/delivery.js';
import {
  type EvaluationTransition,
  evaluateRule,
  type TestRuleOptions,
  type TestSample,
  type TestScenario,
  type TestStep,
  testRule,
} from './evaluate.js';
import type { AlertLifecycle } from './lifecycle.js';
import { toSamples } from './metric-samples.js';
import { Notifier, type RoutingOptions } from './notifier.js';
import { AlertRule, type AlertRuleOptions } from './rule.js';
import { SampleHistory } from './samples.js';
import { type Silence, type SilenceInput, SilenceStore } from './silences.js';
import type { AlertChannel, AlertInstance, Notification, NotificationChannel } from './types.js';

export interface AlertManagerOptions {
  /** Seconds between evaluations (`alerts.evaluationInterval`). @default 60 */
  evaluationInterval?: number;
  /**
   * Seconds a firing alert whose data stopped (no samples in its window, or an evaluation error)
   * stays firing before it resolves: Alertmanager's `resolve_timeout`, the guide's
   * `alerts.resolve_timeout`. A condition that is evaluated and false resolves at once (or after
   * the rule's `keepFiringFor`).
   * @default 300
   */
  resolveTimeout?: number;
  /** Grouping, repeat interval (`alerts.maxFrequency`), escalation, inhibition. */
  routing?: RoutingOptions;
  /** Per-delivery timeout and retries. */
  delivery?: DeliveryOptions;
  /** Where the alert manager's own metrics go. */
  metrics?: MetricsCollector;
  /** Producers the rules read beyond the MeterProvider's own instruments: the collector's. */
  metricProducers?: MetricProducer[];
  /**
   * Silences active or pending at once; one more is refused (`DLM_SILENCES_FULL`, a 409 from the
   * dashboard). Expired ones are kept apart, at most 100.
   * @default 100
   */
  maxSilences?: number;
  /** Clock (epoch ms), for tests. @default Date.now */
  now?: () => number;
}

export interface AlertManagerStatus {
  running: boolean;
  rules: number;
  alerts: Record<string, number>;
  evaluations: number;
  /** Milliseconds the last evaluation took. */
  lastEvaluationMs: number;
  lastEvaluationAt: string | undefined;
  evaluationErrors: number;
  channels: Record<
    string,
    {
      kind: AlertChannel;
      config: Record<string, unknown>;
      sent: number;
      failed: number;
      retried: number;
      lastError?: string;
    }
  >;
  silences: number;
  /** Silences refused for a bound: too many active, too many matchers, too long, too large. */
  silencesRefused: number;
  /** Notices for channels a rule names but nobody configured. */
  undeliverableNotices: number;
  /** Series and samples kept for rule evaluation, and what was dropped. */
  history: SampleHistory['stats'];
}

/** The reader the alert manager collects from; hand it to the MeterProvider's `readers`. */
export class AlertMetricReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

interface RuleEntry {
  readonly rule: AlertRule;
  readonly instances: Map<string, AlertLifecycle>;
}

export class AlertManager {
  /** Silences: `alertManager.silences.add({ matchers, endsAt, createdBy, comment }, now)`; or use silence(). */
  readonly silences: SilenceStore;
  /** Add this reader to the MeterProvider whose metrics the rules watch. */
  readonly reader: AlertMetricReader;
  private readonly rules = new Map<string, RuleEntry>();
  /** Channels per rule name, kept after removeRule so late resolved notices go where firing ones went. */
  private readonly routes = new Map<string, readonly string[] | undefined>();
  /** Channels only escalations use: "every channel" leaves them out. */
  private readonly escalationChannels: ReadonlySet<string>;
  private undeliverable = 0;
  private readonly channels = new Map<string, NotificationChannel>();
  private readonly history: SampleHistory;
  /** Names of the metrics some rule watches. */
  private watched: ReadonlySet<string> = new Set();
  private readonly notifier: Notifier;
  private readonly deliveries = new DeliveryStats();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly transitions: EvaluationTransition[] = [];
  private readonly intervalMs: number;
  private readonly resolveTimeout: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private routeTimer: NodeJS.Timeout | undefined;
  private evaluating: Promise<void> | undefined;
  private evaluations = 0;
  private evaluationErrors = 0;
  private lastEvaluationMs = 0;
  private lastEvaluationAt: number | undefined;
  private readonly self: MetricsCollector | undefined;

  constructor(private readonly options: AlertManagerOptions = {}) {
    const seconds = options.evaluationInterval ?? 60;
    // setInterval takes at most 2^31-1 ms; longer intervals would silently become 1 ms.
    if (!(seconds > 0) || seconds > 86_400) {
      throw new RangeError(`evaluationInterval must be > 0 and ≤ 86400 seconds, got ${seconds}`);
    }
    this.intervalMs = seconds * 1000;
    const resolveTimeout = options.resolveTimeout ?? 300;
    if (typeof resolveTimeout !== 'number' || !(resolveTimeout >= 0) || !Number.isFinite(resolveTimeout)) {
      throw new RangeError(`resolveTimeout must be a number of seconds ≥ 0, got ${resolveTimeout}`);
    }
    this.resolveTimeout = resolveTimeout;
    this.silences = new SilenceStore({ maxActive: options.maxSilences });
    this.reader = new AlertMetricReader({ metricProducers: options.metricProducers ?? [] });
    this.now = options.now ?? Date.now;
    this.history = new SampleHistory({ retainMs: 3 * this.intervalMs });
    this.notifier = new Notifier(
      { repeatIntervalMs: 3_600_000, ...options.routing },
      (channels, notification) => this.dispatch(channels, notification),
      (rule) => this.routes.get(rule),
    );
    this.escalationChannels = new Set(options.routing?.escalation?.channels ?? []);
    this.self = options.metrics;
    this.self?.counter('datalineage_monitoring_alert_evaluations_total', {
      description: 'Alert rule evaluation cycles.',
    });
    this.self?.histogram('datalineage_monitoring_alert_evaluation_duration_seconds', {
      description: 'Time one evaluation cycle took.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    });
    this.self?.counter('datalineage_monitoring_alert_evaluation_errors_total', {
      description: 'Alert rules that failed to evaluate, by rule.',
      labelNames: ['rule'],
    });
    this.self?.counter('datalineage_monitoring_alert_notifications_total', {
      description: 'Alert notifications delivered or failed (after every retry), by channel.',
      labelNames: ['channel', 'result'],
    });
    this.self?.counter('datalineage_monitoring_alert_notification_retries_total', {
      description: 'Delivery attempts beyond the first, by channel.',
      labelNames: ['channel'],
    });
    this.self?.counter('datalineage_monitoring_alert_undeliverable_notices_total', {
      description: 'Notices for channels a rule names but nobody configured.',
    });
    this.self?.gauge('datalineage_monitoring_alerts', {
      description: 'Alert instances by state.',
      labelNames: ['state'],
      collect: () => {
        const counts = this.countByState();
        for (const state of ['pending', 'firing', 'nodata', 'error', 'inactive', 'resolved']) {
          this.self?.setGauge('datalineage_monitoring_alerts', counts[state] ?? 0, { state });
        }
      },
    });
  }

  // ---------------------------------------------------------------- rules and channels

  /**
   * Add a rule (an AlertRule or its options). A metric that does not exist yet is fine: the rule
   * shows no data until it appears.
   * @throws AlertRuleError on invalid options or a duplicate name.
   */
  addRule(rule: AlertRule | AlertRuleOptions): AlertRule {
    const alertRule = rule instanceof AlertRule ? rule : new AlertRule(rule);
    if (this.rules.has(alertRule.name)) {
      throw new TypeError(
        `an alert rule named "${alertRule.name}" exists already; remove it first or choose another name`,
      );
    }
    for (const channel of alertRule.channels ?? []) {
      if (!this.channels.has(channel)) {
        diagnostics.warnOnce(
          'DLM_ALERT_UNKNOWN_CHANNEL',
          `${alertRule.name}:${channel}`,
          `alert rule "${alertRule.name}" names channel "${channel}", which is not configured (yet)`,
        );
      }
    }
    this.rules.set(alertRule.name, { rule: alertRule, instances: new Map() });
    this.routes.set(alertRule.name, alertRule.channels);
    if (
      (alertRule.aggregation === undefined ||
        alertRule.aggregation === 'increase' ||
        alertRule.aggregation === 'rate') &&
      alertRule.evaluationPeriod * 1000 <= this.intervalMs
    ) {
      diagnostics.warnOnce(
        'DLM_ALERT_SHORT_PERIOD',
        alertRule.name,
        `alert rule "${alertRule.name}": an evaluation period of ${alertRule.evaluationPeriod} s is not longer than the evaluation interval, so a counter's increase has fewer than two samples and shows no data; lengthen evaluationPeriod`,
      );
    }
    this.watch();
    return alertRule;
  }

  removeRule(name: string): boolean {
    const removed = this.rules.delete(name);
    if (removed) this.watch();
    return removed;
  }

  /**
   * The history keeps only the metrics some rule watches, for as long as the longest evaluation
   * period needs (plus three intervals, so a window's oldest sample is still there): memory
   * follows the rules, not the application's whole metric set, and unwatched series never take
   * room under the history's series limit.
   */
  private watch(): void {
    let longest = 0;
    const watched = new Set<string>();
    for (const { rule } of this.rules.values()) {
      watched.add(rule.metricName);
      longest = Math.max(longest, rule.evaluationPeriod * 1000);
    }
    this.watched = watched;
    this.history.retainMs = longest + 3 * this.intervalMs;
  }

  getRules(): AlertRule[] {
    return [...this.rules.values()].map((entry) => entry.rule);
  }

  /**
   * Add a notification channel: `addNotificationHandler(AlertChannel.EMAIL, { smtp_server, smtp_port,
   * username, password, recipients })`, WEBHOOK (`url`, `method`, `headers`), SLACK (`url`),
   * ALERTMANAGER (`url`), CUSTOM (a function or `{ handler }`).
   * @throws ChannelConfigError naming the missing or invalid key; TypeError on a duplicate name.
   */
  addNotificationHandler(kind: AlertChannel, config: unknown, name?: string): NotificationChannel {
    const channel = createChannel(kind, config, name);
    if (this.channels.has(channel.name)) {
      throw new TypeError(`a notification channel named "${channel.name}" exists already; pass another name`);
    }
    this.channels.set(channel.name, channel);
    return channel;
  }

  /** Evaluate a rule against given samples and return what it would do at each step (`promtool test rules`). */
  testRule(
    name: string,
    testMetrics: readonly TestSample[] | TestScenario,
    options?: TestRuleOptions,
  ): TestStep[] {
    const entry = this.rules.get(name);
    if (entry === undefined) throw new TypeError(`no alert rule named "${name}"`);
    return testRule(entry.rule, testMetrics, { resolveTimeout: this.resolveTimeout, ...options });
  }

  // ---------------------------------------------------------------- alerts

  /** Every alert instance's current snapshot. */
  getAlerts(): AlertInstance[] {
    const alerts: AlertInstance[] = [];
    for (const { rule, instances } of this.rules.values()) {
      for (const instance of instances.values()) alerts.push(instance.snapshot(rule));
    }
    return alerts;
  }

  private firingAlerts(): AlertInstance[] {
    const alerts: AlertInstance[] = [];
    for (const { rule, instances } of this.rules.values()) {
      for (const instance of instances.values())
        if (instance.state === 'firing') alerts.push(instance.snapshot(rule));
    }
    return alerts;
  }

  /** Recent state transitions, newest last (bounded). */
  getHistory(): readonly EvaluationTransition[] {
    return this.transitions;
  }

  /**
   * Stop repeats of a firing alert until it resolves. Returns false for an unknown id or an alert
   * that is not firing (acknowledging a pending or no-data alert would silence its next firing).
   */
  acknowledge(alertId: string): boolean {
    for (const { instances } of this.rules.values()) {
      const instance = instances.get(alertId);
      if (instance !== undefined) return instance.state === 'firing' && instance.acknowledge(this.now());
    }
    return false;
  }

  /** Mute matching alerts for a while. @throws SilenceError on bad input. */
  silence(input: SilenceInput): Silence {
    return this.silences.add(input, this.now());
  }

  // ---------------------------------------------------------------- evaluation

  /** One evaluation cycle now. Concurrent calls share the one in flight. */
  evaluate(): Promise<void> {
    this.evaluating ??= this.evaluateNow().finally(() => {
      this.evaluating = undefined;
    });
    return this.evaluating;
  }

  private async evaluateNow(): Promise<void> {
    const started = performance.now();
    const now = this.now();
    try {
      // Bounded: a metric callback that never settles must not stop alerting (or shutdown).
      const { resourceMetrics } = await this.reader.collect({
        timeoutMillis: Math.min(this.intervalMs, 5000),
      });
      this.history.add(
        toSamples(
          resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics),
          now,
          this.watched,
        ),
      );
    } catch (error) {
      // Not attached to a MeterProvider, or collection failed: rules see no new data this cycle.
      diagnostics.warnOnce(
        'DLM_ALERT_COLLECT',
        String(error),
        `alert evaluation could not collect metrics: ${String(error)}`,
      );
    }
    this.history.prune(now);
    for (const { rule, instances } of this.rules.values()) {
      try {
        for (const transition of evaluateRule(rule, this.history, instances, now, {
          resolveTimeoutMs: this.resolveTimeout * 1000,
        }))
          this.record(transition);
      } catch (error) {
        this.evaluationErrors++;
        this.self?.increment('datalineage_monitoring_alert_evaluation_errors_total', { rule: rule.name });
        diagnostics.warnOnce(
          'DLM_ALERT_EVALUATION',
          rule.name,
          `alert rule "${rule.name}" failed to evaluate: ${String(error)}`,
        );
      }
    }
    const firing = this.route(now);
    this.syncAlertmanagers(firing);
    this.silences.prune(now);
    this.evaluations++;
    this.lastEvaluationAt = now;
    this.lastEvaluationMs = performance.now() - started;
    this.self?.increment('datalineage_monitoring_alert_evaluations_total');
    this.self?.recordHistogram(
      'datalineage_monitoring_alert_evaluation_duration_seconds',
      this.lastEvaluationMs / 1000,
    );
  }

  /**
   * Routing: hand the firing alerts to the notifier (one that stopped firing is noticed by its
   * absence), then, while running, set a timer for the next notice that falls due before the next
   * evaluation (a group wait, group interval, repeat or escalation), so routing keeps its own
   * times rather than the evaluation interval's.
   */
  private route(now: number): AlertInstance[] {
    const firing = this.firingAlerts();
    this.notifier.update(firing, now, this.silences);
    clearTimeout(this.routeTimer);
    this.routeTimer = undefined;
    const due = this.notifier.nextDueAt();
    if (this.timer !== undefined && due !== undefined && due - now < this.intervalMs) {
      this.routeTimer = setTimeout(
        () => {
          this.routeTimer = undefined;
          // An evaluation in flight routes when it ends.
          if (this.evaluating !== undefined) return;
          try {
            this.route(this.now());
          } catch (error) {
            diagnostics.warnOnce(
              'DLM_ALERT_ROUTING',
              String(error),
              `alert routing failed: ${String(error)}`,
            );
          }
        },
        Math.max(0, due - this.now()),
      );
      this.routeTimer.unref();
    }
    return firing;
  }

  private record(transition: EvaluationTransition): void {
    this.transitions.push(transition);
    if (this.transitions.length > 1000) this.transitions.splice(0, this.transitions.length - 1000);
  }

  /**
   * Alertmanager resolves an alert it has not heard about for its resolve_timeout (5 minutes by
   * default), so firing alerts are re-sent to Alertmanager channels every evaluation, as Prometheus
   * does; Alertmanager deduplicates and applies its own repeat interval.
   */
  private syncAlertmanagers(firing: readonly AlertInstance[]): void {
    for (const channel of this.channels.values()) {
      if (channel.kind !== 'alertmanager') continue;
      const alerts = firing.filter((alert) => {
        const routes = this.routes.get(alert.rule);
        return routes === undefined || routes.includes(channel.name);
      });
      if (alerts.length > 0)
        this.send(channel, { status: 'firing', groupLabels: {}, alerts, reason: 'repeat' });
    }
  }

  private dispatch(names: readonly string[] | undefined, notification: Notification): void {
    const targets =
      names === undefined
        ? [...this.channels.values()].filter((channel) => !this.escalationChannels.has(channel.name))
        : names.map((name) => this.channels.get(name));
    for (const channel of targets) {
      if (channel === undefined) {
        this.undeliverable++;
        this.self?.increment('datalineage_monitoring_alert_undeliverable_notices_total');
        continue;
      }
      // Alertmanager channels get firing alerts every evaluation (syncAlertmanagers): only
      // resolutions go through routing.
      if (
        channel.kind === 'alertmanager' &&
        notification.status === 'firing' &&
        notification.reason !== 'escalation'
      )
        continue;
      this.send(channel, notification);
    }
  }

  /** Deliver in the background, after this tick: a slow or even synchronous channel never holds evaluation up. */
  private send(channel: NotificationChannel, notification: Notification): void {
    const delivery = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => deliver(channel, notification, this.options.delivery))
      .then((result) => {
        this.deliveries.record(channel, result, this.now());
        this.self?.increment('datalineage_monitoring_alert_notifications_total', {
          channel: channel.name,
          result: result.ok ? 'sent' : 'failed',
        });
        if (result.attempts > 1)
          this.self?.increment(
            'datalineage_monitoring_alert_notification_retries_total',
            { channel: channel.name },
            result.attempts - 1,
          );
      })
      .catch((error: unknown) => {
        diagnostics.warnOnce(
          'DLM_ALERT_DELIVERY',
          channel.name,
          `delivering to channel "${channel.name}" failed unexpectedly: ${safeText(error)}`,
        );
      });
    this.inFlight.add(delivery);
    delivery.finally(() => this.inFlight.delete(delivery)).catch(() => {});
  }

  // ---------------------------------------------------------------- lifecycle

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      this.evaluate().catch(() => {});
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stop evaluating and wait for deliveries in flight, at most `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    clearTimeout(this.routeTimer);
    this.routeTimer = undefined;
    await this.evaluating;
    await within(Promise.allSettled([...this.inFlight]), graceMs);
  }

  async close(): Promise<void> {
    await this.stop();
    await Promise.allSettled([...this.channels.values()].map((channel) => channel.close?.()));
  }

  private countByState(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const alert of this.getAlerts()) counts[alert.state] = (counts[alert.state] ?? 0) + 1;
    return counts;
  }

  status(): AlertManagerStatus {
    const stats = this.deliveries.snapshot();
    return {
      running: this.timer !== undefined,
      rules: this.rules.size,
      alerts: this.countByState(),
      evaluations: this.evaluations,
      lastEvaluationMs: this.lastEvaluationMs,
      lastEvaluationAt:
        this.lastEvaluationAt === undefined ? undefined : new Date(this.lastEvaluationAt).toISOString(),
      evaluationErrors: this.evaluationErrors,
      channels: Object.fromEntries(
        [...this.channels.values()].map((channel) => {
          const s = stats[channel.name];
          return [
            channel.name,
            {
              kind: channel.kind,
              config: channel.describe(),
              sent: s?.sent ?? 0,
              failed: s?.failed ?? 0,
              retried: s?.retried ?? 0,
              ...(s?.lastError === undefined ? {} : { lastError: s.lastError }),
            },
          ];
        }),
      ),
      silences: this.silences.list(this.now()).filter((s) => s.active).length,
      silencesRefused: this.silences.refused,
      undeliverableNotices: this.undeliverable,
      history: this.history.stats,
    };
  }
}

function safeText(value: unknown): string {
  try {
    return value instanceof Error ? value.message : String(value);
  } catch {
    return '[unprintable]';
  }
}
