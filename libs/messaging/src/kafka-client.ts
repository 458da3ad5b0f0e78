// Every kafkajs call of the project lives in this library (kafkajs has had no release since 2023;
// swapping the client means changing libs/messaging only).
import { Logger } from '@nestjs/common';
import { Kafka, logLevel, type Admin, type ITopicConfig, type LogEntry } from 'kafkajs';

export interface KafkaSettings {
  brokers: readonly string[];
  clientId: string;
}

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

const nestLogCreator = () => {
  const logger = new Logger('kafkajs');
  return ({ level, log }: LogEntry): void => {
    const { message, ...extra } = log;
    const text = `${message} ${JSON.stringify(extra)}`;
    if (level === logLevel.ERROR) logger.error(text);
    else if (level === logLevel.WARN) logger.warn(text);
  };
};

export function createKafka(settings: KafkaSettings): Kafka {
  return new Kafka({
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    logLevel: logLevel.WARN,
    logCreator: nestLogCreator,
    retry: { initialRetryTime: 100, retries: 10 },
  });
}

export const DEFAULT_PARTITIONS = 6;

/** Creates the topics that do not exist yet (idempotent) and waits for their leaders. */
export async function ensureTopics(kafka: Kafka, topics: readonly string[], numPartitions = DEFAULT_PARTITIONS): Promise<void> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing: ITopicConfig[] = topics.filter((t) => !existing.has(t)).map((topic) => ({ topic, numPartitions, replicationFactor: -1 }));
    if (missing.length > 0) {
      await admin.createTopics({ topics: missing, waitForLeaders: false });
      await waitForLeaders(admin, missing.map((t) => t.topic));
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * kafkajs's own `waitForLeaders` retries only LEADER_NOT_AVAILABLE, but a broker that has just
 * (re)started may not know a topic it has just created yet (UNKNOWN_TOPIC_OR_PARTITION): poll the
 * metadata until every partition has a leader, whatever the broker answers meanwhile.
 */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics });
      if (metadata.topics.length === topics.length && metadata.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`topics ${topics.join(', ')} have no leader after ${timeoutMs} ms${last instanceof Error ? `: ${last.message}` : ''}`);
}

/**
 * Whether this process can use the Kafka brokers, for the "kafka" readiness check (which feeds the
 * write gate). Two sources: an active probe (a metadata request on a client of its own, without
 * retries and with short timeouts, so a dead or blackholed broker is reported in about a second
 * even while nothing is being published), and what the relays and consumers report: a relay whose
 * publishing keeps failing, a consumer that stopped for good.
 */
export class KafkaReachability {
  private readonly probeClient: Kafka;
  private admin?: Admin;
  private probing?: Promise<void>;
  private closed = false;
  private readonly failures = new Map<string, string>();

  constructor(private readonly brokers: readonly string[], clientId = 'meshfab-readiness') {
    this.probeClient = new Kafka({
      clientId,
      brokers: [...brokers],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      requestTimeout: 2000,
      retry: { retries: 0 },
    });
  }

  /** A relay or consumer reports a failure that makes it unable to do its work (until `recovered`). */
  failed(component: string, error: unknown): void {
    this.failures.set(component, error instanceof Error ? error.message : String(error));
  }

  recovered(component: string): void {
    this.failures.delete(component);
  }

  /** Resolves when a broker answers and no component reports a failure; rejects naming what is wrong. */
  async check(): Promise<void> {
    if (this.closed) throw new Error('the Kafka transport of this process has stopped');
    await this.probe();
    const [first] = this.failures;
    if (first) throw new Error(`${first[0]}: ${first[1]}`);
  }

  /** One metadata request at a time: callers during a probe share its outcome. */
  private probe(): Promise<void> {
    this.probing ??= this.describeCluster().finally(() => (this.probing = undefined));
    return this.probing;
  }

  private async describeCluster(): Promise<void> {
    try {
      this.admin ??= this.probeClient.admin({ retry: { retries: 0 } });
      await this.admin.connect();
      await this.admin.describeCluster();
    } catch (error) {
      // Start from a fresh connection next time rather than from whatever state the failure left.
      const admin = this.admin;
      this.admin = undefined;
      await admin?.disconnect().catch(() => undefined);
      throw new Error(`no Kafka broker answers at ${this.brokers.join(',')}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.probing?.catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
  }
}
