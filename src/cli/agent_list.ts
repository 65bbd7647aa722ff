/**
 * `kubegate agent list --project <path>`: the project's agents, their connected pods, the
 * versions those pods run, and configuration problems.
 */
import { adminCommand, findProject, printJson, printTable, withClient, type AdminFlags } from './admin_shared.js';

interface AgentAnswer {
  id: number;
  name: string;
  created_at: string;
  connections?: Array<{ version: string }>;
  configuration?: { errors?: unknown[]; warnings?: unknown[] };
  warnings?: Array<{ message: string }>;
}

export function listCommand() {
  return adminCommand('list')
    .description("List a project's agents with their connections")
    .action(async function listAgents(flags: AdminFlags) {
      await withClient(flags, async (client) => {
        const project = await findProject(client, flags.project);
        const agents = await client.list<AgentAnswer>(`/projects/${project.id}/cluster_agents`);
        if (flags.output === 'json') return printJson(agents);
        if (agents.length === 0) {
          process.stdout.write(`Project ${project.path_with_namespace} has no agents; register one with: kubegate agent register <name> --project ${project.path_with_namespace}\n`);
          return;
        }
        printTable(
          ['ID', 'NAME', 'CONNECTED PODS', 'VERSIONS', 'CONFIGURATION', 'CREATED'],
          agents.map((a) => [
            String(a.id),
            a.name,
            String(a.connections?.length ?? 0),
            [...new Set((a.connections ?? []).map((c) => c.version))].join(',') || '-',
            configurationState(a),
            a.created_at,
          ]),
        );
        for (const a of agents) for (const w of a.warnings ?? []) process.stdout.write(`warning: agent ${a.name}: ${w.message}\n`);
      });
    });
}

function configurationState(agent: AgentAnswer): string {
  const errors = agent.configuration?.errors?.length ?? 0;
  const warnings = agent.configuration?.warnings?.length ?? 0;
  if (errors > 0) return `${errors} error(s)`;
  if (warnings > 0) return `${warnings} warning(s)`;
  return 'ok';
}
