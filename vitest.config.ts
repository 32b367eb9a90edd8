import { defineConfig } from 'vitest/config';

// Tests import the packages' TypeScript sources through the `@datalineage/source` export
// condition, so no build is needed before `npm test`.
// No 'module' condition: OpenTelemetry's `module` builds are not loadable by Node itself.
const conditions = ['@datalineage/source', 'node'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@datalineage/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
