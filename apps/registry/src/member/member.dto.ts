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
/** An inspector's own quality record (issue 17). */
export class InspectorQualityDto {
  resultsRecorded!: number;
  /** Its results a brand or workshop disputed. */
  resultsDisputed!: number;
  /** Its results a re-inspection overturned. */
  resultsOverturned!: number;
  /** Disputed lots it re-inspected. */
  reinspections!: number;
  /** 0..1: max(0, (recorded - 2 x overturned + 4.5) / (recorded + 5)). */
  score!: number;
}

export class InspectorViewDto {
  id!: string;
  name!: string;
  certifications!: string[];
  /** Catalogue processes it is certified to inspect (none = never assigned a lot). */
  processes!: string[];
  /** Regions it works in (none = every region). */
  regions!: string[];
  /** Member ids (brands, workshops) it is tied to: never assigned their lots. */
  affiliations!: string[];
  registeredAt!: string;
  quality!: InspectorQualityDto;
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

/** A member's suspension after a change: `suspended` true while its tokens may only read and appeal. */
export class MemberSuspensionDto {
  id!: string;
  role!: 'brand' | 'workshop' | 'inspector';
  suspended!: boolean;
}
