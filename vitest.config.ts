import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Tests import the packages' TypeScript sources through the `@datalineage/source` export
// condition, so no build is needed before `npm test`.
const conditions = ['@datalineage/source', ...defaultServerConditions];

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
