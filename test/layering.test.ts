/**
 * scripts/check-layering.mjs keeps the dependency direction between workspace packages. It runs
 * here on the real repository (must be clean), a clean fixture tree and a tree with one violation
 * of each kind.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const SCRIPT = join(REPO, 'scripts', 'check-layering.mjs');

/** Runs the script and collects its exit status and combined output. */
function runCheck(root?: string): Promise<{ status: number | null; output: string }> {
  const args = root === undefined ? [SCRIPT] : [SCRIPT, root];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, output }));
  });
}

const EXPORTS = { '.': { types: './dist/index.d.ts', default: './dist/index.js' } };

/** A clean four-package workspace, by file path. */
function cleanWorkspace(): Record<string, string> {
  const manifest = (name: string, deps: string[], exports: object = EXPORTS) =>
    JSON.stringify({
      name: `@datalineage/${name}`,
      exports,
      dependencies: Object.fromEntries(deps.map((dep) => [`@datalineage/${dep}`, '0.1.0'])),
    });
  return {
    'packages/core/package.json': manifest('core', []),
    'packages/core/src/index.ts': "export { x } from './internal/x.js';\n",
    'packages/core/src/internal/x.ts': 'export const x = 1;\n',
    'packages/exporters/package.json': manifest('exporters', ['core']),
    'packages/exporters/src/index.ts': "import { x } from '@datalineage/core';\nexport const y = x;\n",
    'packages/dashboard/package.json': manifest('dashboard', ['core']),
    'packages/dashboard/src/index.ts':
      "import type { x } from '@datalineage/core';\nexport type X = typeof x;\n",
    'packages/monitoring/package.json': manifest('monitoring', ['core', 'exporters', 'dashboard'], {
      ...EXPORTS,
      './exporters': { default: './dist/exporters.js' },
    }),
    'packages/monitoring/src/index.ts': [
      "export { x } from '@datalineage/core';",
      "export { y } from '@datalineage/exporters';",
      "export type { X } from '@datalineage/dashboard';",
      "export const load = () => import('./exporters.js');",
    ].join('\n'),
    'packages/monitoring/src/exporters.ts': "export { y } from '@datalineage/exporters';\n",
  };
}

/** One fixture holding one violation of each kind, so the script runs once for all cases. */
const VIOLATIONS: Record<string, string> = {
  'packages/core/src/index.ts': "export const x = 1;\n\nimport type { X } from '@datalineage/dashboard';\n",
  'packages/exporters/src/panel.ts': "export * from '@datalineage/dashboard';\n",
  'packages/exporters/src/deep.ts':
    "import { x } from '@datalineage/core/src/internal/x.js';\nexport { x };\n",
  'packages/exporters/src/unpublished.ts': "export { x } from '@datalineage/core/internal/x';\n",
  'packages/dashboard/src/views/deep.ts': "\nimport { x } from '../../../core/src/internal/x.js';\n",
  'packages/dashboard/package.json': JSON.stringify({ name: '@datalineage/dashboard', exports: EXPORTS }),
  'packages/extra/package.json': JSON.stringify({ name: '@datalineage/extra' }),
  'packages/extra/src/index.ts': 'export {};\n',
};

describe('check-layering', () => {
  const fixtures: string[] = [];
  afterAll(async () => {
    await Promise.all(fixtures.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  async function fixture(changes: Record<string, string>): Promise<string> {
    const root = await mkdtemp(join(tmpdir(), 'layering-'));
    fixtures.push(root);
    for (const [path, content] of Object.entries({ ...cleanWorkspace(), ...changes })) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), content);
    }
    return root;
  }

  it('passes on this repository', async () => {
    const { status, output } = await runCheck();
    expect(output).toMatch(/no violations/);
    expect(status).toBe(0);
  });

  it('passes on a clean workspace with value, type-only, re-export and dynamic imports', async () => {
    expect(await runCheck(await fixture({}))).toEqual({
      status: 0,
      output: expect.stringMatching(/no violations/),
    });
  });

  describe('on a workspace with violations', () => {
    let result: { status: number | null; output: string };
    beforeAll(async () => {
      result = await runCheck(await fixture(VIOLATIONS));
    });

    it('exits 1', () => {
      expect(result.status).toBe(1);
    });

    it('flags core importing the dashboard (dependency pointing the wrong way), even type-only', () => {
      expect(result.output).toContain(
        'packages/core/src/index.ts:3: (a) @datalineage/core may not import @datalineage/dashboard',
      );
    });

    it('flags exporters re-exporting the dashboard', () => {
      expect(result.output).toContain(
        'packages/exporters/src/panel.ts:1: (a) @datalineage/exporters may not import @datalineage/dashboard',
      );
    });

    it("flags a deep import into another package's src by name", () => {
      expect(result.output).toContain(
        "packages/exporters/src/deep.ts:1: (b) '@datalineage/core/src/internal/x.js' reaches into",
      );
    });

    it('flags a subpath the target does not publish in its exports map', () => {
      expect(result.output).toContain(
        "packages/exporters/src/unpublished.ts:1: (b) '@datalineage/core/internal/x' reaches into",
      );
    });

    it('flags a relative import that climbs out of its package', () => {
      expect(result.output).toContain(
        "packages/dashboard/src/views/deep.ts:2: (b) '../../../core/src/internal/x.js' climbs out of packages/dashboard",
      );
    });

    it('flags an allowed package missing from package.json dependencies', () => {
      expect(result.output).toContain(
        'packages/dashboard/src/index.ts:1: (c) @datalineage/core is not listed in packages/dashboard/package.json dependencies',
      );
    });

    it('flags a package that has no layer yet', () => {
      expect(result.output).toContain('package @datalineage/extra has no layer');
    });

    it('names only the offending files', () => {
      const files = new Set(result.output.match(/^packages\/[^:]+/gm));
      expect([...files].sort()).toEqual([
        'packages/core/src/index.ts',
        'packages/dashboard/src/index.ts',
        'packages/dashboard/src/views/deep.ts',
        'packages/exporters/src/deep.ts',
        'packages/exporters/src/panel.ts',
        'packages/exporters/src/unpublished.ts',
        'packages/extra/package.json',
      ]);
    });
  });
});
