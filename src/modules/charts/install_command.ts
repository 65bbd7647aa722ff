/**
 * The command that installs an agent with Helm from the server's own chart repository.
 * Computed here only: the REST API answers it with a new token (so the CLI and the web UI
 * show the same text), and it must stay what the chart expects (`config.*`, `image.tag`).
 */
import {
  AGENT_CHART_NAME,
  CHARTS_PATH,
  DEFAULT_CA_CERT_FILE,
  HELM_REPO_NAME,
  MAX_NAMESPACE_LENGTH,
  MAX_RELEASE_NAME_LENGTH,
  NAMESPACE_PREFIX,
} from './defaults.js';

export interface InstallCommandInput {
  /** The server's external URL (`https://kubegate.example.com`). */
  externalUrl: string;
  agentName: string;
  /** The agent token, in the clear: it is shown this once. */
  token: string;
  /** The server's version: the chart's version and the image tag. */
  version: string;
  /** The CA clients must trust for the server when it is private; null when it is not. */
  caCert: string | null;
  /** The path the command reads that CA from; default `kubegate-ca.pem`. */
  caCertFile?: string | undefined;
  /** The Helm release; default the agent's name. */
  releaseName?: string | undefined;
  /** The namespace; default `kubegate-agent-<agent name>`. */
  namespace?: string | undefined;
}

export interface InstallInstructions {
  chartRepositoryUrl: string;
  releaseName: string;
  namespace: string;
  /** The CA to save to `caCertFile` before running the command; null when none is needed. */
  caCert: string | null;
  caCertFile: string | null;
  /** Shell commands, one per line (continuations with `\`), to run as they are. */
  command: string;
}

export function installInstructions(input: InstallCommandInput): InstallInstructions {
  const base = input.externalUrl.replace(/\/+$/, '');
  const chartRepositoryUrl = `${base}${CHARTS_PATH}`;
  const kasAddress = `${base.replace(/^http/, 'ws')}/-/kubernetes-agent/`;
  const releaseName = input.releaseName ?? dnsLabel(input.agentName, MAX_RELEASE_NAME_LENGTH);
  const namespace = input.namespace ?? dnsLabel(`${NAMESPACE_PREFIX}${input.agentName}`, MAX_NAMESPACE_LENGTH);
  const caCertFile = input.caCert ? (input.caCertFile ?? DEFAULT_CA_CERT_FILE) : null;

  const repoAdd = ['helm', 'repo', 'add', '--force-update', HELM_REPO_NAME, chartRepositoryUrl, ...(caCertFile ? ['--ca-file', caCertFile] : [])];
  const install: string[][] = [
    ['helm', 'upgrade', '--install', releaseName, `${HELM_REPO_NAME}/${AGENT_CHART_NAME}`],
    ['--namespace', namespace],
    ['--create-namespace'],
    ['--set', `config.token=${setValue(input.token)}`],
    ['--set', `config.kasAddress=${setValue(kasAddress)}`],
    ...(caCertFile ? [['--set-file', `config.kasCaCert=${caCertFile}`]] : []),
    ['--set', `image.tag=${setValue(input.version)}`],
  ];
  const command = [repoAdd.map(shellWord).join(' '), install.map((words) => words.map(shellWord).join(' ')).join(' \\\n    ')].join('\n');
  return { chartRepositoryUrl, releaseName, namespace, caCert: input.caCert, caCertFile, command: `${command}\n` };
}

/** At most `max` characters, not ending with `-` (agent names are DNS labels already). */
function dnsLabel(name: string, max: number): string {
  return name.slice(0, max).replace(/-+$/, '');
}

/** A value for `helm --set k=v`: commas and backslashes would split or escape it. */
function setValue(value: string): string {
  return value.replace(/[\\,]/g, (c) => `\\${c}`);
}

/** One word for a POSIX shell: bare when it is safe, else single-quoted. */
export function shellWord(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
