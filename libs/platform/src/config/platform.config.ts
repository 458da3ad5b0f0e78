import { IsIn, IsInt, IsString, Max, Min, MinLength } from 'class-validator';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The variables every Meshfab app reads. A service's own config extends it
 * (`class OrdersConfig extends PlatformConfig { @IsString() DATABASE_URL!: string }`) and is loaded
 * with `loadConfig(OrdersConfig)` in main.ts.
 */
export class PlatformConfig {
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number = 3000;

  /** HS256 key shared by the services that verify tokens; required, no default on purpose. */
  @IsString()
  @MinLength(32)
  MESHFAB_JWT_SECRET!: string;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';
}
