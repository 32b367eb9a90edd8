// setupMonitoring() / getMonitoring(): one monitoring system per process, shared through a global
// symbol so two copies of the package still agree.
import { diagnostics, loadConfig, type MonitoringConfigInput } from '@datalineage/core';
import { type MonitoringOptions, MonitoringSystem } from './monitoring.js';

const INSTANCE = Symbol.for('@datalineage/monitoring.instance');

type GlobalWithInstance = typeof globalThis & { [INSTANCE]?: MonitoringSystem };

/** Configuration accepted by `setupMonitoring`: the config object, plus `configFile`. */
export type SetupConfig = MonitoringConfigInput & { configFile?: string };

/**
 * Create the process's monitoring system from `config`, a YAML file (`configFile` or
 * `DATALINEAGE_CONFIG_FILE`) and `DATALINEAGE_*` / `OTEL_*` environment variables. Invalid
 * configuration throws one ConfigError listing every problem. Calling it again returns the same
 * system (a warning is logged when a different config is passed).
 */
export function setupMonitoring(config?: SetupConfig, options?: MonitoringOptions): MonitoringSystem {
  const holder = globalThis as GlobalWithInstance;
  const existing = holder[INSTANCE];
  if (existing !== undefined) {
    if (config !== undefined || options !== undefined) {
      diagnostics.warn(
        'DLM_ALREADY_SET_UP',
        'setupMonitoring() was called again with a configuration or options; the existing monitoring system is returned unchanged (resetMonitoring() first to rebuild it).',
      );
    }
    return existing;
  }
  const system = new MonitoringSystem(loadConfig({ config }), options);
  holder[INSTANCE] = system;
  return system;
}

/** The process's monitoring system, set up with defaults (and the environment) if none exists yet. */
export function getMonitoring(): MonitoringSystem {
  return (globalThis as GlobalWithInstance)[INSTANCE] ?? setupMonitoring();
}

/** Shut down and forget the process's monitoring system, so the next setupMonitoring() builds anew. */
export async function resetMonitoring(): Promise<void> {
  const holder = globalThis as GlobalWithInstance;
  const existing = holder[INSTANCE];
  holder[INSTANCE] = undefined;
  await existing?.shutdown();
}
