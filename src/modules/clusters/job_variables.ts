/**
 * `GET /api/v4/job/variables` (header `JOB-TOKEN`), a Kubegate extension: the variables a
 * CI job gets from Kubegate, by GitLab's names, for runners and scripts that set up the
 * job's environment. GitLab gives these to its runner in the job payload and has no public
 * endpoint for them; the shape follows GitLab's CI variables API (`key`, `value`,
 * `variable_type` env_var|file, `masked`, `public`). File variables hold the file's
 * content: the runner writes it to a file and puts the path in the variable.
 *
 * - KUBECONFIG (file): the job's kubeconfig, as `GET /job/kubeconfig` returns it.
 * - With a certificate-based cluster (the `gitlab-deploy` context): KUBE_URL,
 *   KUBE_TOKEN (masked), KUBE_NAMESPACE, KUBE_CA_PEM_FILE (file) and KUBE_CA_PEM.
 */
import type { FastifyInstance } from 'fastify';
import { unauthorized } from '../../lib/errors.js';

export interface JobVariable {
  key: string;
  value: string;
  variable_type: 'env_var' | 'file';
  masked: boolean;
  public: boolean;
}

export interface DeployTargetView {
  apiUrl: string;
  caCert: string | null;
  token: string;
  namespace: string;
}

export interface JobVariableDeps<Job> {
  /** The running job of a token; throws 401 for a dead one. */
  authenticate: (token: string) => Promise<Job>;
  /** The job's certificate-based cluster (managed namespaces prepared), or null. */
  deployCluster: (job: Job) => Promise<DeployTargetView | null>;
  /** The job's kubeconfig YAML, or null when it has no context at all. */
  kubeconfig: (token: string) => Promise<string | null>;
}

export function jobVariables(deploy: DeployTargetView | null, kubeconfig: string | null): JobVariable[] {
  const vars: JobVariable[] = [];
  const add = (key: string, value: string, options: Partial<Pick<JobVariable, 'variable_type' | 'masked' | 'public'>> = {}) =>
    vars.push({ key, value, variable_type: options.variable_type ?? 'env_var', masked: options.masked ?? false, public: options.public ?? true });
  if (deploy) {
    add('KUBE_URL', deploy.apiUrl);
    add('KUBE_TOKEN', deploy.token, { masked: true, public: false });
    add('KUBE_NAMESPACE', deploy.namespace);
    if (deploy.caCert) {
      add('KUBE_CA_PEM_FILE', deploy.caCert, { variable_type: 'file' });
      add('KUBE_CA_PEM', deploy.caCert);
    }
  }
  if (kubeconfig) add('KUBECONFIG', kubeconfig, { variable_type: 'file', public: false });
  return vars;
}

export function registerJobVariableRoutes<Job>(app: FastifyInstance, deps: JobVariableDeps<Job>): void {
  app.get('/api/v4/job/variables', async function jobVariablesForJob(request) {
    const token = request.headers['job-token'];
    if (typeof token !== 'string' || token === '') throw unauthorized('401 Unauthorized: send the job token in the JOB-TOKEN header');
    const job = await deps.authenticate(token);
    const deploy = await deps.deployCluster(job);
    return jobVariables(deploy, await deps.kubeconfig(token));
  });
}
