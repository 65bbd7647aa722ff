// Lint rules that keep the layers apart (DESIGN.md §8): the agent binary must stay small
// and hold no server code, so agent code may import only agent halves and shared code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';

const SERVER_ONLY = ['**/server/**', '**/server.js', '**/store/**', '**/modules/*/server*.js', '**/modules/*/api*.js'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'web/dist/**', '.tools/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src/agent/**/*.ts', 'src/modules/*/agent*.ts', 'src/modules/*/shared*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: SERVER_ONLY,
              message: 'agent code must not import server code (DESIGN.md §8): move what both sides need into a shared file',
            },
            { group: ['fastify', 'kysely', 'better-sqlite3', 'pg', 'ioredis'], message: 'server-only dependency in agent code' },
          ],
        },
      ],
    },
  },
  {
    files: ['web/src/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat.recommended,
    languageOptions: { globals: globals.browser },
  },
  {
    // The UI is a client of the REST API like any other (docs/ui.md): it may take the
    // server's TYPES of the API answers, never its code.
    files: ['web/src/**/*.{ts,tsx}'],
    ignores: ['web/src/**/*.test.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src/modules/**', '**/src/server/**', '**/src/store/**', '**/src/lib/**', '**/src/cli/**', '**/src/agent/**'],
              allowTypeImports: true,
              message: 'the web UI may import only types from the server (import type …); it talks to the server through /api/v4',
            },
          ],
        },
      ],
    },
  },
);
