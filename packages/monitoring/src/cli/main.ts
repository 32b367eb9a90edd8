#!/usr/bin/env node
// datalineage-monitor: the SDK's command line.
//   validate-config FILE   every problem of a monitoring-config.yaml (and its rules and channels), exit 1 if any
//   print-config [FILE]    the effective configuration (file < environment), secrets masked, as YAML
//   test-rules FILE...     alert rule unit tests (see test-rules.ts for the file format), exit 1 on a failure
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '@datalineage/core';
import { MonitoringSystem } from '../monitoring.js';
import { printConfig } from './print-config.js';
import { runRuleTests } from './test-rules.js';

const USAGE = `usage: datalineage-monitor <command> [arguments]

commands:
  validate-config FILE   check a monitoring-config.yaml: every problem, with its key and line
  print-config [FILE]    print the effective configuration (FILE, DATALINEAGE_* and OTEL_* variables),
                         secrets masked
  test-rules FILE...     run alert rule tests written in YAML (like promtool test rules)
`;

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

/** Runs one command; returns the exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let positionals: string[];
  try {
    ({ positionals } = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: {} }));
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [command, ...files] = positionals;
  try {
    switch (command) {
      case 'validate-config': {
        if (files.length !== 1) break;
        // Loading checks every key; building the system checks rules and channels too.
        const config = loadConfig({ config: { configFile: files[0] as string }, env: io.env });
        const system = new MonitoringSystem({ ...config, handleSignals: false });
        await system.shutdown();
        io.out(
          `${files[0]}: valid (${config.alerts.rules.length} alert rules, ${config.alerts.channels.length} channels, ` +
            `exporters on: ${
              Object.entries(config.exporters)
                .filter(([, e]) => e.enabled)
                .map(([name]) => name)
                .join(', ') || 'none'
            })\n`,
        );
        return 0;
      }
      case 'print-config': {
        if (files.length > 1) break;
        const config = loadConfig({
          ...(files[0] === undefined ? {} : { config: { configFile: files[0] } }),
          env: io.env,
        });
        io.out(printConfig(config));
        return 0;
      }
      case 'test-rules': {
        if (files.length === 0) break;
        let failed = 0;
        for (const file of files) {
          const report = runRuleTests(file);
          io.out(`${file}\n${report.lines.map((line) => `  ${line}`).join('\n')}\n`);
          failed += report.failed;
          io.out(`  ${report.passed} passed, ${report.failed} failed\n`);
        }
        return failed === 0 ? 0 : 1;
      }
      case undefined:
      case 'help':
      case '--help':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        io.err(`unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
    io.err(`wrong arguments for ${command}\n\n${USAGE}`);
    return 2;
  } catch (error) {
    io.err(
      `${error instanceof ConfigError ? error.message : `error: ${(error as Error).message ?? String(error)}`}\n`,
    );
    return 1;
  }
}

// Run when executed (bin), not when imported (tests).
const invoked = process.argv[1] ?? '';
if (/(?:datalineage-monitor|cli[/\\]main\.[jt]s)$/.test(invoked)) {
  runCli(process.argv.slice(2), {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
  }).then((code) => {
    process.exitCode = code;
  });
}
