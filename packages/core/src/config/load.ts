// Builds the configuration from its sources — defaults < YAML file < code < environment — and
// validates each source on its own, so every problem is reported against the place that holds it.
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type * as z from 'zod';
import { type EnvironmentLayer, readEnvironment } from './env.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import {
  CONFIG_SHAPE,
  formatPath,
  isPlainObject,
  normalizeKeys,
  type PathSegment,
  preview,
  type Shape,
} from './keys.js';
import {
  deepFreeze,
  type MonitoringConfig,
  type MonitoringConfigInput,
  monitoringConfigSchema,
} from './schema.js';

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /**
   * Configuration given in code; overrides the file, is overridden by the environment. Keys may
   * be camelCase or the guide's snake_case. `configFile` names a YAML file to load.
   * @default {}
   * @example { dashboard: { port: 9000 }, configFile: './monitoring-config.yaml' }
   */
  config?: MonitoringConfigInput & { configFile?: string };
  /**
   * YAML file to load (the guide's `monitoring-config.yaml`, with or without its top-level
   * `monitoring:` key); relative to the working directory. DATALINEAGE_CONFIG_FILE, when set,
   * names the file instead.
   * @default config.configFile, else no file
   */
  file?: string;
  /**
   * Where environment variables are read from; tests pass their own object.
   * @default process.env
   */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Loads the configuration from defaults, a YAML file, `options.config` and the environment.
 * Environment variables have the last word because the deployment knows best where the service
 * runs: the guide's Kubernetes example sets the dashboard host and port that way, over whatever
 * the image's code and files say.
 * @throws {ConfigError} listing every invalid value of every source.
 */
export function loadConfig(options: LoadConfigOptions = {}): MonitoringConfig {
  const env = readEnvironment(options.env ?? process.env);
  const code = takeConfigFile(options.config ?? {});
  const file = chooseFile(env.configFile, options.file, code.configFile);
  const fileLayer = file === undefined ? undefined : readFileLayer(file.path, file.namedBy);
  const codeLayer = checkInput(code.input, 'code', () => undefined);

  const issues = [
    ...(fileLayer?.issues ?? []),
    ...(code.issue === undefined ? [] : [code.issue]),
    ...codeLayer.issues,
    ...checkEnvironment(env),
  ];
  if (issues.length > 0) throw new ConfigError(issues);

  const lower = merge(fileLayer?.value, codeLayer.value, CONFIG_SHAPE);
  const fromEnv = { ...env.value };
  // OTEL_RESOURCE_ATTRIBUTES adds to the configured attributes instead of replacing them, as
  // OpenTelemetry merges detected resources.
  if (
    isPlainObject(fromEnv.resourceAttributes) &&
    isPlainObject(lower) &&
    isPlainObject(lower.resourceAttributes)
  ) {
    fromEnv.resourceAttributes = { ...lower.resourceAttributes, ...fromEnv.resourceAttributes };
  }
  // Each layer passed on its own and layers combine key by key, so the merged input is valid too.
  return deepFreeze(monitoringConfigSchema.parse(merge(lower, fromEnv, CONFIG_SHAPE)));
}

/**
 * Validates one configuration object on its own — no file, no environment — and fills in the
 * defaults. Keys may be camelCase or snake_case.
 * @throws {ConfigError} listing every invalid value.
 */
export function parseConfig(input: unknown, source: 'file' | 'code' = 'code'): MonitoringConfig {
  const checked = checkInput(input ?? {}, source, () => undefined);
  if (checked.issues.length > 0) throw new ConfigError(checked.issues);
  return deepFreeze(monitoringConfigSchema.parse(checked.value));
}

interface CheckedInput {
  /** The input with canonical keys, not yet defaulted, for merging with the other layers. */
  readonly value: unknown;
  readonly issues: ConfigIssue[];
}

/** Normalises and validates one user-written layer, reporting paths as the user spelled them. */
function checkInput(
  input: unknown,
  source: 'file' | 'code',
  locate: (path: readonly PathSegment[]) => string | undefined,
): CheckedInput {
  const normalized = normalizeKeys(input);
  const problems: { path: readonly PathSegment[]; message: string }[] = [...normalized.problems];
  const checked = monitoringConfigSchema.safeParse(normalized.value, { reportInput: true });
  for (const issue of checked.error?.issues ?? []) {
    problems.push({ path: normalized.userPath(issue.path), message: describeIssue(issue) });
  }
  const issues = problems.map((problem): ConfigIssue => {
    const origin = locate(problem.path);
    const issue = { path: formatPath(problem.path), message: problem.message, source };
    return origin === undefined ? issue : { ...issue, origin };
  });
  return { value: normalized.value, issues };
}

/** `configFile` (or `config_file`) belongs to loading, not to the configuration, so it is taken out. */
function takeConfigFile(config: object): { configFile?: string; input: unknown; issue?: ConfigIssue } {
  const { configFile, config_file: snake, ...input } = config as Record<string, unknown>;
  const given = configFile ?? snake;
  if (given === undefined) return { input };
  if (typeof given === 'string' && given !== '') return { configFile: given, input };
  const path = configFile === undefined ? 'config_file' : 'configFile';
  return { input, issue: { path, source: 'code', message: `expected a file path, got ${preview(given)}` } };
}

/** The environment names the file over code, for the same reason its values win. */
function chooseFile(
  fromEnv: string | undefined,
  fromOption: string | undefined,
  fromConfig: string | undefined,
): { path: string; namedBy: string } | undefined {
  if (fromEnv !== undefined) return { path: fromEnv, namedBy: 'DATALINEAGE_CONFIG_FILE' };
  if (fromOption !== undefined) return { path: fromOption, namedBy: 'options.file' };
  if (fromConfig !== undefined) return { path: fromConfig, namedBy: 'configFile' };
  return undefined;
}

/** Values that could not be read, then values of the wrong range, each naming its variable. */
function checkEnvironment(env: EnvironmentLayer): ConfigIssue[] {
  const issues: ConfigIssue[] = env.problems.map((problem) => ({
    path: problem.path,
    message: problem.message,
    source: 'env',
    origin: problem.variable,
  }));
  const checked = monitoringConfigSchema.safeParse(env.value, { reportInput: true });
  for (const issue of checked.error?.issues ?? []) {
    const origin = variableFor(issue.path, env.variables);
    const path = formatPath(issue.path.map(String));
    issues.push({
      path,
      message: describeIssue(issue),
      source: 'env',
      ...(origin === undefined ? {} : { origin }),
    });
  }
  return issues;
}

interface FileLayer {
  readonly value: unknown;
  readonly issues: ConfigIssue[];
}

function readFileLayer(path: string, namedBy: string): FileLayer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'file not found'
        : `cannot read the file (${code ?? (error instanceof Error ? error.message : String(error))})`;
    return { value: undefined, issues: [fileIssue(path, `${reason}; it was named by ${namedBy}`)] };
  }

  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (document.errors.length > 0) {
    const issues = document.errors.map((error) => {
      const { line, col } = lines.linePos(error.pos[0]);
      return fileIssue(`${path}:${line}:${col}`, `YAML syntax error: ${error.message.split('\n')[0]}`);
    });
    return { value: undefined, issues };
  }

  let root: unknown = document.toJS() ?? {};
  let prefix: PathSegment[] = [];
  const issues: ConfigIssue[] = [];
  // The guide's file wraps everything in `monitoring:`; a file without the wrapper is accepted too.
  if (isPlainObject(root) && 'monitoring' in root) {
    const { monitoring, ...siblings } = root;
    for (const key of Object.keys(siblings)) {
      issues.push({
        path: key,
        source: 'file',
        origin: locate(document.contents, [key], path, lines),
        message: `unknown key "${key}" beside "monitoring"; options go under monitoring:`,
      });
    }
    root = monitoring ?? {};
    prefix = ['monitoring'];
  }
  if (!isPlainObject(root)) {
    issues.push(fileIssue(path, `expected a mapping of configuration options, got ${preview(root)}`));
    return { value: undefined, issues };
  }
  const checked = checkInput(root, 'file', (at) =>
    locate(document.contents, [...prefix, ...at], path, lines),
  );
  return { value: checked.value, issues: [...issues, ...checked.issues] };
}

function fileIssue(origin: string, message: string): ConfigIssue {
  return { path: '', source: 'file', origin, message };
}

/** `file:line` of the deepest node of `path` the document has, so a message points at its line. */
function locate(node: unknown, path: readonly PathSegment[], file: string, lines: LineCounter): string {
  let offset: number | undefined;
  let current = node;
  for (const segment of path) {
    let next: unknown;
    if (isMap(current)) {
      const pair = current.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (pair === undefined) break;
      offset = (pair.key as Node).range?.[0];
      next = pair.value;
    } else if (isSeq(current) && typeof segment === 'number') {
      next = current.items[segment];
      if (next === undefined) break;
      offset = (next as Node).range?.[0];
    } else {
      break;
    }
    current = next;
  }
  return offset === undefined ? file : `${file}:${lines.linePos(offset).line}`;
}

/** Deep merge along the schema: objects merge key by key, records and arrays are replaced whole. */
function merge(lower: unknown, higher: unknown, shape: Shape): unknown {
  if (higher === undefined) return lower;
  if (shape.kind !== 'object' || !isPlainObject(lower) || !isPlainObject(higher)) return higher;
  const out: Record<string, unknown> = { ...lower };
  for (const [key, value] of Object.entries(higher)) {
    out[key] = merge(lower[key], value, shape.children.get(key) ?? { kind: 'value' });
  }
  return out;
}

/** The variable that set `path` or the nearest enclosing option (a record's entries share one). */
function variableFor(
  path: readonly PropertyKey[],
  variables: ReadonlyMap<string, string>,
): string | undefined {
  for (let length = path.length; length > 0; length--) {
    const variable = variables.get(path.slice(0, length).map(String).join('.'));
    if (variable !== undefined) return variable;
  }
  return undefined;
}

/** zod's issue as one short sentence that names the bad value. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const got = `got ${preview(issue.input)}`;
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, ${got}`;
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      if (issue.origin === 'array' || issue.origin === 'string') {
        return Number(bound) === 1 && issue.code === 'too_small' ? 'must not be empty' : issue.message;
      }
      const relation =
        issue.code === 'too_small'
          ? issue.inclusive
            ? 'at least'
            : 'greater than'
          : issue.inclusive
            ? 'at most'
            : 'less than';
      return `must be ${relation} ${bound}, ${got}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}, ${got}`;
    case 'invalid_format':
      if (issue.format === 'url') return `expected an http(s) URL, ${got}`;
      if (issue.format === 'starts_with' && 'prefix' in issue)
        return `must start with "${issue.prefix}", ${got}`;
      return `${issue.message}, ${got}`;
    default:
      return issue.message;
  }
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  record: 'an object',
  array: 'a list',
};
