import { IsIn, IsInt, IsNumber, IsOptional, IsString, IsUrl, Max, Min } from 'class-validator';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Rate limits when the variables are unset: far above what the demo, the benchmarks and the tests
 * do as one member, while a client without a valid token (guessing tokens, say) gets 50 times less.
 */
export const RATE_LIMIT_DEFAULTS = { perSecond: 1000, burst: 2000, anonymousPerSecond: 20, anonymousBurst: 60 } as const;

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

  /**
   * The registry's public keys as a JWKS (`{"keys":[…]}`), for a service that verifies tokens without
   * fetching them; public keys only (a private member is refused). Else MESHFAB_JWKS_URL.
   */
  @IsOptional()
  @IsString()
  MESHFAB_JWT_PUBLIC_KEYS?: string;

  /** The registry's JWKS (`<registry>/registry/.well-known/jwks.json`): fetched, cached, fetched again for an unknown `kid`. */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  MESHFAB_JWKS_URL?: string;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  /** Calls per second one member (a valid bearer token) may make on average; 0 turns the limit off. */
  @IsOptional()
  @IsNumber()
  @Min(0)
  MESHFAB_RATE_LIMIT_PER_SECOND?: number = RATE_LIMIT_DEFAULTS.perSecond;

  /** Calls one member may make at once before the average applies. */
  @IsOptional()
  @IsInt()
  @Min(1)
  MESHFAB_RATE_LIMIT_BURST?: number = RATE_LIMIT_DEFAULTS.burst;

  /** The same per client address, for calls without a valid token (anonymous, expired, forged); 0: off. */
  @IsOptional()
  @IsNumber()
  @Min(0)
  MESHFAB_RATE_LIMIT_ANONYMOUS_PER_SECOND?: number = RATE_LIMIT_DEFAULTS.anonymousPerSecond;

  @IsOptional()
  @IsInt()
  @Min(1)
  MESHFAB_RATE_LIMIT_ANONYMOUS_BURST?: number = RATE_LIMIT_DEFAULTS.anonymousBurst;

  /**
   * Where the rate limit budgets live: `shared` (the default): one budget per member or client address for all
   * the instances of a service, kept in the service's PostgreSQL (table `rate_limit_buckets`); `instance`: in
   * each process (the embedded network's default: it is one process). See shared-rate-limit.ts.
   */
  @IsOptional()
  @IsIn(['shared', 'instance'])
  MESHFAB_RATE_LIMIT_SCOPE?: 'shared' | 'instance' = 'shared';

  /**
   * Shared budgets: tokens an instance takes per database round trip and spends locally; unset: a twentieth
   * of the burst (100 of a member's 2000, 3 of an address's 60); 1: a round trip per call (exact, slower).
   */
  @IsOptional()
  @IsInt()
  @Min(1)
  MESHFAB_RATE_LIMIT_LEASE?: number;

  /** Shared budgets: how long leased tokens stay usable in the instance that took them. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(60000)
  MESHFAB_RATE_LIMIT_LEASE_MS?: number = 1000;

  /**
   * Shared budgets: a database round trip slower than this (or failing) admits calls by the instance's own
   * buckets for MESHFAB_RATE_LIMIT_FALLBACK_MS (fail open to a per-instance limit), then the database is tried again.
   */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(60000)
  MESHFAB_RATE_LIMIT_STORE_TIMEOUT_MS?: number = 250;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(600000)
  MESHFAB_RATE_LIMIT_FALLBACK_MS?: number = 5000;

  /**
   * Origins allowed to call from a browser (CORS), comma-separated (`https://app.example.com`), or `*`.
   * Unset: no CORS headers, so browsers on other origins cannot read answers. Bearer tokens only, never cookies.
   */
  @IsOptional()
  @IsString()
  MESHFAB_CORS_ORIGINS?: string;

  /**
   * The reverse proxies in front of this service (comma-separated addresses or CIDRs, or `loopback`,
   * `uniquelocal`): only a request from one of them has its X-Forwarded-For believed, so the anonymous rate
   * limit keys on the real client. Unset: the socket's peer is the client.
   */
  @IsOptional()
  @IsString()
  MESHFAB_TRUSTED_PROXIES?: string;

  /** `/metrics` and `/docs`: `operator` (an operator's bearer token; the default) or `open` (the embedded network's default). */
  @IsOptional()
  @IsIn(['open', 'operator'])
  MESHFAB_ADMIN_ENDPOINTS?: 'open' | 'operator' = 'operator';

  /** How often the readiness checks run in the background (their latest results feed the write gate). */
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(60000)
  MESHFAB_HEALTH_INTERVAL_MS?: number = 1000;

  /** How long a critical dependency (PostgreSQL, Kafka) may fail before writes are refused with 503. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(600000)
  MESHFAB_WRITE_GATE_GRACE_MS?: number = 2000;
}
