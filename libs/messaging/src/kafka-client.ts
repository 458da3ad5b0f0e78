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
    if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}
