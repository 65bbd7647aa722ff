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
  const distinct = [...new Set(agentVersions.filter((v) => v.length > 0))].sort(compareVersions);
  for (const v of distinct) {
    const agent = parseMajorMinor(v);
    if (!server || !agent) continue;
    const tooFar = agent.major !== server.major || Math.abs(agent.minor - server.minor) > 1;
    if (!tooFar) continue;
    const newer = agent.major > server.major || (agent.major === server.major && agent.minor > server.minor);
    // Either side may be the one to move: never tell a newer agent to "upgrade" to an older version.
    warnings.push({
      type: 'agent_version_mismatch',
      message: newer
        ? `agent version ${v} is newer than the server (${serverVersion}) by more than one minor version; upgrade the server to ${agent.major}.${agent.minor}, or install agent ${server.major}.${server.minor}`
        : `agent version ${v} is more than one minor version behind the server (${serverVersion}); upgrade the agent to ${server.major}.${server.minor}`,
    });
  }
  if (distinct.length > 1) {
    warnings.push({
      type: 'agent_versions_differ',
      message: `the agent's pods run different versions (${distinct.join(', ')}); finish the rollout so that all pods run one version`,
    });
  }
  return warnings;
}

/** Numeric order of `v1.9.0` < `v1.10.0` (a string sort puts 1.10 first). */
function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split(/[.-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const pb = b.replace(/^v/, '').split(/[.-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? -1;
    const y = pb[i] ?? -1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}
