// Events of different streams are handled concurrently (Kafka partitions, embedded lanes); when their
// effects land on the same aggregate of the consumer, the conflicting appends are retried without
// using up the message's attempts, so nothing is dead-lettered for it.
import { randomUUID } from 'node:crypto';
import { Controller, type Type } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { IsInt } from 'class-validator';
import { IntegrationEvent, type EventEnvelope } from '#libs/contracts';
import { ServiceDatabase } from '#libs/eventsourcing';
import { dropSchema, testDatabaseUrl, uniqueSchema, waitFor } from '#libs/testing';
import { EmbeddedEventBus, EmbeddedEventConsumer, EventContext, OnEvent } from './index.js';

/**
 * A producer's store and the consumer's own, and an embedded consumer of the producer's events with 8
 * lanes and a single attempt per message (so anything not retried as a conflict is dead-lettered).
 */
async function startConsumer(options: { producer: string; consumer: string; schemas: { producer: string; consumer: string }; controller: Type }) {
  const { schemas } = options;
  const producer = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: schemas.producer });
  const database = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: schemas.consumer });
  const bus = new EmbeddedEventBus();
  bus.register(options.producer, producer.log);
  const server = new EmbeddedEventConsumer({ consumer: options.consumer, producers: [options.producer], database, bus, pollIntervalMs: 10, lanes: 8, retry: { maxAttempts: 1, initialBackoffMs: 1 } });
  const app = (await Test.createTestingModule({ controllers: [options.controller] }).compile()).createNestMicroservice({ strategy: server, logger: false });
  return {
    producer,
    database,
    listen: () => app.listen(),
    async close() {
      await app.close();
      await producer.close();
      await database.close();
      for (const schema of [schemas.producer, schemas.consumer]) await dropSchema(testDatabaseUrl(), schema);
    },
  };
}

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
  let rig: Awaited<ReturnType<typeof startConsumer>>;

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
    rig = await startConsumer({ producer: 'parts', consumer, schemas: { producer: producerSchema, consumer: consumerSchema }, controller: StockKeeper });
    ({ producer, database: stock } = rig);
    await rig.listen();
  });
  afterAll(() => rig.close());

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

class BinsTouchedContract {
  @IsInt() order!: number;
}
IntegrationEvent('bins', 'BinsTouched')(BinsTouchedContract);

describe('handlers that deadlock each other', () => {
  const producerSchema = uniqueSchema('bins_producer');
  const consumerSchema = uniqueSchema('bins');
  const consumer = `bins${randomUUID().slice(0, 6)}`;
  let producer: ServiceDatabase;
  let bins: ServiceDatabase;
  let rig: Awaited<ReturnType<typeof startConsumer>>;

  @Controller()
  class BinKeeper {
    @OnEvent(consumer, 'BinsTouched')
    async onTouched(@Payload() event: EventEnvelope<BinsTouchedContract>, @Ctx() ctx: EventContext): Promise<void> {
      // Odd events lock bin 1 then bin 2, even ones bin 2 then bin 1: concurrent lanes deadlock, and
      // PostgreSQL aborts one transaction of each deadlock (40P01).
      const [first, second] = event.data.order % 2 === 1 ? [1, 2] : [2, 1];
      await ctx.manager.query("SET LOCAL deadlock_timeout = '50ms'"); // found in 50 ms instead of PostgreSQL's default 1 s
      await ctx.manager.query(`UPDATE ${consumerSchema}.bins SET touches = touches + 1 WHERE id = $1`, [first]);
      await ctx.manager.query('SELECT pg_sleep(0.02)');
      await ctx.manager.query(`UPDATE ${consumerSchema}.bins SET touches = touches + 1 WHERE id = $1`, [second]);
    }
  }

  beforeAll(async () => {
    rig = await startConsumer({ producer: 'bins', consumer, schemas: { producer: producerSchema, consumer: consumerSchema }, controller: BinKeeper });
    ({ producer, database: bins } = rig);
    await bins.dataSource.query(`CREATE TABLE ${consumerSchema}.bins (id int PRIMARY KEY, touches int NOT NULL)`);
    await bins.dataSource.query(`INSERT INTO ${consumerSchema}.bins VALUES (1, 0), (2, 0)`);
    await rig.listen();
  });
  afterAll(() => rig.close());

  it('retries the deadlock victims without using up their attempts: every event applied once, none dead-lettered', async () => {
    for (let n = 1; n <= 24; n++) {
      await producer.store.append(`touch-${n}`, [{ type: 'BinsTouched', data: { order: n } }], { expectedVersion: 0, metadata: { correlationId: 'c', causationId: 'c' } });
    }
    await waitFor(async () => (await bins.inbox.wasHandled(consumer, (await producer.store.readStream('touch-24'))[0].eventId)) || (await bins.deadLetters.list()).length > 0, {
      timeoutMs: 30_000,
      message: 'the last event handled or something dead-lettered',
    });
    const touched = await waitFor(async () => {
      const rows: { touches: number }[] = await bins.dataSource.query(`SELECT touches FROM ${consumerSchema}.bins ORDER BY id`);
      return rows.every((r) => r.touches === 24) || (await bins.deadLetters.list()).length > 0 ? rows : null;
    }, { timeoutMs: 30_000, message: 'every event applied' });
    expect(await bins.deadLetters.list()).toEqual([]);
    expect(touched).toEqual([{ touches: 24 }, { touches: 24 }]);
  });
});

class PartRecalledContract {
  @IsInt() units!: number;
}
IntegrationEvent('parts', 'PartRecalled')(PartRecalledContract);

// Two modules of one service may each react to the same event type (settlement's payouts and the token
// guard's suspension list both hear WorkshopSuspended): Nest chains the second handler behind the first
// and runs both (forkJoin) in the one inbox transaction the dispatcher opened; a failure of either rolls
// back both, and the retry applies both once.
describe('two handlers of one event type in one consumer', () => {
  const schemas = { producer: uniqueSchema('parts2'), consumer: uniqueSchema('recall') };
  const consumer = `recall${randomUUID().slice(0, 6)}`;
  let producer: ServiceDatabase;
  let own: ServiceDatabase;
  let failSecond = true;

  const append = async (stream: string, event: EventEnvelope<PartRecalledContract>, ctx: EventContext) => {
    await own.store.append(`${stream}-${event.data.units}`, [{ type: 'Recalled', data: { units: event.data.units } }], { expectedVersion: 0, metadata: ctx.metadata, manager: ctx.manager });
  };

  @Controller()
  class Ledger {
    @OnEvent(consumer, 'PartRecalled')
    async onRecalled(@Payload() event: EventEnvelope<PartRecalledContract>, @Ctx() ctx: EventContext): Promise<void> {
      await append('ledger', event, ctx);
    }
  }

  @Controller()
  class Quality {
    @OnEvent(consumer, 'PartRecalled')
    async onRecalled(@Payload() event: EventEnvelope<PartRecalledContract>, @Ctx() ctx: EventContext): Promise<void> {
      if (event.data.units === 2 && failSecond) {
        failSecond = false;
        throw new Error('the second handler fails once'); // the first handler's effect must roll back with it
      }
      await append('quality', event, ctx);
    }
  }

  beforeAll(async () => {
    producer = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: schemas.producer });
    own = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: schemas.consumer });
  });
  afterAll(async () => {
    await producer.close();
    await own.close();
    for (const schema of Object.values(schemas)) await dropSchema(testDatabaseUrl(), schema);
  });

  it('runs every handler of the type, all or nothing per event', async () => {
    const bus = new EmbeddedEventBus();
    bus.register('parts', producer.log);
    const server = new EmbeddedEventConsumer({ consumer, producers: ['parts'], database: own, bus, pollIntervalMs: 10, retry: { maxAttempts: 3, initialBackoffMs: 1 } });
    const app = (await Test.createTestingModule({ controllers: [Ledger, Quality] }).compile()).createNestMicroservice({ strategy: server, logger: false });
    await app.listen();
    try {
      for (const units of [1, 2, 3]) {
        await producer.store.append(`recall-${units}`, [{ type: 'PartRecalled', data: { units } }], { expectedVersion: 0, metadata: { correlationId: 'c', causationId: 'c' } });
      }
      const streams = await waitFor(async () => {
        const rows: { stream_id: string }[] = await own.dataSource.query(`SELECT stream_id FROM "${schemas.consumer}".events WHERE type = 'Recalled' ORDER BY stream_id`);
        return rows.length >= 6 ? rows.map((r) => r.stream_id) : null;
      }, { timeoutMs: 20_000, message: 'both handlers of each recall' });
      expect(streams).toEqual(['ledger-1', 'ledger-2', 'ledger-3', 'quality-1', 'quality-2', 'quality-3']);
      expect(failSecond).toBe(false); // the failure happened, and its retry applied both handlers once
      expect(await own.deadLetters.list()).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
