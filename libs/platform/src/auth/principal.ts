export const ROLES = ['operator', 'brand', 'workshop', 'inspector'] as const;
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
