/** GitLab's roles, as numeric access levels. */
export const ACCESS = {
  none: 0,
  guest: 10,
  reporter: 20,
  developer: 30,
  maintainer: 40,
  owner: 50,
} as const;

export type AccessLevel = (typeof ACCESS)[keyof typeof ACCESS];
export const VALID_ACCESS_LEVELS: readonly number[] = [10, 20, 30, 40, 50];

export function roleName(level: number): string {
  const found = Object.entries(ACCESS).find(([, v]) => v === level);
  return found ? found[0] : `level ${level}`;
}

export const PAT_SCOPES = ['api', 'read_api', 'read_repository', 'write_repository'] as const;
export type PatScope = (typeof PAT_SCOPES)[number];
