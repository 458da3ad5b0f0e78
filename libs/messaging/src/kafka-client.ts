// Every kafkajs call of the project lives in this library (kafkajs has had no release since 2023;
// swapping the client means changing libs/messaging only).
import { Logger } from '@nestjs/common';
import kafkajs, { Kafka, logLevel, type Admin, type ITopicConfig, type LogEntry } from 'kafkajs';
import { kafkajsSecurityOptions, type KafkaSecurity } from './kafka-security.js';

// kafkajs is CommonJS: Node's ESM loader sees only the exports its static analysis finds (Kafka,
// logLevel, CompressionTypes), not these enums, so they come from the default export (Jest's transform
// would hide the difference; the compiled services would not start).
const { ConfigResourceTypes, ConfigSource } = kafkajs;

export interface KafkaSettings {
  brokers: readonly string[];
  clientId: string;
  /** TLS and SASL (MESHFAB_KAFKA_TLS…, MESHFAB_KAFKA_SASL…); unset: PLAINTEXT. */
  security?: KafkaSecurity;
}

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

/**
 * What a fresh or busy broker answers for a moment and kafkajs retries on its own (coordinator not
 * elected or loading, a leader election, a rebalance, a topic being created): logged as warnings, not
 * errors, so a newcomer's first `npm start` against a new broker shows no error for them.
 */
const TRANSIENT = /coordinator (is )?(not available|loading)|group coordinator|not[ _]coordinator|leader(ship)? (election|not available)|leader_not_available|not the leader|unknown_topic_or_partition|does not host this topic-partition|rebalanc|topic-partition .*not .*available|ECONNREFUSED|Connection (error|timeout)/i;

/** kafkajs's remark on every idempotent producer with bounded retries (ours, on purpose): debug. */
const BY_DESIGN = /Limiting retries for the idempotent producer/;

/** The level a kafkajs log entry is logged at (or null: not logged). */
export function kafkaLogLevel(level: logLevel, text: string): 'error' | 'warn' | 'debug' | null {
  if (level === logLevel.ERROR) return TRANSIENT.test(text) ? 'warn' : 'error';
  if (level === logLevel.WARN) return BY_DESIGN.test(text) ? 'debug' : 'warn';
  return null;
}

const nestLogCreator = () => {
  const logger = new Logger('kafkajs');
  return ({ level, log }: LogEntry): void => {
    const { message, ...extra } = log;
    const text = `${message} ${JSON.stringify(extra)}`;
    const as = kafkaLogLevel(level, text);
    if (as === 'error') logger.error(text);
    else if (as === 'warn') logger.warn(text);
    else if (as === 'debug') logger.debug(text);
  };
};

export function createKafka(settings: KafkaSettings): Kafka {
  return new Kafka({
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    ...kafkajsSecurityOptions(settings.security),
    logLevel: logLevel.WARN,
    logCreator: nestLogCreator,
    retry: { initialRetryTime: 100, retries: 10 },
  });
}

export const DEFAULT_PARTITIONS = 6;

/**
 * What every Meshfab topic keeps: everything, for ever (`retention.ms` and `retention.bytes` -1, no
 * compaction). Consumers rebuild from the start of a topic (a new service, a read model rebuilt, a
 * consumer group whose offsets the broker expired) and token revocations travel only on Kafka, so a
 * time- or size-based retention (the broker's default: 7 days) would let a late consumer silently
 * miss what it needs. Compaction is no alternative: the key is the stream id, and compaction keeps
 * only the last event of each stream, while consumers need every event. Infinite retention costs disk
 * (events are at most MAX_EVENT_BYTES, most far smaller) and nothing else. Should early records go all
 * the same (deleted by hand, or before start-up corrected a topic), a consumer rebuilds them from the
 * producer's own store, its event feed (event-feed.ts, KafkaEventConsumer). Dead-letter topics keep
 * their messages the same way, until an operator acts.
 */
export const RETAINED_TOPIC_CONFIG: Readonly<Record<string, string>> = {
  'cleanup.policy': 'delete',
  'retention.ms': '-1',
  'retention.bytes': '-1',
};

const topicsLog = new Logger('KafkaTopics');

/**
 * Creates the topics that do not exist yet (idempotent), with RETAINED_TOPIC_CONFIG, and waits for
 * their leaders; corrects (and logs) the retention of those that exist with another one.
 */
export async function ensureTopics(kafka: Kafka, topics: readonly string[], numPartitions = DEFAULT_PARTITIONS): Promise<void> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const configEntries = Object.entries(RETAINED_TOPIC_CONFIG).map(([name, value]) => ({ name, value }));
    const missing: ITopicConfig[] = topics
      .filter((t) => !existing.has(t))
      .map((topic) => ({ topic, numPartitions, replicationFactor: -1, configEntries }));
    if (missing.length > 0) {
      await admin.createTopics({ topics: missing, waitForLeaders: false });
      await waitForLeaders(admin, missing.map((t) => t.topic));
    }
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await correctRetention(admin, present);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Sets RETAINED_TOPIC_CONFIG on the topics whose configuration differs (a topic created by hand,
 * by the broker's auto-creation, or by an older Meshfab). AlterConfigs replaces all the overrides of
 * a topic, so the others (max.message.bytes, say) are sent along unchanged.
 */
async function correctRetention(admin: Admin, topics: readonly string[]): Promise<void> {
  const described = await admin.describeConfigs({
    resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
    includeSynonyms: false,
  });
  for (const resource of described.resources) {
    const effective = new Map(resource.configEntries.map((e) => [e.configName, e.configValue]));
    const wrong = Object.entries(RETAINED_TOPIC_CONFIG).filter(([name, value]) => effective.get(name) !== value);
    if (wrong.length === 0) continue;
    const overrides = resource.configEntries
      .filter((e) => e.configSource === ConfigSource.TOPIC_CONFIG && !(e.configName in RETAINED_TOPIC_CONFIG))
      .map((e) => ({ name: e.configName, value: e.configValue }));
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: resource.resourceName,
          configEntries: [...overrides, ...Object.entries(RETAINED_TOPIC_CONFIG).map(([name, value]) => ({ name, value }))],
        },
      ],
    });
    const was = wrong.map(([name]) => `${name}=${effective.get(name)}`).join(', ');
    topicsLog.warn(
      `topic ${resource.resourceName} had ${was}: set ${Object.entries(RETAINED_TOPIC_CONFIG)
        .map(([n, v]) => `${n}=${v}`)
        .join(', ')} so that consumers starting late still find every event`,
    );
  }
}

/** The largest record batch a topic accepts (its `max.message.bytes`, or the broker's `message.max.bytes`). */
export async function topicMaxMessageBytes(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const described = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['max.message.bytes'] }],
      includeSynonyms: false,
    });
    return Number(described.resources[0].configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue);
  } finally {
    await admin.disconnect();
  }
}

/** Part of a topic a consumer group can no longer read: the broker deleted it before the group got there. */
export interface LostHistory {
  topic: string;
  partition: number;
  /** Where the group would start: its committed offset, or 0 for a group that never committed. */
  from: number;
  /** The first offset the broker still has. */
  logStartOffset: number;
}

const lostHistoryByGroup = new Map<string, LostHistory[]>();

/** What each consumer group of this process could not read nor rebuild when it last started (for metrics and readiness). */
export function lostHistoryReports(): ReadonlyMap<string, readonly LostHistory[]> {
  return lostHistoryByGroup;
}

/**
 * Compares where `groupId` would start reading each partition of `topics` (its committed offset, or
 * the beginning for a new group) with the first offset the broker still has. Anything in between
 * was deleted by retention (or by hand) and will never be delivered: kafkajs would silently start at
 * the log start offset instead. Returns what is deleted, saying nothing.
 */
export async function findLostHistory(kafka: Kafka, groupId: string, topics: readonly string[]): Promise<LostHistory[]> {
  const admin = kafka.admin();
  await admin.connect();
  const lost: LostHistory[] = [];
  try {
    const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
    for (const topic of topics) {
      const committedOf = new Map(committed.find((c) => c.topic === topic)?.partitions.map((p) => [p.partition, Number(p.offset)]));
      for (const { partition, low } of await admin.fetchTopicOffsets(topic)) {
        const from = Math.max(0, committedOf.get(partition) ?? -1);
        const logStartOffset = Number(low);
        if (logStartOffset > from) lost.push({ topic, partition, from, logStartOffset });
      }
    }
  } finally {
    await admin.disconnect();
  }
  return lost;
}

/** Logs an error per partition of which `groupId` will never see a part, and records it (metrics, readiness). */
export function reportLostHistory(groupId: string, lost: LostHistory[], why: (lost: LostHistory) => string): void {
  for (const l of lost) {
    topicsLog.error(
      `${groupId} cannot read ${l.topic}[${l.partition}] from offset ${l.from}: the broker deleted everything before offset ` +
        `${l.logStartOffset}, so ${l.logStartOffset - l.from} events will never reach it (its state is incomplete; ${why(l)})`,
    );
  }
  lostHistoryByGroup.set(groupId, lost);
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

  constructor(private readonly brokers: readonly string[], clientId = 'meshfab-readiness', security?: KafkaSecurity) {
    this.probeClient = new Kafka({
      clientId,
      brokers: [...brokers],
      ...kafkajsSecurityOptions(security),
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
