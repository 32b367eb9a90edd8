// Generates docs/configuration.md from the configuration's sources of truth: the documented
// interfaces of packages/core/src/config/schema.ts (read with the TypeScript compiler API: each
// property's JSDoc gives its description, `@default` and `@example`), the real defaults
// (DEFAULT_CONFIG) and the environment variables (ENVIRONMENT_VARIABLES). scripts/config-reference.ts
// writes the file; test/config-reference.test.ts fails when the file is stale or misses a key.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { DEFAULT_CONFIG, ENVIRONMENT_VARIABLES } from '../../packages/core/src/index.js';

/** The generated file. */
export const CONFIG_REFERENCE_FILE = fileURLToPath(new URL('../../docs/configuration.md', import.meta.url));
/** The interfaces the reference is generated from. */
export const SCHEMA_FILE = fileURLToPath(
  new URL('../../packages/core/src/config/schema.ts', import.meta.url),
);
/** Where AlertRuleConfig's undocumented keys borrow their description: the AlertRule options. */
const RULE_FILE = fileURLToPath(new URL('../../packages/core/src/alerts/rule.ts', import.meta.url));
/** How to regenerate, quoted in the file and in the test's failure message. */
export const REGENERATE_COMMAND =
  'node --conditions=@datalineage/source --import tsx scripts/config-reference.ts';

/** One option: a leaf of the configuration (a value, a list or a record, not a section). */
export interface ConfigKey {
  /** `dashboard.autoRefresh`; items of a list of objects are `alerts.rules[].metricName`. */
  readonly codePath: string;
  /** `dashboard.auto_refresh`, as monitoring-config.yaml writes it. */
  readonly yamlPath: string;
  /** As the interface writes it, without `Readonly<…>`. */
  readonly type: string;
  readonly optional: boolean;
  /** The JSDoc's first paragraph, on one line; '' when the property has none. */
  readonly description: string;
  /** The JSDoc `@default` text, if any. */
  readonly documentedDefault: string | undefined;
  readonly example: string | undefined;
  /** Set inside a list of objects: the key is given per item. */
  readonly perItem: boolean;
}

/** A heading of the reference: an object of the configuration and the options directly in it. */
export interface ConfigSection {
  readonly codePath: string;
  readonly yamlPath: string;
  readonly depth: number;
  readonly description: string;
  readonly optional: boolean;
  readonly perItem: boolean;
  readonly keys: ConfigKey[];
}

export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** `dashboard.autoRefresh` → `dashboard.auto_refresh`; `[]` segments stay. */
export function yamlPathOf(codePath: string): string {
  return codePath
    .split('.')
    .map((segment) => snakeCase(segment))
    .join('.');
}

// ---------------------------------------------------------------- reading the interfaces

interface Jsdoc {
  readonly description: string;
  readonly tags: ReadonlyMap<string, string>;
}

function jsdocOf(node: ts.Node): Jsdoc {
  const doc = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc).at(-1);
  const tags = new Map<string, string>();
  for (const tag of doc?.tags ?? []) {
    tags.set(tag.tagName.text, oneLine(ts.getTextOfJSDocComment(tag.comment) ?? ''));
  }
  const text = ts.getTextOfJSDocComment(doc?.comment) ?? '';
  return { description: oneLine(text.split(/\n\s*\n/)[0] ?? ''), tags };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** `Readonly<X>` → `X`, at any depth, and whitespace collapsed. */
function withoutReadonly(text: string): string {
  let out = oneLine(text);
  for (let start = out.indexOf('Readonly<'); start !== -1; start = out.indexOf('Readonly<')) {
    let depth = 0;
    let end = out.length - 1;
    for (let i = start + 'Readonly'.length; i < out.length; i++) {
      if (out[i] === '<') depth++;
      else if (out[i] === '>' && --depth === 0) {
        end = i;
        break;
      }
    }
    out = out.slice(0, start) + out.slice(start + 'Readonly<'.length, end) + out.slice(end + 1);
  }
  return out;
}

function propertyName(member: ts.PropertySignature): string {
  const name = member.name;
  if (ts.isIdentifier(name) || ts.isStringLiteral(name)) return name.text;
  throw new Error(`config-reference: unsupported property name ${name.getText()}`);
}

class SchemaReader {
  private readonly interfaces = new Map<string, ts.InterfaceDeclaration>();
  private readonly aliases = new Map<string, ts.TypeAliasDeclaration>();
  /** Descriptions of AlertRuleOptions' properties, for AlertRuleConfig keys without JSDoc. */
  private readonly ruleDescriptions = new Map<string, string>();
  readonly sections: ConfigSection[] = [];

  constructor(schemaSource: string, ruleSource: string) {
    const schema = ts.createSourceFile(SCHEMA_FILE, schemaSource, ts.ScriptTarget.Latest, true);
    for (const statement of schema.statements) {
      if (ts.isInterfaceDeclaration(statement)) this.interfaces.set(statement.name.text, statement);
      if (ts.isTypeAliasDeclaration(statement)) this.aliases.set(statement.name.text, statement);
    }
    const rule = ts.createSourceFile(RULE_FILE, ruleSource, ts.ScriptTarget.Latest, true);
    for (const statement of rule.statements) {
      if (!ts.isInterfaceDeclaration(statement) || statement.name.text !== 'AlertRuleOptions') continue;
      for (const member of statement.members) {
        if (!ts.isPropertySignature(member)) continue;
        const { description } = jsdocOf(member);
        if (description !== '') this.ruleDescriptions.set(propertyName(member), description);
      }
    }
    const root = this.interfaces.get('MonitoringConfig');
    if (root === undefined) throw new Error('config-reference: no MonitoringConfig interface in schema.ts');
    // The root's own JSDoc describes the TypeScript type, not the file: SECTION_NOTES says what it is.
    this.section('', 0, '', false, false, this.membersOf(root));
  }

  /** An interface's properties, then those it inherits (an exporter's run settings). */
  private membersOf(declaration: ts.InterfaceDeclaration): ts.PropertySignature[] {
    const inherited: ts.PropertySignature[] = [];
    for (const clause of declaration.heritageClauses ?? []) {
      for (const type of clause.types) {
        const base = ts.isIdentifier(type.expression) ? this.interfaces.get(type.expression.text) : undefined;
        if (base === undefined)
          throw new Error(`config-reference: ${declaration.name.text} extends an unknown interface`);
        inherited.push(...this.membersOf(base));
      }
    }
    const own = declaration.members.filter(ts.isPropertySignature);
    const ownNames = new Set(own.map(propertyName));
    return [...own, ...inherited.filter((member) => !ownNames.has(propertyName(member)))];
  }

  /** The interface a type names, when it is one of schema.ts's (a nested section). */
  private interfaceOf(type: ts.TypeNode | undefined): ts.InterfaceDeclaration | undefined {
    if (type === undefined || !ts.isTypeReferenceNode(type) || !ts.isIdentifier(type.typeName))
      return undefined;
    return this.interfaces.get(type.typeName.text);
  }

  /** The element type of `X[]` / `readonly X[]`. */
  private elementOf(type: ts.TypeNode | undefined): ts.TypeNode | undefined {
    let node = type;
    if (node !== undefined && ts.isTypeOperatorNode(node) && node.operator === ts.SyntaxKind.ReadonlyKeyword)
      node = node.type;
    return node !== undefined && ts.isArrayTypeNode(node) ? node.elementType : undefined;
  }

  /** The type as written; a local alias of literals (`DiagnosticsLevel`) is spelled out. */
  private typeText(type: ts.TypeNode | undefined): string {
    if (type === undefined) return 'unknown';
    if (ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName) && type.typeArguments === undefined) {
      const alias = this.aliases.get(type.typeName.text);
      if (alias !== undefined && ts.isUnionTypeNode(alias.type)) return withoutReadonly(alias.type.getText());
    }
    return withoutReadonly(type.getText());
  }

  private section(
    codePath: string,
    depth: number,
    description: string,
    optional: boolean,
    perItem: boolean,
    members: readonly ts.PropertySignature[],
    borrowRuleDocs = false,
  ): void {
    const section: ConfigSection = {
      codePath,
      yamlPath: yamlPathOf(codePath),
      depth,
      description,
      optional,
      perItem,
      keys: [],
    };
    this.sections.push(section);
    const nested: Array<() => void> = [];
    for (const member of members) {
      const name = propertyName(member);
      const path = codePath === '' ? name : `${codePath}.${name}`;
      const doc = jsdocOf(member);
      const isOptional = member.questionToken !== undefined;
      const inner = this.interfaceOf(member.type);
      if (inner !== undefined) {
        const text = doc.description || jsdocOf(inner).description;
        nested.push(() => this.section(path, depth + 1, text, isOptional, perItem, this.membersOf(inner)));
        continue;
      }
      if (member.type !== undefined && ts.isTypeLiteralNode(member.type)) {
        const literal = member.type.members.filter(ts.isPropertySignature);
        nested.push(() => this.section(path, depth + 1, doc.description, isOptional, perItem, literal));
        continue;
      }
      section.keys.push({
        codePath: path,
        yamlPath: yamlPathOf(path),
        type: this.typeText(member.type),
        optional: isOptional,
        description: doc.description || (borrowRuleDocs ? (this.ruleDescriptions.get(name) ?? '') : ''),
        documentedDefault: doc.tags.get('default'),
        example: doc.tags.get('example'),
        perItem,
      });
      // A list of documented objects: its items' keys get a section of their own.
      const item = this.interfaceOf(this.elementOf(member.type));
      if (item !== undefined) {
        const rules = item.name.text === 'AlertRuleConfig';
        nested.push(() =>
          this.section(
            `${path}[]`,
            depth + 1,
            jsdocOf(item).description,
            false,
            true,
            this.membersOf(item),
            rules,
          ),
        );
      }
    }
    for (const add of nested) add();
  }
}

/** Every section of the configuration, in the order of the interfaces; the first is the top level. */
export function readConfigSchema(): ConfigSection[] {
  return new SchemaReader(readFileSync(SCHEMA_FILE, 'utf8'), readFileSync(RULE_FILE, 'utf8')).sections;
}

// ---------------------------------------------------------------- rendering

const ABSENT = Symbol('absent');

/** The value at a dotted code path of DEFAULT_CONFIG, or ABSENT (keys of list items have none). */
export function defaultAt(codePath: string): unknown {
  if (codePath.includes('[]')) return ABSENT;
  let node: unknown = DEFAULT_CONFIG;
  for (const segment of codePath.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, segment)) return ABSENT;
    node = (node as Record<string, unknown>)[segment];
  }
  return node === undefined ? ABSENT : node;
}

/** JSON, which is also YAML, with a space after commas: `[0.5, 0.9]`, `"127.0.0.1"`, `{}`. */
function renderValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(renderValue).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    return `{ ${entries.map(([key, inner]) => `${JSON.stringify(key)}: ${renderValue(inner)}`).join(', ')} }`;
  }
  return JSON.stringify(value);
}

/** A table cell: no line breaks, pipes escaped (also inside code spans, as GitHub reads tables). */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}

function code(text: string): string {
  return `\`${text}\``;
}

/** An id for links from the other pages: `configuration.md#dashboard.auth`, `#alerts.rules.item`. */
export function anchorOf(section: Pick<ConfigSection, 'yamlPath'>): string {
  return section.yamlPath === '' ? 'top-level' : section.yamlPath.replace(/\[\]/g, '.item');
}

/** What an unset optional key means, from its `@default` text (`undefined (the database's default)`). */
function whenUnset(documented: string | undefined): string | undefined {
  if (documented === undefined) return undefined;
  const text = documented.replace(/^undefined\b\s*/, '').replace(/^\((.*)\)$/, '$1');
  return text === '' ? undefined : text;
}

function description(key: ConfigKey, hasDefault: boolean): string {
  const parts = [key.description];
  if (!hasDefault && !key.perItem) {
    const unset = whenUnset(key.documentedDefault);
    if (unset !== undefined) parts.push(`When unset: ${unset}.`);
  }
  if (key.example !== undefined) parts.push(`Example: ${code(key.example)}.`);
  const text = parts
    .filter((part) => part !== '')
    .map((part) => (/[.!?)`…]$/.test(part) ? part : `${part}.`))
    .join(' ');
  return text === '' ? '—' : text;
}

const COMPONENT_PAGES: Readonly<Record<string, string>> = {
  dashboard: 'dashboard.md',
  metrics: 'metrics.md',
  alerts: 'alerts.md',
  logs: 'logs.md',
  exporters: 'exporters.md',
};

/** Notes the interfaces cannot carry: how a section is used. */
const SECTION_NOTES: Readonly<Record<string, string>> = {
  '': 'The root of the configuration: in the YAML file these keys sit directly under `monitoring:`.',
  'alerts.rules[]':
    'Each item of `alerts.rules` is one rule; these keys are given per rule. They are the options of ' +
    '`AlertRule` (defaults in [alerts.md](alerts.md#rule-options)), except that `min_duration` ' +
    'defaults to `alerts.min_duration` for rules from the configuration. `name` and `metric_name` are required.',
  alerts:
    'Each item of `alerts.channels` is one notification channel: `type` (`email`, `webhook`, `slack` ' +
    'or `alertmanager`), an optional `name` (rules pick channels by name; default: the type) and the ' +
    "channel's own keys, per item — listed in [alerts.md](alerts.md#channels).",
  exporters:
    'Every exporter is off until `enabled: true`. Logs over OTLP are configured in ' +
    '[`logs.otlp`](#logs.otlp), not here.',
};

function envByPath(): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const variable of ENVIRONMENT_VARIABLES) {
    map.set(variable.path, [...(map.get(variable.path) ?? []), variable.name]);
  }
  return map;
}

function renderSection(section: ConfigSection, env: ReadonlyMap<string, string[]>): string[] {
  const out: string[] = [];
  const level = '#'.repeat(section.depth <= 1 ? 2 : Math.min(section.depth + 1, 4));
  const title = section.yamlPath === '' ? 'Top level' : section.yamlPath;
  const qualifiers = [
    section.perItem && section.yamlPath.endsWith('[]') ? 'per item' : undefined,
    section.optional ? 'optional, absent by default' : undefined,
  ].filter((part) => part !== undefined);
  out.push(`<a id="${anchorOf(section)}"></a>`, '');
  out.push(
    `${level} ${section.yamlPath === '' ? title : code(title)}${qualifiers.length > 0 ? ` (${qualifiers.join(', ')})` : ''}`,
    '',
  );
  const intro = [section.description, SECTION_NOTES[section.codePath]].filter((part) => part);
  const page = COMPONENT_PAGES[section.codePath];
  if (page !== undefined) intro.push(`See [${page}](${page}).`);
  if (intro.length > 0) out.push(intro.join(' '), '');
  if (section.keys.length === 0) return out;
  out.push('| YAML key | Code | Type | Default | Environment | Description |');
  out.push('|---|---|---|---|---|---|');
  for (const key of section.keys) {
    const value = defaultAt(key.codePath);
    const hasDefault = value !== ABSENT;
    const variables = env.get(key.codePath) ?? [];
    out.push(
      `| ${[
        code(key.yamlPath),
        code(key.codePath),
        code(key.type),
        hasDefault ? code(renderValue(value)) : '—',
        variables.length > 0 ? variables.map(code).join('<br>') : '—',
        description(key, hasDefault),
      ]
        .map(cell)
        .join(' | ')} |`,
    );
  }
  out.push('');
  return out;
}

/** docs/configuration.md as the sources say it should be now. */
export function generateConfigReference(): string {
  const sections = readConfigSchema();
  const env = envByPath();
  const schemaPaths = new Set(sections.flatMap((section) => section.keys.map((key) => key.codePath)));
  const loading = ENVIRONMENT_VARIABLES.filter((variable) => !schemaPaths.has(variable.path));

  const out: string[] = [
    '# Configuration reference',
    '',
    `<!-- Generated by \`${REGENERATE_COMMAND}\`. Do not edit by hand: change the JSDoc in packages/core/src/config/schema.ts, DEFAULT_CONFIG or ENVIRONMENT_VARIABLES, then run the script. test/config-reference.test.ts fails while this file is stale. -->`,
    '',
    `> Generated from \`packages/core/src/config/schema.ts\` (the interfaces' JSDoc), \`DEFAULT_CONFIG\` and`,
    `> \`ENVIRONMENT_VARIABLES\` by \`${REGENERATE_COMMAND}\`. Do not edit it by hand.`,
    '',
    '## Where configuration comes from',
    '',
    'Precedence, lowest first: **defaults < YAML file < code < environment**. Each source is validated on',
    'its own, and every problem of every source is reported at once in one `ConfigError`, with the path as',
    'you spelled it and where it came from (`code`, `file name:line`, `env NAME`).',
    '',
    '| Source | How |',
    '|---|---|',
    '| Defaults | The Default column below (`DEFAULT_CONFIG`). |',
    "| YAML file | `setupMonitoring({ configFile: './monitoring-config.yaml' })`, `loadConfig({ file })`, or `DATALINEAGE_CONFIG_FILE` (which wins over both). A relative path is resolved against the working directory. |",
    '| Code | `setupMonitoring({ dashboard: { port: 9000 } })`. Keys may be camelCase or snake_case at every level. |',
    '| Environment | The variables in the Environment column, listed again [below](#environment-variables). An empty value counts as unset. |',
    '',
    'Sources merge key by key; a list or a record (`resource_attributes`, `headers`, `grouping_labels`, …)',
    'is replaced whole by a higher source, except that `OTEL_RESOURCE_ATTRIBUTES` is merged over the',
    'configured `resource_attributes`. Record keys are data and are used exactly as written (no case',
    'conversion).',
    '',
  ];
  if (loading.length > 0) {
    out.push('Not an option of the configuration itself, but read the same way:', '');
    out.push('| YAML key | Code | Type | Default | Environment | Description |');
    out.push('|---|---|---|---|---|---|');
    for (const variable of loading) {
      out.push(
        `| ${[
          '— (code and environment only)',
          code(variable.path),
          code(variable.type),
          '—',
          code(variable.name),
          variable.description,
        ]
          .map(cell)
          .join(' | ')} |`,
      );
    }
    out.push('');
  }
  out.push(
    '## The YAML file',
    '',
    "The guide's `monitoring-config.yaml`: the options under a top-level `monitoring:` key, in snake_case.",
    'The `monitoring:` key is optional — a file holding the options at its top level is read the same way —',
    'but when it is there, any other top-level key beside it is an error. camelCase keys are accepted too;',
    'giving one option under both spellings with different values is an error, and so is an unknown key',
    '(with a "did you mean" suggestion). Syntax errors are reported as `file:line:column`, invalid values',
    'as `file:line`.',
    '',
    '```yaml',
    'monitoring:',
    '  dashboard:',
    '    host: "0.0.0.0"',
    '    port: 8080',
    '    auto_refresh: 30',
    '  metrics:',
    '    cardinality_limit: 500',
    '  alerts:',
    '    rules:',
    '      - name: high_error_rate',
    '        metric_name: errors.total',
    '        condition: greater_than',
    '        threshold: 10',
    '  exporters:',
    '    prometheus:',
    '      enabled: true',
    '      pushgateway_url: "http://localhost:9091"',
    '```',
    '',
    'In the tables, **YAML key** is the dotted path as the file nests it (`dashboard.auto_refresh` is',
    '`auto_refresh:` under `dashboard:`), **Code** the camelCase path of the object passed to',
    '`setupMonitoring()`, `[]` an item of a list, and **Default** the value used when nothing sets it',
    '(— : none, the option is absent). Types are TypeScript types as `MonitoringConfig` declares them.',
    '',
    '## Sections',
    '',
  );
  for (const section of sections) {
    const indent = '  '.repeat(Math.max(0, section.depth - 1));
    const title = section.yamlPath === '' ? 'Top level' : code(section.yamlPath);
    out.push(`${indent}- [${title}](#${anchorOf(section)})`);
  }
  out.push('');
  for (const section of sections) out.push(...renderSection(section, env));

  out.push('<a id="environment-variables"></a>', '', '## Environment variables', '');
  out.push('Every variable `loadConfig()` reads; they win over the file and the code.', '');
  out.push(
    'Numbers must be plain decimals (`8080`, `0.5`); booleans are `true`/`false`, `1`/`0` or `yes`/`no`.',
    '',
  );
  out.push('| Variable | YAML key | Code | Type | Description |');
  out.push('|---|---|---|---|---|');
  for (const variable of ENVIRONMENT_VARIABLES) {
    const inSchema = schemaPaths.has(variable.path);
    out.push(
      `| ${[
        code(variable.name),
        inSchema ? code(yamlPathOf(variable.path)) : '—',
        code(variable.path),
        code(variable.type),
        variable.description,
      ]
        .map(cell)
        .join(' | ')} |`,
    );
  }
  out.push('');
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}
