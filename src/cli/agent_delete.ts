/**
 * `kubegate agent delete <name> --project <path>`: deletes the agent and its tokens; its
 * pods are disconnected at once. The cluster side stays until `helm uninstall`.
 */
import { adminCommand, findAgent, findProject, note, printJson, withClient, type AdminFlags } from './admin_shared.js';

export function deleteCommand() {
  return adminCommand('delete')
    .description('Delete an agent and its tokens (its connected pods are disconnected)')
    .argument('<name>', 'the agent name')
    .action(async function deleteAgent(name: string, flags: AdminFlags) {
      await withClient(flags, async (client) => {
        const project = await findProject(client, flags.project);
        const agent = await findAgent(client, project, name);
        await client.request('DELETE', `/projects/${project.id}/cluster_agents/${agent.id}`);
        if (flags.output === 'json') return printJson({ deleted: agent });
        process.stdout.write(`Deleted agent "${agent.name}" (id ${agent.id}) from ${project.path_with_namespace}; its connections are closed.\n`);
        note('Remove it from the cluster too: helm uninstall <release> --namespace <namespace> (see docs/install.md).');
      });
    });
}
