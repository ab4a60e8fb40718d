// Lint rules that hold the architecture of STYLE.md: who may import whom, one direction only.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const layer = (...dirs) => dirs.flatMap((d) => [`../${d}`, `../${d}/*`, `../../${d}`, `../../${d}/*`]);
const forbid = (patterns, message, allowTypeImports = false) => ({
  '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: patterns, message, allowTypeImports }] }],
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.data/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['platform/**/*.ts'],
    rules: forbid(layer('api', 'db', 'metering', 'workflows', 'activities', 'bin', 'embedded', 'testing'), 'platform/ imports nothing of ours.'),
  },
  {
    // The embedded mode of `npm start` (PGlite, the Temporal dev server, the tool cache).
    files: ['embedded/**/*.ts'],
    rules: forbid(layer('api', 'db', 'metering', 'workflows', 'activities', 'bin', 'testing'), 'embedded/ imports platform/ only.'),
  },
  {
    // Test infrastructure (Debian Postgres and ClickHouse servers, stripe-mock), for test/, scripts/ and bench/.
    files: ['testing/**/*.ts'],
    rules: forbid(layer('api', 'db', 'metering', 'workflows', 'activities', 'bin'), 'testing/ imports platform/ and embedded/ only.'),
  },
  {
    files: ['bin/**/*.ts'],
    rules: forbid(layer('testing'), 'Runtime code never imports the test infrastructure in testing/.'),
  },
  {
    files: ['metering/**/*.ts'],
    rules: forbid([...layer('api', 'workflows', 'activities', 'bin', 'db', 'embedded', 'testing'), '@temporalio/*'], 'metering/ imports platform/ only, never Temporal.'),
  },
  {
    files: ['db/**/*.ts'],
    rules: forbid([...layer('api', 'workflows', 'activities', 'bin', 'metering', 'embedded', 'testing'), '@temporalio/*'], 'db/ imports platform/ only, never Temporal.'),
  },
  {
    files: ['activities/**/*.ts'],
    rules: forbid(layer('api', 'workflows', 'bin', 'embedded', 'testing'), 'activities/ import metering/, db/, platform/ and vendor SDKs.'),
  },
  {
    files: ['api/**/*.ts'],
    rules: forbid(layer('activities', 'bin', 'embedded', 'testing'), 'api/ never imports activities/: it starts workflows.'),
  },
  {
    // Workflow code is replayed deterministically in a sandbox: no I/O, no Node, activity types only.
    files: ['workflows/**/*.ts'],
    rules: {
      ...forbid([...layer('activities')], 'Workflows import activities as types only (import type).', true),
      'no-restricted-imports': ['error', {
        paths: nodeBuiltins.map((name) => ({ name, message: 'No Node built-ins in workflow code.' })),
        patterns: [{ group: ['pg', 'stripe', '@clickhouse/*', 'chdb', ...layer('platform', 'db', 'metering', 'api', 'bin', 'embedded', 'testing')], message: 'Workflows reach the world through activities only.' }],
      }],
      'no-restricted-globals': ['error', { name: 'process', message: 'No process.env in workflows.' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Use uuid4() or deterministic values.' }],
    },
  },
);
