// Builds the configuration from its sources — defaults < YAML file < code < environment — and
// validates each source on its own, so every problem is reported against the place that holds it.
import { isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import type * as z from 'zod';
import { type EnvironmentLayer, readEnvironment } from './env.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { readConfigText } from './file.js';
import {
  CONFIG_SHAPE,
  cut,
  describeValue,
  formatPath,
  isPlainObject,
  normalizeKeys,
  type PathSegment,
  preview,
  type Shape,
  typeName,
} from './keys.js';
import {
  deepFreeze,
  type MonitoringConfig,
  type MonitoringConfigInput,
  monitoringConfigSchema,
} from './schema.js';
import { parseConfigYaml } from './yaml.js';

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
  // A file's problems are capped: one with thousands of unknown keys is not made a message of them.
  if (source === 'file' && problems.length > MAX_FILE_ISSUES) {
    const left = problems.length - MAX_FILE_ISSUES;
    problems.splice(MAX_FILE_ISSUES, left, { path: [], message: `and ${left} more problems` });
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

/** Problems reported of one file at most; the rest are counted. */
const MAX_FILE_ISSUES = 100;

/**
 * Reads a YAML file with the configuration file's bounds (a regular file of at most 1 MiB, YAML
 * within the limits of yaml.ts), for the SDK's tools that read other YAML files (the CLI's rule
 * tests). @throws Error listing the file's problems (with line and column), none of its content.
 */
export function readYamlFile(path: string): unknown {
  const read = readYamlLayer(path, path);
  if ('issues' in read) {
    throw new Error(read.issues.map((issue) => `${issue.origin ?? path}: ${issue.message}`).join('\n'));
  }
  return read.value;
}

/** The file's YAML, parsed within bounds, or its problems as configuration issues. */
function readYamlLayer(
  path: string,
  namedBy: string,
): { issues: ConfigIssue[] } | Extract<ReturnType<typeof parseConfigYaml>, { document: unknown }> {
  const read = readConfigText(path);
  if ('problem' in read) return { issues: [fileIssue(path, `${read.problem}; it was named by ${namedBy}`)] };
  const parsed = parseConfigYaml(read.text);
  if (!('problems' in parsed)) return parsed;
  const issues = parsed.problems.slice(0, MAX_FILE_ISSUES).map((problem) => {
    if (problem.offset === undefined) return fileIssue(path, problem.message);
    const { line, col } = parsed.lines.linePos(problem.offset);
    return fileIssue(`${path}:${line}:${col}`, problem.message);
  });
  const left = parsed.problems.length - issues.length;
  if (left > 0) issues.push(fileIssue(path, `and ${left} more YAML problems`));
  return { issues };
}

function readFileLayer(path: string, namedBy: string): FileLayer {
  const parsed = readYamlLayer(path, namedBy);
  if ('issues' in parsed) return { value: undefined, issues: parsed.issues };

  const { document, lines } = parsed;
  let root: unknown = parsed.value ?? {};
  let prefix: PathSegment[] = [];
  const issues: ConfigIssue[] = [];
  // Nothing of a file that is not a monitoring configuration is quoted: it may be any file at all.
  if (!isPlainObject(root)) {
    issues.push(fileIssue(path, `expected a mapping of configuration options, got ${typeName(root)}`));
    return { value: undefined, issues };
  }
  // The guide's file wraps everything in `monitoring:`; a file without the wrapper is accepted too.
  if ('monitoring' in root) {
    const { monitoring, ...siblings } = root;
    for (const key of Object.keys(siblings).slice(0, MAX_FILE_ISSUES)) {
      issues.push({
        path: formatPath([key]),
        source: 'file',
        origin: locate(document.contents, [key], path, lines),
        message: `unknown key "${cut(key, 40)}" beside "monitoring"; options go under monitoring:`,
      });
    }
    root = monitoring ?? {};
    prefix = ['monitoring'];
    if (!isPlainObject(root)) {
      issues.push(
        fileIssue(
          path,
          `expected a mapping of configuration options under monitoring:, got ${typeName(root)}`,
        ),
      );
      return { value: undefined, issues };
    }
  } else if (!isMonitoringConfiguration(root)) {
    const count = Object.keys(root).length;
    issues.push(
      fileIssue(
        path,
        `not a monitoring configuration: none of its ${count} top-level keys is a configuration option ` +
          '(such as dashboard, metrics, alerts, logs or exporters, optionally under monitoring:)',
      ),
    );
    return { value: undefined, issues };
  }
  const checked = checkInput(root, 'file', (at) =>
    locate(document.contents, [...prefix, ...at], path, lines),
  );
  return { value: checked.value, issues: [...issues, ...checked.issues] };
}

/** An empty mapping, or one with at least one known top-level key: the rest may be typos. */
function isMonitoringConfiguration(root: Record<string, unknown>): boolean {
  const shape = CONFIG_SHAPE;
  if (shape.kind !== 'object') return true;
  const keys = Object.keys(root);
  return keys.length === 0 || keys.some((key) => shape.spellings.has(key));
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

/**
 * zod's issue as one short sentence that names the bad value — a secret's only by its type, a
 * URL's with its credentials masked — and, for an upper bound, the reason the schema gives for it.
 */
function describeIssue(issue: z.core.$ZodIssue): string {
  const got = `got ${describeValue(issue.input, issue.path)}`;
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, ${got}`;
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      // The schema's upper bounds carry their reason as the message; zod's own start "Too big".
      const why =
        issue.code === 'too_big' && !issue.message.startsWith('Too big') ? ` (${issue.message})` : '';
      if (issue.origin === 'array' && issue.code === 'too_big') {
        const count = Array.isArray(issue.input) ? `, got ${issue.input.length}` : '';
        return `must have at most ${bound} items${why}${count}`;
      }
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
      return `must be ${relation} ${bound}${why}, ${got}`;
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
