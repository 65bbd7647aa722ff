/**
 * The request bodies of the clusters API (GitLab's `clusters/user` and `admin/clusters/add`),
 * validated once here with GitLab's rules and messages where GitLab has them.
 */
import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { booleanLike, nameText } from '../../lib/validate.js';

/** Gitlab::Regex.environment_scope_regex */
const ENVIRONMENT_SCOPE = /^[a-zA-Z0-9_\\/${}. *-]+$/;
/** Gitlab::Regex.kubernetes_namespace_regex */
const KUBERNETES_NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const RESERVED_NAMESPACES = ['gitlab-managed-apps'];
const PEM_CERTIFICATE = /^\s*-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\s*$/;

function isHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.hostname !== '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/** Every block must be a certificate Node can read: a typo surfaces now, not in a job. */
function isPemCertificate(value: string): boolean {
  if (!PEM_CERTIFICATE.test(value)) return false;
  const blocks = value.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  try {
    for (const block of blocks) new X509Certificate(block);
    return blocks.length > 0;
  } catch {
    return false;
  }
}

export const environmentScope = z
  .string()
  .min(1, "can't be blank")
  .max(255, 'is too long (maximum is 255 characters)')
  .regex(ENVIRONMENT_SCOPE, "can contain only letters, digits, '-', '_', '/', '$', '{', '}', '.', '*' and spaces");

const platformKubernetes = z
  .object({
    api_url: z.string({ error: (i) => (i.input === undefined ? 'is missing' : 'must be a string') }).refine(isHttpsUrl, 'must be an https:// URL of the Kubernetes API, e.g. https://kubernetes.example.com:6443'),
    token: z.string({ error: (i) => (i.input === undefined ? 'is missing' : 'must be a string') }).trim().min(1, "can't be blank"),
    ca_cert: z
      .string()
      .refine((v) => v.trim() === '' || isPemCertificate(v), 'must be a valid PEM certificate (-----BEGIN CERTIFICATE----- …)')
      .transform((v) => (v.trim() === '' ? undefined : v))
      .optional(),
    namespace: z
      .string()
      .max(63, 'is too long (maximum is 63 characters)')
      .refine((v) => v === '' || KUBERNETES_NAMESPACE.test(v), "can contain only lowercase letters, digits, and '-'; must start and end with a letter or digit")
      .refine((v) => !RESERVED_NAMESPACES.includes(v), 'gitlab-managed-apps is reserved')
      .transform((v) => (v === '' ? undefined : v))
      .optional(),
    authorization_type: z.enum(['rbac', 'abac', 'unknown_authorization']).optional(),
  })
  .strict();

export const newCluster = z.object({
  name: z
    .string({ error: (i) => (i.input === undefined ? 'is missing' : 'must be a string') })
    .trim()
    .min(1, "can't be blank")
    .max(255, 'is too long (maximum is 255 characters)')
    .pipe(nameText(255)),
  environment_scope: environmentScope.optional(),
  domain: z.string().max(255).optional(),
  managed: booleanLike.optional(),
  enabled: booleanLike.optional(),
  platform_kubernetes_attributes: platformKubernetes,
});

export type NewCluster = z.infer<typeof newCluster>;

/** `PUT …/clusters/:cluster_id`: every field optional; `ca_cert: ""` and `namespace: ""` clear them. */
export const clusterUpdate = z.object({
  name: newCluster.shape.name.optional(),
  environment_scope: environmentScope.optional(),
  domain: z.string().max(255).optional(),
  managed: booleanLike.optional(),
  enabled: booleanLike.optional(),
  platform_kubernetes_attributes: platformKubernetes.partial().optional(),
});

export type ClusterUpdate = z.infer<typeof clusterUpdate>;
