// Node runtime metrics, on by default (`metrics.runtime`): OpenTelemetry's runtime instrumentation
// for the event loop (delay percentiles, utilization), GC durations, V8 heap spaces and active
// handles, plus the process's CPU time and resident memory, which it leaves to the host metrics.
// All of it is read at collection time (the event-loop delay histogram samples every 10 ms).
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';

export class RuntimeMetrics {
  private readonly instrumentation: RuntimeNodeInstrumentation;
  private enabled = false;

  constructor(meterProvider: MeterProvider) {
    // Off until start(): the instrumentation would otherwise begin sampling at construction.
    this.instrumentation = new RuntimeNodeInstrumentation({ enabled: false, monitoringPrecision: 10 });
    this.instrumentation.setMeterProvider(meterProvider);
    const meter = meterProvider.getMeter('@datalineage/monitoring/runtime');
    meter
      .createObservableCounter('process.cpu.time', {
        description: 'CPU time the process used, by mode.',
        unit: 's',
      })
      .addCallback((result) => {
        if (!this.enabled) return;
        const { user, system } = process.cpuUsage();
        result.observe(user / 1e6, { 'cpu.mode': 'user' });
        result.observe(system / 1e6, { 'cpu.mode': 'system' });
      });
    meter
      .createObservableGauge('process.memory.usage', {
        description: 'Resident set size of the process.',
        unit: 'By',
      })
      .addCallback((result) => {
        if (this.enabled) result.observe(process.memoryUsage.rss());
      });
  }

  start(): void {
    if (this.enabled) return;
    this.enabled = true;
    this.instrumentation.enable();
  }

  stop(): void {
    if (!this.enabled) return;
    this.enabled = false;
    this.instrumentation.disable();
  }
}
