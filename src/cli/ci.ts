/**
 * `kubegate ci kubeconfig`: what a CI job runs to get its kubeconfig (CONTRACT.md). It
 * reads the job token from `CI_JOB_TOKEN` only — never from a flag, which would show in
 * process listings and CI logs — and the server's URL from `KUBEGATE_URL`.
 */
import { readFile, rename, writeFile, chmod, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Command, Option } from 'commander';
import { Agent, fetch } from 'undici';
import { KubegateError } from '../lib/errors.js';
import { fetchProvenCa, isUntrustedCertificate } from '../lib/ca_discovery.js';

export interface CiKubeconfigOptions {
  url?: string | undefined;
  token?: string | undefined;
  caCertFile?: string | undefined;
  /** Says what the command did on the user's behalf (stderr), e.g. trusting a proven CA. */
  onNotice?: (message: string) => void;
  /** Given, the agents the job did not get are fetched too and passed here. */
  onExclusions?: (result: { allowed: number; excluded: ExcludedAgent[] } | null) => void;
}

function usage(message: string): KubegateError {
  return new KubegateError('bad_request', message);
}

/** The job's kubeconfig as the server renders it (YAML). */
export async function fetchJobKubeconfig(options: CiKubeconfigOptions): Promise<string> {
  const token = options.token?.trim();
  if (!token) throw usage('CI_JOB_TOKEN is not set: run this inside a CI job, or export the job token as CI_JOB_TOKEN.');
  if (!options.url) throw usage('KUBEGATE_URL is not set: set it (or --url) to the Kubegate server\'s external URL, e.g. https://kubegate.example.com.');
  let base: URL;
  try {
    base = new URL(options.url);
  } catch {
    throw usage(`KUBEGATE_URL "${options.url}" is not a URL: give the server's external URL, e.g. https://kubegate.example.com.`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw usage(`KUBEGATE_URL must start with https:// (or http://), not ${base.protocol}//.`);
  const target = `${base.toString().replace(/\/+$/, '')}/api/v4/job/kubeconfig`;
  let ca = options.caCertFile ? await readCa(options.caCertFile) : undefined;
  let res;
  try {
    res = await getWithCa(target, token, ca);
  } catch (err) {
    // A private CA (the server's own, by default): prove it with the job token, then
    // trust it. Only with no CA given: a given CA that fails is the user's to fix.
    if (ca !== undefined || base.protocol !== 'https:' || !isUntrustedCertificate(err)) {
      throw new KubegateError('unavailable', `cannot reach ${base.origin}: ${describeFetchError(err)}`, { cause: err });
    }
    let proven;
    try {
      proven = await fetchProvenCa(base.toString(), token);
    } catch (proofErr) {
      throw new KubegateError('unavailable', `${base.origin} uses a certificate from a CA this machine does not trust, and ${(proofErr as Error).message}; pass the server's CA with --ca-cert-file or KUBEGATE_CA_CERT_FILE`, { cause: proofErr });
    }
    options.onNotice?.(`trusting the server's private CA (SHA-256 ${proven.fingerprint}), proven with the job token`);
    ca = proven.caPem;
    try {
      res = await getWithCa(target, token, ca);
    } catch (retryErr) {
      throw new KubegateError('unavailable', `cannot reach ${base.origin}: ${describeFetchError(retryErr)}`, { cause: retryErr });
    }
  }
  const body = await res.text();
  if (res.status === 401) {
    throw new KubegateError('unauthorized', `the server refused the job token (401: ${serverMessage(body)}); the job token works only while its job runs.`);
  }
  if (!res.ok) throw new KubegateError('unavailable', `${target} answered ${res.status}: ${serverMessage(body)}`);
  if (options.onExclusions) options.onExclusions(await fetchExclusions(base, token, ca));
  return body;
}

/** An agent the job could have reached and did not get (the server's `excluded_agents`). */
export interface ExcludedAgent {
  id: number;
  name: string;
  config_project: { path_with_namespace: string };
  reason: string;
  message: string;
}

/** The job's allowed agents and exclusions; null when the server cannot say (older server). */
async function fetchExclusions(base: URL, token: string, ca: string | undefined): Promise<{ allowed: number; excluded: ExcludedAgent[] } | null> {
  try {
    const res = await getWithCa(`${base.toString().replace(/\/+$/, '')}/api/v4/job/allowed_agents?include_exclusions=true`, token, ca);
    if (!res.ok) return null;
    const body = (await res.json()) as { allowed_agents?: unknown[]; excluded_agents?: ExcludedAgent[] };
    return { allowed: body.allowed_agents?.length ?? 0, excluded: body.excluded_agents ?? [] };
  } catch {
    return null;
  }
}

/** What `kubegate ci kubeconfig` says on stderr about agents the job did not get. */
export function describeExclusions(result: { allowed: number; excluded: ExcludedAgent[] } | null): string {
  if (!result) return '';
  const lines: string[] = [];
  if (result.allowed === 0) {
    lines.push(
      result.excluded.length === 0
        ? 'kubegate: this job gets no agent context: no agent configuration it can see grants its project (ci_access in .gitlab/agents/<agent>/config.yaml).'
        : 'kubegate: this job gets no agent context. Agents it could have used, and why not:',
    );
  } else if (result.excluded.length > 0) {
    lines.push('kubegate: agents this job could have used and did not get, and why:');
  }
  for (const e of result.excluded) {
    lines.push(`kubegate:   ${e.config_project.path_with_namespace}:${e.name} (agent ${e.id}, ${e.reason.replace(/_/g, ' ')}): ${e.message}`);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

async function getWithCa(url: string, token: string, ca: string | undefined) {
  const dispatcher = ca ? new Agent({ connect: { ca } }) : undefined;
  try {
    return await fetch(url, { headers: { 'JOB-TOKEN': token }, ...(dispatcher ? { dispatcher } : {}) });
  } finally {
    // The kubeconfig is one request; do not keep the process alive for idle sockets.
    void dispatcher?.close();
  }
}

async function readCa(file: string): Promise<string> {
  try {
    const pem = await readFile(file, 'utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw usage(`${file} holds no PEM certificate: give the CA certificate that signed the server's certificate.`);
    return pem;
  } catch (err) {
    if (err instanceof KubegateError) throw err;
    throw usage(`cannot read the CA certificate file ${file}: ${(err as Error).message}`);
  }
}

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
    return `its TLS certificate is not trusted (${code}); pass the server's CA with --ca-cert-file or KUBEGATE_CA_CERT_FILE.`;
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `${cause?.message ?? code}; check KUBEGATE_URL.`;
  return `${cause?.message ?? (err as Error).message}; check KUBEGATE_URL and the network.`;
}

function serverMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: show the text itself
  }
  return body.slice(0, 200) || 'no message';
}

/**
 * Writes the kubeconfig readable by its owner only (it holds the job token). Through a
 * temporary file and a rename, so a reader never sees half a file.
 */
export async function writeKubeconfig(path: string, content: string): Promise<void> {
  const temporary = join(dirname(path), `.kubeconfig-${process.pid}-${Date.now()}`);
  try {
    await writeFile(temporary, content, { mode: 0o600 });
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  } catch (err) {
    await unlink(temporary).catch(() => undefined);
    throw usage(`cannot write the kubeconfig to ${path}: ${(err as Error).message}`);
  }
}

export function ciCommand(): Command {
  const ci = new Command('ci').description('Commands for CI/CD jobs');
  ci.command('kubeconfig')
    .description("Print the job's kubeconfig (one context per agent the job may use), or write it to $KUBECONFIG")
    .addOption(new Option('--url <url>', "the Kubegate server's external URL").env('KUBEGATE_URL'))
    .addOption(new Option('--write', 'write the kubeconfig to $KUBECONFIG (mode 0600) instead of printing it'))
    .addOption(new Option('--ca-cert-file <file>', "CA certificate (PEM) to trust for the server's certificate").env('KUBEGATE_CA_CERT_FILE'))
    .addHelpText('after', '\nEnvironment:\n  CI_JOB_TOKEN  the job token (required)\n  KUBECONFIG    where --write writes')
    .action(async function printKubeconfig(flags: { url?: string; write?: boolean; caCertFile?: string }) {
      const kubeconfig = await fetchJobKubeconfig({ url: flags.url, token: process.env.CI_JOB_TOKEN, caCertFile: flags.caCertFile, onNotice: (m) => process.stderr.write(`kubegate: ${m}\n`), onExclusions: (r) => process.stderr.write(describeExclusions(r)) });
      if (!flags.write) {
        process.stdout.write(kubeconfig);
        return;
      }
      const path = process.env.KUBECONFIG;
      if (!path) throw usage('--write needs KUBECONFIG: set it to the file to write, e.g. KUBECONFIG=$PWD/kubeconfig.');
      // kubectl reads a list of files from KUBECONFIG; writing goes to the first, as kubectl does.
      const first = path.split(':').find((p) => p !== '')!;
      await writeKubeconfig(first, kubeconfig);
      process.stderr.write(`kubegate: wrote the job's kubeconfig to ${first}\n`);
    });
  return ci;
}
