/** A member's bearer token as issued: send it as `Authorization: Bearer <token>`; shown once. */
export class IssuedTokenDto {
  /** The token's id (to revoke it: DELETE /registry/members/{memberId}/tokens/{tokenId}). */
  tokenId!: string;
  token!: string;
  expiresAt!: string;
}

/**
 * The answer to a registration: the member's id and its first token. An idempotent replay answers the
 * same token; after the registry's signing key was rotated it cannot open the sealed token any more and
 * answers without it, `tokenUnavailable` saying how to get one.
 */
export class RegistrationDto {
  id!: string;
  tokenId!: string;
  token?: string;
  expiresAt!: string;
  tokenUnavailable?: string;
}

/** A brand's profile. */
export class BrandViewDto {
  id!: string;
  name!: string;
  contactEmail!: string | null;
  registeredAt!: string;
}

/** An inspector's profile. */
export class InspectorViewDto {
  id!: string;
  name!: string;
  certifications!: string[];
  registeredAt!: string;
}

/** One of a member's tokens (never the token itself). */
export class MemberTokenDto {
  tokenId!: string;
  issuedAt!: string;
  expiresAt!: string;
  /** When it was revoked (by the member, an operator or a rotation); null while it works. */
  revokedAt!: string | null;
}

/** A member's tokens, oldest first. */
export class MemberTokenListDto {
  items!: MemberTokenDto[];
}
