// The one error configuration loading throws: every problem from every source, each saying where
// the bad value came from, so a deployment is fixed in one round rather than one error at a time.

/** Where a configuration value came from, lowest precedence first. */
export type ConfigSource = 'default' | 'file' | 'code' | 'env';

/** One problem with the configuration. */
export interface ConfigIssue {
  /** Dotted path in the spelling the user wrote (`dashboard.auto_refresh`); `''` for the whole source. */
  readonly path: string;
  readonly message: string;
  readonly source: ConfigSource;
  /** The file (with line, when known) or the environment variable; absent for code. */
  readonly origin?: string;
}

/** Thrown by `loadConfig()` and `parseConfig()` when any source holds an invalid value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** Stable, never reused, so it can be matched on and searched for. */
  readonly code = 'DLM_CONFIG_INVALID';
  readonly issues: ReadonlyArray<ConfigIssue>;

  constructor(issues: ReadonlyArray<ConfigIssue>) {
    super(formatMessage(issues));
    this.issues = Object.freeze([...issues]);
  }
}

function formatMessage(issues: ReadonlyArray<ConfigIssue>): string {
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  const lines = issues.map((issue) => {
    const where = issue.origin === undefined ? issue.source : `${issue.source} ${issue.origin}`;
    return issue.path === ''
      ? `  - ${where}: ${issue.message}`
      : `  - ${issue.path} (${where}): ${issue.message}`;
  });
  return [`Invalid monitoring configuration (${count}):`, ...lines].join('\n');
}
