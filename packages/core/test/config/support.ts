// Shared by the configuration tests: the ConfigError a call throws.
import { ConfigError } from '../../src/config/index.js';

/** Run `run` and return the ConfigError it throws; fail if it throws nothing or something else. */
export function errorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
