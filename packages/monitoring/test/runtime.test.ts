// Node runtime metrics on the SDK's /metrics: on by default, every family a valid Prometheus
// exposition (checked by a real promtool), off with metrics.runtime: false.
import { describe, expect, it } from 'vitest';
import { promtoolCheckMetrics } from '../../../test/support/prometheus.js';
import { loadConfig, MonitoringSystem } from '../src/index.js';

async function scrape(runtime: boolean): Promise<string> {
  const monitoring = new MonitoringSystem(
    loadConfig({ config: { handleSignals: false, dashboard: { port: 0 }, metrics: { runtime } }, env: {} }),
  );
  await monitoring.start();
  try {
    // Some event-loop delay samples, and allocations for the GC to collect.
    for (let i = 0; i < 5; i++) {
      Array.from({ length: 400_000 }, (_, n) => ({ n, text: `item ${n}` }));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return await (await fetch(`${monitoring.dashboardAddress}/metrics`)).text();
  } finally {
    await monitoring.shutdown();
  }
}

describe('runtime metrics', () => {
  it('serve the event loop, GC, heap, handles, CPU and memory, as a valid exposition', async () => {
    const body = await scrape(true);
    for (const family of [
      'nodejs_eventloop_delay_p99_seconds',
      'nodejs_eventloop_utilization_ratio',
      'v8js_memory_heap_used_bytes',
      'v8js_gc_duration_seconds_bucket',
      'v8js_resource_active',
      'process_cpu_time_seconds_total{cpu_mode="user"}',
      'process_memory_usage_bytes',
    ]) {
      expect(body, family).toContain(family);
    }
    const rss = Number(/^process_memory_usage_bytes (\S+)$/m.exec(body)?.[1]);
    expect(rss).toBeGreaterThan(10 * 1024 * 1024);
    const check = await promtoolCheckMetrics(body);
    expect(check.exitCode, check.output).toBe(0);
  });

  it('are off with metrics.runtime: false', async () => {
    const body = await scrape(false);
    expect(body).not.toContain('nodejs_eventloop');
    expect(body).not.toContain('process_cpu_time');
  });
});
