/**
 * The REST answers the UI reads, as the server defines them. Only TYPES cross from the
 * server's code into the UI (erased at build time): the UI talks to `/api/v4` like any
 * other client, and a changed answer fails `npm run typecheck` here instead of a page.
 */
import type { groupJson, memberJson } from '../../../src/modules/groups/api.js';
import type { projectJson } from '../../../src/modules/projects/api.js';
import type { userJson } from '../../../src/modules/identity/api.js';
import type { AgentJson, AgentTokenJson } from '../../../src/modules/agents/api.js';
import type { CiAccessEntryJson } from '../../../src/modules/agents/ci_access_json.js';
import type { clusterJson } from '../../../src/modules/clusters/api.js';
import type { ProxyAuditEvent } from '../../../src/modules/audit/server.js';
import type { ConfigProblem } from '../../../src/modules/agent_config/index.js';
import type { SessionJson } from '../../../src/modules/web/session_routes.js';
import type { installJson } from '../../../src/modules/agents/install.js';
import type { settingsJson } from '../../../src/modules/clusters/eks/settings_api.js';
import type { IamRole, KeyPair, SecurityGroup, StackEvent, Subnet, Vpc } from '../../../src/modules/clusters/eks/aws.js';

export type Group = ReturnType<typeof groupJson>;
export type Project = ReturnType<typeof projectJson>;
export type Member = ReturnType<typeof memberJson>;
export type User = ReturnType<typeof userJson>;
export type Agent = AgentJson;
export type AgentConnection = AgentJson['connections'][number];
export type AgentToken = AgentTokenJson;
/** How to install the agent with a new token, computed by the server (docs/api.md, "The install command"). */
export type InstallInstructions = NonNullable<ReturnType<typeof installJson>>;
/**
 * `POST …/tokens` answers the token itself, this once, with the install command for it
 * (`install` is left out when the server could not write the command: the token is kept).
 */
export type NewAgentToken = AgentTokenJson & { token: string; install?: InstallInstructions };
export type CiAccessEntry = CiAccessEntryJson;
export type CertificateCluster = ReturnType<typeof clusterJson>;
export type AuditEvent = ProxyAuditEvent & { id: number };
export type { ConfigProblem };

/** `GET/PUT /application/settings` (administrators): the secret access key is never in it. */
export type ApplicationSettings = ReturnType<typeof settingsJson>;

/** `…/clusters/eks_requests[/:id]` (written inline by src/modules/clusters/eks/api.ts, so written out here). */
export interface EksRequest {
  id: number;
  /** The AWS account role B must trust (the instance's, from the application settings). */
  account_id: string | null;
  /** New for every request: role B's trust policy requires it. */
  external_id: string;
  role_arn: string | null;
  region: string | null;
  authorized: boolean;
  authorized_at: string | null;
  cluster_id: number | null;
  user_id: number;
  created_at: string;
}

/** `…/eks_requests/:id/options/:list`: the form's choices, as role B in the region. */
export interface EksOptions {
  kubernetes_versions: Array<{ version: string; default: boolean }>;
  instance_types: Array<{ name: string; default: boolean }>;
  key_pairs: KeyPair[];
  vpcs: Vpc[];
  subnets: Subnet[];
  security_groups: SecurityGroup[];
  roles: IamRole[];
  regions: Array<{ name: string }>;
}

/** `GET …/clusters/:cluster_id/stack_events` (newest first, read live from CloudFormation). */
export interface StackEvents {
  stack_name: string;
  stack_id: string;
  status_name: string;
  events: StackEvent[];
}

/** `GET /api/v4/projects/:id/repository/files/:path` (the fields the UI reads; inline in src/modules/git/files_api.ts). */
export interface RepositoryFile {
  file_name: string;
  file_path: string;
  ref: string;
  commit_id: string;
  last_commit_id: string;
  encoding: 'base64';
  content: string;
}

/** `/-/session` (docs/ui.md): who is signed in, and the CSRF token for writes. */
export type Session = SessionJson;
