import { IsBoolean, IsInt, IsString, Matches, Max, Min } from 'class-validator';

/** The notifications service's settings, read from `ServiceModuleOptions.env` with `loadConfig` at start-up. */
export class NotificationsConfig {
  /** PostgreSQL schema the service owns. */
  @IsString()
  @Matches(/^[a-z_][a-z0-9_]{0,62}$/)
  MESHFAB_NOTIFICATIONS_SCHEMA: string = 'notifications';

  /**
   * Key sealing endpoint secrets at rest (32 bytes, base64 or hex). Required: a deployment keeps it in a
   * Secret; the embedded network (npm start) generates one under its data folder and keeps it there.
   */
  @IsString()
  @Matches(/^(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, { message: 'must be 32 bytes, base64 (44 characters) or hex (64)' })
  MESHFAB_NOTIFICATIONS_SECRET_KEY!: string;

  /** Accept http:// endpoints on 127.0.0.1/localhost (tests, local development). Off in production: https only. */
  @IsBoolean()
  MESHFAB_NOTIFICATIONS_ALLOW_HTTP_LOOPBACK: boolean = false;

  /** Accept endpoints on private, loopback and link-local addresses (an on-premises network). Off: refused (SSRF). */
  @IsBoolean()
  MESHFAB_NOTIFICATIONS_ALLOW_PRIVATE_TARGETS: boolean = false;

  /** Webhook endpoints a member may register. */
  @IsInt() @Min(1) @Max(100) MESHFAB_NOTIFICATIONS_MAX_ENDPOINTS: number = 10;

  /** Deliver webhooks from this process (off: only the API and the SSE stream; another instance delivers). */
  @IsBoolean()
  MESHFAB_NOTIFICATIONS_DELIVER: boolean = true;

  /** How often the dispatcher looks for due deliveries when nothing woke it. */
  @IsInt() @Min(10) @Max(60_000) MESHFAB_NOTIFICATIONS_POLL_MS: number = 500;
  /** Deliveries claimed at once (sent concurrently). */
  @IsInt() @Min(1) @Max(500) MESHFAB_NOTIFICATIONS_BATCH: number = 32;
  /** One attempt waits this long for the receiver's answer. */
  @IsInt() @Min(100) @Max(60_000) MESHFAB_NOTIFICATIONS_TIMEOUT_MS: number = 10_000;
  /** A claimed delivery whose dispatcher died is taken again after this long. */
  @IsInt() @Min(1_000) @Max(600_000) MESHFAB_NOTIFICATIONS_LEASE_MS: number = 30_000;

  /** Back-off after the first failed attempt; doubles per failure up to the max. */
  @IsInt() @Min(10) MESHFAB_NOTIFICATIONS_RETRY_INITIAL_MS: number = 5_000;
  @IsInt() @Min(10) MESHFAB_NOTIFICATIONS_RETRY_MAX_MS: number = 2 * 3_600_000;
  /** A delivery is retried for this long after it was created, then given up (redeliverable by hand). */
  @IsInt() @Min(1_000) MESHFAB_NOTIFICATIONS_RETRY_WINDOW_MS: number = 24 * 3_600_000;

  /** An endpoint is disabled after this many failed attempts in a row… */
  @IsInt() @Min(1) MESHFAB_NOTIFICATIONS_DISABLE_AFTER_FAILURES: number = 20;
  /** …that span at least this long (0 = on the count alone). */
  @IsInt() @Min(0) MESHFAB_NOTIFICATIONS_DISABLE_AFTER_MS: number = 24 * 3_600_000;

  /** SSE: a comment line this often keeps proxies from closing an idle stream. */
  @IsInt() @Min(100) @Max(300_000) MESHFAB_NOTIFICATIONS_HEARTBEAT_MS: number = 15_000;
  /** SSE: how often an open stream looks for new events of its member. */
  @IsInt() @Min(10) @Max(60_000) MESHFAB_NOTIFICATIONS_STREAM_POLL_MS: number = 500;

  /** SSE: a stream ends after this long (the client reconnects with Last-Event-ID and misses nothing), so connections spread over instances. */
  @IsInt() @Min(100) @Max(24 * 3_600_000) MESHFAB_NOTIFICATIONS_STREAM_MAX_MS: number = 30 * 60_000;

  /** Readiness fails while more deliveries than this are due and undelivered (0 = never). */
  @IsInt() @Min(0) MESHFAB_NOTIFICATIONS_BACKLOG_READY_MAX: number = 0;
}

export const NOTIFICATIONS_CONFIG = Symbol('NOTIFICATIONS_CONFIG');
export const NOTIFICATIONS_CLOCK = Symbol('NOTIFICATIONS_CLOCK');
export const SECRET_BOX = Symbol('SECRET_BOX');
