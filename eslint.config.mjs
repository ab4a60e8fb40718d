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
    rules: forbid(layer('api', 'db', 'metering', 'workflows', 'activities', 'bin'), 'platform/ imports nothing of ours.'),
  },
  {
    files: ['metering/**/*.ts'],
    rules: forbid([...layer('api', 'workflows', 'activities', 'bin', 'db'), '@temporalio/*'], 'metering/ imports platform/ only, never Temporal.'),
  },
  {
    files: ['db/**/*.ts'],
    rules: forbid([...layer('api', 'workflows', 'activities', 'bin', 'metering'), '@temporalio/*'], 'db/ imports platform/ only, never Temporal.'),
  },
  {
    files: ['activities/**/*.ts'],
    rules: forbid(layer('api', 'workflows', 'bin'), 'activities/ import metering/, db/, platform/ and vendor SDKs.'),
  },
  {
    files: ['api/**/*.ts'],
    rules: forbid(layer('activities', 'bin'), 'api/ never imports activities/: it starts workflows.'),
  },
  {
    // Workflow code is replayed deterministically in a sandbox: no I/O, no Node, activity types only.
    files: ['workflows/**/*.ts'],
    rules: {
      ...forbid([...layer('activities')], 'Workflows import activities as types only (import type).', true),
      'no-restricted-imports': ['error', {
        paths: nodeBuiltins.map((name) => ({ name, message: 'No Node built-ins in workflow code.' })),
        patterns: [{ group: ['pg', 'stripe', '@clickhouse/*', 'chdb', ...layer('platform', 'db', 'metering', 'api', 'bin')], message: 'Workflows reach the world through activities only.' }],
      }],
      'no-restricted-globals': ['error', { name: 'process', message: 'No process.env in workflows.' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Use uuid4() or deterministic values.' }],
    },
  },
);
