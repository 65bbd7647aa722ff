/**
 * What `git push` shows (`remote: …`) when it changed an agent's configuration on the
 * default branch: the errors of a file that was rejected (the previous configuration
 * stays in force; the push itself succeeds, as GitLab's does), and files that the agent
 * will never read because they are misnamed or misplaced.
 */
import type { Agent, Project } from '../../store/schema.js';
import { parseAgentConfig } from '../agent_config/index.js';
import { changedPaths, listFilesAtCommit, readFileAtCommit } from '../git/reader.js';
import { CONFIG_ROOTS, configPath, misplacedConfigWarnings } from './config_paths.js';

export interface PushFeedbackDeps {
  agentsOf(projectId: number): Promise<Agent[]>;
  gitDir(projectId: number): string;
}

export function createAgentConfigPushFeedback(deps: PushFeedbackDeps) {
  return async function agentConfigPushFeedback(project: Project, updates: ReadonlyArray<{ ref: string; before: string; after: string }>): Promise<string[]> {
    const update = updates.find((u) => u.ref === `refs/heads/${project.default_branch}` && !/^0+$/.test(u.after));
    if (!update) return [];
    const agents = await deps.agentsOf(project.id);
    if (agents.length === 0) return [];
    const gitDir = deps.gitDir(project.id);
    const changed = new Set(await changedPaths(gitDir, update.before, update.after, CONFIG_ROOTS));
    if (changed.size === 0) return [];
    const lines: string[] = [];
    let files: string[] | undefined;
    for (const agent of agents) {
      const path = configPath(agent.name);
      if (changed.has(path)) {
        const file = await readFileAtCommit(gitDir, update.after, path);
        const parsed = parseAgentConfig(file?.content ?? null);
        if (parsed.errors.length > 0) {
          lines.push(`Kubegate: the configuration of agent "${agent.name}" (${path}) has errors; the previous configuration stays in force:`);
          for (const error of parsed.errors) lines.push(`  ${path}: ${error.message}`);
        }
        continue;
      }
      files ??= await listFilesAtCommit(gitDir, update.after, CONFIG_ROOTS);
      for (const warning of misplacedConfigWarnings(agent.name, files)) {
        if ([...changed].some((p) => warning.startsWith(`${p} `))) lines.push(`Kubegate: agent "${agent.name}": ${warning}`);
      }
    }
    return lines;
  };
}
