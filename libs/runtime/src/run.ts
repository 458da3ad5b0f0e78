import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Logger as NestLogger, Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SwaggerModule } from '@nestjs/swagger';
import type { Logger } from 'pino';
import {
  configureHttpApp,
  generateSigningKeyPem,
  HttpLimitsConfig,
  jsonBodyLimitsOf,
  loadConfig,
  parsePublicKeySet,
  PINO_LOGGER,
  PlatformModule,
  publishedKeySet,
  signingKeyFromPem,
  startTracing,
  tracingSettingsOf,
  type VerificationKeys,
} from '#libs/platform';
import { describeKafkaSecurity, type EmbeddedEventBus } from '#libs/messaging';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './embedded-database.js';
import { connectEventTransport, schemaOf, type ConnectedTransport, type HostedService } from './event-transport.js';
import { DeadLettersController } from './dead-letters.controller.js';
import { EventFeedController } from './event-feed.controller.js';
import { HOSTED_SCHEMAS } from './hosted-databases.js';
import { startRetention } from './retention-job.js';
import openApiMetadata from './openapi/openapi.metadata.js';
import { revokedTokensModule } from './revoked-tokens.module.js';
import { sharedRateLimitModule } from './postgres-rate-limit-store.js';
import { RuntimeConfig } from './runtime.config.js';
import type { MeshfabServiceDefinition, ServiceModuleOptions } from './service-definition.js';

@Module({})
class HostModule {
  static forServices(
    name: string,
    config: RuntimeConfig,
    hosted: readonly HostedService[],
    extra: readonly DynamicModule[],
    verificationKeys: VerificationKeys | undefined,
    logger?: Logger,
  ): DynamicModule {
    const platform = PlatformModule.forRoot({
      serviceName: name,
      config,
      operatorToken: config.MESHFAB_OPERATOR_TOKEN,
      logger,
      verificationKeys,
      audiences: hosted.map((h) => h.definition.name),
    });
    return {
      module: HostModule,
      imports: [platform, ...hosted.map((h) => h.module), ...extra],
      controllers: [DeadLettersController, EventFeedController],
      providers: [{ provide: HOSTED_SCHEMAS, useValue: Object.fromEntries(hosted.map((h) => [h.definition.name, h.schema])) }],
    };
  }
}

export interface RunningHost {
  app: INestApplication;
  url: string;
  transport: ConnectedTransport;
  stop(): Promise<void>;
}

/** Reads `<dataDir>/<file>`, or writes `make()` there first (mode 0600): secrets kept across restarts. */
function persisted(dataDir: string, file: string, make: () => string): { value: string; path: string; created: boolean } {
  const path = join(dataDir, file);
  if (existsSync(path)) return { value: readFileSync(path, 'utf8').trim(), path, created: false };
  mkdirSync(dataDir, { recursive: true });
  const value = make();
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return { value, path, created: true };
}

/**
 * The registry's signing key: MESHFAB_REGISTRY_SIGNING_KEY (PEM), the file MESHFAB_REGISTRY_SIGNING_KEY_FILE,
 * or (embedded) `<data dir>/registry-signing-key.pem`, generated on first start. Published with the
 * retired public keys still trusted (MESHFAB_REGISTRY_RETIRED_PUBLIC_KEYS).
 */
function registrySigning(config: RuntimeConfig, dataDir: string, embedded: boolean): NonNullable<ServiceModuleOptions['signing']> {
  let pem = config.MESHFAB_REGISTRY_SIGNING_KEY;
  if (!pem && config.MESHFAB_REGISTRY_SIGNING_KEY_FILE) pem = readFileSync(config.MESHFAB_REGISTRY_SIGNING_KEY_FILE, 'utf8');
  if (!pem && embedded) pem = persisted(dataDir, 'registry-signing-key.pem', generateSigningKeyPem).value;
  if (!pem) throw new Error('the registry signs tokens: set MESHFAB_REGISTRY_SIGNING_KEY (a PKCS#8 PEM private key) or MESHFAB_REGISTRY_SIGNING_KEY_FILE');
  const key = signingKeyFromPem(pem);
  const retired = config.MESHFAB_REGISTRY_RETIRED_PUBLIC_KEYS ? parsePublicKeySet(config.MESHFAB_REGISTRY_RETIRED_PUBLIC_KEYS, 'MESHFAB_REGISTRY_RETIRED_PUBLIC_KEYS') : undefined;
  return { key, keySet: publishedKeySet(key, retired) };
}

/** Without the registry here: its JWKS at MESHFAB_REGISTRY_URL when no other source is configured (else PlatformModule's). */
function jwksOfRegistry(config: RuntimeConfig): VerificationKeys | undefined {
  if (config.MESHFAB_JWT_PUBLIC_KEYS || config.MESHFAB_JWKS_URL || !config.MESHFAB_REGISTRY_URL) return undefined;
  return { url: `${config.MESHFAB_REGISTRY_URL.replace(/\/+$/, '')}/registry/.well-known/jwks.json` };
}

/**
 * Starts one process hosting `services`: HTTP on PORT, each service in its own schema, events over
 * Kafka when KAFKA_BROKERS is set, else in-process. `embedded: true` (the network default) also
 * starts an embedded PostgreSQL when DATABASE_URL is unset and keeps generated secrets in the data folder.
 */
export async function startHost(
  name: string,
  services: readonly MeshfabServiceDefinition[],
  // `eventBus`: the in-process bus to use when events stay in-process (tests put a perturbing one there).
  // `logger`: a pino logger instead of JSON lines on stdout (tests read what the host logs).
  // `mount`: HTTP handlers of the host's own, mounted before the services' routes (the network's console).
  options: { embedded: boolean; env?: NodeJS.ProcessEnv; eventBus?: EmbeddedEventBus; logger?: Logger; mount?: (app: INestApplication) => void },
): Promise<RunningHost> {
  const env = options.env ?? process.env;
  const dataDir = resolve(env.MESHFAB_DATA_DIR ?? './.data');
  let operatorTokenFile: string | undefined;
  if (options.embedded) {
    // One machine, one person: /metrics and /docs open (a deployment sets MESHFAB_ADMIN_ENDPOINTS=operator, the default elsewhere).
    env.MESHFAB_ADMIN_ENDPOINTS ??= 'open';
    // One process: its own buckets are every instance's (no database round trip for the rate limit).
    env.MESHFAB_RATE_LIMIT_SCOPE ??= 'instance';
    if (!env.MESHFAB_OPERATOR_TOKEN) {
      const token = persisted(dataDir, 'operator-token', () => `op_${randomBytes(24).toString('hex')}`);
      env.MESHFAB_OPERATOR_TOKEN = token.value;
      operatorTokenFile = token.path;
    }
    // Brands of the embedded network pay through the sandbox payment provider (apps/settlement/src/sandbox-provider),
    // which signs its webhooks with a secret kept here like the JWT secret.
    if (!env.MESHFAB_SETTLEMENT_PROVIDER_SECRETS) {
      env.MESHFAB_SETTLEMENT_PROVIDER_SECRETS = `sandbox=${persisted(dataDir, 'sandbox-provider-secret', () => `whsec_${randomBytes(32).toString('base64')}`).value}`;
      env.MESHFAB_SETTLEMENT_SANDBOX_PROVIDER ??= 'true';
    }
    // The notifications service seals its members' webhook secrets with a key of its own (a deployment sets it).
    if (!env.MESHFAB_NOTIFICATIONS_SECRET_KEY && services.some((s) => s.name === 'notifications')) {
      env.MESHFAB_NOTIFICATIONS_SECRET_KEY = persisted(dataDir, 'notifications-secret-key', () => randomBytes(32).toString('base64')).value;
    }
  }
  const config = loadConfig(RuntimeConfig, env);
  let embeddedDb: EmbeddedDatabase | undefined;
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    if (!options.embedded) throw new Error('DATABASE_URL is required to run a single service (npm start runs the embedded network)');
    embeddedDb = await startEmbeddedDatabase(dataDir, config.MESHFAB_EMBEDDED_PG_PORT);
    databaseUrl = embeddedDb.url;
  }
  const brokers = config.brokers();
  const kafkaSecurity = config.kafkaSecurity(); // TLS and SASL of every Kafka client; throws on settings that do not go together
  if (kafkaSecurity?.sasl?.mechanism === 'plain' && !kafkaSecurity.ssl) {
    new NestLogger('Kafka').warn('MESHFAB_KAFKA_SASL_MECHANISM=plain without MESHFAB_KAFKA_TLS=true sends the Kafka password in clear text');
  }
  const serviceUrls = config.serviceUrls(); // the producers' hosts, for consumers that must rebuild lost events
  if (!brokers && !options.embedded) throw new Error('KAFKA_BROKERS is required to run a single service on its own');

  const pool = { poolSize: config.MESHFAB_DB_POOL_SIZE, connectTimeoutMs: config.MESHFAB_DB_CONNECT_TIMEOUT_MS, statementTimeoutMs: config.MESHFAB_DB_STATEMENT_TIMEOUT_MS, autoPrepare: config.MESHFAB_DB_AUTO_PREPARE };
  const registryHere = services.some((s) => s.name === 'registry');
  // The registry signs; this host hands its services the public half only (the registry's module gets the key).
  const signing = registryHere ? registrySigning(config, dataDir, options.embedded) : undefined;
  const verificationKeys: VerificationKeys | undefined = signing ? { jwks: signing.keySet } : jwksOfRegistry(config);
  const serviceOptions = { databaseUrl, env, pool };
  // Without the registry in this process, each service keeps its own list of revoked tokens from the
  // registry's events (the registry itself answers revocation checks where it is hosted), so it also
  // consumes the registry's topic.
  const hosted: HostedService[] = services.map((service) => {
    const definition = registryHere ? service : { ...service, consumes: [...new Set([...service.consumes, 'registry' as const])] };
    const own = service.name === 'registry' ? { ...serviceOptions, signing } : serviceOptions;
    return { definition, module: definition.forRoot(own), schema: schemaOf(definition, env) };
  });
  const revocation = registryHere ? [] : hosted.map((h) => revokedTokensModule(h.definition.name, h.schema));
  // Budgets shared by every instance of this host, in the first hosted service's database (its own when alone).
  const rateLimit = config.MESHFAB_RATE_LIMIT_SCOPE === 'shared' && hosted[0] ? [sharedRateLimitModule(hosted[0].schema)] : [];
  // OpenTelemetry (off unless OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or MESHFAB_TRACING is set).
  const tracingSettings = tracingSettingsOf(env, name);
  const tracing = tracingSettings ? startTracing(tracingSettings) : undefined;
  // abortOnError: false: a failure while Nest builds the modules (a refused database login, say) rejects
  // this call with its cause instead of Nest ending the process; runUntilSignal reports it and exits, and a
  // test that starts a host fails that test only.
  const app = await NestFactory.create(HostModule.forServices(name, config, hosted, [...revocation, ...rateLimit], verificationKeys, options.logger), {
    bufferLogs: true,
    bodyParser: false,
    abortOnError: false,
  });
  let transport: ConnectedTransport | undefined;
  try {
    // The schemas the @nestjs/swagger plugin read from the DTO classes (scripts/openapi-metadata.mjs).
    await SwaggerModule.loadPluginMetadata(openApiMetadata);
    configureHttpApp(app, { openApi: { title: `Meshfab ${name}` }, shutdownHooks: false, bodyLimits: jsonBodyLimitsOf(loadConfig(HttpLimitsConfig, env)) });
    options.mount?.(app);
    transport = await connectEventTransport(app, hosted, brokers ? { kind: 'kafka', brokers, security: kafkaSecurity, namespace: config.MESHFAB_KAFKA_NAMESPACE, maxRequestBytes: config.MESHFAB_KAFKA_MAX_REQUEST_BYTES, compression: config.MESHFAB_KAFKA_COMPRESSION, consumerLagCacheMs: config.MESHFAB_METRICS_KAFKA_LAG_CACHE_MS, feeds: { urls: serviceUrls, token: config.eventFeedToken() } } : { kind: 'embedded', bus: options.eventBus, lanes: config.MESHFAB_EMBEDDED_LANES }, config.MESHFAB_READY_MAX_BACKLOG);
    // HTTP first: a consumer that rebuilds lost events before it reads Kafka may wait for another host's event
    // feed, which may wait on this one's (two services restarted after their topics lost records).
    await app.listen(config.PORT, '0.0.0.0');
    await app.startAllMicroservices();
  } catch (error) {
    // A host that cannot start (Kafka refusing its credentials, say) releases what it holds: the caller may go on.
    await transport?.stop().catch(() => undefined);
    await app.close().catch(() => undefined);
    await embeddedDb?.stop().catch(() => undefined);
    await tracing?.stop();
    throw error;
  }
  const connected = transport;
  const retention = startRetention(app, hosted, config.retention(), config.MESHFAB_RETENTION_INTERVAL_MINUTES);
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('0.0.0.0', 'localhost');
  const where = [
    `Meshfab ${name} listening on ${url} (docs: ${url}/docs)`,
    `database: ${embeddedDb ? `embedded PostgreSQL under ${join(dataDir, 'postgres')}` : 'DATABASE_URL'}`,
    `events: ${brokers ? `Kafka ${brokers.join(',')} (${describeKafkaSecurity(kafkaSecurity)})` : 'embedded in-process transport'}`,
    operatorTokenFile ? `operator token: ${operatorTokenFile}` : config.MESHFAB_OPERATOR_TOKEN ? 'operator token: MESHFAB_OPERATOR_TOKEN' : '',
  ].filter(Boolean);
  // The banner comes last: what was logged while booting is written out first (pino writes stdout asynchronously).
  const pinoLogger = app.get<Logger>(PINO_LOGGER);
  await new Promise<void>((done) => pinoLogger.flush(() => done()));
  process.stdout.write(`${where.join('\n')}\n`);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    retention.stop();
    await connected.stop();
    await app.close();
    await embeddedDb?.stop();
    await tracing?.stop();
  };
  return { app, url, transport: connected, stop };
}

/** Entry point of a service running alone (distributed mode): DATABASE_URL and KAFKA_BROKERS required. */
export async function runStandalone(service: MeshfabServiceDefinition): Promise<void> {
  await runUntilSignal(() => startHost(service.name, [service], { embedded: false }));
}

/** Entry point of the whole network in one process (`npm start`); `mount` adds its own HTTP handlers (the console). */
export async function runNetwork(services: readonly MeshfabServiceDefinition[], mount?: (app: INestApplication) => void): Promise<void> {
  await runUntilSignal(() => startHost('network', services, { embedded: true, mount }));
}

async function runUntilSignal(start: () => Promise<RunningHost>): Promise<void> {
  let host: RunningHost;
  try {
    host = await start();
  } catch (error) {
    process.stderr.write(`Meshfab failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const shutdown = (signal: string) => {
    process.stdout.write(`${signal}: shutting down (draining in-flight events)\n`);
    host.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}
