/**
 * Configuration files that sit next to a registered agent but are not where the agent
 * reads (`.gitlab/agents/<name>/config.yaml`): `config.yml`, a file named after the agent,
 * a folder too deep or too shallow, `agent` for `agents`, the name in another case. GitLab
 * ignores them in silence; the agent gets a warning that names the file and the move.
 */
/** Where an agent reads its configuration, on its project's default branch. */
export function configPath(agentName: string): string {
  return `.gitlab/agents/${agentName}/config.yaml`;
}

/** Where misplaced configuration files are looked for. */
export const CONFIG_ROOTS = ['.gitlab', 'gitlab'] as const;

export function misplacedConfigWarnings(agentName: string, paths: readonly string[]): string[] {
  const expected = configPath(agentName);
  if (paths.includes(expected)) return [];
  const name = agentName.toLowerCase();
  const found: string[] = [];
  for (const path of paths) {
    const lower = path.toLowerCase();
    if (lower === expected) {
      found.push(path); // another case: git paths are case-sensitive
      continue;
    }
    const parts = lower.split('/');
    if (parts[0] !== '.gitlab' && parts[0] !== 'gitlab') continue;
    const file = parts.at(-1)!;
    const isConfig = /^config\.ya?ml$/.test(file) || file === `${name}.yaml` || file === `${name}.yml`;
    if (!isConfig) continue;
    // The agent's name must appear as a folder or as the file name.
    if (!parts.slice(1, -1).includes(name) && !file.startsWith(`${name}.`)) continue;
    found.push(path);
  }
  return found.map((path) => `${path} is not read: the configuration of agent "${agentName}" must be at ${expected} (rename or move it there)`);
}
