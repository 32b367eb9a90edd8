/**
 * A structural checker for OpenTelemetry Collector configs (collector-config/*.yaml). No collector
 * binary runs on this machine, so this stands in for `otelcol-contrib validate` on what can be
 * checked without one: references between sections, pipeline shape, processor order, the signals
 * each exporter accepts, and that credentials come from the environment. It does not know each
 * component's option keys; those were checked by hand against the components' READMEs.
 */

type Signal = 'traces' | 'metrics' | 'logs';
const SIGNALS: readonly Signal[] = ['traces', 'metrics', 'logs'];
const ALL: readonly Signal[] = SIGNALS;

const TOP_LEVEL_KEYS = new Set([
  'receivers',
  'processors',
  'exporters',
  'extensions',
  'connectors',
  'service',
]);
const SERVICE_KEYS = new Set(['extensions', 'pipelines', 'telemetry']);
const PIPELINE_KEYS = new Set(['receivers', 'processors', 'exporters']);

// The signals each component type accepts, from the components' READMEs in
// opentelemetry-collector(-contrib). A type missing here is reported, so a misspelt one cannot pass.
const RECEIVER_SIGNALS: Readonly<Record<string, readonly Signal[]>> = { otlp: ALL };
const PROCESSOR_SIGNALS: Readonly<Record<string, readonly Signal[]>> = { memory_limiter: ALL, batch: ALL };
const EXPORTER_SIGNALS: Readonly<Record<string, readonly Signal[]>> = {
  prometheus: ['metrics'],
  prometheusremotewrite: ['metrics'],
  // influxdb takes every signal; these configs only send it metrics.
  influxdb: ALL,
  // elasticsearch: logs and traces are beta, metrics in development.
  elasticsearch: ALL,
  otlp: ALL,
  otlphttp: ALL,
  debug: ALL,
};
const EXTENSION_TYPES = new Set(['health_check', 'basicauth']);

// Exporters whose endpoint is an address the collector listens on, not a backend to reach.
const LISTENING_EXPORTERS = new Set(['prometheus']);

// `type` or `type/name`, as the collector parses component ids.
const COMPONENT_ID = /^([a-zA-Z][0-9a-zA-Z_]*)(?:\/([^/\s]+))?$/;
// Keys holding secrets; `*_file` keys hold paths to them instead.
const CREDENTIAL_KEY = /password|token|api_?key|secret|authorization/i;
const ENV_ONLY = /^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$/;
// After removing `$$` escapes, every `$` must open `${env:NAME}` or `${env:NAME:-default}`.
const BAD_DOLLAR = /\$(?!\{env:[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\})/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The component type of an id (`batch/fast` → `batch`), or undefined when the id is malformed. */
export function componentType(id: string): string | undefined {
  return COMPONENT_ID.exec(id)?.[1];
}

/**
 * A section's component ids, each checked for form and, given the known types, for type.
 * `batch:` with no settings parses to null and still defines `batch`.
 */
function sectionIds(
  config: Record<string, unknown>,
  section: string,
  problems: string[],
  knownTypes?: { has(type: string): boolean },
): Set<string> {
  const value = config[section];
  if (value === undefined || value === null) return new Set();
  if (!isRecord(value)) {
    problems.push(`${section} is not a mapping`);
    return new Set();
  }
  for (const id of Object.keys(value)) {
    const type = componentType(id);
    if (type === undefined) problems.push(`${section}: "${id}" is not a valid component id`);
    else if (knownTypes !== undefined && !knownTypes.has(type)) {
      problems.push(`${section}: unknown type "${type}" (add it to the table in this checker if it is real)`);
    }
  }
  return new Set(Object.keys(value));
}

function idList(value: unknown, where: string, problems: string[]): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    problems.push(`${where} is not a list of component ids`);
    return [];
  }
  return value;
}

/** Every [path, key, value] of a parsed YAML tree; a list item's key is its index. */
function* walk(node: unknown, path: string): Generator<[string, string, unknown]> {
  if (Array.isArray(node)) {
    for (const [index, item] of node.entries()) {
      yield [`${path}[${index}]`, String(index), item];
      yield* walk(item, `${path}[${index}]`);
    }
  } else if (isRecord(node)) {
    for (const [key, value] of Object.entries(node)) {
      const child = path === '' ? key : `${path}.${key}`;
      yield [child, key, value];
      yield* walk(value, child);
    }
  }
}

/**
 * Checks a parsed collector config and returns one line per problem (empty when it passes), so a
 * failing test shows everything wrong at once.
 */
export function checkCollectorConfig(parsed: unknown): string[] {
  const problems: string[] = [];
  if (!isRecord(parsed)) return ['the config is not a mapping'];

  for (const key of Object.keys(parsed)) {
    if (!TOP_LEVEL_KEYS.has(key)) problems.push(`unknown top-level key "${key}"`);
  }
  const known = (table: Readonly<Record<string, unknown>>) => ({
    has: (type: string) => Object.hasOwn(table, type),
  });
  const receivers = sectionIds(parsed, 'receivers', problems, known(RECEIVER_SIGNALS));
  const processors = sectionIds(parsed, 'processors', problems, known(PROCESSOR_SIGNALS));
  const exporters = sectionIds(parsed, 'exporters', problems, known(EXPORTER_SIGNALS));
  const connectors = sectionIds(parsed, 'connectors', problems);
  const extensions = sectionIds(parsed, 'extensions', problems, EXTENSION_TYPES);

  const service = parsed.service;
  if (!isRecord(service)) return [...problems, 'service is missing or not a mapping'];
  for (const key of Object.keys(service)) {
    if (!SERVICE_KEYS.has(key)) problems.push(`unknown key service.${key}`);
  }

  const enabledExtensions = idList(service.extensions, 'service.extensions', problems);
  for (const id of enabledExtensions) {
    if (!extensions.has(id))
      problems.push(`service.extensions names "${id}", which extensions does not define`);
  }
  for (const id of extensions) {
    if (!enabledExtensions.includes(id))
      problems.push(`extension "${id}" is defined but not in service.extensions`);
  }

  const pipelines = service.pipelines;
  if (!isRecord(pipelines) || Object.keys(pipelines).length === 0) {
    return [...problems, 'service.pipelines is missing or empty'];
  }

  const used = new Set<string>();
  for (const [pipelineId, pipeline] of Object.entries(pipelines)) {
    const where = `pipeline "${pipelineId}"`;
    const signal = componentType(pipelineId);
    if (signal === undefined || !(SIGNALS as readonly string[]).includes(signal)) {
      problems.push(`${where}: the id must be traces, metrics or logs, optionally with /name`);
      continue;
    }
    if (!isRecord(pipeline)) {
      problems.push(`${where} is not a mapping`);
      continue;
    }
    for (const key of Object.keys(pipeline)) {
      if (!PIPELINE_KEYS.has(key)) problems.push(`${where}: unknown key "${key}"`);
    }
    const pipelineReceivers = idList(pipeline.receivers, `${where} receivers`, problems);
    const pipelineProcessors = idList(pipeline.processors, `${where} processors`, problems);
    const pipelineExporters = idList(pipeline.exporters, `${where} exporters`, problems);
    if (pipelineReceivers.length === 0) problems.push(`${where} has no receiver`);
    if (pipelineExporters.length === 0) problems.push(`${where} has no exporter`);

    const refer = (
      ids: string[],
      role: string,
      defined: Set<string>,
      table: Readonly<Record<string, readonly Signal[]>>,
    ): void => {
      for (const id of ids) {
        used.add(`${role}:${id}`);
        if (connectors.has(id) && role !== 'processors') continue; // connectors join pipelines; no signal table
        if (!defined.has(id)) {
          problems.push(`${where} names ${role.slice(0, -1)} "${id}", which ${role} does not define`);
          continue;
        }
        // An unknown type was reported where it is defined.
        const accepted = table[componentType(id) ?? id];
        if (accepted !== undefined && !accepted.includes(signal as Signal)) {
          problems.push(`${where}: ${role.slice(0, -1)} "${id}" does not accept ${signal}`);
        }
      }
    };
    refer(pipelineReceivers, 'receivers', receivers, RECEIVER_SIGNALS);
    refer(pipelineProcessors, 'processors', processors, PROCESSOR_SIGNALS);
    refer(pipelineExporters, 'exporters', exporters, EXPORTER_SIGNALS);

    // The Collector's documented order: memory_limiter first, so refusals reach the receivers;
    // batch after it, so batching happens after anything that drops data.
    const types = pipelineProcessors.map((id) => componentType(id));
    if (types[0] !== 'memory_limiter') problems.push(`${where}: memory_limiter is not the first processor`);
    const batchAt = types.indexOf('batch');
    if (batchAt === -1) problems.push(`${where}: no batch processor`);
    else if (batchAt < types.lastIndexOf('memory_limiter')) {
      problems.push(`${where}: batch comes before memory_limiter`);
    }
  }

  for (const [role, ids] of [
    ['receivers', receivers],
    ['processors', processors],
    ['exporters', exporters],
  ] as const) {
    for (const id of ids) {
      if (!used.has(`${role}:${id}`))
        problems.push(`${role.slice(0, -1)} "${id}" is defined but no pipeline uses it`);
    }
  }
  for (const id of connectors) {
    if (!used.has(`receivers:${id}`) || !used.has(`exporters:${id}`)) {
      problems.push(`connector "${id}" must be an exporter of one pipeline and a receiver of another`);
    }
  }

  for (const [path, key, value] of walk(parsed, '')) {
    if (key === 'authenticator') {
      if (typeof value !== 'string' || !extensions.has(value) || !enabledExtensions.includes(value)) {
        problems.push(`${path}: "${String(value)}" is not an enabled extension`);
      }
    }
    if (CREDENTIAL_KEY.test(key) && !key.endsWith('_file') && !isRecord(value) && !Array.isArray(value)) {
      // A `:-default` would be a literal secret too, so only a bare reference passes.
      if (typeof value !== 'string' || !ENV_ONLY.test(value)) {
        problems.push(`${path}: a credential must be \${env:NAME}, not a literal`);
      }
    }
    if (typeof value === 'string' && BAD_DOLLAR.test(value.replaceAll('$$', ''))) {
      problems.push(
        `${path}: "${value}" uses a substitution other than \${env:NAME} or \${env:NAME:-default}`,
      );
    }
  }

  // Backends move between environments; the address to reach one is not written into the file.
  if (isRecord(parsed.exporters)) {
    for (const [id, settings] of Object.entries(parsed.exporters)) {
      const type = componentType(id);
      if (type === undefined || LISTENING_EXPORTERS.has(type) || !isRecord(settings)) continue;
      const endpoints = [settings.endpoint, ...(Array.isArray(settings.endpoints) ? settings.endpoints : [])];
      for (const endpoint of endpoints.filter((e) => e !== undefined)) {
        if (typeof endpoint !== 'string' || !endpoint.includes('${env:')) {
          problems.push(
            `exporter "${id}": endpoint ${JSON.stringify(endpoint)} does not come from \${env:...}`,
          );
        }
      }
    }
  }

  return problems;
}

/** Each pipeline's exporter types, for checking that a file does what its name says. */
export function pipelineExporterTypes(parsed: unknown): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  const pipelines = isRecord(parsed) && isRecord(parsed.service) ? parsed.service.pipelines : undefined;
  if (!isRecord(pipelines)) return result;
  for (const [id, pipeline] of Object.entries(pipelines)) {
    const exporters = isRecord(pipeline) && Array.isArray(pipeline.exporters) ? pipeline.exporters : [];
    result[id] = exporters.map((e) => componentType(String(e)) ?? String(e));
  }
  return result;
}
