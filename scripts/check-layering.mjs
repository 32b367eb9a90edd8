#!/usr/bin/env node
/**
 * Keeps the dependency direction between workspace packages (dashboard/exporters → core, never
 * back). Scans every import/export specifier in `packages/*\/src/**\/*.ts` and fails, listing
 * file:line, when a package
 *   (a) imports a `@datalineage/*` package that its layer may not use (see ALLOWED below);
 *   (b) reaches into another package's internals: a subpath its `exports` map does not publish
 *       (e.g. `@datalineage/core/src/x.js`), or a relative path that climbs out of its own package;
 *   (c) imports a `@datalineage/*` package missing from its own package.json dependencies.
 *
 * Usage: node scripts/check-layering.mjs [root]   (root defaults to this repository)
 * Exit codes: 0 clean, 1 violations, 2 the root has no packages to check.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SCOPE = '@datalineage/';

/** Which workspace packages each package may import. A package missing here fails the check. */
const ALLOWED = {
  '@datalineage/core': [],
  '@datalineage/exporters': ['@datalineage/core'],
  '@datalineage/dashboard': ['@datalineage/core'],
  '@datalineage/monitoring': ['@datalineage/core', '@datalineage/exporters', '@datalineage/dashboard'],
};

const SOURCE_FILE = /\.(?:ts|tsx|mts|cts)$/;

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
const packages = readPackages(root);
if (packages.length === 0) {
  console.error(`check-layering: no packages/*/package.json with a src/ folder under ${root}`);
  process.exit(2);
}
const byName = new Map(packages.map((pkg) => [pkg.name, pkg]));

const violations = [];
let fileCount = 0;
let importCount = 0;
for (const pkg of packages) {
  if (!Object.hasOwn(ALLOWED, pkg.name)) {
    violations.push(
      `${relative(root, pkg.manifest)}: package ${pkg.name} has no layer; add it to ALLOWED in scripts/check-layering.mjs`,
    );
  }
  for (const file of sourceFiles(pkg.src)) {
    fileCount += 1;
    const text = readFileSync(file, 'utf8');
    const { importedFiles } = ts.preProcessFile(text, true, true);
    for (const { fileName: specifier, pos } of importedFiles) {
      importCount += 1;
      const where = `${relative(root, file)}:${lineOf(text, pos)}`;
      for (const problem of check(pkg, file, specifier)) violations.push(`${where}: ${problem}`);
    }
  }
}

if (violations.length > 0) {
  console.error(`check-layering: ${violations.length} violation(s)\n${violations.join('\n')}`);
  process.exit(1);
}
console.log(`check-layering: ${fileCount} files, ${importCount} imports, no violations`);

/** The problems with one import `specifier` in `file` of `pkg`. */
function check(pkg, file, specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const target = resolve(dirname(file), specifier);
    if (target !== pkg.dir && !target.startsWith(pkg.dir + sep)) {
      return [
        `(b) '${specifier}' climbs out of ${relative(root, pkg.dir)}; import the other package by name (${SCOPE}…)`,
      ];
    }
    return [];
  }
  if (!specifier.startsWith(SCOPE)) return [];

  const [scope, name, ...rest] = specifier.split('/');
  const targetName = `${scope}/${name}`;
  const subpath = rest.length === 0 ? '.' : `./${rest.join('/')}`;
  const problems = [];
  if (targetName === pkg.name) {
    problems.push(`(a) ${pkg.name} imports itself by name ('${specifier}'); use a relative path`);
  } else if (!(ALLOWED[pkg.name] ?? []).includes(targetName)) {
    const allowed = (ALLOWED[pkg.name] ?? []).join(', ') || 'no workspace packages';
    problems.push(`(a) ${pkg.name} may not import ${targetName} (its layer allows ${allowed})`);
  }
  const target = byName.get(targetName);
  const published =
    target === undefined
      ? !/^\.\/(?:src|dist)(?:\/|$)/.test(subpath)
      : target.exports.some((pattern) => pattern.test(subpath));
  if (!published) {
    problems.push(
      `(b) '${specifier}' reaches into ${targetName}'s internals; import only what its exports map publishes`,
    );
  }
  if (targetName !== pkg.name && !pkg.dependencies.has(targetName)) {
    problems.push(`(c) ${targetName} is not listed in ${relative(root, pkg.manifest)} dependencies`);
  }
  return problems;
}

function readPackages(rootDir) {
  const packagesDir = join(rootDir, 'packages');
  if (!existsSync(packagesDir)) return [];
  const result = [];
  for (const entry of readdirSync(packagesDir, { withFileTypes: true })) {
    const dir = join(packagesDir, entry.name);
    const manifest = join(dir, 'package.json');
    if (!entry.isDirectory() || !existsSync(manifest) || !existsSync(join(dir, 'src'))) continue;
    const json = JSON.parse(readFileSync(manifest, 'utf8'));
    result.push({
      name: json.name,
      dir,
      src: join(dir, 'src'),
      manifest,
      exports: exportedSubpaths(json.exports),
      dependencies: new Set(
        [json.dependencies, json.peerDependencies, json.optionalDependencies].flatMap((deps) =>
          Object.keys(deps ?? {}),
        ),
      ),
    });
  }
  return result;
}

/**
 * Patterns for the subpaths a package.json `exports` field publishes: `.` for a string, array or
 * conditions object; otherwise each `./…` key not mapped to null, with `*` matching anything.
 */
function exportedSubpaths(exportsField) {
  const isSubpathMap =
    typeof exportsField === 'object' &&
    exportsField !== null &&
    !Array.isArray(exportsField) &&
    Object.keys(exportsField).some((key) => key.startsWith('.'));
  const keys = isSubpathMap ? Object.keys(exportsField).filter((key) => exportsField[key] !== null) : ['.'];
  return keys.map((key) => new RegExp(`^${key.split('*').map(escapeRegExp).join('.*')}$`));
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function* sourceFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') yield* sourceFiles(path);
    } else if (SOURCE_FILE.test(entry.name)) {
      yield path;
    }
  }
}

function lineOf(text, pos) {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) line += 1;
  return line;
}
