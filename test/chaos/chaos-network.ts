/**
 * The network under test: its own Apache Kafka broker (deploy/local/kafka.sh on the chaos ports, data
 * under .data/chaos, so restarting it disturbs no one else), the five services as OS processes (some
 * in several instances sharing one consumer group), and a client routing each path to a live instance
 * of its service and retrying while the service or the broker is down.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MeshfabClient } from '../../apps/network/src/client/meshfab-client.js';
import { SERVICES, ServiceProcess, type ServiceName } from './service-process.js';
import { testSigningEnv } from '#libs/testing';

const run = promisify(execFile);

export interface ChaosNetworkOptions {
  root: string;
  databaseUrl: string;
  /** Instances per service (default 1). */
  instances?: Partial<Record<ServiceName, number>>;
  kafkaPort?: number;
  firstServicePort?: number;
  /** Seed of the registry's signing key (testSigningEnv); tests sign tokens with testTokens(seed). */
  jwtSecret: string;
  operatorToken: string;
  log: (line: string) => void;
}

export class ChaosBroker {
  readonly port: number;
  brokerRestarts = 0;

  constructor(
    private readonly root: string,
    port: number,
  ) {
    this.port = port;
  }

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  /** Starts it if it does not run (kafka.sh keeps its storage across down/up: topics, offsets). */
  async up(): Promise<void> {
    await this.script('up');
  }

  async down(): Promise<void> {
    await this.script('down');
  }

  private async script(command: 'up' | 'down'): Promise<void> {
    const env = { ...process.env, KAFKA_PORT: String(this.port), KAFKA_CONTROLLER_PORT: String(this.port + 1), MESHFAB_DATA_DIR: join(this.root, '.data/chaos', `broker-${this.port}`) };
    await run('bash', [join(this.root, 'deploy/local/kafka.sh'), command], { env, cwd: this.root, timeout: 180_000 });
  }
}

export class ChaosNetwork {
  readonly namespace = `chaos-${randomUUID().slice(0, 8)}`;
  readonly schemas: Record<ServiceName, string>;
  readonly processes: ServiceProcess[] = [];
  readonly client: MeshfabClient;
  /** Calls the client retried because a service or the broker was away. */
  retries = 0;
  private turn = 0;

  constructor(
    private readonly options: ChaosNetworkOptions,
    readonly broker: ChaosBroker,
  ) {
    const suffix = this.namespace.slice(-8);
    this.schemas = Object.fromEntries(SERVICES.map((s) => [s, `chaos_${s}_${suffix}`])) as Record<ServiceName, string>;
    const logDir = join(options.root, '.data/chaos/logs', this.namespace);
    mkdirSync(logDir, { recursive: true });
    const env: Record<string, string> = {
      DATABASE_URL: options.databaseUrl,
      KAFKA_BROKERS: broker.brokers.join(','),
      MESHFAB_KAFKA_NAMESPACE: this.namespace,
      ...testSigningEnv(options.jwtSecret),
      MESHFAB_OPERATOR_TOKEN: options.operatorToken,
      MESHFAB_ADMIN_ENDPOINTS: 'open', // the chaos run scrapes /metrics
      MESHFAB_DATA_DIR: join(options.root, '.data/chaos/run'),
      LOG_LEVEL: 'warn',
      // Seven processes share the PostgreSQL with everything else on the machine (max_connections 100).
      MESHFAB_DB_POOL_SIZE: '3',
      // Brands pay through the sandbox payment provider each settlement instance hosts; its signed webhook
      // comes back to the instance that took the payment (any instance may credit it).
      MESHFAB_SETTLEMENT_PROVIDER_SECRETS: `sandbox=whsec_${randomBytes(32).toString('base64')}`,
      MESHFAB_SETTLEMENT_SANDBOX_PROVIDER: 'true',
      ...Object.fromEntries(SERVICES.map((s) => [`MESHFAB_${s.toUpperCase()}_SCHEMA`, this.schemas[s]])),
    };
    let port = options.firstServicePort ?? 29110;
    for (const service of SERVICES) {
      const n = options.instances?.[service] ?? 1;
      for (let i = 1; i <= n; i++) {
        const id = n > 1 ? `${service}#${i}` : service;
        this.processes.push(new ServiceProcess(service, id, port++, env, options.root, join(logDir, `${id.replace('#', '-')}.log`)));
      }
    }
    this.client = new MeshfabClient((path) => this.route(path), {
      retry: {
        forMs: 240_000,
        initialDelayMs: 250,
        maxDelayMs: 2_000,
        onRetry: () => {
          this.retries += 1;
        },
      },
    });
  }

  /** A live instance of the path's service, in turn (`/admin/…` goes to the registry's process, `/sandbox-provider/…` to settlement's, `/quotes/…` to matching's). */
  route(path: string): string {
    const head = path.split(/[/?]/)[1];
    const service = (head === 'admin' ? 'registry' : head === 'sandbox-provider' ? 'settlement' : head === 'quotes' ? 'matching' : head) as ServiceName;
    const all = this.instancesOf(service);
    if (all.length === 0) throw new Error(`no service for ${path}`);
    const live = all.filter((p) => p.running);
    const pool = live.length > 0 ? live : all; // all down: the call is refused and retried
    return pool[this.turn++ % pool.length].url;
  }

  instancesOf(service: ServiceName): ServiceProcess[] {
    return this.processes.filter((p) => p.service === service);
  }

  process(id: string): ServiceProcess {
    const found = this.processes.find((p) => p.id === id);
    if (!found) throw new Error(`no process ${id}`);
    return found;
  }

  /** Starts every process, the producers of the most consumed topics first (not required: topics are ensured by both sides). */
  async start(): Promise<void> {
    await this.broker.up();
    for (const p of this.processes) {
      await p.start();
      this.options.log(`${p.id} listening on ${p.url}`);
    }
  }

  async scrapeAll(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.scrape()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop().catch(() => undefined)));
    for (const p of this.processes) p.close();
  }

  /** Counts over every process and every life of it. */
  totals(): { starts: number; kills: number; restarts: number; handled: number; duplicates: number; perProcess: Record<string, { handled: number; duplicates: number; kills: number; starts: number }> } {
    const perProcess = Object.fromEntries(this.processes.map((p) => [p.id, { ...p.counts, kills: p.kills, starts: p.starts }]));
    const sum = (f: (p: ServiceProcess) => number) => this.processes.reduce((s, p) => s + f(p), 0);
    return {
      starts: sum((p) => p.starts),
      kills: sum((p) => p.kills),
      restarts: sum((p) => p.starts - 1),
      handled: sum((p) => p.counts.handled),
      duplicates: sum((p) => p.counts.duplicates),
      perProcess,
    };
  }
}
