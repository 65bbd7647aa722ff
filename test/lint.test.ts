import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';

// The agent must stay small and hold no server code (DESIGN.md §8); the lint rule is
// what enforces it, so it is tested like any other behaviour.
const eslint = new ESLint({ cwd: process.cwd() });

async function lint(code: string, filePath: string) {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

test('agent code may not import server code', async () => {
  const messages = await lint("import { createKubegateServer } from '../server/app.js';\nvoid createKubegateServer;\n", 'src/agent/example.ts');
  assert.equal(messages.length, 1);
  assert.match(messages[0]!, /agent code must not import server code/);
});

test('an agent half of a module may not import its server half or the store', async () => {
  const code = "import { x } from './server.js';\nimport { y } from '../../store/db.js';\nvoid x; void y;\n";
  assert.equal((await lint(code, 'src/modules/tunnel/agent.ts')).length, 2);
});

test('agent code may not use server-only libraries', async () => {
  assert.equal((await lint("import Fastify from 'fastify';\nvoid Fastify;\n", 'src/agent/example.ts')).length, 1);
});

test('agent code may import shared halves', async () => {
  assert.deepEqual(await lint("import { z } from '../modules/tunnel/shared.js';\nvoid z;\n", 'src/agent/example.ts'), []);
});

async function lintWeb(code: string, filePath: string) {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

test('the web UI may import types of the REST answers from the server, never its code', async () => {
  const value = "import { agentTokenJson } from '../../../src/modules/agents/api.js';\nvoid agentTokenJson;\n";
  const messages = await lintWeb(value, 'web/src/api/example.ts');
  assert.equal(messages.length, 1);
  assert.match(messages[0]!, /only types from the server/);
  const typeOnly = "import type { AgentJson } from '../../../src/modules/agents/api.js';\nexport type A = AgentJson;\n";
  assert.deepEqual(await lintWeb(typeOnly, 'web/src/api/example.ts'), []);
  assert.deepEqual(await lintWeb("import { api } from './client';\nvoid api;\n", 'web/src/api/example.ts'), []);
});
