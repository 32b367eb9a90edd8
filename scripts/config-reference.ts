// Writes docs/configuration.md from the configuration schema (the generator is
// test/support/config-reference.ts, so the drift test shares it); `--check` writes nothing and
// exits 1 when the file is stale.
//   node --conditions=@datalineage/source --import tsx scripts/config-reference.ts [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CONFIG_REFERENCE_FILE,
  generateConfigReference,
  REGENERATE_COMMAND,
} from '../test/support/config-reference.js';

/** Runs the script with its arguments; returns the exit code. */
export function run(args: readonly string[]): number {
  const expected = generateConfigReference();
  const shown = relative(process.cwd(), CONFIG_REFERENCE_FILE);
  if (args.includes('--check')) {
    let current: string | undefined;
    try {
      current = readFileSync(CONFIG_REFERENCE_FILE, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === expected) return 0;
    console.error(`${shown} is out of date with the configuration schema; run: ${REGENERATE_COMMAND}`);
    return 1;
  }
  writeFileSync(CONFIG_REFERENCE_FILE, expected);
  console.log(`wrote ${shown}`);
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = run(process.argv.slice(2));
}
