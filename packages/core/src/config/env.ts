// The environment variables the configuration honours (the guide's DATALINEAGE_* ones plus
// OpenTelemetry's OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES), and their translation into a layer.
import { preview } from './keys.js';
import { deepFreeze } from './schema.js';

/** One environment variable the configuration reads; the table is data so docs can be generated. */
export interface EnvironmentVariable {
  readonly name: string;
  /**
   * The configuration option it sets, as a dotted camelCase path; `configFile` for
   * DATALINEAGE_CONFIG_FILE, which names the YAML file rather than an option.
   */
  readonly path: string;
  /** How the string is read: numbers must be finite; booleans are true/false/1/0/yes/no. */
  readonly type: 'string' | 'number' | 'boolean';
  readonly description: string;
}

/** Every environment variable `loadConfig()` reads. Empty values count as unset. */
export const ENVIRONMENT_VARIABLES: ReadonlyArray<EnvironmentVariable> = deepFreeze([
  {
    name: 'DATALINEAGE_CONFIG_FILE',
    path: 'configFile',
    type: 'string',
    description: 'Path of the YAML configuration file to load (the guide’s monitoring-config.yaml).',
  },
  {
    name: 'DATALINEAGE_DASHBOARD_ENABLED',
    path: 'dashboard.enabled',
    type: 'boolean',
    description: 'Turns the web dashboard on or off.',
  },
  {
    name: 'DATALINEAGE_DASHBOARD_HOST',
    path: 'dashboard.host',
    type: 'string',
    description: 'Interface the dashboard listens on, e.g. 0.0.0.0 in a container.',
  },
  {
    name: 'DATALINEAGE_DASHBOARD_PORT',
    path: 'dashboard.port',
    type: 'number',
    description: 'TCP port of the dashboard.',
  },
  {
    name: 'DATALINEAGE_DASHBOARD_USERNAME',
    path: 'dashboard.auth.username',
    type: 'string',
    description: 'Dashboard basic-auth user (with DATALINEAGE_DASHBOARD_PASSWORD).',
  },
  {
    name: 'DATALINEAGE_DASHBOARD_PASSWORD',
    path: 'dashboard.auth.password',
    type: 'string',
    description: 'Dashboard basic-auth password.',
  },
  {
    name: 'DATALINEAGE_DASHBOARD_TOKEN',
    path: 'dashboard.auth.token',
    type: 'string',
    description: 'Dashboard bearer token (instead of a user and password).',
  },
  {
    name: 'DATALINEAGE_SHUTDOWN_TIMEOUT',
    path: 'shutdownTimeout',
    type: 'number',
    description: 'Seconds a stop (or SIGTERM) may take to deliver what is queued before the process goes.',
  },
  {
    name: 'DATALINEAGE_METRICS_RETENTION',
    path: 'metrics.retentionPeriod',
    type: 'number',
    description: 'Seconds of metric history the dashboard charts keep at most.',
  },
  {
    name: 'DATALINEAGE_METRICS_MAX_COUNT',
    path: 'metrics.maxMetrics',
    type: 'number',
    description: 'Cap on the total number of series across all metrics.',
  },
  {
    name: 'DATALINEAGE_METRICS_ENDPOINT_PORT',
    path: 'metrics.endpoint.port',
    type: 'number',
    description: 'TCP port of the standalone Prometheus scrape endpoint.',
  },
  {
    name: 'DATALINEAGE_ALERT_EVALUATION_INTERVAL',
    path: 'alerts.evaluationInterval',
    type: 'number',
    description: 'Seconds between alert rule evaluations.',
  },
  {
    name: 'DATALINEAGE_ALERT_MIN_DURATION',
    path: 'alerts.minDuration',
    type: 'number',
    description:
      'Seconds a condition must hold before its alert fires, for rules from the configuration file.',
  },
  {
    name: 'DATALINEAGE_LOG_MAX_ENTRIES',
    path: 'logs.maxEntries',
    type: 'number',
    description: 'Log entries kept in memory.',
  },
  {
    name: 'DATALINEAGE_LOG_RETENTION_DAYS',
    path: 'logs.retentionDays',
    type: 'number',
    description: 'Days a log entry is kept.',
  },
  {
    name: 'OTEL_SERVICE_NAME',
    path: 'serviceName',
    type: 'string',
    description: 'OpenTelemetry service name; wins over service.name in OTEL_RESOURCE_ATTRIBUTES.',
  },
  {
    name: 'OTEL_RESOURCE_ATTRIBUTES',
    path: 'resourceAttributes',
    type: 'string',
    description:
      'OpenTelemetry resource attributes as key=value pairs separated by commas, percent-encoded; ' +
      'merged over the configured ones. A service.name entry sets serviceName.',
  },
] satisfies EnvironmentVariable[]);

/** What the environment contributes: a partial configuration and where each value came from. */
export interface EnvironmentLayer {
  /** A partial configuration with camelCase keys. */
  readonly value: Record<string, unknown>;
  /** The variable behind each dotted config path it set, to name it in errors. */
  readonly variables: ReadonlyMap<string, string>;
  /** Values that could not be read as their type, each naming its variable. */
  readonly problems: ReadonlyArray<{
    readonly path: string;
    readonly variable: string;
    readonly message: string;
  }>;
  /** The value of DATALINEAGE_CONFIG_FILE, if set. */
  readonly configFile: string | undefined;
}

const CONFIG_FILE = 'DATALINEAGE_CONFIG_FILE';
const RESOURCE_ATTRIBUTES = 'OTEL_RESOURCE_ATTRIBUTES';
const SERVICE_NAME = 'OTEL_SERVICE_NAME';
const SERVICE_NAME_ATTRIBUTE = 'service.name';

/** Reads the variables of {@link ENVIRONMENT_VARIABLES} from `env`, coercing each by its type. */
export function readEnvironment(env: Readonly<Record<string, string | undefined>>): EnvironmentLayer {
  const value: Record<string, unknown> = {};
  const variables = new Map<string, string>();
  const problems: { path: string; variable: string; message: string }[] = [];
  const set = (path: string, variable: string, parsed: unknown): void => {
    setPath(value, path, parsed);
    variables.set(path, variable);
  };

  for (const variable of ENVIRONMENT_VARIABLES) {
    const raw = env[variable.name]?.trim();
    if (raw === undefined || raw === '') continue;
    if (variable.name === CONFIG_FILE) continue;
    if (variable.name === RESOURCE_ATTRIBUTES) {
      const parsed = parseResourceAttributes(raw);
      if (typeof parsed === 'string') {
        problems.push({ path: variable.path, variable: variable.name, message: parsed });
        continue;
      }
      // serviceName is the one home of service.name, so it is taken out of the attributes
      // rather than left to contradict an OTEL_SERVICE_NAME that wins over it.
      const { [SERVICE_NAME_ATTRIBUTE]: serviceName, ...attributes } = parsed;
      if (serviceName !== undefined && !env[SERVICE_NAME]?.trim())
        set('serviceName', variable.name, serviceName);
      set(variable.path, variable.name, attributes);
      continue;
    }
    const parsed = coerce(raw, variable.type);
    if (parsed === undefined) {
      const expected = variable.type === 'number' ? 'a number' : 'true, false, 1, 0, yes or no';
      problems.push({
        path: variable.path,
        variable: variable.name,
        message: `expected ${expected}, got ${preview(raw)}`,
      });
      continue;
    }
    set(variable.path, variable.name, parsed);
  }

  return { value, variables, problems, configFile: env[CONFIG_FILE]?.trim() || undefined };
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const BOOLEANS: Readonly<Record<string, boolean>> = {
  true: true,
  false: false,
  1: true,
  0: false,
  yes: true,
  no: false,
};

/** `undefined` when the text is not of the type; `Number()` alone would take '', '0x1f' and 'Infinity'. */
function coerce(raw: string, type: EnvironmentVariable['type']): string | number | boolean | undefined {
  if (type === 'string') return raw;
  if (type === 'boolean') return BOOLEANS[raw.toLowerCase()];
  return DECIMAL.test(raw) ? Number(raw) : undefined;
}

/**
 * Parses `key=value,key2=value2` as OpenTelemetry JS's EnvDetector does: empty entries skipped,
 * keys and values trimmed and percent-decoded. Returns a message on malformed input; unlike the
 * OTel SDK, which drops the whole variable quietly, setup fails so the mistake is seen.
 */
export function parseResourceAttributes(raw: string): Record<string, string> | string {
  const entries: [string, string][] = [];
  for (const entry of raw.split(',')) {
    if (entry.trim() === '') continue;
    const parts = entry.split('=');
    if (parts.length !== 2) {
      return `expected key=value pairs separated by commas (percent-encode "," and "=" inside them), got ${preview(entry)}`;
    }
    const key = parts[0]!.trim();
    const value = parts[1]!.trim();
    if (key === '') return `empty attribute key in ${preview(entry)}`;
    try {
      entries.push([decodeURIComponent(key), decodeURIComponent(value)]);
    } catch {
      return `invalid percent-encoding in ${preview(entry)}`;
    }
  }
  return Object.fromEntries(entries);
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop()!;
  let node = target;
  for (const key of keys) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[last] = value;
}
