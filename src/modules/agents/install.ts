/**
 * Kubegate's extension of GitLab's token API: a new token's answer carries `install`, the
 * command that installs the agent with it (computed by the charts module), and the request
 * may choose the CA file, release and namespace that command names.
 */
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import { MAX_NAMESPACE_LENGTH, MAX_RELEASE_NAME_LENGTH, NAMESPACE_PATTERN, RELEASE_NAME_PATTERN } from '../charts/server.js';

/** What the caller may choose in the install command. */
export interface InstallOptions {
  caCertFile?: string | undefined;
  releaseName?: string | undefined;
  namespace?: string | undefined;
}

/** The install command and what it needs, as the charts module computes it. */
export interface InstallView {
  chartRepositoryUrl: string;
  releaseName: string;
  namespace: string;
  caCert: string | null;
  caCertFile: string | null;
  command: string;
}

export type InstallInstructionsFn = (agentName: string, token: string, options: InstallOptions) => InstallView;

/**
 * The token body's install fields. Parsed with the rest of the body, before the token
 * exists, so a typo never costs a token that is shown only once.
 */
export const installFields = {
  install_ca_cert_file: z
    .string()
    .min(1, 'is empty')
    .max(4096, 'is too long (maximum is 4096 characters)')
    .regex(/^[^\n\r\0]*$/, 'must be one line')
    .optional(),
  install_helm_release_name: z
    .string()
    .max(MAX_RELEASE_NAME_LENGTH, `is too long (Helm allows at most ${MAX_RELEASE_NAME_LENGTH} characters)`)
    .regex(RELEASE_NAME_PATTERN, 'must be lower-case letters, digits, - and ., starting and ending with a letter or digit')
    .optional(),
  install_namespace: z
    .string()
    .max(MAX_NAMESPACE_LENGTH, `is too long (at most ${MAX_NAMESPACE_LENGTH} characters)`)
    .regex(NAMESPACE_PATTERN, 'must be a Kubernetes namespace name: lower-case letters, digits and -, starting and ending with a letter or digit')
    .optional(),
};

type InstallBody = { [K in keyof typeof installFields]?: string | undefined };

/**
 * `install` of a new token's answer, or undefined. The token exists already and is shown
 * only in this answer: a failure to write the command is logged and leaves `install` out,
 * never the token.
 */
export function installJson(instructions: InstallInstructionsFn | undefined, agentName: string, token: string, body: InstallBody, log: FastifyBaseLogger) {
  if (!instructions) return undefined;
  let view: InstallView;
  try {
    view = instructions(agentName, token, { caCertFile: body.install_ca_cert_file, releaseName: body.install_helm_release_name, namespace: body.install_namespace });
  } catch (err) {
    log.error({ err }, 'cannot write the install command; the token is answered without it');
    return undefined;
  }
  return {
    command: view.command,
    chart_repository_url: view.chartRepositoryUrl,
    helm_release_name: view.releaseName,
    namespace: view.namespace,
    ca_cert: view.caCert,
    ca_cert_file: view.caCertFile,
  };
}
