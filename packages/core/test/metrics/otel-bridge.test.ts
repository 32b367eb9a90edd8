import { DataPointType, type Histogram, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { bridgeToMeterProvider, MetricsCollector } from '../../src/index.js';

class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

async function collectUser(reader: TestReader) {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
}

describe('bridgeToMeterProvider', () => {
  it('publishes every metric type through a MeterProvider the user owns, defined before or after', async () => {
    const reader = new TestReader();
    const userProvider = new MeterProvider({ readers: [reader] });
    const collector = new MetricsCollector();
    collector.increment('operations.total', { type: 'lineage' }, 2);
    bridgeToMeterProvider(collector, userProvider);
    collector.increment('operations.total', { type: 'lineage' });
    collector.setGauge('queue.size', 42);
    collector.histogram('request.size', { buckets: [10, 100] });
    for (const v of [5, 50, 500]) collector.recordHistogram('request.size', v, { route: '/a' });
    for (let i = 1; i <= 100; i++) collector.recordSummary('latency', i);

    const metrics = await collectUser(reader);
    const byName = new Map(metrics.map((m) => [m.descriptor.name, m]));
    const counter = byName.get('operations.total');
    expect(counter?.dataPointType).toBe(DataPointType.SUM);
    expect(counter?.dataPoints.map((p) => [p.attributes, p.value])).toEqual([[{ type: 'lineage' }, 3]]);
    expect(byName.get('queue.size')?.dataPoints[0]?.value).toBe(42);

    const histogram = byName.get('request.size');
    const point = histogram?.dataPoints[0]?.value as Histogram;
    expect(histogram?.dataPoints[0]?.attributes).toEqual({ route: '/a' });
    expect(point.buckets).toEqual({ boundaries: [10, 100], counts: [1, 1, 1] });
    expect(point.sum).toBe(555);

    const quantiles = byName.get('latency');
    const p99 = quantiles?.dataPoints.find((p) => p.attributes.quantile === '0.99')?.value as number;
    expect(Math.abs(p99 - 99) / 99).toBeLessThanOrEqual(0.01);
    expect(byName.get('latency_count')?.dataPoints[0]?.value).toBe(100);
    expect(byName.get('latency_sum')?.dataPoints[0]?.value).toBe(5050);
  });

  it('stops publishing when detached', async () => {
    const reader = new TestReader();
    const collector = new MetricsCollector();
    const bridge = bridgeToMeterProvider(collector, new MeterProvider({ readers: [reader] }));
    collector.setGauge('g', 1);
    bridge.detach();
    collector.setGauge('h', 1);
    const names = (await collectUser(reader))
      .filter((m) => m.dataPoints.length > 0)
      .map((m) => m.descriptor.name);
    expect(names).not.toContain('g');
    expect(names).not.toContain('h');
  });
});
