// Publishing the collector's metrics through a MeterProvider someone else owns (the one NodeSDK
// registered, say), whose readers were built without the collector's producer. Counters, gauges
// and summaries become observable instruments read at collection time, so their record path is
// unchanged; histograms have no observable form in OpenTelemetry, so each observation is also
// recorded into an OpenTelemetry histogram — the bridge's one per-call cost, paid only when used —
// from the moment the bridge is attached (earlier histogram observations are not replayed).
import { type MeterProvider, type ObservableResult, ValueType } from '@opentelemetry/api';
import type { MetricsCollector } from './collector.js';
import type { AnyFamily } from './producer.js';

export interface MeterProviderBridge {
  /** Stop publishing (instruments already created stay, but report nothing new). */
  detach(): void;
}

/** Run a family's `collect` callback before its values are read (OpenTelemetry awaits it). */
async function refreshed(family: AnyFamily): Promise<void> {
  if (family.collect !== undefined) await family.collect();
}

export function bridgeToMeterProvider(
  collector: MetricsCollector,
  meterProvider: MeterProvider,
): MeterProviderBridge {
  const meter = meterProvider.getMeter('@datalineage/core', '0.1.0');
  let attached = true;

  const publish = (family: AnyFamily): void => {
    const options = { description: family.description, unit: family.unit, valueType: ValueType.DOUBLE };
    switch (family.kind) {
      case 'counter':
      case 'gauge': {
        const instrument =
          family.kind === 'counter'
            ? meter.createObservableCounter(family.name, options)
            : meter.createObservableGauge(family.name, options);
        instrument.addCallback(async (result: ObservableResult) => {
          if (!attached) return;
          await refreshed(family);
          for (const series of family.allSeries()) result.observe(series.value, series.labels);
        });
        return;
      }
      case 'summary': {
        const quantiles = meter.createObservableGauge(family.name, options);
        const sum = meter.createObservableUpDownCounter(`${family.name}_sum`, options);
        const count = meter.createObservableCounter(`${family.name}_count`, { ...options, unit: '' });
        meter.addBatchObservableCallback(
          async (result) => {
            if (!attached) return;
            await refreshed(family);
            const nowSlot = family.slotClock.now();
            for (const series of family.allSeries()) {
              const estimates = family.quantilesOf(series, nowSlot);
              family.quantileLabels.forEach((quantile, i) => {
                result.observe(quantiles, estimates[i] as number, { ...series.labels, quantile });
              });
              result.observe(sum, series.sum, series.labels);
              result.observe(count, series.count, series.labels);
            }
          },
          [quantiles, sum, count],
        );
        return;
      }
      case 'histogram': {
        const histogram = meter.createHistogram(family.name, {
          ...options,
          advice: { explicitBucketBoundaries: family.boundaries },
        });
        family.addMirror((value, labels) => {
          if (attached) histogram.record(value, labels);
        });
        return;
      }
    }
  };

  const unsubscribe = collector.forEachFamily(publish);
  return {
    detach: () => {
      attached = false;
      unsubscribe();
    },
  };
}
