import type { Admin } from 'kafkajs';
import { consumerGroup, eventsTopic } from '#libs/contracts';
import { createKafka } from './kafka-client.js';
import type { KafkaSecurity } from './kafka-security.js';

/** How far one consumer group is behind on one partition of a producer's topic. */
export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  /** The partition's end offset minus the group's committed offset (its start, before the group commits). */
  lag: number;
}

export interface ConsumerLagSettings {
  brokers: readonly string[];
  security?: KafkaSecurity;
  namespace?: string;
  /** Consumer → the producers whose topics its group reads. */
  groups: readonly { consumer: string; producers: readonly string[] }[];
  /** A reading is reused for this long (default 10 s): a scrape costs the broker nothing in between. */
  cacheMs?: number;
}

/**
 * The brokers' consumer-group lag of the consumers a host runs, per group and partition, from one admin
 * client (fetchTopicOffsets for the ends, fetchOffsets for the groups' commits). Readings are cached and
 * shared by concurrent scrapes; an unreachable broker gives the last reading (or none).
 */
export class KafkaConsumerLag {
  private admin?: Promise<Admin>;
  private last?: { at: number; lags: Promise<PartitionLag[]> };
  private readonly cacheMs: number;

  constructor(private readonly settings: ConsumerLagSettings) {
    this.cacheMs = settings.cacheMs ?? 10_000;
  }

  async read(): Promise<PartitionLag[]> {
    const now = Date.now();
    if (!this.last || now - this.last.at >= this.cacheMs) {
      const previous = this.last;
      const lags = this.fetch().catch(async () => (previous ? previous.lags : []));
      this.last = { at: now, lags };
    }
    return this.last.lags;
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await (await admin.catch(() => undefined))?.disconnect();
  }

  private connect(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = createKafka({ brokers: this.settings.brokers, clientId: 'meshfab-consumer-lag', security: this.settings.security }).admin();
      await admin.connect();
      return admin;
    })().catch((error: unknown) => {
      this.admin = undefined;
      throw error;
    });
    return this.admin;
  }

  private async fetch(): Promise<PartitionLag[]> {
    const admin = await this.connect();
    const ends = new Map<string, Map<number, { high: number; low: number }>>();
    const endsOf = async (topic: string) => {
      if (!ends.has(topic)) {
        const offsets = await admin.fetchTopicOffsets(topic);
        ends.set(topic, new Map(offsets.map((o) => [o.partition, { high: Number(o.high), low: Number(o.low) }])));
      }
      return ends.get(topic)!;
    };
    const lags: PartitionLag[] = [];
    for (const { consumer, producers } of this.settings.groups) {
      const group = consumerGroup(consumer, this.settings.namespace);
      const topics = producers.map((p) => eventsTopic(p, this.settings.namespace));
      const committed = await admin.fetchOffsets({ groupId: group, topics });
      for (const { topic, partitions } of committed) {
        const end = await endsOf(topic);
        for (const { partition, offset } of partitions) {
          const e = end.get(partition);
          if (!e) continue;
          const at = Number(offset) < 0 ? e.low : Number(offset);
          lags.push({ group, topic, partition, lag: Math.max(0, e.high - at) });
        }
      }
    }
    return lags;
  }
}
