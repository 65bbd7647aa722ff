/**
 * The reads every page shares, as TanStack Query hooks: cached per URL, refetched when a
 * write changes them (`invalidate…`), and polled where the page shows live state.
 */
import { useQuery, type QueryClient } from '@tanstack/react-query';
import { api, idOf, query } from './client';
import type { Agent, AgentToken, CertificateCluster, Group, Member, Project } from './types';

/**
 * How often the clusters and agent pages ask for connection status. Polling the public
 * API (no private event stream) keeps "what the UI shows" = "what a script sees"; an agent
 * that connects turns its badge within this interval plus one request.
 */
export const STATUS_POLL_MS = 2_000;
/** Tokens change by hand (and `last_used_at` only once a minute): a slower poll is enough. */
export const TOKENS_POLL_MS = 10_000;

export const keys = {
  project: (path: string) => ['project', path] as const,
  agents: (path: string) => ['agents', path] as const,
  tokens: (path: string, agentId: number) => ['tokens', path, agentId] as const,
  clusters: (path: string) => ['clusters', path] as const,
  members: (kind: 'groups' | 'projects', path: string) => ['members', kind, path] as const,
};

export function useProject(path: string) {
  return useQuery({ queryKey: keys.project(path), queryFn: () => api.get<Project>(`/projects/${idOf(path)}`) });
}

export function useGroup(path: string) {
  return useQuery({ queryKey: ['group', path], queryFn: () => api.get<Group>(`/groups/${idOf(path)}`) });
}

export function useProjectsPage(page: number) {
  return useQuery({ queryKey: ['projects', page], queryFn: () => api.page<Project>(`/projects${query({ page, per_page: 20 })}`) });
}

export function useGroupsPage(page: number) {
  return useQuery({ queryKey: ['groups', page], queryFn: () => api.page<Group>(`/groups${query({ page, per_page: 20 })}`) });
}

export function useAgents(path: string, poll: boolean) {
  return useQuery({
    queryKey: keys.agents(path),
    // 100 is the API's page maximum; a project with more agents than that is not a thing.
    queryFn: () => api.get<Agent[]>(`/projects/${idOf(path)}/cluster_agents${query({ per_page: 100 })}`),
    refetchInterval: poll ? STATUS_POLL_MS : false,
  });
}

export function useAgentTokens(path: string, agentId: number | undefined, poll: boolean) {
  return useQuery({
    queryKey: keys.tokens(path, agentId ?? -1),
    queryFn: () => api.get<AgentToken[]>(`/projects/${idOf(path)}/cluster_agents/${agentId}/tokens${query({ per_page: 100 })}`),
    enabled: agentId !== undefined,
    refetchInterval: poll ? TOKENS_POLL_MS : false,
  });
}

export function useCertificateClusters(path: string) {
  return useQuery({ queryKey: keys.clusters(path), queryFn: () => api.get<CertificateCluster[]>(`/projects/${idOf(path)}/clusters${query({ per_page: 100 })}`) });
}

export function useMembers(kind: 'groups' | 'projects', path: string) {
  return useQuery({ queryKey: keys.members(kind, path), queryFn: () => api.get<Member[]>(`/${kind}/${idOf(path)}/members${query({ per_page: 100 })}`) });
}

export function invalidate(client: QueryClient, key: readonly unknown[]): Promise<void> {
  return client.invalidateQueries({ queryKey: key });
}
