import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string): string => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

// Tests import workspace packages by name; the alias points them at the sources so a test run
// checks the code as written (tsc -b, run before the tests by `npm test`, checks the build).
export default defineConfig({
  resolve: {
    alias: {
      '@flowspec/engine': src('engine'),
      '@flowspec/testing': src('testing'),
      '@flowspec/store-sqlite': src('store-sqlite'),
      '@flowspec/rest': src('rest'),
      '@flowspec/cli': src('cli'),
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 20_000,
  },
});
