/**
 * deploy/: the Dockerfile, the build context's .dockerignore and the Kubernetes manifests,
 * checked structurally (no Docker engine or cluster runs here, so nothing is built or applied):
 * the image runs the example as `npm start` does, as a numeric non-root user, with a health check
 * on /healthz and no secret baked in; it carries tsx's whole dependency tree and every file the
 * example imports; the manifests agree on one port from the image to the scrape, probe the open
 * /healthz and /readyz, set only environment variables the SDK reads, take credentials only from
 * the Secret, and hand the SDK a configuration its own loader accepts, with a token. Finally the
 * example is started with the Deployment's environment, to see the SDK take it. The checkers'
 * own failures are proven on broken copies.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ConfigError, ENVIRONMENT_VARIABLES, loadConfig } from '../packages/core/src/index.js';
import {
  checkDockerfile,
  checkManifests,
  configFileMount,
  containerEnvironment,
  copyParts,
  dependencyClosure,
  findResources,
  imageEnvironment,
  isIgnored,
  isRecord,
  parseDockerfile,
  parseDockerignore,
  podOf,
  type Resources,
  runtimeCommand,
  stageNamed,
  workdirOf,
} from './support/deploy.js';
import { freePort, type RunningProcess, startProcess } from './support/processes.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

const DOCKERFILE = read('deploy/Dockerfile');
const dockerfile = parseDockerfile(DOCKERFILE);
// The variables the SDK reads: its configuration's table, plus the one standard OTLP exporter
// variable the Deployment sets, which OpenTelemetry's exporter under the SDK's OTLP exporters
// reads itself (proven below) rather than the configuration.
const OTLP_EXPORTER_ENV = ['OTEL_EXPORTER_OTLP_HEADERS'];
const KNOWN_ENV: ReadonlySet<string> = new Set([
  ...ENVIRONMENT_VARIABLES.map((variable) => variable.name),
  ...OTLP_EXPORTER_ENV,
]);
const CONFIG_KEY = 'monitoring-config.yaml';
const PORT = 8080;

const K8S_DIR = 'deploy/kubernetes';
const K8S_FILES = readdirSync(join(ROOT, K8S_DIR))
  .filter((name) => name.endsWith('.yaml'))
  .sort();
const parsedFiles = K8S_FILES.map((name) => ({
  name,
  documents: parseAllDocuments(read(`${K8S_DIR}/${name}`)),
}));
const isKustomization = (doc: unknown) => isRecord(doc) && doc.kind === 'Kustomization';
const MANIFESTS: unknown[] = parsedFiles
  .flatMap(({ documents }) => documents.map((document) => document.toJS() as unknown))
  .filter((doc) => doc !== null && !isKustomization(doc));

function resources(documents: readonly unknown[] = MANIFESTS): Resources {
  const problems: string[] = [];
  const found = findResources(documents, problems);
  if (found === undefined) throw new Error(problems.join('\n'));
  return found;
}

/** The ConfigMap's configuration file, written where loadConfig can read it. */
async function writeConfigFile(dir: string): Promise<string> {
  const file = join(dir, CONFIG_KEY);
  await writeFile(file, String((resources().configMap.data as Record<string, unknown>)[CONFIG_KEY]));
  return file;
}

/** The container's environment with the mounted file at `configFile` and, unless told, a real token. */
function podEnvironment(configFile: string, secretValues?: Record<string, string>): Record<string, string> {
  const tokenKey = 'dashboard-token';
  const values = secretValues ?? { [tokenKey]: randomBytes(24).toString('hex') };
  return {
    ...containerEnvironment(imageEnvironment(dockerfile), resources(), values),
    DATALINEAGE_CONFIG_FILE: configFile,
  };
}

/** The mapping at `path` under `root`, to edit a parsed manifest in place. */
function at(root: unknown, ...path: (string | number)[]): Record<string, unknown> {
  let node = root;
  for (const key of path)
    node = Array.isArray(node) ? node[Number(key)] : isRecord(node) ? node[key] : undefined;
  if (!isRecord(node)) throw new Error(`no mapping at ${path.join('.')}`);
  return node;
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'deploy-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('deploy/Dockerfile', () => {
  it('has a build and a slim runtime stage, a numeric non-root user, port 8080, a /healthz check and no baked-in secret', () => {
    expect(checkDockerfile(DOCKERFILE, { knownEnv: KNOWN_ENV, port: PORT })).toEqual([]);
  });

  // The image must run what `npm start` runs, word for word, so the two cannot drift apart.
  it('runs the example exactly as `npm start` does', () => {
    const start = (JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start;
    expect(runtimeCommand(dockerfile)).toEqual(start.split(/\s+/));
  });

  it('bases every stage on a Node that package.json engines accepts', () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    const minimum = Number(/>=\s*(\d+)/.exec(engines)?.[1]);
    for (const stage of dockerfile.stages) {
      const major = Number(/^node:(\d+)/.exec(stage.image)?.[1]);
      expect(major, `${stage.name}: ${stage.image}`).toBeGreaterThanOrEqual(minimum);
    }
  });

  // A workspace added to package.json but not copied before `npm ci` would be missing from the
  // image's node_modules, and `npm ci` would fail on a lockfile that names it.
  it('copies every workspace manifest before each npm ci', () => {
    const workspaces = (JSON.parse(read('package.json')) as { workspaces: string[] }).workspaces;
    const installs = dockerfile.stages.filter((stage) =>
      stage.instructions.some((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args)),
    );
    expect(installs.map((stage) => stage.name)).toEqual(['build', 'prod-deps']);
    for (const stage of installs) {
      const ci = stage.instructions.findIndex((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
      const copied = stage.instructions
        .slice(0, ci)
        .filter((i) => i.keyword === 'COPY')
        .flatMap((i) => {
          const { sources, dest } = copyParts(i.args);
          return sources.map((source) => posix.join(dest, posix.basename(source)));
        });
      for (const workspace of workspaces) expect(copied, stage.name).toContain(`${workspace}/package.json`);
      expect(copied, stage.name).toContain('package-lock.json');
    }
  });

  // tsx is a devDependency, copied by hand into the runtime stage: if tsx or esbuild gains a
  // dependency, the image would fail at start. This walks package-lock.json for what it needs.
  it("carries tsx's whole run-time dependency tree from package-lock.json into the runtime stage", () => {
    const lock = JSON.parse(read('package-lock.json')) as Parameters<typeof dependencyClosure>[0];
    const { paths, missing } = dependencyClosure(lock, 'node_modules/tsx');
    expect(missing).toEqual([]);
    expect(paths).toContain('node_modules/esbuild');
    const copied = copiedFromStages('node_modules');
    for (const path of paths) {
      expect(
        copied.some((source) => path === source || path.startsWith(`${source}/`)),
        `${path} is not copied into the runtime stage`,
      ).toBe(true);
    }
  });

  // Everything the example imports must be in the image: an import reaching out of examples/
  // (into bench/ or test/, say) would be missing there and fail the container at start.
  it('copies every file the example imports or reads into the runtime stage', () => {
    const needed = exampleFiles('examples/monitoring-example.ts');
    expect(needed).toContain('examples/lineage-workload.ts');
    expect(needed).toContain('examples/monitoring-config.yaml');
    const copied = copiedFromStages('examples');
    for (const file of needed) {
      expect(
        copied.some((source) => file === source || file.startsWith(`${source}/`)),
        `${file} is not copied`,
      ).toBe(true);
    }
  });
});

/** Paths under `dir` (relative to the source stage's WORKDIR) that the final stage copies from earlier stages. */
function copiedFromStages(dir: string): string[] {
  const final = dockerfile.stages.at(-1)!;
  return final.instructions
    .filter((i) => i.keyword === 'COPY')
    .flatMap((i) => {
      const { flags, sources } = copyParts(i.args);
      const from = flags.get('from');
      const stage = from === undefined ? undefined : stageNamed(dockerfile, from, final.index);
      if (stage === undefined) return [];
      return sources.map((source) =>
        posix.relative(workdirOf(stage), posix.resolve(workdirOf(stage), source)),
      );
    })
    .filter((path) => path === dir || path.startsWith(`${dir}/`));
}

/** A module and, transitively, the relative imports and `new URL('./…', import.meta.url)` files it uses. */
function exampleFiles(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!file.endsWith('.ts')) return;
    const source = read(file);
    const specifiers = [
      ...source.matchAll(/(?:from|import)\s+['"](\.{1,2}\/[^'"]+)['"]/g),
      ...source.matchAll(/new URL\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*,\s*import\.meta\.url/g),
    ].map((match) => match[1]!);
    for (const specifier of specifiers) {
      visit(posix.join(posix.dirname(file), specifier).replace(/\.js$/, '.ts'));
    }
  };
  visit(entry);
  return [...seen].sort();
}

describe('.dockerignore (the build context of deploy/Dockerfile)', () => {
  const patterns = parseDockerignore(read('.dockerignore'));

  it('lets in every file and directory the Dockerfile copies from the context', () => {
    const sources = dockerfile.stages.flatMap((stage) =>
      stage.instructions
        .filter((i) => i.keyword === 'COPY' && !copyParts(i.args).flags.has('from'))
        .flatMap((i) => copyParts(i.args).sources),
    );
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      const path = join(ROOT, source);
      // A directory arrives with whatever under it is let in: that must not be nothing.
      const files = statSync(path).isDirectory()
        ? readdirSync(path, { recursive: true, encoding: 'utf8' }).map((file) => posix.join(source, file))
        : [source];
      expect(
        files.some((file) => !isIgnored(patterns, file)),
        `${source} reaches the build empty`,
      ).toBe(true);
    }
    for (const file of [
      'packages/core/src/index.ts',
      'packages/core/tsconfig.json',
      'packages/dashboard/public/index.html',
      'examples/monitoring-example.ts',
      'tsconfig.base.json',
    ]) {
      expect(isIgnored(patterns, file), file).toBe(false);
    }
  });

  // The host's node_modules would overwrite the image's, stale tsbuildinfo would make tsc skip
  // the build, and .git or an .env file has no business in an image layer.
  it('keeps out host build output, dependencies, tests and anything secret', () => {
    for (const path of [
      'node_modules/tsx/package.json',
      'packages/core/dist/index.js',
      'packages/core/tsconfig.tsbuildinfo',
      'packages/core/test/config.test.ts',
      'packages/core/node_modules/x/index.js',
      'test/deploy.test.ts',
      '.git/config',
      '.env',
      'deploy/kubernetes/secret.yaml',
    ]) {
      expect(isIgnored(patterns, path), path).toBe(true);
    }
  });
});

describe('deploy/kubernetes', () => {
  it('parses, every file, every document', () => {
    for (const { name, documents } of parsedFiles) {
      expect(documents.length, name).toBeGreaterThan(0);
      for (const document of documents) expect(document.errors.map(String), name).toEqual([]);
    }
  });

  // `kubectl apply -k` must bring up everything but the Secret, which is created from real values
  // once: were it listed, every re-apply would put the placeholder back over the real token.
  it('lists every manifest but the Secret in kustomization.yaml', () => {
    const kustomization = parsedFiles
      .find(({ name }) => name === 'kustomization.yaml')
      ?.documents[0]?.toJS() as { resources: string[] } | undefined;
    expect(kustomization?.resources.slice().sort()).toEqual(
      K8S_FILES.filter((name) => name !== 'kustomization.yaml' && name !== 'secret.yaml'),
    );
  });

  it('holds a Deployment, Service, Secret, ConfigMap and ServiceMonitor that agree with each other and the SDK', () => {
    expect(checkManifests(MANIFESTS, { knownEnv: KNOWN_ENV, port: PORT, configKey: CONFIG_KEY })).toEqual([]);
  });

  it('sets only OTEL_EXPORTER_OTLP_* variables that the OpenTelemetry OTLP exporter reads', () => {
    // @opentelemetry/otlp-exporter-base, under @opentelemetry/exporter-{metrics,logs}-otlp-*.
    const source = read(
      'node_modules/@opentelemetry/otlp-exporter-base/build/src/configuration/otlp-node-http-env-configuration.js',
    );
    for (const name of OTLP_EXPORTER_ENV) expect(source).toContain(`'${name}'`);
  });

  it("mounts the ConfigMap's file where DATALINEAGE_CONFIG_FILE points", () => {
    const { deployment, configMap } = resources();
    expect(configFileMount(deployment, configMap, CONFIG_KEY)).toBe(
      '/etc/datalineage/monitoring-config.yaml',
    );
  });

  it('gives the SDK a monitoring-config.yaml its loader accepts, on its own', async () => {
    const file = await writeConfigFile(scratch);
    const config = loadConfig({ config: { configFile: file }, env: {} });
    expect(config.dashboard.port).toBe(PORT);
    expect(config.dashboard.enabled).toBe(true);
  });

  // What the service will do with the pod's environment: listen on 0.0.0.0 at the container port,
  // with a bearer token, which the SDK demands for a non-loopback address.
  it("makes the SDK listen on 0.0.0.0 at the container port with the Secret's token", async () => {
    const file = await writeConfigFile(scratch);
    const env = podEnvironment(file);
    const config = loadConfig({ config: { configFile: join(ROOT, 'examples/monitoring-config.yaml') }, env });
    expect(config.dashboard.host).toBe('0.0.0.0');
    expect(config.dashboard.port).toBe(PORT);
    expect(config.dashboard.auth.token).toBe(env.DATALINEAGE_DASHBOARD_TOKEN);
    // The ConfigMap's file, not the example's default, was loaded.
    expect(config.logs.maxEntries).toBe(200_000);
  });

  // Applied unchanged, the Secret's placeholder must not become a published dashboard token.
  it('refuses to start with the Secret placeholder token, naming DATALINEAGE_DASHBOARD_TOKEN', async () => {
    const file = await writeConfigFile(scratch);
    const placeholders = podEnvironment(file, {});
    expect(placeholders.DATALINEAGE_DASHBOARD_TOKEN).toMatch(/REPLACE/);
    const load = () => loadConfig({ env: placeholders });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/DATALINEAGE_DASHBOARD_TOKEN.*at least 16 characters/);
  });

  it('sets the security context a restricted namespace demands', () => {
    const { pod, container } = podOf(resources().deployment);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    // The same numeric user and group as the image's USER.
    const user = dockerfile.stages
      .at(-1)!
      .instructions.filter((i) => i.keyword === 'USER')
      .at(-1)?.args;
    const { runAsUser, runAsGroup } = at(pod, 'securityContext');
    expect(`${String(runAsUser)}:${String(runAsGroup)}`).toBe(user);
  });
});

describe('the example, started with the Deployment environment', () => {
  let app: RunningProcess;
  let base: string;
  let token: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env = podEnvironment(await writeConfigFile(scratch));
    token = env.DATALINEAGE_DASHBOARD_TOKEN!;
    app = await startProcess({
      binary: process.execPath,
      args: runtimeCommand(dockerfile).slice(1),
      debianPackage: 'nodejs',
      cwd: ROOT,
      readyUrl: `${base}/readyz`,
      readyTimeoutMs: 30_000,
      // Only what the container gets (and PATH, which the base image sets); the port is moved to a
      // free one the way an operator would, with DATALINEAGE_DASHBOARD_PORT.
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ...env,
        DATALINEAGE_DASHBOARD_PORT: String(port),
        EXAMPLE_API_PORT: '0', // the example's own API, off the ports other tests use
      },
    });
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('answers the probes without credentials, and /metrics only with the bearer token', async () => {
    for (const path of ['/healthz', '/readyz'])
      expect((await fetch(`${base}${path}`)).status, path).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const scrape = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toMatch(/^# HELP /m);
    expect(app.output()).toContain('http://0.0.0.0:');
  });
});

describe('the checkers catch drift', () => {
  /** The real manifests with one edit; each edit below must cost exactly the problem it names. */
  const edit = (mutate: (found: Resources) => void): string[] => {
    const documents = structuredClone(MANIFESTS);
    mutate(resources(documents));
    return checkManifests(documents, { knownEnv: KNOWN_ENV, port: PORT, configKey: CONFIG_KEY });
  };
  const container = (found: Resources) => at(found.deployment, 'spec', 'template', 'spec', 'containers', 0);
  const envVar = (found: Resources, name: string) => {
    const variable = (container(found).env as unknown[]).find((item) => isRecord(item) && item.name === name);
    return at(variable);
  };

  it('a Service whose targetPort is not the container port', () => {
    const problems = edit((found) => {
      at(found.service, 'spec', 'ports', 0).targetPort = 9090;
    });
    expect(problems).toEqual(['Service datalineage-monitoring: targetPort 9090 is not container port 8080']);
  });

  it('a DATALINEAGE_ variable the SDK does not read (a typo)', () => {
    const problems = edit((found) => {
      (container(found).env as unknown[]).push({ name: 'DATALINEAGE_DASHBOARD_PROT', value: '8080' });
    });
    expect(problems).toEqual([
      'Deployment datalineage-monitoring: env DATALINEAGE_DASHBOARD_PROT is not a variable the SDK reads',
    ]);
  });

  it.each<[string, (found: Resources) => void, RegExp[]]>([
    [
      'a secretKeyRef to a key the Secret lacks',
      (found) => {
        at(envVar(found, 'DATALINEAGE_DASHBOARD_TOKEN'), 'valueFrom', 'secretKeyRef').key = 'token';
      },
      [
        /env DATALINEAGE_DASHBOARD_TOKEN refers to key token, absent from Secret/,
        // …so the pod has no dashboard credential either.
        /no dashboard credential/,
      ],
    ],
    [
      'the token written into the manifest',
      (found) => {
        const variable = envVar(found, 'DATALINEAGE_DASHBOARD_TOKEN');
        delete variable.valueFrom;
        variable.value = 'a-real-looking-token-0123456789';
      },
      [/env DATALINEAGE_DASHBOARD_TOKEN holds a credential in the manifest/, /no dashboard credential/],
    ],
    [
      'a readiness probe on /healthz',
      (found) => {
        at(container(found), 'readinessProbe', 'httpGet').path = '/healthz';
      },
      [/readinessProbe path \/healthz, expected \/readyz/],
    ],
    [
      'a scrape annotation on another port',
      (found) => {
        at(found.deployment, 'spec', 'template', 'metadata', 'annotations')['prometheus.io/port'] = '9464';
      },
      [/prometheus.io\/port 9464, expected 8080/],
    ],
    [
      'a ServiceMonitor endpoint on a port the Service does not name',
      (found) => {
        at(found.serviceMonitor, 'spec', 'endpoints', 0).port = 'metrics';
      },
      [/endpoint port metrics is not a port name of the Service/],
    ],
    [
      'a ServiceMonitor that sends no token',
      (found) => {
        delete at(found.serviceMonitor, 'spec', 'endpoints', 0).authorization;
      },
      [/does not send the dashboard token/],
    ],
    [
      'a Deployment selector that misses its pods',
      (found) => {
        at(found.deployment, 'spec', 'selector').matchLabels = { app: 'other' };
      },
      [/spec.selector.matchLabels does not match/],
    ],
    [
      'a writable root filesystem',
      (found) => {
        at(container(found), 'securityContext').readOnlyRootFilesystem = false;
      },
      [/readOnlyRootFilesystem is not true/],
    ],
    [
      'service links left on',
      (found) => {
        delete at(found.deployment, 'spec', 'template', 'spec').enableServiceLinks;
      },
      [/enableServiceLinks is not false/],
    ],
    [
      'a Secret value that is not a placeholder',
      (found) => {
        at(found.secret, 'stringData')['dashboard-token'] = 's3cr3t-value-0123456789';
      },
      [/dashboard-token is not a marked placeholder/],
    ],
  ])('%s', (_, mutate, expected) => {
    const problems = edit(mutate);
    expect(problems, problems.join('\n')).toHaveLength(expected.length);
    for (const [index, pattern] of expected.entries()) expect(problems[index]).toMatch(pattern);
  });

  it('a Dockerfile with one stage, root, a baked-in token, an unknown stage and a shell-form command', () => {
    const broken = [
      'FROM node:20',
      'ENV API_TOKEN=abc123 \\',
      '    NODE_ENV=production',
      'COPY --from=builder /app/dist dist/',
      'USER root',
      'CMD node examples/monitoring-example.ts',
    ].join('\n');
    expect(checkDockerfile(broken, { knownEnv: KNOWN_ENV, port: PORT })).toEqual([
      '1 FROM stage(s): expected a build and a runtime stage',
      'no stage runs `npm ci`',
      'no stage runs `npm run build`',
      'stage 0, line 2: ENV API_TOKEN gives a secret-like name a value',
      'stage 0, line 4: COPY --from=builder names no earlier stage',
      'final stage (0) is based on node:20, not a slim image',
      'final stage (0) runs as root (USER root)',
      'final stage (0) does not set DATALINEAGE_DASHBOARD_HOST=0.0.0.0',
      'final stage (0) does not EXPOSE 8080 (exposes nothing)',
      'final stage (0) has no HEALTHCHECK',
      'final stage (0): CMD is not in exec (JSON) form',
      'final stage (0): the command does not include --conditions=@datalineage/source',
    ]);
  });

  it('a .dockerignore read as Docker reads it: the last matching line wins, parents count', () => {
    const patterns = parseDockerignore('# comment\n*\n!packages/*/src\npackages/*/src/**/*.test.ts\n');
    expect(isIgnored(patterns, 'packages/core/src/index.ts')).toBe(false);
    expect(isIgnored(patterns, 'packages/core/src/a/b.test.ts')).toBe(true);
    expect(isIgnored(patterns, 'packages/core/dist/index.js')).toBe(true);
    expect(isIgnored(patterns, 'README.md')).toBe(true);
  });
});
