/**
 * `service`: a machine credential the registry issues for one host to call another (reading its event feed once the
 * bootstrap credential is off); it may call only the handlers whose @Roles name it, never "any member" routes.
 */
export const ROLES = ['operator', 'brand', 'workshop', 'inspector', 'service'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: the member id (`sub`), the member's role and the id of the token (`jti`). */
export interface Principal {
  sub: string;
  role: Role;
  tokenId: string;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
