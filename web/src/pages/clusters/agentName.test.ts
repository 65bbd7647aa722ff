/**
 * The name check the UI runs as the user types must give the API's own answers: this
 * runs both over the same names (the server's validator is imported here, in a test,
 * never by the UI itself).
 */
import { describe, expect, test } from 'vitest';
import { validateAgentName } from '../../../../src/modules/agents/names.js';
import { agentNameProblem } from './agentName';

function apiMessage(name: string): string | null {
  try {
    validateAgentName(name);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

const NAMES = ['', 'prod', 'prod-1', '1prod', 'Prod', 'prod_1', 'prod.eu', '-prod', 'prod-', 'a', 'a'.repeat(63), 'a'.repeat(64), 'pröd', 'my agent', 'UPPER-case', '--', '0'];

describe('agent name check', () => {
  test.each(NAMES)('"%s" gets the same answer as from the API', (name) => {
    expect(agentNameProblem(name)).toBe(apiMessage(name));
  });

  test('names the broken rule and the way out', () => {
    expect(agentNameProblem('Prod')).toBe('name "Prod" must be lower case: use "prod"');
    expect(agentNameProblem('prod_1')).toContain("only lower-case letters, digits and '-' are allowed");
  });
});
