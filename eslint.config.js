// ESLint flat config: typescript-eslint's recommended rules, import boundaries between the
// engine's folders (eslint-plugin-boundaries, STYLE.md: runtime -> compile -> spec, all -> errors)
// and between workspace packages (no-restricted-imports).
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

const engine = 'packages/engine/src';

/** Engine folders and what each may import (besides itself and node/npm modules). */
const engineLayers = {
  errors: [],
  logger: [],
  spec: ['errors', 'expr', 'schedule'],
  expr: ['errors', 'spec'],
  schedule: ['errors', 'spec'],
  compile: ['errors', 'spec', 'expr', 'schedule'],
  store: ['errors', 'spec'],
  actions: ['errors', 'logger', 'expr', 'spec'],
  runtime: ['errors', 'logger', 'spec', 'expr', 'compile', 'store', 'actions', 'schedule'],
  api: ['errors', 'logger', 'spec', 'expr', 'compile', 'store', 'actions', 'runtime', 'schedule'],
};

/** Workspace packages a package may not import. */
const forbiddenPackages = {
  engine: ['@flowspec/*'],
  testing: ['@flowspec/rest', '@flowspec/cli', '@flowspec/store-*'],
  'store-sqlite': ['@flowspec/rest', '@flowspec/cli', '@flowspec/store-postgres'],
  'store-postgres': ['@flowspec/rest', '@flowspec/cli', '@flowspec/store-sqlite'],
  rest: ['@flowspec/cli', '@flowspec/store-*'],
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', 'benchmarks/results/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setImmediate: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        queueMicrotask: 'readonly',
        URL: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        fetch: 'readonly',
        performance: 'readonly',
        structuredClone: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use an `as const` object instead of enum.' },
      ],
    },
  },
  {
    files: [`${engine}/**/*.ts`],
    plugins: { boundaries },
    settings: {
      'import/resolver': { typescript: { project: ['packages/*/tsconfig.json'], noWarnOnMultipleProjects: true } },
      'boundaries/include': [`${engine}/**/*`],
      'boundaries/elements': [
        { type: 'errors', pattern: `${engine}/errors.ts`, mode: 'full' },
        { type: 'logger', pattern: `${engine}/logger.ts`, mode: 'full' },
        ...['spec', 'expr', 'schedule', 'compile', 'store', 'actions', 'runtime'].map((type) => ({
          type,
          pattern: `${engine}/${type}/**/*`,
          mode: 'full',
        })),
        { type: 'api', pattern: `${engine}/*.ts`, mode: 'full' },
      ],
    },
    rules: {
      'boundaries/element-types': [
        'error',
        {
          default: 'disallow',
          rules: Object.entries(engineLayers).map(([from, allow]) => ({ from, allow: [from, ...allow] })),
        },
      ],
    },
  },
  ...Object.entries(forbiddenPackages).map(([pkg, patterns]) => ({
    files: [`packages/${pkg}/src/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: patterns, message: `@flowspec/${pkg} may not import this package (STYLE.md layout).` },
            { group: ['@flowspec/cli'], message: 'Nothing imports the composition root (@flowspec/cli).' },
          ],
        },
      ],
    },
  })),
  {
    files: ['**/*.test.ts', '**/*.prop.test.ts', 'test/**', 'benchmarks/**', 'scripts/**', '**/scripts/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
