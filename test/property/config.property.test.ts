// Property: loading any configuration — random YAML shaped like the schema (every key, in either
// spelling, with values of every type), unknown keys, YAML that is not even well-formed, and
// random values for every documented environment variable — either gives a complete, frozen
// configuration, which parses back to itself, or throws the one documented ConfigError, whose
// every issue names a path, a reason and a source. Nothing else is ever thrown.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfigError,
  DEFAULT_CONFIG,
  ENVIRONMENT_VARIABLES,
  loadConfig,
  parseConfig,
} from '@datalineage/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CONFIG_SHAPE, type Shape, snakeCase } from '../../packages/core/src/config/keys.js';
import { tempDir } from '../support/processes.js';
import { propertyRuns, propertyTimeout } from './runs.js';

/** A leaf value of any type, sometimes plausible (ports, durations, hosts), often not. */
const leaf = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.integer({ min: -10, max: 70_000 }),
  fc.double(),
  fc.boolean(),
  fc.constantFrom(
    '5m',
    '30s',
    '1h',
    '0',
    '-1',
    '127.0.0.1',
    'localhost',
    'http://localhost:9091',
    '',
    'true',
    '~',
  ),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

/** A value like `example` (the default there): same type, other values; or anything, rarely. */
function like(example: unknown): fc.Arbitrary<unknown> {
  const plausible =
    typeof example === 'number'
      ? fc.oneof(
          fc.constant(example),
          fc.integer({ min: 0, max: 100_000 }),
          fc.double({ min: 0, max: 1e6, noNaN: true }),
        )
      : typeof example === 'boolean'
        ? fc.boolean()
        : typeof example === 'string'
          ? fc.oneof(
              { weight: 4, arbitrary: fc.constant(example) },
              { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
            )
          : leaf;
  return fc.oneof({ weight: 12, arbitrary: plausible }, { weight: 1, arbitrary: leaf });
}

/** A value for `shape`: the right structure and plausible leaves mostly, anything sometimes. */
function shaped(shape: Shape, example: unknown, depth = 0): fc.Arbitrary<unknown> {
  if (shape.kind === 'value' || depth > 4) return like(example);
  const items = Array.isArray(example) ? example : [];
  const rarely = { weight: 1, arbitrary: leaf };
  if (shape.kind === 'array')
    return fc.oneof(
      { weight: 12, arbitrary: fc.array(shaped(shape.element, items[0], depth + 1), { maxLength: 3 }) },
      rarely,
    );
  if (shape.kind === 'record')
    return fc.oneof(
      {
        weight: 12,
        arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), shaped(shape.value, undefined, depth + 1), {
          maxKeys: 3,
        }),
      },
      rarely,
    );
  const defaults = (typeof example === 'object' && example !== null ? example : {}) as Record<
    string,
    unknown
  >;
  const entries = [...shape.children.entries()].map(([key, child]) =>
    fc.tuple(fc.constantFrom(key, snakeCase(key)), shaped(child, defaults[key], depth + 1)),
  );
  const known = fc
    .subarray(entries, { maxLength: Math.min(6, entries.length) })
    .chain((chosen) => fc.tuple(...chosen));
  const unknown = fc.oneof(
    { weight: 12, arbitrary: fc.constant([]) },
    {
      weight: 1,
      arbitrary: fc.array(fc.tuple(fc.string({ maxLength: 10 }), leaf), { minLength: 1, maxLength: 1 }),
    },
  );
  return fc.oneof(
    { weight: 12, arbitrary: fc.tuple(known, unknown).map(([a, b]) => Object.fromEntries([...a, ...b])) },
    rarely,
  );
}

/** A configuration file's text: YAML of a schema-shaped document, maybe under `monitoring:`, or noise. */
const fileText = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(shaped(CONFIG_SHAPE, DEFAULT_CONFIG), fc.boolean())
      .map(([doc, wrap]) => stringify(wrap ? { monitoring: doc } : doc)),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'monitoring:\n  dashboard: [',
      'a: b: c',
      '\t- x',
      '--- !!binary',
      '&a [*a]',
      '{',
      '',
    ),
  },
);

/** Random values for a random few of the documented environment variables; often none. */
const environment = fc.oneof(
  fc.constant({}),
  fc.dictionary(
    fc.constantFrom(
      ...ENVIRONMENT_VARIABLES.map((v) => v.name).filter((name) => name !== 'DATALINEAGE_CONFIG_FILE'),
    ),
    fc.oneof(
      // JSON text for objects: String() throws on a generated object with its own toString key.
      leaf.map((value) =>
        typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value),
      ),
      fc.constantFrom('8080', '0', 'yes', 'false', 'a=b,c=d', '=', '60'),
    ),
    { maxKeys: 3 },
  ),
);

let dir: string;
beforeAll(async () => {
  dir = await tempDir('dlm-config-property');
});
afterAll(() => {});

describe('configuration loading of random input', () => {
  it(
    'returns a frozen configuration that parses back to itself, or throws ConfigError alone',
    async () => {
      let run = 0;
      fc.assert(
        fc.property(fileText, environment, (text, env) => {
          const file = join(dir, `config-${++run}.yaml`);
          writeFileSync(file, text);
          let loaded: ReturnType<typeof loadConfig>;
          try {
            loaded = loadConfig({ file, env });
          } catch (error) {
            expect(error, String(error)).toBeInstanceOf(ConfigError);
            const { issues } = error as ConfigError;
            expect(issues.length).toBeGreaterThan(0);
            for (const issue of issues) {
              expect(typeof issue.path).toBe('string');
              expect(issue.message.length).toBeGreaterThan(0);
              expect(['file', 'code', 'env']).toContain(issue.source);
            }
            return;
          }
          expect(Object.isFrozen(loaded)).toBe(true);
          expect(Object.keys(loaded)).toEqual(
            expect.arrayContaining(['dashboard', 'metrics', 'alerts', 'logs']),
          );
          expect(parseConfig(loaded)).toEqual(loaded);
        }),
        { numRuns: propertyRuns(300) },
      );
    },
    propertyTimeout(30_000),
  );
});
