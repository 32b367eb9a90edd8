import { defineConfig } from 'vitest/config';

// Tests import the packages' TypeScript sources through the `@datalineage/source` export
// condition, so no build is needed before `npm test`.
// No 'module' condition: OpenTelemetry's `module` builds are not loadable by Node itself.
const conditions = ['@datalineage/source', 'node'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@datalineage/source'] } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['test/load/**', '**/node_modules/**'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        // The load test runs last, alone: its latency figures and its one-second scrape bound
        // must not depend on whichever other test files share the two cores with it.
        extends: true,
        test: { name: 'load', include: ['test/load/**/*.test.ts'], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
