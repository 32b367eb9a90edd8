// integrateWithTracker, integrateWithScalability and integrateWithHighAvailability over the
// example components in examples/integrations/: what each exposes becomes metrics (read back
// from the collector) and logs (searched back), errors inside the tracker are recorded and
// rethrown unchanged, nothing of the components' behaviour changes, and dispose() undoes it.
import { describe, expect, it } from 'vitest';
import {
  CircuitBreaker,
  HealthChecker,
  RoundRobinBalancer,
  SimpleScaler,
} from '../../../examples/integrations/infrastructure.js';
import { ExampleLineageTracker } from '../../../examples/integrations/lineage-tracker.js';
import { value } from '../../core/test/metrics/support.js';
import { LogFilter, loadConfig, MonitoringSystem } from '../src/index.js';

function system() {
  return new MonitoringSystem(
    loadConfig({ config: { dashboard: { enabled: false }, handleSignals: false }, env: {} }),
  );
}

const logs = (monitoring: MonitoringSystem, loggerName: string) =>
  monitoring.logAggregator.searchLogs(new LogFilter({ loggerNames: [loggerName] }), { limit: 50 }).entries;

describe('integrateWithTracker', () => {
  it('monitors the tracker’s methods and turns its events into lineage metrics', async () => {
    const monitoring = system();
    const tracker = new ExampleLineageTracker();
    const integration = monitoring.integrateWithTracker(tracker);
    expect(integration.hooked).toEqual({
      methods: ['track', 'createNode', 'addEdge'],
      events: ['node', 'edge', 'operation'],
    });
    expect(await tracker.track('raw.orders', 'clean', 'orders')).toBe(2);
    expect(await tracker.track('orders', 'aggregate', 'daily_orders')).toBe(4);
    const c = monitoring.metricsCollector;
    expect(await value(c, 'monitored_operation.completed', { operation: 'tracker.track' })).toBe(2);
    expect(await value(c, 'monitored_operation.completed', { operation: 'tracker.addEdge' })).toBe(4);
    expect(await value(c, 'lineage.nodes', { type: 'dataset' })).toBe(3);
    expect(await value(c, 'lineage.nodes', { type: 'transformation' })).toBe(2);
    expect(await value(c, 'lineage.edges', { type: 'derives' })).toBe(4);
    expect(await value(c, 'lineage.tracker.operations', { operation: 'track', outcome: 'success' })).toBe(2);
    expect(tracker.edges).toHaveLength(4); // the tracker still does its work
  });

  it('records an error inside the tracker and rethrows it unchanged', async () => {
    const monitoring = system();
    const tracker = new ExampleLineageTracker();
    monitoring.integrateWithTracker(tracker);
    let caught: unknown;
    try {
      tracker.addEdge('nowhere', 'nothing');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(Error);
    expect((caught as Error).message).toBe('unknown node in edge nowhere → nothing');
    const c = monitoring.metricsCollector;
    expect(
      await value(c, 'monitored_operation.failed', { operation: 'tracker.addEdge', error_type: 'Error' }),
    ).toBe(1);
    expect(logs(monitoring, 'datalineage.operations')[0]?.message).toBe(
      'operation tracker.addEdge failed: unknown node in edge nowhere → nothing',
    );
  });

  it('undoes itself: methods restored, listeners removed', async () => {
    const monitoring = system();
    const tracker = new ExampleLineageTracker();
    const before = tracker.track;
    const integration = monitoring.integrateWithTracker(tracker);
    expect(tracker.track).not.toBe(before);
    integration.dispose();
    expect(tracker.track).toBe(before);
    expect(Object.hasOwn(tracker, 'track')).toBe(false);
    expect(tracker.listenerCount('node')).toBe(0);
    await tracker.track('a', 'b', 'c');
    expect(await value(monitoring.metricsCollector, 'lineage.nodes', { type: 'dataset' })).toBeUndefined();
  });

  it('refuses something it cannot monitor, at setup', () => {
    const monitoring = system();
    expect(() => monitoring.integrateWithTracker({ other: 1 } as object)).toThrow(/found nothing to monitor/);
    expect(() => monitoring.integrateWithTracker(null as never)).toThrow(TypeError);
  });
});

describe('integrateWithScalability', () => {
  it('counts the servers chosen, reads the healthy ones and the instances, and logs scale events', async () => {
    const monitoring = system();
    const balancer = new RoundRobinBalancer([
      { id: 'web-1', healthy: true },
      { id: 'web-2', healthy: true },
      { id: 'web-3', healthy: false },
    ]);
    const scaler = new SimpleScaler(2);
    const integration = monitoring.integrateWithScalability({
      loadBalancer: balancer,
      horizontalScaler: scaler,
    });
    for (let i = 0; i < 4; i++) expect(balancer.selectServer()?.id).toMatch(/^web-[12]$/);
    scaler.scaleTo(5, 'queue backlog');
    const c = monitoring.metricsCollector;
    expect(await value(c, 'load_balancer.selections', { server: 'web-1' })).toBe(2);
    expect(await value(c, 'load_balancer.selections', { server: 'web-2' })).toBe(2);
    expect(await value(c, 'load_balancer.servers', { state: 'healthy' })).toBe(2);
    expect(await value(c, 'load_balancer.servers', { state: 'unhealthy' })).toBe(1);
    expect(await value(c, 'scaler.instances')).toBe(5);
    expect(await value(c, 'scaler.events', { direction: 'up' })).toBe(1);
    expect(logs(monitoring, 'datalineage.scalability')[0]?.message).toBe(
      'scaled up from 2 to 5 instances: queue backlog',
    );
    integration.dispose();
    balancer.selectServer();
    expect(await value(c, 'load_balancer.selections', { server: 'web-1' })).toBe(2);
  });
});

describe('integrateWithHighAvailability', () => {
  it('reads component health and breaker states, counts transitions, and logs when things go down', async () => {
    const monitoring = system();
    const health = new HealthChecker();
    const payments = new CircuitBreaker('payments');
    const search = new CircuitBreaker('search');
    monitoring.integrateWithHighAvailability({ healthChecker: health, circuitBreaker: [payments, search] });
    health.set('database', true);
    health.set('cache', true);
    health.set('cache', false);
    payments.transition('open');
    const c = monitoring.metricsCollector;
    expect(await value(c, 'health.status', { component: 'database' })).toBe(1);
    expect(await value(c, 'health.status', { component: 'cache' })).toBe(0);
    expect(await value(c, 'circuit_breaker.state', { breaker: 'payments', state: 'open' })).toBe(1);
    expect(await value(c, 'circuit_breaker.state', { breaker: 'payments', state: 'closed' })).toBe(0);
    expect(await value(c, 'circuit_breaker.state', { breaker: 'search', state: 'closed' })).toBe(1);
    expect(await value(c, 'circuit_breaker.transitions', { breaker: 'payments', to: 'open' })).toBe(1);
    expect(logs(monitoring, 'datalineage.health').map((e) => [e.levelName, e.message])).toEqual([
      ['WARNING', 'cache is unhealthy'],
    ]);
    expect(logs(monitoring, 'datalineage.circuit_breaker')[0]).toMatchObject({
      levelName: 'WARNING',
      message: 'circuit breaker payments went from closed to open',
    });
  });

  it('survives components whose getters throw: that reading is skipped, the rest is served', async () => {
    const monitoring = system();
    monitoring.integrateWithHighAvailability({
      healthChecker: {
        getHealthStatus: () => {
          throw new Error('health endpoint down');
        },
      },
      circuitBreaker: { name: 'flaky', getState: () => 'half-open' },
    });
    const c = monitoring.metricsCollector;
    expect(await value(c, 'circuit_breaker.state', { breaker: 'flaky', state: 'half_open' })).toBe(1);
    expect(await value(c, 'health.status', { component: 'anything' })).toBeUndefined();
  });
});
