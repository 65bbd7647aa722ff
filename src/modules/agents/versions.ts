/**
 * Version compatibility warnings (DESIGN §7): an agent more than one minor version away
 * from the server, and pods of one agent on different versions.
 */
export interface VersionWarning {
  type: 'agent_version_mismatch' | 'agent_versions_differ';
  message: string;
}

export function parseMajorMinor(version: string): { major: number; minor: number } | null {
  const m = /^v?(\d+)\.(\d+)/.exec(version.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : null;
}

export function versionWarnings(serverVersion: string, agentVersions: readonly string[]): VersionWarning[] {
  const warnings: VersionWarning[] = [];
  const server = parseMajorMinor(serverVersion);
  const distinct = [...new Set(agentVersions.filter((v) => v.length > 0))].sort();
  for (const v of distinct) {
    const agent = parseMajorMinor(v);
    if (!server || !agent) continue;
    const tooFar = agent.major !== server.major || Math.abs(agent.minor - server.minor) > 1;
    if (tooFar) {
      warnings.push({
        type: 'agent_version_mismatch',
        message: `agent version ${v} is more than one minor version away from the server (${serverVersion}); upgrade the agent to ${server.major}.${server.minor}`,
      });
    }
  }
  if (distinct.length > 1) {
    warnings.push({
      type: 'agent_versions_differ',
      message: `the agent's pods run different versions (${distinct.join(', ')}); finish the rollout so that all pods run one version`,
    });
  }
  return warnings;
}
