// Events of different streams are handled concurrently (Kafka partitions, embedded lanes); when their
// effects land on the same aggregate of the consumer, the conflicting appends are retried without
// using up the message's attempts, so nothing is dead-lettered for it.
import { randomUUID } from 'node:crypto';
import { Controller, type INestMicroservice } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { IsInt } from 'class-validator';
import { IntegrationEvent, type EventEnvelope } from '#libs/contracts';
import { ServiceDatabase } from '#libs/eventsourcing';
import { dropSchema, testDatabaseUrl, uniqueSchema, waitFor } from '#libs/testing';
import { EmbeddedEventBus, EmbeddedEventConsumer, EventContext, OnEvent } from './index.js';

class PartDeliveredContract {
  @IsInt() units!: number;
}
IntegrationEvent('parts', 'PartDelivered')(PartDeliveredContract);

describe('effects of concurrently handled events on one aggregate', () => {
  const producerSchema = uniqueSchema('parts');
  const consumerSchema = uniqueSchema('stock');
  const consumer = `stock${randomUUID().slice(0, 6)}`;
  let producer: ServiceDatabase;
  let stock: ServiceDatabase;
  let app: INestMicroservice;

  @Controller()
  class StockKeeper {
    @OnEvent(consumer, 'PartDelivered')
    async onDelivered(@Payload() event: EventEnvelope<PartDeliveredContract>, @Ctx() ctx: EventContext): Promise<void> {
      // Every delivery appends to the one `stock` stream at the version it read: concurrent handlers conflict.
      const version = await stock.store.streamVersion('stock', ctx.manager);
      await new Promise((r) => setTimeout(r, 5));
      await stock.store.append('stock', [{ type: 'StockAdded', data: { units: event.data.units } }], { expectedVersion: version, metadata: ctx.metadata, manager: ctx.manager });
    }
  }

  beforeAll(async () => {
    producer = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: producerSchema });
    stock = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: consumerSchema });
    const bus = new EmbeddedEventBus();
    bus.register('parts', producer.log);
    const server = new EmbeddedEventConsumer({ consumer, producers: ['parts'], database: stock, bus, pollIntervalMs: 10, lanes: 8, retry: { maxAttempts: 1, initialBackoffMs: 1 } });
    app = (await Test.createTestingModule({ controllers: [StockKeeper] }).compile()).createNestMicroservice({ strategy: server, logger: false });
    await app.listen();
  });
  afterAll(async () => {
    await app.close();
    await producer.close();
    await stock.close();
    await dropSchema(testDatabaseUrl(), producerSchema);
    await dropSchema(testDatabaseUrl(), consumerSchema);
  });

  it('applies every delivery once, none dead-lettered, even with a single attempt per message', async () => {
    for (let n = 1; n <= 40; n++) {
      await producer.store.append(`delivery-${n}`, [{ type: 'PartDelivered', data: { units: n } }], { expectedVersion: 0, metadata: { correlationId: 'c', causationId: 'c' } });
    }
    const added = await waitFor(async () => {
      const events = await stock.store.readStream('stock');
      return events.length >= 40 ? events : null;
    }, { timeoutMs: 30_000, message: '40 stock additions' });
    expect(added.map((e) => Number(e.data.units)).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(await stock.deadLetters.list()).toEqual([]);
  });
});
