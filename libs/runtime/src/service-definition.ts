import type { DynamicModule, Type } from '@nestjs/common';
import type { ServiceName } from '#libs/contracts';
import type { JSONWebKeySet } from 'jose';
import type { DatabasePoolOptions } from '#libs/eventsourcing';
import type { SigningKey } from '#libs/platform';

/** What every service module is given, whether it runs alone or with the others in one process. */
export interface ServiceModuleOptions {
  /** postgres://… — the service keeps its data in its own schema (named after the service). */
  databaseUrl: string;
  /**
   * The token signing key and the key set to publish: given to the host of the registry only (the one
   * issuer); every other service verifies with public keys (PlatformModule) and never sees a private key.
   */
  signing?: { key: SigningKey; keySet: JSONWebKeySet };
  /** Environment for the service's own settings (validated by the service with loadConfig). */
  env: Record<string, string | undefined>;
  /** The clock; tests pass a fixed or controllable one. */
  clock?: () => Date;
  /** The service's connection pool: size (default 10), connect and statement timeouts (3 s, 30 s). */
  pool?: DatabasePoolOptions;
}

/**
 * A Meshfab service as the process that hosts it sees it: its root module, the producers whose events
 * it consumes, and its name (= its schema, its topic `meshfab.<name>.events`, its consumer group).
 */
export interface MeshfabServiceDefinition {
  name: ServiceName;
  /** The class of the module `forRoot` returns; used to find the service's ServiceDatabase. */
  moduleClass: Type<unknown>;
  forRoot(options: ServiceModuleOptions): DynamicModule;
  consumes: readonly ServiceName[];
  /**
   * Its consumers' effects must not skip an event (money, capacity, a saga): an event that keeps failing
   * parks its stream (later events of it wait; other streams flow) until an operator replays or
   * discards it (`POST /admin/dead-letters/:id/replay|discard`), instead of being dead-lettered past.
   */
  parksStreams?: boolean;
}
