import { readFileSync } from 'node:fs';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength } from 'class-validator';
import { MESHFAB_SERVICES, type ServiceName } from '#libs/contracts';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_RETENTION, DEFAULT_STATEMENT_TIMEOUT_MS, EVENT_ENVELOPE_ALLOWANCE_BYTES, MAX_EVENT_BYTES, type RetentionPolicy } from '#libs/eventsourcing';
import { DEFAULT_MAX_REQUEST_BYTES, SASL_MECHANISMS, type KafkaSecurity, type RelayCompression, type SaslMechanism } from '#libs/messaging';
import { PlatformConfig } from '#libs/platform';

const FEED_URL = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/** The variable naming where `service`'s host answers (`MESHFAB_ORDERS_URL`). */
export const serviceUrlVariable = (service: ServiceName) => `MESHFAB_${service.toUpperCase()}_URL` as `MESHFAB_${Uppercase<ServiceName>}_URL`;

/** Environment of a Meshfab process (validated once at start-up; see the README's table). */
export class RuntimeConfig extends PlatformConfig {
  /** postgres://…; unset for the embedded network → embedded PostgreSQL under the data folder. */
  @IsOptional() @IsString() DATABASE_URL?: string;
  /** Comma-separated host:port list; unset → the embedded in-process transport. */
  @IsOptional() @IsString() KAFKA_BROKERS?: string;
  @IsString() MESHFAB_DATA_DIR: string = './.data';
  /** Kafka topic and consumer-group namespace: `<ns>.<service>.events`. */
  @IsString() @Matches(/^[a-zA-Z0-9._-]{1,100}$/) MESHFAB_KAFKA_NAMESPACE: string = 'meshfab';
  /**
   * Largest produce request of an outbox relay, in bytes before compression: below the broker's
   * `message.max.bytes` (1 048 588 by default), and room for the largest event (MAX_EVENT_BYTES).
   */
  @IsInt() @Min(MAX_EVENT_BYTES + EVENT_ENVELOPE_ALLOWANCE_BYTES) @Max(100 * 1024 * 1024) MESHFAB_KAFKA_MAX_REQUEST_BYTES: number = DEFAULT_MAX_REQUEST_BYTES;
  /** Compression of what the relays publish: `gzip` (built into kafkajs) or `none`. */
  @IsIn(['gzip', 'none']) MESHFAB_KAFKA_COMPRESSION: RelayCompression = 'gzip';

  /** TLS to the brokers (the system's CAs unless MESHFAB_KAFKA_TLS_CA_FILE names others). */
  @IsBoolean() MESHFAB_KAFKA_TLS: boolean = false;
  /** PEM file of the CA(s) that signed the brokers' certificates. */
  @IsOptional() @IsString() MESHFAB_KAFKA_TLS_CA_FILE?: string;
  /** PEM files of this client's certificate and key, for brokers that want mutual TLS (both or neither). */
  @IsOptional() @IsString() MESHFAB_KAFKA_TLS_CERT_FILE?: string;
  @IsOptional() @IsString() MESHFAB_KAFKA_TLS_KEY_FILE?: string;
  /** `plain`, `scram-sha-256` or `scram-sha-512` (Kafka's upper-case spelling is accepted too); unset: no SASL. */
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsIn(SASL_MECHANISMS)
  MESHFAB_KAFKA_SASL_MECHANISM?: SaslMechanism;
  @IsOptional() @IsString() MESHFAB_KAFKA_SASL_USERNAME?: string;
  @IsOptional() @IsString() MESHFAB_KAFKA_SASL_PASSWORD?: string;

  /**
   * The registry's private signing key (PKCS#8 PEM, Ed25519 or P-256), or MESHFAB_REGISTRY_SIGNING_KEY_FILE
   * naming a file holding it. Only the registry's host reads it; the embedded network generates one under
   * the data folder (registry-signing-key.pem).
   */
  @IsOptional() @IsString() MESHFAB_REGISTRY_SIGNING_KEY?: string;
  @IsOptional() @IsString() MESHFAB_REGISTRY_SIGNING_KEY_FILE?: string;
  /**
   * Public keys the registry signed with before (a JWKS): still published and trusted after a rotation,
   * until the tokens they signed have expired.
   */
  @IsOptional() @IsString() MESHFAB_REGISTRY_RETIRED_PUBLIC_KEYS?: string;
  /** A static operator bearer token (≥ 32 characters). */
  @IsOptional() @IsString() @MinLength(32) MESHFAB_OPERATOR_TOKEN?: string;
  /**
   * A service credential's token (role `service`, from `POST /registry/service-credentials`): what this host reads
   * other hosts' event feeds with. Unset: MESHFAB_OPERATOR_TOKEN (which stops working once the bootstrap credential is disabled).
   */
  @IsOptional() @IsString() @MinLength(32) MESHFAB_SERVICE_TOKEN?: string;
  @IsInt() @Min(1024) @Max(65535) MESHFAB_EMBEDDED_PG_PORT: number = 54329;
  /**
   * Embedded transport: transactions each consumer runs at once over a batch of a producer's events, its
   * streams split between them (as Kafka's partitions). 1, the default: a batch is handled in order in
   * runs of up to 64 events per transaction. More lanes contend for the same rows and locks (an order's
   * lots, a planning area, a brand) and a batch waits for its slowest lane: the pipeline bench sustained
   * 50–60 five-step orders/s with 1 lane against 20 with 4 (bench/README.md, issue 20's eighth pass).
   */
  @IsInt() @Min(1) @Max(64) MESHFAB_EMBEDDED_LANES: number = 1;
  /** Connections of each service's pool; at least 2 (opening a service holds one for its migration lock while another migrates). */
  @IsInt() @Min(2) @Max(100) MESHFAB_DB_POOL_SIZE: number = 10;
  /** Readiness reports `event-backlog` failing while an outbox (Kafka) or a consumer (embedded) is more events behind than this; 0 = never. */
  @IsInt() @Min(0) MESHFAB_READY_MAX_BACKLOG: number = 0;
  /** `meshfab_kafka_consumer_lag` asks the brokers at most once per this many ms; scrapes in between see the last reading. */
  @IsInt() @Min(0) MESHFAB_METRICS_KAFKA_LAG_CACHE_MS: number = 10_000;
  /** How long getting a pooled connection may take before the request answers 503 (PostgreSQL down or saturated). */
  @IsInt() @Min(100) @Max(60_000) MESHFAB_DB_CONNECT_TIMEOUT_MS: number = DEFAULT_CONNECT_TIMEOUT_MS;
  /** How long one statement may run before PostgreSQL cancels it (the client gives up 5 s later). */
  @IsInt() @Min(1_000) @Max(3_600_000) MESHFAB_DB_STATEMENT_TIMEOUT_MS: number = DEFAULT_STATEMENT_TIMEOUT_MS;
  /**
   * Statements a service repeats are prepared on the server (parsed once per connection, planned once when a
   * generic plan does; libs/eventsourcing auto-prepare.ts). `false` behind a pooler in transaction mode.
   */
  @IsBoolean() MESHFAB_DB_AUTO_PREPARE: boolean = true;

  /**
   * Retention (pruned by a periodic job per service database; 0 keeps for ever): answers kept for
   * `Idempotency-Key` replays (hours), the inbox's handled event ids (days), resolved or dead dead letters
   * (days; parked and held ones are always kept). Every MESHFAB_RETENTION_INTERVAL_MINUTES (0: never).
   */
  @IsInt() @Min(0) @Max(24 * 3650) MESHFAB_RETENTION_IDEMPOTENCY_HOURS: number = DEFAULT_RETENTION.idempotencyKeyHours;
  @IsInt() @Min(0) @Max(3650) MESHFAB_RETENTION_INBOX_DAYS: number = DEFAULT_RETENTION.inboxDays;
  @IsInt() @Min(0) @Max(3650) MESHFAB_RETENTION_DEAD_LETTER_DAYS: number = DEFAULT_RETENTION.deadLetterDays;
  @IsInt() @Min(0) @Max(7 * 24 * 60) MESHFAB_RETENTION_INTERVAL_MINUTES: number = 60;

  retention(): RetentionPolicy {
    return { idempotencyKeyHours: this.MESHFAB_RETENTION_IDEMPOTENCY_HOURS, inboxDays: this.MESHFAB_RETENTION_INBOX_DAYS, deadLetterDays: this.MESHFAB_RETENTION_DEAD_LETTER_DAYS };
  }

  /**
   * Where each service's host answers, for a consumer of its events hosted elsewhere: when the broker
   * deleted records of the service's topic that the consumer had not read, the consumer rebuilds them from
   * `GET <url>/admin/event-feed/<service>` with MESHFAB_SERVICE_TOKEN (else MESHFAB_OPERATOR_TOKEN). Unset: such a loss is only reported.
   */
  @IsOptional() @IsUrl(FEED_URL) MESHFAB_REGISTRY_URL?: string;
  @IsOptional() @IsUrl(FEED_URL) MESHFAB_ORDERS_URL?: string;
  @IsOptional() @IsUrl(FEED_URL) MESHFAB_MATCHING_URL?: string;
  @IsOptional() @IsUrl(FEED_URL) MESHFAB_INSPECTION_URL?: string;
  @IsOptional() @IsUrl(FEED_URL) MESHFAB_SETTLEMENT_URL?: string;
  @IsOptional() @IsUrl(FEED_URL) MESHFAB_NOTIFICATIONS_URL?: string;

  /** The configured `MESHFAB_<SERVICE>_URL`s, by service; throws when one is set without the operator token it needs. */
  serviceUrls(): Partial<Record<ServiceName, string>> {
    const urls: Partial<Record<ServiceName, string>> = {};
    for (const service of MESHFAB_SERVICES) {
      const url = this[serviceUrlVariable(service)];
      if (url) urls[service] = url;
    }
    if (Object.keys(urls).length > 0 && !this.eventFeedToken()) {
      throw new Error(
        `Invalid configuration (RuntimeConfig):\n${Object.keys(urls).map((s) => serviceUrlVariable(s as ServiceName)).join(', ')}: reading another host's event feed needs MESHFAB_SERVICE_TOKEN (or MESHFAB_OPERATOR_TOKEN)`,
      );
    }
    return urls;
  }

  /** The bearer token this host reads other hosts' event feeds with: the service credential's, else the bootstrap credential. */
  eventFeedToken(): string | undefined {
    return this.MESHFAB_SERVICE_TOKEN ?? this.MESHFAB_OPERATOR_TOKEN;
  }

  /**
   * The TLS and SASL settings of every Kafka client of this process, checked together: a SASL mechanism
   * needs a user name and a password (and they need a mechanism), a client certificate its key, TLS files
   * MESHFAB_KAFKA_TLS=true, and all of them KAFKA_BROKERS. Reads the PEM files. Throws naming every problem.
   */
  kafkaSecurity(): KafkaSecurity | undefined {
    const problems: string[] = [];
    const mechanism = this.MESHFAB_KAFKA_SASL_MECHANISM;
    const username = this.MESHFAB_KAFKA_SASL_USERNAME;
    const password = this.MESHFAB_KAFKA_SASL_PASSWORD;
    if (mechanism && !username) problems.push(`MESHFAB_KAFKA_SASL_USERNAME: is required with MESHFAB_KAFKA_SASL_MECHANISM=${mechanism}`);
    if (mechanism && !password) problems.push(`MESHFAB_KAFKA_SASL_PASSWORD: is required with MESHFAB_KAFKA_SASL_MECHANISM=${mechanism}`);
    if (!mechanism && (username || password)) {
      problems.push(`MESHFAB_KAFKA_SASL_MECHANISM: is required with MESHFAB_KAFKA_SASL_USERNAME or _PASSWORD (${SASL_MECHANISMS.join(', ')})`);
    }
    const files = { MESHFAB_KAFKA_TLS_CA_FILE: this.MESHFAB_KAFKA_TLS_CA_FILE, MESHFAB_KAFKA_TLS_CERT_FILE: this.MESHFAB_KAFKA_TLS_CERT_FILE, MESHFAB_KAFKA_TLS_KEY_FILE: this.MESHFAB_KAFKA_TLS_KEY_FILE };
    const named = Object.entries(files).filter(([, path]) => path);
    if (!this.MESHFAB_KAFKA_TLS) for (const [name] of named) problems.push(`${name}: is used only with MESHFAB_KAFKA_TLS=true`);
    if (Boolean(files.MESHFAB_KAFKA_TLS_CERT_FILE) !== Boolean(files.MESHFAB_KAFKA_TLS_KEY_FILE)) {
      problems.push(`${files.MESHFAB_KAFKA_TLS_CERT_FILE ? 'MESHFAB_KAFKA_TLS_KEY_FILE' : 'MESHFAB_KAFKA_TLS_CERT_FILE'}: a client certificate and its key go together`);
    }
    const pem: Partial<Record<keyof typeof files, string>> = {};
    for (const [name, path] of named) {
      try {
        const text = readFileSync(path!, 'utf8');
        if (!text.includes('-----BEGIN ')) problems.push(`${name}: ${path} holds no PEM block`);
        pem[name as keyof typeof files] = text;
      } catch (error) {
        problems.push(`${name}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
      }
    }
    const configured = this.MESHFAB_KAFKA_TLS || mechanism || username || password || named.length > 0;
    if (configured && !this.brokers()) problems.push('KAFKA_BROKERS: the Kafka TLS/SASL settings need brokers (unset, events stay in-process)');
    if (problems.length > 0) throw new Error(`Invalid configuration (RuntimeConfig):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    if (!configured) return undefined;
    const ssl = !this.MESHFAB_KAFKA_TLS
      ? undefined
      : named.length === 0
        ? true
        : { ...(pem.MESHFAB_KAFKA_TLS_CA_FILE ? { ca: pem.MESHFAB_KAFKA_TLS_CA_FILE } : {}), ...(pem.MESHFAB_KAFKA_TLS_CERT_FILE ? { cert: pem.MESHFAB_KAFKA_TLS_CERT_FILE, key: pem.MESHFAB_KAFKA_TLS_KEY_FILE } : {}) };
    return { ...(ssl ? { ssl } : {}), ...(mechanism ? { sasl: { mechanism, username: username!, password: password! } } : {}) };
  }

  brokers(): string[] | undefined {
    const list = (this.KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter(Boolean);
    return list.length > 0 ? list : undefined;
  }
}
