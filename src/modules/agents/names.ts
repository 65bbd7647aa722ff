import { badRequest } from '../../lib/errors.js';

export const MAX_AGENT_NAME = 63;

/**
 * Agent names are RFC 1123 labels (they become Kubernetes object names and part of
 * kubeconfig context names). Each broken rule gets its own message, so the fix is obvious.
 */
export function validateAgentName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) throw badRequest('name is missing');
  if (name.length > MAX_AGENT_NAME) throw badRequest(`name is too long (${name.length} characters; at most ${MAX_AGENT_NAME})`);
  if (/[A-Z]/.test(name)) throw badRequest(`name "${name}" must be lower case: use "${name.toLowerCase()}"`);
  const bad = name.match(/[^a-z0-9-]/);
  if (bad) throw badRequest(`name "${name}" contains "${bad[0]}": only lower-case letters, digits and '-' are allowed`);
  if (!/^[a-z0-9]/.test(name)) throw badRequest(`name "${name}" must start with a lower-case letter or a digit`);
  if (!/[a-z0-9]$/.test(name)) throw badRequest(`name "${name}" must end with a lower-case letter or a digit`);
  return name;
}
