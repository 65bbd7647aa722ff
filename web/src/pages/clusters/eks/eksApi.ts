/**
 * The REST calls of the EKS creation flow (docs/api.md, "Creating EKS clusters"), as
 * TanStack Query hooks. The option lists are loaded as role B in the chosen region, so
 * they are cached per authorization: authenticating again (another role or region)
 * loads them again.
 */
import { useQuery } from '@tanstack/react-query';
import { api, idOf, query } from '../../../api/client';
import type { EksOptions, EksRequest } from '../../../api/types';

export type OptionList = keyof EksOptions;

export function eksRequestsPath(projectPath: string): string {
  return `/projects/${idOf(projectPath)}/clusters/eks_requests`;
}

export const eksKeys = {
  request: (projectPath: string, requestId: number) => ['eksRequest', projectPath, requestId] as const,
  options: (projectPath: string, request: EksRequest, list: OptionList, vpcId?: string) => ['eksOptions', projectPath, request.id, request.authorized_at, list, vpcId ?? null] as const,
};

export function useEksRequest(projectPath: string, requestId: number) {
  return useQuery({ queryKey: eksKeys.request(projectPath, requestId), queryFn: () => api.get<EksRequest>(`${eksRequestsPath(projectPath)}/${requestId}`) });
}

/**
 * One list of the form. Lists of a VPC (`subnets`, `security_groups`) wait for one to be
 * chosen. Not retried by itself: a refusal (role B lacks a permission) will not pass by
 * waiting, and its message is what the user needs to see.
 */
export function useEksOptions<L extends OptionList>(projectPath: string, request: EksRequest, list: L, vpcId?: string) {
  const perVpc = list === 'subnets' || list === 'security_groups';
  return useQuery({
    queryKey: eksKeys.options(projectPath, request, list, perVpc ? vpcId : undefined),
    queryFn: () => api.get<EksOptions[L]>(`${eksRequestsPath(projectPath)}/${request.id}/options/${list}${query({ vpc_id: perVpc ? vpcId : undefined })}`),
    enabled: request.authorized && (!perVpc || Boolean(vpcId)),
    retry: false,
    staleTime: Infinity,
  });
}
