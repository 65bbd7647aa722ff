/**
 * The tables as Kysely sees them. Both engines store the same shapes: integer ids,
 * booleans as 0/1, times as ISO-8601 text (UTC), lists as JSON text. That keeps every
 * query portable and lets one set of store tests run on SQLite and PostgreSQL.
 */
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export type Bool = 0 | 1;

export interface UsersTable {
  id: Generated<number>;
  username: string;
  name: string;
  email: string | null;
  admin: Bool;
  state: 'active' | 'blocked';
  namespace_id: number | null;
  created_at: string;
}

/** A user namespace or a group. Groups nest through `parent_id`. */
export interface NamespacesTable {
  id: Generated<number>;
  kind: 'user' | 'group';
  name: string;
  path: string;
  full_path: string;
  parent_id: number | null;
  owner_user_id: number | null;
  visibility: Visibility;
  description: string;
  created_at: string;
}

export type Visibility = 'private' | 'internal' | 'public';

export interface ProjectsTable {
  id: Generated<number>;
  namespace_id: number;
  name: string;
  path: string;
  full_path: string;
  description: string;
  default_branch: string;
  visibility: Visibility;
  creator_id: number | null;
  created_at: string;
}

/**
 * Every namespace and project path, lower-cased: paths are unique without regard to case
 * across groups, user namespaces and projects, as in GitLab.
 */
export interface RoutesTable {
  path_lower: string;
  source_kind: 'namespace' | 'project';
  source_id: number;
}

export interface PersonalAccessTokensTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  /** SHA-256 of the token, hex. The token itself is never stored. */
  token_digest: string;
  scopes: string;
  expires_at: string | null;
  revoked: Bool;
  created_at: string;
  last_used_at: string | null;
}

export interface MembersTable {
  id: Generated<number>;
  source_kind: 'namespace' | 'project';
  source_id: number;
  user_id: number;
  access_level: number;
  created_at: string;
}

export interface ProtectedBranchesTable {
  id: Generated<number>;
  project_id: number;
  name: string;
  created_at: string;
  /** GitLab's access levels: 0 no one, 30 Developers + Maintainers, 40 Maintainers, 60 administrators. */
  push_access_level: Generated<number>;
  merge_access_level: Generated<number>;
}

/** An environment only some may deploy to (GitLab's protected environments). */
export interface ProtectedEnvironmentsTable {
  id: Generated<number>;
  project_id: number;
  /** The environment's name (it need not exist yet). */
  name: string;
  created_at: string;
}

/** One entry of a protected environment's `deploy_access_levels`: a role, or one user. */
export interface DeployAccessLevelsTable {
  id: Generated<number>;
  protected_environment_id: number;
  access_level: number | null;
  user_id: number | null;
}

export interface EnvironmentsTable {
  id: Generated<number>;
  project_id: number;
  name: string;
  slug: string;
  tier: EnvironmentTier;
  created_at: string;
}

export type EnvironmentTier = 'production' | 'staging' | 'testing' | 'development' | 'other';

export interface AgentsTable {
  id: Generated<number>;
  project_id: number;
  name: string;
  created_at: string;
  created_by_user_id: number | null;
}

export interface AgentTokensTable {
  id: Generated<number>;
  agent_id: number;
  name: string;
  description: string | null;
  /** SHA-256 of the token, hex. The token itself is never stored. */
  token_digest: string;
  status: 'active' | 'revoked';
  created_at: string;
  created_by_user_id: number | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface AgentConfigurationsTable {
  agent_id: number;
  /** The configuration in force (JSON of the parsed file). */
  config: string;
  commit_sha: string | null;
  /** JSON arrays of the newest file's problems. */
  errors: string;
  warnings: string;
  updated_at: string;
}

export interface CiJobsTable {
  id: Generated<number>;
  project_id: number;
  pipeline_id: number;
  name: string;
  ref: string;
  /** Derived from the project's protected branches when the job was created. */
  ref_protected: Bool;
  environment_id: number | null;
  user_id: number;
  /** SHA-256 of the job token, hex. */
  token_digest: string;
  status: 'running' | 'success' | 'failed' | 'canceled';
  created_at: string;
  finished_at: string | null;
}

export interface AuditEventsTable {
  id: Generated<number>;
  time: string;
  /** e.g. `k8s_proxy_request`. */
  kind: string;
  agent_id: number | null;
  job_id: number | null;
  project_id: number | null;
  user_id: number | null;
  status: number;
  /** The whole event as JSON. */
  details: string;
}

export type ClusterType = 'project_type' | 'group_type' | 'instance_type';

/** A certificate-based cluster (deprecated in GitLab; kept so existing users can move). */
export interface ClustersTable {
  id: Generated<number>;
  cluster_type: ClusterType;
  project_id: number | null;
  group_id: number | null;
  /** `project:<id>`, `group:<id>` or `instance`; unique together with `environment_scope`. */
  owner_key: string;
  name: string;
  environment_scope: string;
  provider_type: 'user' | 'aws';
  api_url: string;
  ca_cert: string | null;
  /** The service account token, AES-256-GCM encrypted with the server's secret key. */
  token_encrypted: string;
  namespace: string | null;
  authorization_type: 'rbac' | 'abac' | 'unknown_authorization';
  managed: Bool;
  enabled: Bool;
  created_at: string;
  created_by_user_id: number | null;
}

/** The instance settings (one row, id 1) behind GitLab's application settings API. */
export interface ApplicationSettingsTable {
  id: number;
  eks_integration_enabled: Bool;
  eks_account_id: string | null;
  eks_access_key_id: string | null;
  /** AES-256-GCM encrypted with the server's secret key; never returned by the API. */
  eks_secret_access_key_encrypted: string | null;
  updated_at: string;
}

/** A user's EKS cluster creation, from the external ID shown for role B to the cluster. */
export interface ClusterEksRequestsTable {
  id: Generated<number>;
  owner_key: string;
  project_id: number | null;
  group_id: number | null;
  user_id: number;
  external_id: string;
  role_arn: string | null;
  region: string | null;
  authorized_at: string | null;
  cluster_id: number | null;
  created_at: string;
}

export type EksProvisionStatus = 'scheduled' | 'creating' | 'created' | 'errored';

/** An EKS cluster's form values and provisioning state (GitLab's `cluster_providers_aws`). */
export interface ClusterProvidersAwsTable {
  id: Generated<number>;
  cluster_id: number;
  request_id: number | null;
  /** The EKS cluster's name (the Kubegate cluster may be renamed later). */
  cluster_name: string;
  /** Role B, assumed with `external_id` for every AWS call. */
  role_arn: string;
  external_id: string;
  region: string;
  /** Role A, the EKS cluster role. */
  service_role_arn: string;
  kubernetes_version: string;
  key_name: string;
  vpc_id: string;
  /** JSON array of subnet ids. */
  subnet_ids: string;
  security_group_id: string;
  instance_type: string;
  num_nodes: number;
  stack_name: string;
  stack_id: string | null;
  status: EksProvisionStatus;
  status_reason: string | null;
  created_at: string;
  updated_at: string;
}

/** The namespace and service account made in a GitLab-managed cluster for one project and environment. */
export interface ClusterKubernetesNamespacesTable {
  id: Generated<number>;
  cluster_id: number;
  project_id: number;
  environment_id: number | null;
  /** `<project id>:<environment id or ->`, unique per cluster. */
  scope_key: string;
  namespace: string;
  service_account_name: string;
  token_encrypted: string;
  created_at: string;
}

/** A signed-in browser session of the web UI (see docs/ui.md). */
export interface WebSessionsTable {
  id: Generated<number>;
  /** SHA-256 of the session id the cookie holds, hex. The id itself is never stored. */
  id_digest: string;
  user_id: number;
  /** The personal access token the session was signed in with; its scopes and validity apply. */
  token_id: number;
  created_at: string;
  expires_at: string;
}

export interface Database {
  users: UsersTable;
  namespaces: NamespacesTable;
  projects: ProjectsTable;
  routes: RoutesTable;
  personal_access_tokens: PersonalAccessTokensTable;
  members: MembersTable;
  protected_branches: ProtectedBranchesTable;
  environments: EnvironmentsTable;
  protected_environments: ProtectedEnvironmentsTable;
  protected_environment_deploy_access_levels: DeployAccessLevelsTable;
  agents: AgentsTable;
  agent_tokens: AgentTokensTable;
  agent_configurations: AgentConfigurationsTable;
  ci_jobs: CiJobsTable;
  audit_events: AuditEventsTable;
  clusters: ClustersTable;
  application_settings: ApplicationSettingsTable;
  cluster_eks_requests: ClusterEksRequestsTable;
  cluster_providers_aws: ClusterProvidersAwsTable;
  cluster_kubernetes_namespaces: ClusterKubernetesNamespacesTable;
  web_sessions: WebSessionsTable;
}

export type User = Selectable<UsersTable>;
export type Namespace = Selectable<NamespacesTable>;
export type Project = Selectable<ProjectsTable>;
export type PersonalAccessToken = Selectable<PersonalAccessTokensTable>;
export type Member = Selectable<MembersTable>;
export type ProtectedBranch = Selectable<ProtectedBranchesTable>;
export type Environment = Selectable<EnvironmentsTable>;
export type ProtectedEnvironment = Selectable<ProtectedEnvironmentsTable>;
export type DeployAccessLevel = Selectable<DeployAccessLevelsTable>;
export type NewProject = Insertable<ProjectsTable>;
export type ProjectUpdate = Updateable<ProjectsTable>;
export type Agent = Selectable<AgentsTable>;
export type AgentToken = Selectable<AgentTokensTable>;
export type AgentConfigurationRow = Selectable<AgentConfigurationsTable>;
export type CiJob = Selectable<CiJobsTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type Cluster = Selectable<ClustersTable>;
export type ApplicationSettingsRow = Selectable<ApplicationSettingsTable>;
export type ClusterEksRequest = Selectable<ClusterEksRequestsTable>;
export type ClusterProviderAws = Selectable<ClusterProvidersAwsTable>;
export type ClusterKubernetesNamespace = Selectable<ClusterKubernetesNamespacesTable>;
export type WebSession = Selectable<WebSessionsTable>;
