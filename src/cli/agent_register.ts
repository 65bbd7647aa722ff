/**
 * `kubegate agent register <name> --project <path>`: registers the agent, creates its
 * first token, and prints the command that installs it with Helm from the server's chart
 * repository. The server writes that command (the same text the web UI shows); this
 * command saves the server's private CA where the command reads it.
 *
 * stdout is the command alone, runnable as printed (`… > install.sh && sh install.sh`);
 * what people should know goes to stderr.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Option } from 'commander';
import { KubegateError } from '../lib/errors.js';
import { adminCommand, findProject, note, printJson, withClient, type AdminFlags } from './agent_admin.js';

/** The first token's name, unless `--token-name` says otherwise. */
export const FIRST_TOKEN_NAME = 'initial';
export const DEFAULT_INSTALL_CA_FILE = 'kubegate-ca.pem';

interface RegisterFlags extends AdminFlags {
  tokenName: string;
  installCaFile: string;
}

interface InstallAnswer {
  command: string;
  chart_repository_url: string;
  helm_release_name: string;
  namespace: string;
  ca_cert: string | null;
  ca_cert_file: string | null;
}

export function registerCommand() {
  return adminCommand('register')
    .description('Register an agent, create its first token, and print the helm commands that install it')
    .argument('<name>', 'the agent name: lower-case letters, digits and -, at most 63 characters, unique in the project')
    .addOption(new Option('--token-name <name>', 'the name of the token to create').default(FIRST_TOKEN_NAME))
    .addOption(new Option('--install-ca-file <file>', "where to save the server's CA certificate for the install command, when the server's CA is private").default(DEFAULT_INSTALL_CA_FILE))
    .addHelpText('after', '\nThe install command goes to stdout, notes to stderr:\n  kubegate agent register prod --project platform/clusters > install-prod.sh && sh install-prod.sh')
    .action(async function registerAgent(name: string, flags: RegisterFlags) {
      await withClient(flags, async (client) => {
        const project = await findProject(client, flags.project);
        const agent = await client.request<{ id: number; name: string }>('POST', `/projects/${project.id}/cluster_agents`, { name });
        const caFile = resolve(flags.installCaFile);
        let token: { id: number; name: string; token: string; install?: InstallAnswer };
        try {
          token = await client.request('POST', `/projects/${project.id}/cluster_agents/${agent.id}/tokens`, {
            name: flags.tokenName,
            description: 'created by kubegate agent register',
            install_ca_cert_file: caFile,
          });
        } catch (err) {
          throw new KubegateError((err as KubegateError).code ?? 'unavailable', `agent "${name}" (id ${agent.id}) is registered, but its token could not be created: ${(err as Error).message}; create one with: kubegate agent token create ${name} --project ${project.path_with_namespace}`);
        }
        const install = token.install;
        if (!install) throw new KubegateError('unavailable', `agent "${name}" is registered with token id ${token.id}, but the server sent no install command: is it an older Kubegate? Upgrade the server.`);
        if (install.ca_cert) await saveCa(install.ca_cert, caFile);

        if (flags.output === 'json') {
          printJson({ agent, token, install, ca_cert_file_written: install.ca_cert ? caFile : null });
          return;
        }
        note(`Registered agent "${agent.name}" (id ${agent.id}) in ${project.path_with_namespace}, with token "${token.name}" (id ${token.id}).`);
        note('The token is in the command below and is shown only this once: keep it safe.');
        if (install.ca_cert) note(`Saved the server's CA certificate to ${caFile}; the command reads it from there.`);
        note(`\nRun this where helm and kubectl reach the cluster (it installs release ${install.helm_release_name} in namespace ${install.namespace}):\n`);
        process.stdout.write(install.command);
      });
    });
}

async function saveCa(pem: string, file: string): Promise<void> {
  try {
    // A CA certificate is public: readable by all, like the system's trust store.
    await writeFile(file, pem, { mode: 0o644 });
  } catch (err) {
    throw new KubegateError('bad_request', `cannot save the server's CA certificate to ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; choose another place with --install-ca-file`);
  }
}
