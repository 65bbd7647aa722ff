/**
 * The agent name rules, checked as the user types, with the API's own messages
 * (src/modules/agents/names.ts; agentName.test.ts holds the two to the same answers).
 * The UI may import only types from the server, so the rules are written twice and
 * the test keeps them one.
 */
export const MAX_AGENT_NAME = 63;

/** The problem with `name`, in the API's words, or null when the API will accept it. */
export function agentNameProblem(name: string): string | null {
  if (name.length === 0) return 'name is missing';
  if (name.length > MAX_AGENT_NAME) return `name is too long (${name.length} characters; at most ${MAX_AGENT_NAME})`;
  if (/[A-Z]/.test(name)) return `name "${name}" must be lower case: use "${name.toLowerCase()}"`;
  const bad = name.match(/[^a-z0-9-]/);
  if (bad) return `name "${name}" contains "${bad[0]}": only lower-case letters, digits and '-' are allowed`;
  if (!/^[a-z0-9]/.test(name)) return `name "${name}" must start with a lower-case letter or a digit`;
  if (!/[a-z0-9]$/.test(name)) return `name "${name}" must end with a lower-case letter or a digit`;
  return null;
}
