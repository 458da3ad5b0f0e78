import { IsInt, IsString, Matches, Max, Min } from 'class-validator';

/** The registry's own settings, read from the service's env with loadConfig (defaults below). */
export class RegistryConfig {
  /** The PostgreSQL schema the registry owns. */
  @IsString() @Matches(/^[a-z_][a-z0-9_]{0,62}$/) MESHFAB_REGISTRY_SCHEMA: string = 'registry';

  /**
   * Lifetime of a brand's, workshop's or inspector's token, in hours (default a day). A member refreshes
   * before it runs out with POST /registry/members/:id/tokens (a rotation: a new token, the others revoked).
   */
  @IsInt() @Min(1) @Max(24 * 90) MESHFAB_MEMBER_TOKEN_HOURS: number = 24;

  /** Lifetime of a named operator's token, in hours (default 8: a working day); refreshed the same way. */
  @IsInt() @Min(1) @Max(24 * 30) MESHFAB_OPERATOR_TOKEN_HOURS: number = 8;

  /**
   * Lifetime of a service credential's token (role `service`, for one host to read another's event feed), in hours
   * (default 30 days); rotated with POST /registry/members/:id/tokens before it runs out, revocable at any time.
   */
  @IsInt() @Min(1) @Max(24 * 365) MESHFAB_SERVICE_TOKEN_HOURS: number = 24 * 30;

  /** Default page size of GET /registry/workshops (a caller may ask for 1-500 with `limit`). */
  @IsInt() @Min(1) @Max(500) MESHFAB_REGISTRY_PAGE_SIZE: number = 50;
}
