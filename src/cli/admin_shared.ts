/**
 * What the agent administration commands share: the connection and output options, and
 * finding a project or an agent by the names people type.
 */
import { Command, Option } from 'commander';
import { KubegateError } from '../lib/errors.js';
import { connect, type ConnectionFlags, type RestClient } from './rest_client.js';

export interface AdminFlags extends ConnectionFlags {
  output: 'text' | 'json';
  project: string;
}

/** `--url`, `--token`, `--ca-cert-file`, `--output` and `--project`, each with its variable. */
export function adminCommand(name: string): Command {
  return new Command(name)
    .addOption(new Option('--project <path>', "the agent's configuration project: its full path (e.g. platform/clusters) or id").env('KUBEGATE_PROJECT').makeOptionMandatory())
    .addOption(new Option('--url <url>', "the Kubegate server's external URL").env('KUBEGATE_URL'))
    .addOption(new Option('--token <token>', 'a personal access token with the api scope').env('KUBEGATE_TOKEN'))
    .addOption(new Option('--ca-cert-file <file>', "CA certificate (PEM) to trust for the server's certificate").env('KUBEGATE_CA_CERT_FILE'))
    .addOption(new Option('-o, --output <format>', 'text for people, json for scripts').choices(['text', 'json']).default('text').env('KUBEGATE_OUTPUT'));
}

/** Runs `body` with a client, closing it afterwards. */
export async function withClient<T>(flags: ConnectionFlags, body: (client: RestClient) => Promise<T>): Promise<T> {
  const client = await connect(flags);
  try {
    return await body(client);
  } finally {
    await client.close();
  }
}

export interface ProjectRef {
  id: number;
  path_with_namespace: string;
}

export interface AgentRef {
  id: number;
  name: string;
}

export async function findProject(client: RestClient, project: string): Promise<ProjectRef> {
  try {
    return await client.request<ProjectRef>('GET', `/projects/${encodeURIComponent(project)}`);
  } catch (err) {
    if (err instanceof KubegateError && err.code === 'not_found') {
      throw new KubegateError('not_found', `project "${project}" was not found, or your token cannot see it; --project takes the project's full path (e.g. platform/clusters) or id`);
    }
    throw err;
  }
}

export async function findAgent(client: RestClient, project: ProjectRef, name: string): Promise<AgentRef & Record<string, unknown>> {
  const agents = await client.list<AgentRef & Record<string, unknown>>(`/projects/${project.id}/cluster_agents`);
  const agent = agents.find((a) => a.name === name);
  if (!agent) {
    const known = agents.map((a) => a.name).join(', ');
    throw new KubegateError('not_found', `project ${project.path_with_namespace} has no agent named "${name}"${known ? ` (its agents: ${known})` : ' (it has no agents)'}; kubegate agent list --project ${project.path_with_namespace} shows them`);
  }
  return agent;
}

/** Writes `value` as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A table with a header row, columns padded to their widest cell. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  process.stdout.write(`${[header, ...rows].map(line).join('\n')}\n`);
}

/** A note for people, on stderr, so stdout stays what scripts read. */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}
