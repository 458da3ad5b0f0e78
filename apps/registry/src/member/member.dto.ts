/** A member's bearer token as issued: send it as `Authorization: Bearer <token>`; shown once. */
export class IssuedTokenDto {
  /** The token's id (to revoke it: DELETE /registry/members/{memberId}/tokens/{tokenId}). */
  tokenId!: string;
  token!: string;
  expiresAt!: string;
}

/** The answer to a registration or a token rotation: the member's id and a new token. */
export class RegistrationDto extends IssuedTokenDto {
  id!: string;
}
