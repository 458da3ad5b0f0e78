// What a late consumer needs is still there (issue 15, section 4). The guarantee built: every
// Meshfab topic keeps every event for ever (retention.ms = retention.bytes = -1), set when the topic
// is created and put back at start-up when someone changed it; and a consumer group that would start
// below what the broker still has (events deleted all the same, by hand or before the correction)
// says so loudly instead of silently starting later (a consumer that has its producer's event feed
// rebuilds them first: lost-history-bootstrap.int-spec.ts).
import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { createTopicName, kafkaBrokers } from '#libs/testing';
import { ensureTopics, findLostHistory, lostHistoryReports, reportLostHistory, RETAINED_TOPIC_CONFIG, type LostHistory } from './kafka-client.js';

describe('topic retention', () => {
  const kafka = new Kafka({ brokers: kafkaBrokers(), clientId: 'topic-retention-test', logLevel: logLevel.NOTHING });
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  async function configOf(topic: string, names: string[]): Promise<Record<string, string>> {
    const described = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: names }], includeSynonyms: false });
    return Object.fromEntries(described.resources[0].configEntries.map((e) => [e.configName, e.configValue]));
  }

  /** A one-partition topic created the way the broker's defaults or an operator would: short retention. */
  async function shortLivedTopic(prefix: string, extra: Record<string, string> = {}): Promise<string> {
    const topic = createTopicName(prefix);
    const configEntries = Object.entries({ 'retention.ms': '60000', 'segment.ms': '1000', ...extra }).map(([name, value]) => ({ name, value }));
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries }], waitForLeaders: true });
    return topic;
  }

  /** findLostHistory, then reportLostHistory of everything found (what a consumer with no event feed does). */
  async function checkLostHistory(groupId: string, topics: string[]): Promise<LostHistory[]> {
    const lost = await findLostHistory(kafka, groupId, topics);
    reportLostHistory(groupId, lost, () => "the topic's retention was too short");
    return lost;
  }

  async function produce(topic: string, count: number): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    for (let n = 0; n < count; n++) await producer.send({ topic, messages: [{ key: 'stream-1', value: `event ${n}` }] });
    await producer.disconnect();
  }

  it('creates topics that keep every event for ever', async () => {
    const topic = createTopicName('retained');
    await ensureTopics(kafka, [topic], 1);
    expect(await configOf(topic, ['retention.ms', 'retention.bytes', 'cleanup.policy'])).toEqual(RETAINED_TOPIC_CONFIG);
  });

  it('corrects a short retention at start-up, keeps the other settings, logs it, and loses nothing', async () => {
    const topic = await shortLivedTopic('short-lived', { 'max.message.bytes': '2000000' });
    await produce(topic, 5);
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      await ensureTopics(kafka, [topic]);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(new RegExp(`topic ${topic.replace(/\./g, '\\.')} had retention\\.ms=60000.*retention\\.ms=-1`)));
      warn.mockClear();
      await ensureTopics(kafka, [topic]);
      expect(warn).not.toHaveBeenCalled(); // already right: nothing to correct, nothing said
    } finally {
      warn.mockRestore();
    }
    expect(await configOf(topic, ['retention.ms', 'retention.bytes', 'cleanup.policy', 'max.message.bytes', 'segment.ms'])).toEqual({
      ...RETAINED_TOPIC_CONFIG,
      'max.message.bytes': '2000000',
      'segment.ms': '1000',
    });
    const [partition] = await admin.fetchTopicOffsets(topic);
    expect([partition.low, partition.high]).toEqual(['0', '5']);
  });

  it('makes a consumer group that would start below what the broker still has say so, naming what is lost', async () => {
    const topic = await shortLivedTopic('segments-gone');
    await produce(topic, 10);
    // The early segments are gone: retention deleted them before the correction (or someone by hand).
    // The broker checks retention every 5 minutes; deleting the records moves the log start offset alike.
    expect(await admin.fetchTopicOffsets(topic)).toMatchObject([{ low: '0', high: '10' }]); // (also loads the topic's leader)
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '4' }] });
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const fresh = `fresh-${randomUUID().slice(0, 8)}`;
      expect(await checkLostHistory(fresh, [topic])).toEqual([{ topic, partition: 0, from: 0, logStartOffset: 4 }]);
      expect(error).toHaveBeenCalledWith(expect.stringContaining(`${fresh} cannot read ${topic}[0] from offset 0`));
      expect(error).toHaveBeenCalledWith(expect.stringContaining('4 events will never reach it'));
      expect(lostHistoryReports().get(fresh)).toEqual([{ topic, partition: 0, from: 0, logStartOffset: 4 }]);

      // A group that had read up to offset 2 lost two events; one that had read past 4 lost nothing.
      const behind = `behind-${randomUUID().slice(0, 8)}`;
      await admin.setOffsets({ groupId: behind, topic, partitions: [{ partition: 0, offset: '2' }] });
      expect(await checkLostHistory(behind, [topic])).toEqual([{ topic, partition: 0, from: 2, logStartOffset: 4 }]);
      const ahead = `ahead-${randomUUID().slice(0, 8)}`;
      await admin.setOffsets({ groupId: ahead, topic, partitions: [{ partition: 0, offset: '6' }] });
      error.mockClear();
      expect(await checkLostHistory(ahead, [topic])).toEqual([]);
      expect(error).not.toHaveBeenCalled();
    } finally {
      error.mockRestore();
    }
  });
});
