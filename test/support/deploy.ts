/**
 * Structural checkers for deploy/: the Dockerfile, the root .dockerignore and the Kubernetes
 * manifests. No Docker engine or cluster runs where the tests run, so these stand in for
 * `docker build` and `kubectl apply --dry-run=server` on what matters to this service: stages
 * and what they copy, the user, the port and the probes, how the token reaches the SDK, and which
 * environment variables the SDK reads. They do not know the full Kubernetes or Dockerfile schema.
 * Each checker returns one line per problem (empty when it passes), so a failing test shows
 * everything wrong at once.
 */
import { posix } from 'node:path';

// ---------------------------------------------------------------------------------------------
// Dockerfile

/** One instruction, its `\` continuations joined and comment lines inside them dropped. */
export interface Instruction {
  /** Upper case: FROM, RUN, COPY … */
  readonly keyword: string;
  /** The text after the keyword. */
  readonly args: string;
  /** 1-based line where the instruction starts. */
  readonly line: number;
}

/** A `FROM` and the instructions up to the next one. */
export interface Stage {
  readonly index: number;
  readonly name: string | undefined;
  /** The base image with build arguments substituted. */
  readonly image: string;
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  /** `ARG`s before the first `FROM`, with their defaults. */
  readonly globalArgs: ReadonlyMap<string, string | undefined>;
  readonly stages: readonly Stage[];
  /** What could not be read (an unsupported escape directive, a heredoc, a dangling `\`). */
  readonly problems: readonly string[];
}

/** Instructions in file order. Only the default `\` escape is understood; heredocs are refused. */
export function parseInstructions(text: string): { instructions: Instruction[]; problems: string[] } {
  const lines = text.split(/\r?\n/);
  const instructions: Instruction[] = [];
  const problems: string[] = [];
  let pending: { text: string; line: number } | undefined;
  let directives = true;
  for (const [index, raw] of lines.entries()) {
    const trimmed = raw.trim();
    // Parser directives (`# syntax=`, `# escape=`) are only recognised before anything else.
    const directive = directives ? /^#\s*([a-z]+)\s*=\s*(\S+)/i.exec(trimmed) : null;
    if (directive === null) directives = false;
    else if (directive[1]!.toLowerCase() === 'escape' && directive[2] !== '\\') {
      problems.push(`line ${index + 1}: escape directive "${directive[2]}" is not supported by this checker`);
    }
    // Docker drops comment and blank lines, also between continued lines.
    if (trimmed.startsWith('#') || trimmed === '') continue;
    const continued = /\\\s*$/.test(raw);
    const part = continued ? raw.replace(/\\\s*$/, '') : raw;
    pending =
      pending === undefined ? { text: part, line: index + 1 } : { ...pending, text: pending.text + part };
    if (continued) continue;
    const match = /^\s*(\S+)\s*([\s\S]*)$/.exec(pending.text);
    if (match !== null) {
      const keyword = match[1]!.toUpperCase();
      const args = match[2]!.trim();
      if (/<<-?\s*["']?[A-Za-z_]/.test(args) && (keyword === 'RUN' || keyword === 'COPY')) {
        problems.push(`line ${pending.line}: heredocs are not supported by this checker`);
      }
      instructions.push({ keyword, args, line: pending.line });
    }
    pending = undefined;
  }
  if (pending !== undefined) problems.push(`line ${pending.line}: the file ends inside a continued line`);
  return { instructions, problems };
}

/** Words of a shell-form argument list: whitespace-separated, quotes and backslashes honoured. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"' && i + 1 < text.length) word += text[++i]!;
      else word += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      word ??= '';
    } else if (char === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[++i]!;
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + char;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** `KEY=value …` (or the legacy `KEY value`) of an ENV, LABEL or ARG instruction. */
export function assignments(keyword: string, args: string): [string, string | undefined][] {
  const words = splitWords(args);
  const legacy = /^([^\s=]+)\s+([\s\S]*)$/.exec(args.trim());
  if (keyword === 'ENV' && legacy !== null && !words[0]!.includes('=')) {
    // The legacy `ENV KEY value with spaces`: everything after the key is the value.
    return [[legacy[1]!, legacy[2]!.trim()]];
  }
  return words.map((word): [string, string | undefined] => {
    const at = word.indexOf('=');
    return at === -1 ? [word, undefined] : [word.slice(0, at), word.slice(at + 1)];
  });
}

/** The command of a CMD, ENTRYPOINT or HEALTHCHECK CMD: exec form as an array, shell form as text. */
export function commandOf(args: string): { exec: string[] } | { shell: string } | { error: string } {
  const trimmed = args.trim();
  if (!trimmed.startsWith('[')) return { shell: trimmed };
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (Array.isArray(parsed) && parsed.every((item): item is string => typeof item === 'string')) {
      return { exec: parsed };
    }
  } catch {
    // falls through: Docker runs a malformed JSON form as a shell command, which is never meant
  }
  return { error: `not a JSON array of strings: ${trimmed}` };
}

function substitute(text: string, args: ReadonlyMap<string, string | undefined>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, braced, bare) => {
    return args.get((braced ?? bare) as string) ?? '';
  });
}

export function parseDockerfile(text: string): Dockerfile {
  const { instructions, problems } = parseInstructions(text);
  const globalArgs = new Map<string, string | undefined>();
  const stages: { index: number; name: string | undefined; image: string; instructions: Instruction[] }[] =
    [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const words = splitWords(instruction.args).filter((word) => !word.startsWith('--'));
      const image = substitute(words[0] ?? '', globalArgs);
      const name = words[1]?.toLowerCase() === 'as' ? words[2]?.toLowerCase() : undefined;
      stages.push({ index: stages.length, name, image, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword === 'ARG') {
        for (const [key, value] of assignments('ARG', instruction.args)) globalArgs.set(key, value);
      } else {
        problems.push(`line ${instruction.line}: ${instruction.keyword} before the first FROM`);
      }
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { globalArgs, stages, problems };
}

/** A COPY's flags, sources and destination (the JSON form too). */
export function copyParts(args: string): { flags: Map<string, string>; sources: string[]; dest: string } {
  const trimmed = args.trim();
  const flags = new Map<string, string>();
  let rest = trimmed;
  for (;;) {
    const flag = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest);
    if (flag === null) break;
    flags.set(flag[1]!, flag[2] ?? '');
    rest = rest.slice(flag[0].length);
  }
  const command = commandOf(rest);
  const words = 'exec' in command ? command.exec : splitWords(rest);
  return { flags, sources: words.slice(0, -1), dest: words.at(-1) ?? '' };
}

/** The stage a `--from=` value names: by name, or by index. */
export function stageNamed(dockerfile: Dockerfile, from: string, before: number): Stage | undefined {
  const earlier = dockerfile.stages.slice(0, before);
  if (/^\d+$/.test(from)) return earlier[Number(from)];
  return earlier.find((stage) => stage.name === from.toLowerCase());
}

/** The last WORKDIR of a stage (absolute); `/` when it sets none. */
export function workdirOf(stage: Stage): string {
  let dir = '/';
  for (const instruction of stage.instructions) {
    if (instruction.keyword === 'WORKDIR') dir = posix.resolve(dir, splitWords(instruction.args)[0] ?? '');
  }
  return dir;
}

// Names of variables that hold secrets, which must never be given a value in the image.
const SECRET_NAME = /PASSWORD|PASSWD|TOKEN|SECRET|KEY|CREDENTIAL/i;

export interface DockerfileExpectations {
  /** Every environment variable the SDK reads: a DATALINEAGE_* or OTEL_* name outside it is a typo. */
  readonly knownEnv: ReadonlySet<string>;
  /** The port the service listens on. */
  readonly port: number;
}

/** Checks deploy/Dockerfile for what the image must be; see the test for why each matters. */
export function checkDockerfile(text: string, expected: DockerfileExpectations): string[] {
  const dockerfile = parseDockerfile(text);
  const problems = [...dockerfile.problems];
  const { stages } = dockerfile;
  if (stages.length < 2)
    problems.push(`${stages.length} FROM stage(s): expected a build and a runtime stage`);
  const final = stages.at(-1);
  if (final === undefined) return problems;

  for (const [name, value] of dockerfile.globalArgs) {
    if (SECRET_NAME.test(name) && value) problems.push(`ARG ${name} gives a secret-like name a value`);
  }
  const runs = stages.flatMap((stage) => stage.instructions.filter((i) => i.keyword === 'RUN'));
  if (!runs.some((run) => /\bnpm ci\b/.test(run.args))) problems.push('no stage runs `npm ci`');
  if (!runs.some((run) => /\bnpm run build\b/.test(run.args))) problems.push('no stage runs `npm run build`');

  for (const stage of stages) {
    const where = `stage ${stage.name ?? stage.index}`;
    for (const instruction of stage.instructions) {
      const at = `${where}, line ${instruction.line}`;
      if (instruction.keyword === 'ENV' || instruction.keyword === 'ARG') {
        for (const [name, value] of assignments(instruction.keyword, instruction.args)) {
          // A value baked into an image is in every copy of it and in `docker history`.
          if (SECRET_NAME.test(name) && value) {
            problems.push(`${at}: ${instruction.keyword} ${name} gives a secret-like name a value`);
          }
          if (/^(DATALINEAGE|OTEL)_/.test(name) && !expected.knownEnv.has(name)) {
            problems.push(`${at}: ${instruction.keyword} ${name} is not a variable the SDK reads`);
          }
        }
      }
      if (instruction.keyword === 'COPY' || instruction.keyword === 'ADD') {
        const from = copyParts(instruction.args).flags.get('from');
        if (from !== undefined && stageNamed(dockerfile, from, stage.index) === undefined) {
          problems.push(`${at}: COPY --from=${from} names no earlier stage`);
        }
      }
    }
  }

  const last = (keyword: string) => final.instructions.filter((i) => i.keyword === keyword).at(-1);
  const where = `final stage (${final.name ?? final.index})`;
  if (!/slim|distroless|alpine/.test(final.image)) {
    problems.push(`${where} is based on ${final.image}, not a slim image`);
  }

  const user = last('USER')?.args.split(':')[0]?.trim();
  if (user === undefined) problems.push(`${where} sets no USER, so it runs as root`);
  else if (user === 'root' || /^0+$/.test(user)) problems.push(`${where} runs as root (USER ${user})`);
  // runAsNonRoot can only be verified by the kubelet for a numeric user.
  else if (!/^\d+$/.test(user)) problems.push(`${where}: USER ${user} is not numeric`);

  const env = new Map(
    final.instructions
      .filter((i) => i.keyword === 'ENV')
      .flatMap((i) =>
        assignments('ENV', i.args).map(([name, value]): [string, string] => [name, value ?? '']),
      ),
  );
  if (env.get('NODE_ENV') !== 'production') problems.push(`${where} does not set NODE_ENV=production`);
  if (env.get('DATALINEAGE_DASHBOARD_HOST') !== '0.0.0.0') {
    problems.push(`${where} does not set DATALINEAGE_DASHBOARD_HOST=0.0.0.0`);
  }

  const exposed = final.instructions
    .filter((i) => i.keyword === 'EXPOSE')
    .flatMap((i) => splitWords(i.args).map((word) => word.split('/')[0]));
  if (!exposed.includes(String(expected.port))) {
    problems.push(`${where} does not EXPOSE ${expected.port} (exposes ${exposed.join(', ') || 'nothing'})`);
  }

  const healthcheck = last('HEALTHCHECK');
  if (healthcheck === undefined) problems.push(`${where} has no HEALTHCHECK`);
  else {
    const command = /(?:^|\s)CMD\s+([\s\S]*)$/.exec(healthcheck.args)?.[1];
    const parsed = command === undefined ? undefined : commandOf(command);
    if (parsed === undefined || 'error' in parsed) problems.push(`${where}: HEALTHCHECK has no readable CMD`);
    else {
      const text = 'exec' in parsed ? parsed.exec.join(' ') : parsed.shell;
      if (!text.includes('/healthz')) problems.push(`${where}: HEALTHCHECK does not request /healthz`);
      // Slim images have neither: a health check calling them always fails.
      if (/\b(curl|wget)\b/.test(text))
        problems.push(`${where}: HEALTHCHECK uses curl/wget, absent from slim images`);
    }
  }

  const entrypoint = last('ENTRYPOINT');
  const cmd = last('CMD');
  if (cmd === undefined && entrypoint === undefined) problems.push(`${where} has no CMD or ENTRYPOINT`);
  for (const instruction of [entrypoint, cmd]) {
    if (instruction === undefined) continue;
    const parsed = commandOf(instruction.args);
    // Shell form puts /bin/sh in front as PID 1, which does not pass SIGTERM on to node.
    if (!('exec' in parsed)) problems.push(`${where}: ${instruction.keyword} is not in exec (JSON) form`);
  }
  const command = runtimeCommand(dockerfile);
  for (const part of ['--conditions=@datalineage/source', 'examples/monitoring-example.ts']) {
    if (!command.includes(part)) problems.push(`${where}: the command does not include ${part}`);
  }
  return problems;
}

/** ENTRYPOINT + CMD of the final stage, as the words the container runs (shell form split). */
export function runtimeCommand(dockerfile: Dockerfile): string[] {
  const final = dockerfile.stages.at(-1);
  const words = (keyword: string): string[] => {
    const instruction = final?.instructions.filter((i) => i.keyword === keyword).at(-1);
    if (instruction === undefined) return [];
    const parsed = commandOf(instruction.args);
    return 'exec' in parsed ? parsed.exec : 'shell' in parsed ? splitWords(parsed.shell) : [];
  };
  return [...words('ENTRYPOINT'), ...words('CMD')];
}

// ---------------------------------------------------------------------------------------------
// .dockerignore

interface IgnorePattern {
  readonly exception: boolean;
  readonly regex: RegExp;
  readonly source: string;
}

/** Patterns of a .dockerignore, in order; comments and blank lines dropped. */
export function parseDockerignore(text: string): IgnorePattern[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const exception = line.startsWith('!');
      const pattern = posix.normalize((exception ? line.slice(1) : line).trim()).replace(/^\/+|\/+$/g, '');
      return { exception, regex: globRegex(pattern), source: line };
    });
}

/** Go's filepath.Match syntax plus `**`, as moby's patternmatcher reads .dockerignore lines. */
function globRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        out += '(?:.*/)?';
      } else out += '.*';
    } else if (char === '*') out += '[^/]*';
    else if (char === '?') out += '[^/]';
    else out += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/**
 * Whether the build context leaves `path` out. The last pattern matching the path or one of its
 * parent directories decides, as in moby's patternmatcher.
 */
export function isIgnored(patterns: readonly IgnorePattern[], path: string): boolean {
  const parts = posix
    .normalize(path)
    .replace(/^\/+|\/+$/g, '')
    .split('/');
  const prefixes = parts.map((_, index) => parts.slice(0, index + 1).join('/'));
  let ignored = false;
  for (const pattern of patterns) {
    if (prefixes.some((prefix) => pattern.regex.test(prefix))) ignored = !pattern.exception;
  }
  return ignored;
}

// ---------------------------------------------------------------------------------------------
// Kubernetes manifests

type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown): Json {
  return isRecord(value) ? value : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(record(value))) out[key] = String(item);
  return out;
}

/** Whether every label of `selector` is on `labels`, as a matchLabels selector selects. */
export function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}

function nameOf(resource: Json): string {
  return String(record(resource.metadata).name ?? '(unnamed)');
}

/** The manifests of each kind this deployment is made of; a missing or second one is a problem. */
export interface Resources {
  readonly deployment: Json;
  readonly service: Json;
  readonly secret: Json;
  readonly configMap: Json;
  readonly serviceMonitor: Json;
}

const KINDS = {
  deployment: 'Deployment',
  service: 'Service',
  secret: 'Secret',
  configMap: 'ConfigMap',
  serviceMonitor: 'ServiceMonitor',
} as const;

export function findResources(documents: readonly unknown[], problems: string[]): Resources | undefined {
  const found: Partial<Record<keyof Resources, Json>> = {};
  for (const [key, kind] of Object.entries(KINDS) as [keyof Resources, string][]) {
    const matching = documents.filter((doc): doc is Json => isRecord(doc) && doc.kind === kind);
    if (matching.length !== 1) problems.push(`expected one ${kind}, found ${matching.length}`);
    if (matching[0] !== undefined) found[key] = matching[0];
  }
  const { deployment, service, secret, configMap, serviceMonitor } = found;
  if (!deployment || !service || !secret || !configMap || !serviceMonitor) return undefined;
  return { deployment, service, secret, configMap, serviceMonitor };
}

/** The Deployment's pod template and its one container. */
export function podOf(deployment: Json): { template: Json; pod: Json; container: Json } {
  const template = record(record(deployment.spec).template);
  const pod = record(template.spec);
  return { template, pod, container: record(list(pod.containers)[0]) };
}

/** A probe's or Service's port, a number or a container port's name, as a number. */
function resolvePort(port: unknown, container: Json): number | undefined {
  if (typeof port === 'number') return port;
  if (typeof port === 'string' && /^\d+$/.test(port)) return Number(port);
  const named = list(container.ports)
    .map(record)
    .find((entry) => entry.name === port);
  return typeof named?.containerPort === 'number' ? named.containerPort : undefined;
}

export interface ManifestExpectations {
  /** Every environment variable the SDK reads. */
  readonly knownEnv: ReadonlySet<string>;
  /** The port the image serves on (the Dockerfile's EXPOSE). */
  readonly port: number;
  /** The ConfigMap key holding the SDK's configuration file. */
  readonly configKey: string;
}

/** What every manifest check reads: the five resources, the pod and how to name them in problems. */
interface Context {
  readonly resources: Resources;
  readonly expected: ManifestExpectations;
  readonly template: Json;
  readonly pod: Json;
  readonly container: Json;
  /** `Deployment <name>`, to begin its problems with. */
  readonly deployment: string;
  readonly problems: string[];
}

/** Checks the manifests of deploy/kubernetes as one deployment; see the test for why each matters. */
export function checkManifests(documents: readonly unknown[], expected: ManifestExpectations): string[] {
  const problems: string[] = [];
  const resources = findResources(documents, problems);
  if (resources === undefined) return problems;
  const context: Context = {
    resources,
    expected,
    ...podOf(resources.deployment),
    deployment: `Deployment ${nameOf(resources.deployment)}`,
    problems,
  };
  checkSelectors(context);
  checkPorts(context);
  checkProbes(context);
  const metricsPath = checkScrapeAnnotations(context);
  const tokenKey = checkEnvironment(context);
  checkConfigFile(context);
  checkSecurity(context);
  checkServiceMonitor(context, metricsPath, tokenKey);
  checkSecret(context);
  return problems;
}

/** The Deployment owns its pods, the Service reaches them, and it is a ClusterIP one. */
function checkSelectors({ resources, template, deployment, problems }: Context): void {
  const podLabels = stringMap(record(template.metadata).labels);
  if (!selects(stringMap(record(record(resources.deployment.spec).selector).matchLabels), podLabels)) {
    problems.push(`${deployment}: spec.selector.matchLabels does not match the pod template's labels`);
  }
  const service = `Service ${nameOf(resources.service)}`;
  const spec = record(resources.service.spec);
  if (!selects(stringMap(spec.selector), podLabels)) {
    problems.push(`${service}: its selector does not match the pod template's labels`);
  }
  if ((spec.type ?? 'ClusterIP') !== 'ClusterIP') {
    problems.push(`${service}: type ${String(spec.type)}, expected ClusterIP`);
  }
}

/** One port number from the image's EXPOSE through the container port to the Service's target. */
function checkPorts({ resources, expected, pod, container, deployment, problems }: Context): void {
  const containers = list(pod.containers);
  if (containers.length !== 1) problems.push(`${deployment}: ${containers.length} containers, expected 1`);
  const http = list(container.ports)
    .map(record)
    .find((entry) => entry.name === 'http');
  if (http === undefined) problems.push(`${deployment}: no container port named http`);
  else if (http.containerPort !== expected.port) {
    problems.push(
      `${deployment}: containerPort ${String(http.containerPort)}, the image serves ${expected.port}`,
    );
  }
  const service = `Service ${nameOf(resources.service)}`;
  const port = servicePorts(resources).find((entry) => entry.port === expected.port);
  if (port === undefined) problems.push(`${service}: no port ${expected.port}`);
  else if (resolvePort(port.targetPort ?? port.port, container) !== expected.port) {
    problems.push(`${service}: targetPort ${String(port.targetPort)} is not container port ${expected.port}`);
  }
}

function servicePorts(resources: Resources): Json[] {
  return list(record(resources.service.spec).ports).map(record);
}

/** /healthz and /readyz, which answer without credentials (packages/dashboard/src/app.ts openPaths). */
function checkProbes({ expected, container, deployment, problems }: Context): void {
  const probes: [probe: string, path: string, required: boolean][] = [
    ['livenessProbe', '/healthz', true],
    ['readinessProbe', '/readyz', true],
    ['startupProbe', '/healthz', false],
  ];
  for (const [probe, path, required] of probes) {
    const spec = container[probe];
    if (spec === undefined) {
      if (required) problems.push(`${deployment}: no ${probe}`);
      continue;
    }
    const get = record(record(spec).httpGet);
    if (get.path !== path)
      problems.push(`${deployment}: ${probe} path ${String(get.path)}, expected ${path}`);
    if (resolvePort(get.port, container) !== expected.port) {
      problems.push(
        `${deployment}: ${probe} port ${String(get.port)} is not container port ${expected.port}`,
      );
    }
  }
}

/** The prometheus.io/* pod annotations; returns the scrape path, for the ServiceMonitor to agree with. */
function checkScrapeAnnotations({ expected, template, deployment, problems }: Context): string | undefined {
  const annotations = stringMap(record(template.metadata).annotations);
  const expectations: [key: string, value: string][] = [
    ['prometheus.io/scrape', 'true'],
    ['prometheus.io/port', String(expected.port)],
    ['prometheus.io/path', '/metrics'],
  ];
  for (const [key, value] of expectations) {
    if (annotations[key] !== value) {
      problems.push(`${deployment}: pod annotation ${key} ${annotations[key]}, expected ${value}`);
    }
  }
  return annotations['prometheus.io/path'];
}

/**
 * Only variables the SDK reads, credentials only from the Secret, the host and a credential the
 * SDK needs to listen on 0.0.0.0. Returns the Secret key of the dashboard token, if there is one.
 */
function checkEnvironment({
  resources,
  expected,
  pod,
  container,
  deployment,
  problems,
}: Context): string | undefined {
  const { secret, configMap } = resources;
  const secretName = nameOf(secret);
  const keys = new Set([...Object.keys(record(secret.stringData)), ...Object.keys(record(secret.data))]);
  const fromSecret = new Map<string, string>();
  const env = list(container.env).map(record);
  for (const variable of env) {
    const name = String(variable.name);
    if (/^(DATALINEAGE|OTEL)_/.test(name) && !expected.knownEnv.has(name)) {
      problems.push(`${deployment}: env ${name} is not a variable the SDK reads`);
    }
    const valueFrom = record(variable.valueFrom);
    if (valueFrom.secretKeyRef !== undefined) {
      const { name: refName, key } = record(valueFrom.secretKeyRef);
      if (refName !== secretName) {
        problems.push(`${deployment}: env ${name} refers to Secret ${String(refName)}, not ${secretName}`);
      } else if (!keys.has(String(key))) {
        problems.push(
          `${deployment}: env ${name} refers to key ${String(key)}, absent from Secret ${secretName}`,
        );
      } else fromSecret.set(name, String(key));
    } else if ((SECRET_NAME.test(name) || /HEADERS/.test(name)) && variable.value !== undefined) {
      problems.push(
        `${deployment}: env ${name} holds a credential in the manifest instead of a secretKeyRef`,
      );
    }
    if (valueFrom.configMapKeyRef !== undefined) {
      const { name: refName, key } = record(valueFrom.configMapKeyRef);
      if (refName !== nameOf(configMap) || !(String(key) in record(configMap.data))) {
        problems.push(
          `${deployment}: env ${name} refers to ConfigMap ${String(refName)} key ${String(key)}, which does not exist`,
        );
      }
    }
  }
  if (env.find((variable) => variable.name === 'DATALINEAGE_DASHBOARD_HOST')?.value !== '0.0.0.0') {
    problems.push(`${deployment}: DATALINEAGE_DASHBOARD_HOST is not "0.0.0.0"`);
  }
  const tokenKey = fromSecret.get('DATALINEAGE_DASHBOARD_TOKEN');
  const basicAuth =
    fromSecret.has('DATALINEAGE_DASHBOARD_USERNAME') && fromSecret.has('DATALINEAGE_DASHBOARD_PASSWORD');
  // The SDK refuses to serve a non-loopback address without credentials.
  if (tokenKey === undefined && !basicAuth) {
    problems.push(
      `${deployment}: no dashboard credential (DATALINEAGE_DASHBOARD_TOKEN, or _USERNAME and _PASSWORD) from the Secret`,
    );
  }
  // Service links inject <SERVICE>_PORT=tcp://… for every Service in the namespace: one named
  // datalineage-dashboard would set DATALINEAGE_DASHBOARD_PORT, which the SDK reads as its port.
  if (pod.enableServiceLinks !== false) {
    problems.push(
      `${deployment}: enableServiceLinks is not false (a Service's link variables could land on DATALINEAGE_* names)`,
    );
  }
  return tokenKey;
}

/** DATALINEAGE_CONFIG_FILE names the file of the ConfigMap, where the pod mounts it. */
function checkConfigFile({ resources, expected, container, deployment, problems }: Context): void {
  const { configMap } = resources;
  if (typeof record(configMap.data)[expected.configKey] !== 'string') {
    problems.push(`ConfigMap ${nameOf(configMap)}: no ${expected.configKey}`);
  }
  const configFile = list(container.env)
    .map(record)
    .find((variable) => variable.name === 'DATALINEAGE_CONFIG_FILE')?.value;
  const mount = configFileMount(resources.deployment, configMap, expected.configKey);
  if (typeof configFile !== 'string') problems.push(`${deployment}: DATALINEAGE_CONFIG_FILE is not set`);
  else if (mount === undefined) {
    problems.push(`${deployment}: ConfigMap ${nameOf(configMap)} (key ${expected.configKey}) is not mounted`);
  } else if (configFile !== mount) {
    problems.push(
      `${deployment}: DATALINEAGE_CONFIG_FILE is ${configFile}, but the ConfigMap's file is mounted at ${mount}`,
    );
  }
}

/** Requests and limits; a non-root user without privilege escalation, capabilities or a writable root. */
function checkSecurity({ pod, container, deployment, problems }: Context): void {
  const resources = record(container.resources);
  for (const part of ['requests', 'limits']) {
    for (const resource of ['cpu', 'memory']) {
      if (record(resources[part])[resource] === undefined)
        problems.push(`${deployment}: no ${part}.${resource}`);
    }
  }
  const podSecurity = record(pod.securityContext);
  const security = record(container.securityContext);
  if (security.runAsNonRoot !== true && podSecurity.runAsNonRoot !== true) {
    problems.push(`${deployment}: runAsNonRoot is not true`);
  }
  if ((security.runAsUser ?? podSecurity.runAsUser) === 0) problems.push(`${deployment}: runAsUser is 0`);
  if (security.allowPrivilegeEscalation !== false) {
    problems.push(`${deployment}: allowPrivilegeEscalation is not false`);
  }
  if (!list(record(security.capabilities).drop).includes('ALL')) {
    problems.push(`${deployment}: capabilities do not drop ALL`);
  }
  if (security.readOnlyRootFilesystem !== true)
    problems.push(`${deployment}: readOnlyRootFilesystem is not true`);
  // tsx writes its compile cache to os.tmpdir(): a read-only root needs a writable /tmp.
  else if (!writableAt(pod, container, '/tmp')) {
    problems.push(`${deployment}: the root filesystem is read-only but /tmp is not an emptyDir mount`);
  }
}

/** The ServiceMonitor finds the Service, scrapes a port it names, with the token the pod expects. */
function checkServiceMonitor(
  { resources, problems }: Context,
  metricsPath: string | undefined,
  tokenKey: string | undefined,
): void {
  const { service, serviceMonitor, secret } = resources;
  const monitor = `ServiceMonitor ${nameOf(serviceMonitor)}`;
  const spec = record(serviceMonitor.spec);
  if (!selects(stringMap(record(spec.selector).matchLabels), stringMap(record(service.metadata).labels))) {
    problems.push(`${monitor}: its selector does not match the Service's labels`);
  }
  const endpoints = list(spec.endpoints).map(record);
  if (endpoints.length === 0) problems.push(`${monitor}: no endpoints`);
  for (const endpoint of endpoints) {
    if (!servicePorts(resources).some((entry) => entry.name === endpoint.port)) {
      problems.push(`${monitor}: endpoint port ${String(endpoint.port)} is not a port name of the Service`);
    }
    if ((endpoint.path ?? '/metrics') !== metricsPath) {
      problems.push(
        `${monitor}: endpoint path ${String(endpoint.path)}, the pod annotation says ${metricsPath}`,
      );
    }
    // `authorization.credentials` is the operator's current form, `bearerTokenSecret` the deprecated one.
    const authorization = record(endpoint.authorization);
    const credentials = record(authorization.credentials);
    const ref = Object.keys(credentials).length > 0 ? credentials : record(endpoint.bearerTokenSecret);
    const bearer = (authorization.type ?? 'Bearer') === 'Bearer';
    // Without a token key the missing credential is already reported; any key of the Secret will do.
    const keyMatches = tokenKey === undefined ? typeof ref.key === 'string' : ref.key === tokenKey;
    if (!bearer || ref.name !== nameOf(secret) || !keyMatches) {
      problems.push(
        `${monitor}: endpoint ${String(endpoint.port)} does not send the dashboard token (Secret ${nameOf(secret)}, key ${tokenKey}) as a bearer token`,
      );
    }
  }
}

/** Placeholders only, in plain sight: no real credential is ever committed. */
function checkSecret({ resources, problems }: Context): void {
  const { secret } = resources;
  const name = `Secret ${nameOf(secret)}`;
  if (secret.data !== undefined) {
    problems.push(`${name}: uses data (base64), which hides what is committed; use stringData`);
  }
  for (const [key, value] of Object.entries(stringMap(secret.stringData))) {
    if (value !== '' && !/REPLACE/.test(value)) problems.push(`${name}: ${key} is not a marked placeholder`);
  }
}

/** Where the pod sees the ConfigMap's `key`, if it mounts it (the volume's items respected). */
export function configFileMount(deployment: Json, configMap: Json, key: string): string | undefined {
  const { pod, container } = podOf(deployment);
  for (const volume of list(pod.volumes).map(record)) {
    const source = record(volume.configMap);
    if (source.name !== nameOf(configMap)) continue;
    const items = list(source.items).map(record);
    const file = items.length === 0 ? key : items.find((item) => item.key === key)?.path;
    if (typeof file !== 'string') continue;
    const mount = list(container.volumeMounts)
      .map(record)
      .find((entry) => entry.name === volume.name && entry.subPath === undefined);
    if (typeof mount?.mountPath === 'string') return posix.join(mount.mountPath, file);
  }
  return undefined;
}

function writableAt(pod: Json, container: Json, path: string): boolean {
  const mount = list(container.volumeMounts)
    .map(record)
    .find((entry) => entry.mountPath === path && entry.readOnly !== true);
  if (mount === undefined) return false;
  return list(pod.volumes)
    .map(record)
    .some((volume) => volume.name === mount.name && volume.emptyDir !== undefined);
}

/**
 * The environment the container starts with: the image's ENV, then the Deployment's env with each
 * secretKeyRef read from the Secret's stringData (`secretValues` overrides them, to stand in for
 * the real values). Optional references to missing keys are left unset, as the kubelet does.
 */
export function containerEnvironment(
  imageEnv: ReadonlyMap<string, string>,
  resources: Resources,
  secretValues: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const env: Record<string, string> = Object.fromEntries(imageEnv);
  const stringData = { ...stringMap(resources.secret.stringData), ...secretValues };
  for (const variable of list(podOf(resources.deployment).container.env).map(record)) {
    const name = String(variable.name);
    const ref = record(record(variable.valueFrom).secretKeyRef);
    if (typeof variable.value === 'string') env[name] = variable.value;
    else if (typeof ref.key === 'string' && ref.key in stringData) env[name] = stringData[ref.key]!;
  }
  return env;
}

/** The ENV the final stage of a Dockerfile sets. */
export function imageEnvironment(dockerfile: Dockerfile): Map<string, string> {
  const env = new Map<string, string>();
  for (const instruction of dockerfile.stages.at(-1)?.instructions ?? []) {
    if (instruction.keyword !== 'ENV') continue;
    for (const [name, value] of assignments('ENV', instruction.args)) env.set(name, value ?? '');
  }
  return env;
}

// ---------------------------------------------------------------------------------------------
// package-lock.json

interface LockPackage {
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly os?: readonly string[];
}

/**
 * The install paths (`node_modules/…`) of a package and everything it needs at run time on Linux,
 * resolved the way Node resolves them (nearest node_modules up the tree). Optional dependencies
 * for other operating systems (fsevents) are left out; a missing required one is reported.
 */
export function dependencyClosure(
  lock: { packages: Record<string, LockPackage> },
  root: string,
): { paths: string[]; missing: string[] } {
  const paths = new Set<string>();
  const missing: string[] = [];
  const visit = (path: string): void => {
    if (paths.has(path)) return;
    paths.add(path);
    const entry = lock.packages[path]!;
    const needs = [
      ...Object.keys(entry.dependencies ?? {}).map((name) => [name, false] as const),
      ...Object.keys(entry.optionalDependencies ?? {}).map((name) => [name, true] as const),
    ];
    for (const [name, optional] of needs) {
      const found = resolveFrom(lock, path, name);
      if (found === undefined) {
        if (!optional) missing.push(`${name} (needed by ${path})`);
        continue;
      }
      const os = lock.packages[found]!.os;
      if (optional && os !== undefined && !os.includes('linux')) continue;
      visit(found);
    }
  };
  if (lock.packages[root] === undefined) missing.push(root);
  else visit(root);
  return { paths: [...paths].sort(), missing };
}

function resolveFrom(
  lock: { packages: Record<string, unknown> },
  from: string,
  name: string,
): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = `${dir}/node_modules/${name}`;
    if (candidate in lock.packages) return candidate;
    const at = dir.lastIndexOf('/node_modules/');
    if (at === -1) break;
    dir = dir.slice(0, at);
  }
  const top = `node_modules/${name}`;
  return top in lock.packages ? top : undefined;
}
