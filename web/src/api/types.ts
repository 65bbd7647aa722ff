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

export type Group = ReturnType<typeof groupJson>;
export type Project = ReturnType<typeof projectJson>;
export type Member = ReturnType<typeof memberJson>;
export type User = ReturnType<typeof userJson>;
export type Agent = AgentJson;
export type AgentConnection = AgentJson['connections'][number];
export type AgentToken = AgentTokenJson;
/** `POST …/tokens` answers the token itself, this once. */
export type NewAgentToken = AgentTokenJson & { token: string };
export type CiAccessEntry = CiAccessEntryJson;
export type CertificateCluster = ReturnType<typeof clusterJson>;
export type AuditEvent = ProxyAuditEvent & { id: number };
export type { ConfigProblem };

/** `GET /api/v4/version` (answered inline by src/server/app.ts, so written out here). */
export interface VersionInfo {
  version: string;
  revision: string;
  kas: { enabled: boolean; externalUrl: string; version: string };
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
