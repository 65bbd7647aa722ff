/**
 * `kubegate agent token create|list|revoke <agent> --project <path>`: an agent's tokens.
 * An agent has at most two active tokens, so a new one can be rolled out before the old
 * one is revoked. `create` prints the token alone on stdout (shown this once).
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { KubegateError } from '../lib/errors.js';
import { adminCommand, findAgent, findProject, note, printJson, printTable, withClient, type AdminFlags } from './admin_shared.js';
import { DEFAULT_INSTALL_CA_FILE, installOptions, type InstallFlags } from './agent_register.js';

interface TokenAnswer {
  id: number;
  name: string;
  description: string | null;
  status: string;
  created_at: string;
  last_used_at: string | null;
  token?: string;
  install?: { command: string; ca_cert: string | null };
}

export function tokenCommand(): Command {
  const token = new Command('token').description("Create, list and revoke an agent's tokens");
  token.addCommand(createCommand());
  token.addCommand(listCommand());
  token.addCommand(revokeCommand());
  return token;
}

function createCommand() {
  return adminCommand('create')
    .description('Create a token for an agent (at most two are active at a time) and print it')
    .argument('<agent>', 'the agent name')
    .addOption(new Option('--name <name>', 'the token name (default: <agent>-<today>)'))
    .addOption(new Option('--description <text>', 'what the token is for'))
    .addOption(new Option('--install-ca-file <file>', "where to save the server's CA certificate for the install command, when the server's CA is private").default(DEFAULT_INSTALL_CA_FILE))
    .addOption(new Option('--helm-release-name <name>', 'the Helm release the printed command upgrades (default: the agent name)'))
    .addOption(new Option('--helm-release-namespace <namespace>', 'its namespace (default: kubegate-agent-<agent>)'))
    .action(async function createToken(agentName: string, flags: AdminFlags & InstallFlags & { name?: string; description?: string }) {
      await withClient(flags, async (client) => {
        const project = await findProject(client, flags.project);
        const agent = await findAgent(client, project, agentName);
        const caFile = resolve(flags.installCaFile);
        const created = await client.request<TokenAnswer>('POST', `/projects/${project.id}/cluster_agents/${agent.id}/tokens`, {
          name: flags.name ?? `${agent.name}-${new Date().toISOString().slice(0, 10)}`,
          ...(flags.description ? { description: flags.description } : {}),
          ...installOptions(flags, caFile),
        });
        if (created.install?.ca_cert) await writeFile(caFile, created.install.ca_cert, { mode: 0o644 });
        if (flags.output === 'json') return printJson(created);
        process.stdout.write(`${created.token}\n`);
        note(`Created token "${created.name}" (id ${created.id}) for agent ${agent.name}; it is shown only this once.`);
        if (created.install) {
          note(`To install the agent with it, or to move a release installed with \`helm upgrade --install\` to it:\n\n${created.install.command}`);
          note(`Then revoke the old token: kubegate agent token revoke ${agent.name} <old token id> --project ${project.path_with_namespace}`);
        }
      });
    });
}

function listCommand() {
  return adminCommand('list')
    .description("List an agent's tokens (active and revoked)")
    .argument('<agent>', 'the agent name')
    .action(async function listTokens(agentName: string, flags: AdminFlags) {
      await withClient(flags, async (client) => {
        const project = await findProject(client, flags.project);
        const agent = await findAgent(client, project, agentName);
        const tokens = await client.list<TokenAnswer>(`/projects/${project.id}/cluster_agents/${agent.id}/tokens`);
        if (flags.output === 'json') return printJson(tokens);
        if (tokens.length === 0) {
          process.stdout.write(`Agent ${agent.name} has no tokens; create one with: kubegate agent token create ${agent.name} --project ${project.path_with_namespace}\n`);
          return;
        }
        printTable(
          ['ID', 'NAME', 'STATUS', 'CREATED', 'LAST USED', 'DESCRIPTION'],
          tokens.map((t) => [String(t.id), t.name, t.status, t.created_at, t.last_used_at ?? 'never', t.description ?? '']),
        );
      });
    });
}

function revokeCommand() {
  return adminCommand('revoke')
    .description("Revoke one of an agent's tokens; the pods connected with it are disconnected within seconds")
    .argument('<agent>', 'the agent name')
    .argument('[token]', 'the token id, or its name when no other token of the agent has that name')
    .addOption(new Option('--token-id <id>', 'the token id (instead of the [token] argument)'))
    .action(async function revokeToken(agentName: string, tokenArg: string | undefined, flags: AdminFlags & { tokenId?: string }) {
      if (tokenArg !== undefined && flags.tokenId !== undefined && tokenArg !== flags.tokenId) {
        throw new KubegateError('bad_request', `two tokens named: "${tokenArg}" and --token-id ${flags.tokenId}; give one`);
      }
      const tokenRef = tokenArg ?? flags.tokenId;
      if (tokenRef === undefined) {
        throw new KubegateError('bad_request', `name the token to revoke, by id or name: kubegate agent token revoke ${agentName} <token> (kubegate agent token list ${agentName} shows them)`);
      }
      await withClient(flags, async (client) => {
        const project = await findProject(client, flags.project);
        const agent = await findAgent(client, project, agentName);
        const tokens = await client.list<TokenAnswer>(`/projects/${project.id}/cluster_agents/${agent.id}/tokens`);
        const target = pickToken(tokens, tokenRef, agent.name, project.path_with_namespace);
        await client.request('DELETE', `/projects/${project.id}/cluster_agents/${agent.id}/tokens/${target.id}`);
        if (flags.output === 'json') return printJson({ revoked: { ...target, status: 'revoked' } });
        process.stdout.write(`Revoked token "${target.name}" (id ${target.id}) of agent ${agent.name}; pods connected with it are disconnected within seconds.\n`);
      });
    });
}

function pickToken(tokens: TokenAnswer[], ref: string, agent: string, project: string): TokenAnswer {
  const listing = `kubegate agent token list ${agent} --project ${project} shows them`;
  if (/^\d+$/.test(ref)) {
    const byId = tokens.find((t) => t.id === Number(ref));
    if (!byId) throw new KubegateError('not_found', `agent ${agent} has no token with id ${ref}; ${listing}`);
    return byId;
  }
  const byName = tokens.filter((t) => t.name === ref);
  if (byName.length === 0) throw new KubegateError('not_found', `agent ${agent} has no token named "${ref}"; ${listing}`);
  if (byName.length > 1) throw new KubegateError('bad_request', `agent ${agent} has ${byName.length} tokens named "${ref}" (ids ${byName.map((t) => t.id).join(', ')}); give the id instead`);
  return byName[0]!;
}
