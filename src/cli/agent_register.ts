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
import { adminCommand, findProject, note, printJson, withClient, type AdminFlags } from './admin_shared.js';
import { MAX_NAMESPACE_LENGTH, MAX_RELEASE_NAME_LENGTH, NAMESPACE_PATTERN, RELEASE_NAME_PATTERN } from '../modules/charts/defaults.js';

/** The install command's options, shared by `register` and `token create`. */
export interface InstallFlags {
  installCaFile: string;
  helmReleaseName?: string;
  helmReleaseNamespace?: string;
}

/**
 * The token body's install fields (Kubegate's extension of GitLab's token API). The names
 * are checked here too, before anything is created: the server checks them only when the
 * token is created, after `register` has registered the agent.
 */
export function installOptions(flags: InstallFlags, caFile: string): Record<string, string> {
  const release = flags.helmReleaseName;
  if (release !== undefined && (release.length > MAX_RELEASE_NAME_LENGTH || !RELEASE_NAME_PATTERN.test(release))) {
    throw new KubegateError('bad_request', `--helm-release-name "${release}" is not a Helm release name: at most ${MAX_RELEASE_NAME_LENGTH} lower-case letters, digits, - and ., starting and ending with a letter or digit`);
  }
  const namespace = flags.helmReleaseNamespace;
  if (namespace !== undefined && (namespace.length > MAX_NAMESPACE_LENGTH || !NAMESPACE_PATTERN.test(namespace))) {
    throw new KubegateError('bad_request', `--helm-release-namespace "${namespace}" is not a namespace name: at most ${MAX_NAMESPACE_LENGTH} lower-case letters, digits and -, starting and ending with a letter or digit`);
  }
  return {
    install_ca_cert_file: caFile,
    ...(flags.helmReleaseName ? { install_helm_release_name: flags.helmReleaseName } : {}),
    ...(flags.helmReleaseNamespace ? { install_namespace: flags.helmReleaseNamespace } : {}),
  };
}

/** The first token's name, unless `--token-name` says otherwise. */
export const FIRST_TOKEN_NAME = 'initial';
export const DEFAULT_INSTALL_CA_FILE = 'kubegate-ca.pem';

interface RegisterFlags extends AdminFlags, InstallFlags {
  tokenName: string;
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
    .addOption(new Option('--helm-release-name <name>', 'the Helm release the command installs (default: the agent name)'))
    .addOption(new Option('--helm-release-namespace <namespace>', 'the namespace the command installs into (default: kubegate-agent-<name>)'))
    .addHelpText('after', '\nThe install command goes to stdout, notes to stderr:\n  kubegate agent register prod --project platform/clusters > install-prod.sh && sh install-prod.sh')
    .action(async function registerAgent(name: string, flags: RegisterFlags) {
      const caFile = resolve(flags.installCaFile);
      const install = installOptions(flags, caFile);
      await withClient(flags, async (client) => {
        const project = await findProject(client, flags.project);
        const agent = await client.request<{ id: number; name: string }>('POST', `/projects/${project.id}/cluster_agents`, { name });
        let token: { id: number; name: string; token: string; install?: InstallAnswer };
        try {
          token = await client.request('POST', `/projects/${project.id}/cluster_agents/${agent.id}/tokens`, {
            name: flags.tokenName,
            description: 'created by kubegate agent register',
            ...install,
          });
        } catch (err) {
          throw new KubegateError(err instanceof KubegateError ? err.code : 'unavailable', `agent "${name}" (id ${agent.id}) is registered, but its token could not be created: ${(err as Error).message}; create one with: kubegate agent token create ${name} --project ${project.path_with_namespace}`);
        }
        const instructions = token.install;
        if (!instructions) throw new KubegateError('unavailable', `agent "${name}" is registered with token id ${token.id}, but the server sent no install command: is it an older Kubegate? Upgrade the server.`);
        if (instructions.ca_cert) await saveCa(instructions.ca_cert, caFile);

        if (flags.output === 'json') {
          printJson({ agent, token, install: instructions, ca_cert_file_written: instructions.ca_cert ? caFile : null });
          return;
        }
        note(`Registered agent "${agent.name}" (id ${agent.id}) in ${project.path_with_namespace}, with token "${token.name}" (id ${token.id}).`);
        note('The token is in the command below and is shown only this once: keep it safe.');
        if (instructions.ca_cert) note(`Saved the server's CA certificate to ${caFile}; the command reads it from there.`);
        note(`\nRun this where helm and kubectl reach the cluster (it installs release ${instructions.helm_release_name} in namespace ${instructions.namespace}):\n`);
        process.stdout.write(instructions.command);
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
