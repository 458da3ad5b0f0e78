// How many transactions the embedded consumer runs over one batch: by default one (the batch in order,
// in runs of up to 64 events per transaction), and as many as the lanes it is given otherwise.
import { randomUUID } from 'node:crypto';
import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { IsInt } from 'class-validator';
import { IntegrationEvent, type EventEnvelope } from '#libs/contracts';
import { ServiceDatabase } from '#libs/eventsourcing';
import { dropSchema, testDatabaseUrl, uniqueSchema, waitFor } from '#libs/testing';
import { EmbeddedEventBus, EmbeddedEventConsumer, EventContext, OnEvent } from './index.js';

class ParcelSortedContract {
  @IsInt() n!: number;
}
IntegrationEvent('sorter', 'ParcelSorted')(ParcelSortedContract);

describe('embedded consumer: transactions per batch', () => {
  const producerSchema = uniqueSchema('sorter');
  let producer: ServiceDatabase;

  beforeAll(async () => {
    producer = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: producerSchema });
    // Twelve streams, committed before any consumer listens: its first read takes them as one batch.
    for (let n = 1; n <= 12; n++) {
      await producer.store.append(`parcel-${n}`, [{ type: 'ParcelSorted', data: { n } }], { expectedVersion: 0, metadata: { correlationId: 'c', causationId: 'c' } });
    }
  });
  afterAll(async () => {
    await producer.close();
    await dropSchema(testDatabaseUrl(), producerSchema);
  });

  /** Handles the twelve events with `lanes` (undefined: the default) and answers the transaction ids they were handled in, in handling order. */
  async function transactionsOf(lanes: number | undefined): Promise<{ n: number; xid: string }[]> {
    const consumerSchema = uniqueSchema('parcels');
    const consumer = `parcels${randomUUID().slice(0, 6)}`;
    const handled: { n: number; xid: string }[] = [];
    @Controller()
    class Recorder {
      @OnEvent(consumer, 'ParcelSorted')
      async onSorted(@Payload() event: EventEnvelope<ParcelSortedContract>, @Ctx() ctx: EventContext): Promise<void> {
        const [{ xid }]: { xid: string }[] = await ctx.manager.query('SELECT txid_current()::text AS xid');
        handled.push({ n: event.data.n, xid });
      }
    }
    const database = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: consumerSchema });
    const bus = new EmbeddedEventBus();
    bus.register('sorter', producer.log);
    const server = new EmbeddedEventConsumer({ consumer, producers: ['sorter'], database, bus, pollIntervalMs: 20, lanes, retry: { maxAttempts: 1, initialBackoffMs: 1 } });
    const app = (await Test.createTestingModule({ controllers: [Recorder] }).compile()).createNestMicroservice({ strategy: server, logger: false });
    try {
      await app.listen();
      await waitFor(async () => handled.length >= 12, { message: 'twelve parcels handled' });
      return handled;
    } finally {
      await app.close();
      await database.close();
      await dropSchema(testDatabaseUrl(), consumerSchema);
    }
  }

  it('by default handles a batch of many streams in one transaction, in the log order', async () => {
    const handled = await transactionsOf(undefined);
    expect(handled.map((h) => h.n)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(new Set(handled.map((h) => h.xid)).size).toBe(1);
  });

  it('with lanes, splits the batch by stream into that many transactions at once', async () => {
    const handled = await transactionsOf(4);
    expect(handled.map((h) => h.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(new Set(handled.map((h) => h.xid)).size).toBeGreaterThan(1);
    expect(new Set(handled.map((h) => h.xid)).size).toBeLessThanOrEqual(4);
  });
});
