// integrateWithScalability and integrateWithHighAvailability: the guide's hooks into a load
// balancer, a horizontal scaler, a health checker and a circuit breaker. Each is duck-typed: what
// it exposes (a state to read, events to hear, a method to wrap) becomes metrics and logs; what it
// lacks is skipped. Reading happens at collection time, so nothing polls.
import type { LogSink } from '../logs/types.js';
import type { MetricsCollector } from '../metrics/collector.js';
import type { Integration } from './tracker.js';

/**
 * A load balancer. `selectServer()`/`getServer()`/`next()` (whichever it has) are wrapped: each
 * returned server counts in `load_balancer_selections_total{server}`, where a server is a string
 * or an object with `id`, `name` or `host`; `getStats()` (or `getServers()`) is read at collection:
 * `healthy` and `total` (or an array of `{ healthy }`) give `load_balancer_servers{state}`.
 * A `server_selected` event `{ server }` counts like a wrapped call.
 */
export interface LoadBalancerLike {
  selectServer?(...args: never[]): unknown;
  getServer?(...args: never[]): unknown;
  next?(...args: never[]): unknown;
  getStats?(): { healthy?: number; total?: number } | undefined;
  getServers?(): ReadonlyArray<{ healthy?: boolean }> | undefined;
  on?(event: string, listener: (payload: unknown) => void): unknown;
  off?(event: string, listener: (payload: unknown) => void): unknown;
}

/**
 * A horizontal scaler. `getCurrentInstances()` (or a numeric `currentInstances`/`instances`) is
 * read at collection as `scaler_instances`; a `scale` event `{ from, to, reason? }` counts in
 * `scaler_events_total{direction}` and logs at INFO.
 */
export interface HorizontalScalerLike {
  getCurrentInstances?(): number;
  currentInstances?: number;
  instances?: number;
  on?(event: string, listener: (payload: unknown) => void): unknown;
  off?(event: string, listener: (payload: unknown) => void): unknown;
}

/**
 * A health checker. `getHealthStatus()` (or `getStatus()`) is read at collection: an object of
 * component → boolean or `{ healthy }` gives `health_status{component}` (1 healthy, 0 not). A
 * `status` event `{ component, healthy }` that changes a component logs a WARNING (down) or INFO (up).
 */
export interface HealthCheckerLike {
  getHealthStatus?(): Readonly<Record<string, boolean | { healthy?: boolean }>> | undefined;
  getStatus?(): Readonly<Record<string, boolean | { healthy?: boolean }>> | undefined;
  on?(event: string, listener: (payload: unknown) => void): unknown;
  off?(event: string, listener: (payload: unknown) => void): unknown;
}

/**
 * A circuit breaker. `getState()` (or a `state` property): `closed`, `open` or `half_open`
 * (`half-open` too) read at collection as `circuit_breaker_state{breaker,state}` (1 for the
 * current state); a `state_change` event `{ from, to }` counts in
 * `circuit_breaker_transitions_total{breaker,to}` and logs a WARNING when it opens.
 */
export interface CircuitBreakerLike {
  getState?(): string;
  state?: string;
  name?: string;
  on?(event: string, listener: (payload: unknown) => void): unknown;
  off?(event: string, listener: (payload: unknown) => void): unknown;
}

type Sinks = { collector: MetricsCollector; logs: LogSink };

/** Collects undo steps and what was hooked; guards every listener and reader. */
class Hooks {
  readonly methods: string[] = [];
  readonly events: string[] = [];
  private readonly undo: Array<() => void> = [];

  listen(
    target: { on?: unknown; off?: unknown } | undefined,
    event: string,
    listener: (payload: unknown) => void,
  ): void {
    if (target === undefined || typeof target.on !== 'function') return;
    const safe = (payload: unknown): void => {
      try {
        listener(payload);
      } catch {
        // never throw into the component's emit()
      }
    };
    (target.on as (e: string, l: (p: unknown) => void) => unknown).call(target, event, safe);
    this.events.push(event);
    this.undo.push(() => {
      if (typeof target.off === 'function')
        (target.off as (e: string, l: (p: unknown) => void) => unknown).call(target, event, safe);
    });
  }

  wrap(target: Record<string, unknown>, method: string, after: (result: unknown) => void): boolean {
    const original = target[method];
    if (typeof original !== 'function') return false;
    const own = Object.hasOwn(target, method);
    target[method] = function (this: unknown, ...args: unknown[]): unknown {
      const result = (original as (...a: unknown[]) => unknown).apply(this, args);
      try {
        if (result instanceof Promise) result.then(after, () => {});
        else after(result);
      } catch {
        // observing must not change what the caller gets
      }
      return result;
    };
    this.methods.push(method);
    this.undo.push(() => {
      if (own) target[method] = original;
      else delete target[method];
    });
    return true;
  }

  /** Gauges read at collection; they read nothing once disposed. */
  readonly gauges: string[] = [];
  disposed = false;

  /** Define a gauge read at collection; a second integration of the same kind says so clearly. */
  gauge(
    collector: MetricsCollector,
    name: string,
    description: string,
    labelNames: string[],
    collect: () => void,
  ): void {
    try {
      collector.gauge(name, {
        description,
        labelNames,
        collect: () => {
          if (!this.disposed) collect();
        },
      });
    } catch (error) {
      throw new TypeError(
        `${name} is observed already (one integration of each kind per monitoring system): ${String(error)}`,
      );
    }
    this.gauges.push(name);
  }

  integration(what: string): Integration {
    if (this.methods.length === 0 && this.events.length === 0 && this.gauges.length === 0) {
      throw new TypeError(`${what} found nothing to observe; see its documented interfaces`);
    }
    const dispose = (): void => {
      if (this.disposed) return;
      this.disposed = true;
      for (const step of this.undo.reverse()) step();
    };
    return { hooked: { methods: this.methods, events: this.events }, dispose, [Symbol.dispose]: dispose };
  }
}

/** A value read at collection time, or undefined if reading failed (a broken getter costs only itself). */
function read<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

function serverName(server: unknown): string | undefined {
  if (typeof server === 'string') return server.slice(0, 100);
  if (server !== null && typeof server === 'object') {
    for (const key of ['id', 'name', 'host'] as const) {
      const value = (server as Record<string, unknown>)[key];
      if (typeof value === 'string' || typeof value === 'number') return String(value).slice(0, 100);
    }
  }
  return undefined;
}

export function integrateWithScalability(
  components: { loadBalancer?: LoadBalancerLike; horizontalScaler?: HorizontalScalerLike },
  { collector, logs }: Sinks,
): Integration {
  const hooks = new Hooks();
  const { loadBalancer, horizontalScaler } = components ?? {};
  if (loadBalancer !== undefined) {
    collector.counter('load_balancer.selections', {
      description: 'Servers the load balancer chose, by server.',
      labelNames: ['server'],
    });
    const selected = (server: unknown): void => {
      const name = serverName(server);
      if (name !== undefined) collector.increment('load_balancer.selections', { server: name });
    };
    const balancer = loadBalancer as unknown as Record<string, unknown>;
    for (const method of ['selectServer', 'getServer', 'next'])
      if (hooks.wrap(balancer, method, selected)) break;
    hooks.listen(loadBalancer, 'server_selected', (payload) =>
      selected((payload as { server?: unknown })?.server ?? payload),
    );
    if (typeof loadBalancer.getStats === 'function' || typeof loadBalancer.getServers === 'function') {
      hooks.gauge(
        collector,
        'load_balancer.servers',
        'Servers behind the load balancer, by state.',
        ['state'],
        () => {
          const stats = read(() => loadBalancer.getStats?.());
          const servers = stats === undefined ? read(() => loadBalancer.getServers?.()) : undefined;
          const healthy = stats?.healthy ?? servers?.filter((s) => s?.healthy !== false).length;
          const total = stats?.total ?? servers?.length;
          if (typeof healthy === 'number')
            collector.setGauge('load_balancer.servers', healthy, { state: 'healthy' });
          if (typeof total === 'number' && typeof healthy === 'number') {
            collector.setGauge('load_balancer.servers', total - healthy, { state: 'unhealthy' });
          }
        },
      );
    }
  }
  if (horizontalScaler !== undefined) {
    const current = (): number | undefined => {
      const value = read(
        () =>
          horizontalScaler.getCurrentInstances?.() ??
          horizontalScaler.currentInstances ??
          horizontalScaler.instances,
      );
      return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
    };
    if (current() !== undefined || typeof horizontalScaler.getCurrentInstances === 'function') {
      hooks.gauge(collector, 'scaler.instances', 'Instances the horizontal scaler runs.', [], () => {
        const value = current();
        if (value !== undefined) collector.setGauge('scaler.instances', value);
      });
    }
    collector.counter('scaler.events', {
      description: 'Scaling events, by direction.',
      labelNames: ['direction'],
    });
    hooks.listen(horizontalScaler, 'scale', (payload) => {
      const { from, to, reason } = (payload ?? {}) as { from?: unknown; to?: unknown; reason?: unknown };
      const direction =
        typeof from === 'number' && typeof to === 'number'
          ? to > from
            ? 'up'
            : to < from
              ? 'down'
              : 'none'
          : 'unknown';
      collector.increment('scaler.events', { direction });
      logs.addLog({
        level: 'INFO',
        message: `scaled ${direction} from ${String(from)} to ${String(to)} instances${typeof reason === 'string' ? `: ${reason}` : ''}`,
        loggerName: 'datalineage.scalability',
        source: 'system',
        extraData: { from, to },
      });
    });
  }
  return hooks.integration('integrateWithScalability');
}

function healthy(value: boolean | { healthy?: boolean } | undefined): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value !== null && typeof value === 'object' && typeof value.healthy === 'boolean') return value.healthy;
  return undefined;
}

const STATES = ['closed', 'open', 'half_open'] as const;

export function integrateWithHighAvailability(
  components: {
    healthChecker?: HealthCheckerLike;
    circuitBreaker?: CircuitBreakerLike | readonly CircuitBreakerLike[];
  },
  { collector, logs }: Sinks,
): Integration {
  const hooks = new Hooks();
  const { healthChecker, circuitBreaker } = components ?? {};
  if (healthChecker !== undefined) {
    hooks.gauge(
      collector,
      'health.status',
      'Health of each component the health checker watches: 1 healthy, 0 not.',
      ['component'],
      () => {
        const status = read(() => healthChecker.getHealthStatus?.() ?? healthChecker.getStatus?.());
        for (const [component, value] of Object.entries(status ?? {})) {
          const ok = healthy(value);
          if (ok !== undefined)
            collector.setGauge('health.status', ok ? 1 : 0, { component: component.slice(0, 100) });
        }
      },
    );
    const last = new Map<string, boolean>();
    hooks.listen(healthChecker, 'status', (payload) => {
      const { component, healthy: ok } = (payload ?? {}) as { component?: unknown; healthy?: unknown };
      if (typeof component !== 'string' || typeof ok !== 'boolean' || last.get(component) === ok) return;
      const before = last.get(component);
      last.set(component, ok);
      if (before === undefined && ok) return; // healthy from the start: nothing to say
      logs.addLog({
        level: ok ? 'INFO' : 'WARNING',
        message: ok ? `${component} is healthy again` : `${component} is unhealthy`,
        loggerName: 'datalineage.health',
        source: 'system',
        extraData: { component },
      });
    });
  }
  const breakers =
    circuitBreaker === undefined
      ? []
      : Array.isArray(circuitBreaker)
        ? circuitBreaker
        : [circuitBreaker as CircuitBreakerLike];
  if (breakers.length > 0) {
    hooks.gauge(
      collector,
      'circuit_breaker.state',
      'Each circuit breaker’s state: 1 for the current one of closed, open, half_open.',
      ['breaker', 'state'],
      () => {
        breakers.forEach((breaker, i) => {
          const raw = read(() => breaker.getState?.() ?? breaker.state);
          const state = typeof raw === 'string' ? raw.toLowerCase().replace('-', '_') : undefined;
          const name = breaker.name ?? `breaker-${i + 1}`;
          for (const s of STATES)
            collector.setGauge('circuit_breaker.state', s === state ? 1 : 0, { breaker: name, state: s });
        });
      },
    );
    collector.counter('circuit_breaker.transitions', {
      description: 'Circuit breaker state changes, by breaker and new state.',
      labelNames: ['breaker', 'to'],
    });
    breakers.forEach((breaker, i) => {
      const name = breaker.name ?? `breaker-${i + 1}`;
      hooks.listen(breaker, 'state_change', (payload) => {
        const { from, to } = (payload ?? {}) as { from?: unknown; to?: unknown };
        const next = typeof to === 'string' ? to.toLowerCase().replace('-', '_') : 'unknown';
        collector.increment('circuit_breaker.transitions', { breaker: name, to: next });
        logs.addLog({
          level: next === 'open' ? 'WARNING' : 'INFO',
          message: `circuit breaker ${name} went from ${String(from)} to ${next}`,
          loggerName: 'datalineage.circuit_breaker',
          source: 'system',
          extraData: { breaker: name, from, to: next },
        });
      });
    });
  }
  return hooks.integration('integrateWithHighAvailability');
}
