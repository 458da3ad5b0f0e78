import { IsInt, IsString, Matches, Max, Min } from 'class-validator';

/** The registry's own settings, read from the service's env with loadConfig (defaults below). */
export class RegistryConfig {
  /** The PostgreSQL schema the registry owns. */
  @IsString() @Matches(/^[a-z_][a-z0-9_]{0,62}$/) MESHFAB_REGISTRY_SCHEMA: string = 'registry';

  /** Lifetime of member (brand and workshop) tokens, in days. */
  @IsInt() @Min(1) @Max(3650) MESHFAB_MEMBER_TOKEN_DAYS: number = 90;

  /** Page size of GET /registry/workshops. */
  @IsInt() @Min(1) @Max(500) MESHFAB_REGISTRY_PAGE_SIZE: number = 50;
}
