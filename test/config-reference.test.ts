/**
 * docs/configuration.md against the configuration's sources, two ways. The file must be exactly
 * what the generator (test/support/config-reference.ts) makes now. And, without the generator:
 * every option the TypeScript type checker finds in `MonitoringConfig` (optional ones included),
 * every leaf of DEFAULT_CONFIG with its value, and every environment variable beside its option
 * must be in the file — so a new schema key, default or variable without docs fails here even if
 * the generator itself were to miss it. A `@default` in the JSDoc that contradicts DEFAULT_CONFIG
 * fails too.
 */
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, ENVIRONMENT_VARIABLES } from '../packages/core/src/index.js';
import { run } from '../scripts/config-reference.js';
import {
  CONFIG_REFERENCE_FILE,
  generateConfigReference,
  REGENERATE_COMMAND,
  readConfigSchema,
  SCHEMA_FILE,
} from './support/config-reference.js';

const STALE = `docs/configuration.md is out of date with packages/core/src/config/schema.ts; run: ${REGENERATE_COMMAND}`;

function readReference(): string {
  try {
    return readFileSync(CONFIG_REFERENCE_FILE, 'utf8');
  } catch {
    return '';
  }
}

const reference = readReference();

const snake = (path: string): string => path.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The path in a code span, alone or as the start of a longer path (a section's keys). */
function mentions(text: string, path: string): boolean {
  return new RegExp(`\`${escapeRegExp(path)}(\`|\\.|\\[)`).test(text);
}

/** Table rows by their first cell's code span: `dashboard.auto_refresh` → its cells. */
function rowsByKey(text: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim());
    const key = /^`([^`]+)`$/.exec(cells[0] ?? '')?.[1];
    if (key !== undefined && !rows.has(key)) rows.set(key, cells);
  }
  return rows;
}

const rows = rowsByKey(reference);

interface Option {
  readonly path: string;
  readonly optional: boolean;
}

/**
 * Every option of `MonitoringConfig` as the type checker sees it: nested interfaces and type
 * literals declared in schema.ts are sections (walked), lists of such objects get `[]` paths.
 */
function optionsFromTypeChecker(): Option[] {
  // noResolve: the interfaces need nothing from zod, and the checker stays fast.
  const program = ts.createProgram([SCHEMA_FILE], {
    noResolve: true,
    strict: true,
    target: ts.ScriptTarget.ES2022,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(SCHEMA_FILE);
  const root = source?.statements
    .filter(ts.isInterfaceDeclaration)
    .find((statement) => statement.name.text === 'MonitoringConfig');
  if (source === undefined || root === undefined) throw new Error('MonitoringConfig not found in schema.ts');
  const isSection = (type: ts.Type): boolean => {
    const declaration = type.getSymbol()?.declarations?.[0];
    return (
      declaration !== undefined &&
      declaration.getSourceFile() === source &&
      (ts.isInterfaceDeclaration(declaration) || ts.isTypeLiteralNode(declaration))
    );
  };
  const options: Option[] = [];
  const walk = (type: ts.Type, prefix: string): void => {
    for (const symbol of checker.getPropertiesOfType(type)) {
      const path = prefix === '' ? symbol.name : `${prefix}.${symbol.name}`;
      const optional = (symbol.flags & ts.SymbolFlags.Optional) !== 0;
      const declaration = symbol.valueDeclaration ?? symbol.declarations?.[0] ?? root;
      const value = checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(symbol, declaration));
      options.push({ path, optional });
      if (isSection(value)) {
        walk(value, path);
      } else if (checker.isArrayType(value)) {
        const element = checker.getTypeArguments(value as ts.TypeReference)[0];
        if (element !== undefined && isSection(element)) walk(element, `${path}[]`);
      }
    }
  };
  walk(checker.getTypeAtLocation(root.name), '');
  return options;
}

const options = optionsFromTypeChecker();

/** Options that hold other options (`dashboard.auth`), from the type checker's paths. */
const sectionPaths = new Set(
  options
    .filter((option) => options.some((inner) => inner.path.startsWith(`${option.path}.`)))
    .map((option) => option.path),
);

/**
 * Leaves of DEFAULT_CONFIG: values, lists and records (a record with entries when it has a row of
 * its own). A section whose keys are all optional (`dashboard.auth: {}`) has no leaf.
 */
function defaultLeaves(): Array<{ path: string; value: unknown }> {
  const leaves: Array<{ path: string; value: unknown }> = [];
  const walk = (value: unknown, path: string): void => {
    const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
    if (isObject && Object.keys(value).length === 0 && sectionPaths.has(path)) return;
    if (path !== '' && (!isObject || Object.keys(value).length === 0 || rows.has(snake(path)))) {
      leaves.push({ path, value });
      return;
    }
    for (const [key, inner] of Object.entries(value as object))
      walk(inner, path === '' ? key : `${path}.${key}`);
  };
  walk(DEFAULT_CONFIG, '');
  return leaves;
}

const NOT_A_LITERAL = Symbol('not a literal');

/** The value of a literal as a `@default` writes it (`8080`, `'dark'`, `[0.5, 0.9]`, `{}`), or NOT_A_LITERAL. */
function literalValue(text: string): unknown {
  const source = ts.createSourceFile('default.ts', `(${text})`, ts.ScriptTarget.Latest);
  const statement = source.statements[0];
  if (source.statements.length !== 1 || statement === undefined || !ts.isExpressionStatement(statement))
    return NOT_A_LITERAL;
  const evaluate = (node: ts.Expression): unknown => {
    if (ts.isParenthesizedExpression(node)) return evaluate(node.expression);
    if (ts.isNumericLiteral(node)) return Number(node.text);
    if (ts.isStringLiteral(node)) return node.text;
    if (node.kind === ts.SyntaxKind.TrueKeyword) return true;
    if (node.kind === ts.SyntaxKind.FalseKeyword) return false;
    if (ts.isIdentifier(node) && node.text === 'undefined') return undefined;
    if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken) {
      const inner = evaluate(node.operand as ts.Expression);
      return typeof inner === 'number' ? -inner : NOT_A_LITERAL;
    }
    if (ts.isArrayLiteralExpression(node)) {
      const items = node.elements.map(evaluate);
      return items.includes(NOT_A_LITERAL) ? NOT_A_LITERAL : items;
    }
    if (ts.isObjectLiteralExpression(node)) {
      const entries: [string, unknown][] = [];
      for (const property of node.properties) {
        if (!ts.isPropertyAssignment(property)) return NOT_A_LITERAL;
        const name = property.name;
        if (!ts.isIdentifier(name) && !ts.isStringLiteral(name)) return NOT_A_LITERAL;
        const value = evaluate(property.initializer);
        if (value === NOT_A_LITERAL) return NOT_A_LITERAL;
        entries.push([name.text, value]);
      }
      return Object.fromEntries(entries);
    }
    return NOT_A_LITERAL;
  };
  return evaluate(statement.expression);
}

function defaultValueAt(path: string): unknown {
  let node: unknown = DEFAULT_CONFIG;
  for (const segment of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

describe('docs/configuration.md', () => {
  it('is what the generator makes from the schema now', () => {
    expect(reference, STALE).toBe(generateConfigReference());
  });

  it('is what `scripts/config-reference.ts --check` accepts', () => {
    expect(run(['--check']), STALE).toBe(0);
  });

  it('lists every option the type checker finds in MonitoringConfig, in both spellings', () => {
    expect(options.map((option) => option.path)).toEqual(
      expect.arrayContaining(['serviceName', 'dashboard.autoRefresh', 'exporters.influxdb.batchSize']),
    );
    const missing = options
      .flatMap((option) => [snake(option.path), option.path])
      .filter((path) => !mentions(reference, path));
    expect(missing, `undocumented options; run: ${REGENERATE_COMMAND}`).toEqual([]);
  });

  it('lists every optional key the interfaces declare, list items included', () => {
    const optional = options.filter((option) => option.optional).map((option) => option.path);
    expect(optional).toEqual(
      expect.arrayContaining(['dashboard.auth.token', 'alerts.escalation', 'alerts.rules[].threshold']),
    );
    const missing = optional.filter((path) => !mentions(reference, snake(path)));
    expect(missing, `undocumented optional keys; run: ${REGENERATE_COMMAND}`).toEqual([]);
  });

  it('gives every leaf of DEFAULT_CONFIG a row with its default', () => {
    const leaves = defaultLeaves();
    expect(leaves.length).toBeGreaterThan(50);
    const wrong = leaves.filter(({ path, value }) => {
      const shown = rows.get(snake(path))?.[3];
      return shown?.replace(/[`\s]/g, '') !== JSON.stringify(value).replace(/\s/g, '');
    });
    expect(
      wrong.map(({ path }) => `${snake(path)}: ${rows.get(snake(path))?.[3] ?? 'no row'}`),
      `defaults missing or wrong; run: ${REGENERATE_COMMAND}`,
    ).toEqual([]);
  });

  it('names every environment variable in the row of the option it sets', () => {
    const wrong = ENVIRONMENT_VARIABLES.filter((variable) => {
      const row = rows.get(snake(variable.path));
      if (row !== undefined) return !row.some((cell) => cell.includes(`\`${variable.name}\``));
      // Not an option (DATALINEAGE_CONFIG_FILE names the file): a row must pair the two.
      return !reference
        .split('\n')
        .some((line) => line.includes(`\`${variable.name}\``) && line.includes(`\`${variable.path}\``));
    });
    expect(
      wrong.map((variable) => `${variable.name} → ${variable.path}`),
      `environment variables not shown beside their option; run: ${REGENERATE_COMMAND}`,
    ).toEqual([]);
  });
});

describe('the JSDoc of packages/core/src/config/schema.ts', () => {
  it('states the defaults DEFAULT_CONFIG has, where it states a literal', () => {
    const contradictions: string[] = [];
    for (const section of readConfigSchema()) {
      for (const key of section.keys) {
        if (key.documentedDefault === undefined || key.perItem) continue;
        // `15 (Pushgateway, InfluxDB), 5 (Elasticsearch)` is prose; `'datalineagepy' (the Python library's)` is a literal.
        const literal = /^([^()]+?)(\s+\([^()]*\))?$/.exec(key.documentedDefault)?.[1];
        if (literal === undefined) continue;
        const documented = literalValue(literal);
        if (documented === NOT_A_LITERAL) continue;
        const actual = defaultValueAt(key.codePath);
        // An optional key's documented default may be applied later (by the exporter, say).
        if (actual === undefined && documented !== undefined) continue;
        if (JSON.stringify(actual) !== JSON.stringify(documented)) {
          contradictions.push(
            `${key.codePath}: @default ${key.documentedDefault}, DEFAULT_CONFIG ${JSON.stringify(actual)}`,
          );
        }
      }
    }
    expect(contradictions).toEqual([]);
  });
});
