// ESLint for every TypeScript and JavaScript file: the recommended rules of ESLint and typescript-eslint,
// React's hook rules in the SPA, and nothing about layout (Prettier formats; eslint-config-prettier turns
// the overlapping rules off). `npm run lint` runs it, `.ci/run` and the GitHub workflow too.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores([
    '**/node_modules/**',
    '**/dist/**',
    '.dist-*/**',
    '.data/**',
    'coverage/**',
    'test-results/**',
    'native/target/**',
    // Generated: the napi binding loader and the API types (their sources are the Rust crate and openapi.json).
    'native/binding/**',
    'apps/web/src/lib/api/schema.d.ts',
    'libs/api-client/src/schema.d.ts',
    // Repositories the tests hand to agents: their code is data, including deliberately broken code.
    'test/fixtures/**',
    // The eval's tasks: upstream packages' code and tests, kept byte for byte as published.
    'bench/eval/tasks/**',
    'bench/eval/upstream/**',
  ]),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Unused names are mistakes, except a leading underscore that says "deliberately ignored".
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // Nest's modules and DTOs are classes with decorators and no members.
      '@typescript-eslint/no-extraneous-class': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': 'off',
    },
  },
  {
    // Tests read JSON answers of every shape; `any` there saves a cast per line and checks nothing less.
    files: ['test/**/*.ts', '**/*.spec.{ts,tsx}', 'apps/web/src/test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.cjs', 'bin/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['apps/web/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  prettier,
);
