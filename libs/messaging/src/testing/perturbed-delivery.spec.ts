import type { StoredEvent } from '#libs/eventsourcing';
import type { DispatchOutcome } from '../event-dispatcher.js';
import { PerturbedDelivery, type PerturbationOptions } from './perturbed-delivery.js';

/** `count` events of `streams` streams, interleaved round-robin as one producer's log would hold them. */
function log(producer: string, streams: number, perStream: number): StoredEvent[] {
  const events: StoredEvent[] = [];
  for (let version = 1; version <= perStream; version++) {
    for (let s = 0; s < streams; s++) {
      const streamId = `${producer}-stream-${s}`;
      events.push({
        eventId: `${streamId}#${version}`,
        type: 'Happened',
        schemaVersion: 1,
        streamId,
        streamVersion: version,
        occurredAt: '2026-01-01T00:00:00.000Z',
        correlationId: 'c',
        causationId: 'c',
        data: {},
        globalPosition: { transactionId: '1', position: String(events.length + 1) },
      });
    }
  }
  return events;
}

/** A consumer with an inbox: records every delivery; the first of an event is handled, the others are duplicates. */
function consumer() {
  const deliveries: StoredEvent[] = [];
  const handled = new Set<string>();
  const dispatch = async (event: StoredEvent): Promise<DispatchOutcome> => {
    deliveries.push(event);
    await new Promise((resolve) => setImmediate(resolve));
    if (handled.has(event.eventId)) return { kind: 'duplicate' };
    handled.add(event.eventId);
    return { kind: 'handled' };
  };
  return { deliveries, handled, dispatch };
}

/** Two producers' logs handed over in batches, as two catch-up subscriptions would. */
async function run(options: PerturbationOptions) {
  const delivery = new PerturbedDelivery('settlement', options);
  const c = consumer();
  const orders = log('orders', 5, 6);
  const matching = log('matching', 4, 6);
  const batches = async (producer: string, events: StoredEvent[]) => {
    for (let i = 0; i < events.length; i += 7) await delivery.deliver(producer, events.slice(i, i + 7), c.dispatch);
  };
  await Promise.all([batches('orders', orders), batches('matching', matching)]);
  await delivery.idle();
  return { delivery, ...c, all: [...orders, ...matching] };
}

/** The streams' versions in the order each stream's events were first delivered. */
function firstDeliveriesByStream(deliveries: StoredEvent[]): Map<string, number[]> {
  const seen = new Set<string>();
  const byStream = new Map<string, number[]>();
  for (const e of deliveries) {
    if (seen.has(e.eventId)) continue;
    seen.add(e.eventId);
    byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e.streamVersion]);
  }
  return byStream;
}

describe('PerturbedDelivery', () => {
  const options: PerturbationOptions = { seed: 20261126, maxHoldBackMs: 3 };

  it('delivers every event at least once and keeps each stream in order', async () => {
    const { deliveries, all } = await run(options);
    expect(new Set(deliveries.map((e) => e.eventId))).toEqual(new Set(all.map((e) => e.eventId)));
    for (const [stream, versions] of firstDeliveriesByStream(deliveries)) {
      expect({ stream, versions }).toEqual({ stream, versions: [1, 2, 3, 4, 5, 6] });
    }
  });

  it('never starts two events of one stream at once, even with many deliveries in flight', async () => {
    const delivery = new PerturbedDelivery('orders', { seed: 5, concurrency: 8, concurrentDuplicateRate: 0 });
    const running = new Set<string>();
    let overlaps = 0;
    const dispatch = async (event: StoredEvent): Promise<DispatchOutcome> => {
      if (running.has(event.streamId)) overlaps += 1;
      running.add(event.streamId);
      await new Promise((resolve) => setTimeout(resolve, 1));
      running.delete(event.streamId);
      return { kind: 'handled' };
    };
    await delivery.deliver('matching', log('matching', 3, 8), dispatch);
    await delivery.idle();
    expect(overlaps).toBe(0);
  });

  it('redelivers some events, also after later events of their stream, and counts the duplicates', async () => {
    const { delivery, deliveries, all } = await run(options);
    expect(deliveries.length).toBeGreaterThan(all.length);
    expect(delivery.counts.redeliveries).toBe(deliveries.length - all.length);
    expect(delivery.counts.duplicates).toBe(delivery.counts.redeliveries);
    expect(delivery.counts.handled).toBe(all.length);
    expect(delivery.counts.handledTwice).toBe(0);
    // Some event came again after a later event of its own stream had been delivered.
    const lateRepeats = deliveries.filter((e, i) => deliveries.slice(0, i).some((d) => d.streamId === e.streamId && d.streamVersion > e.streamVersion));
    expect(lateRepeats.length).toBeGreaterThan(0);
    const copies = new Map<string, number>();
    for (const e of deliveries) copies.set(e.eventId, (copies.get(e.eventId) ?? 0) + 1);
    expect(Math.max(...copies.values())).toBeLessThanOrEqual(3);
  });

  it('interleaves streams and producers out of commit order', async () => {
    const { delivery, deliveries } = await run(options);
    // Within one producer, some event started before an event of another stream that committed earlier.
    const ordersFirsts = deliveries.filter((e, i) => e.streamId.startsWith('orders') && deliveries.findIndex((d) => d.eventId === e.eventId) === i);
    const positions = ordersFirsts.map((e) => Number(e.globalPosition.position));
    expect(positions).not.toEqual([...positions].sort((a, b) => a - b));
    expect(delivery.counts.overtookSameProducer).toBeGreaterThan(0);
    expect(delivery.counts.overtookOtherProducer).toBeGreaterThan(0);
  });

  it('interleaves in an order the seed decides: the same for the same seed, another for another', async () => {
    // One delivery at a time, no hold-back, no copies: then the order is the picker's, from the seed alone.
    const firstDeliveries = async (seed: number) => {
      const { deliveries } = await run({ seed, concurrency: 1, holdBackRate: 0, redeliveryRate: 0, concurrentDuplicateRate: 0 });
      return [...new Set(deliveries.map((e) => e.eventId))];
    };
    const first = await firstDeliveries(42);
    expect(await firstDeliveries(42)).toEqual(first);
    expect(await firstDeliveries(43)).not.toEqual(first);
  });

  it('counts an effect that ran twice (an inbox that lets duplicates through)', async () => {
    const delivery = new PerturbedDelivery('registry', { ...options, redeliveryRate: 1 });
    await delivery.deliver('inspection', log('inspection', 2, 2), async () => ({ kind: 'handled' }));
    await delivery.idle();
    expect(delivery.counts.handledTwice).toBe(4);
  });

  it('lets a batch finish only once each of its events was delivered', async () => {
    const delivery = new PerturbedDelivery('matching', options);
    const c = consumer();
    const events = log('orders', 3, 3);
    await delivery.deliver('orders', events, c.dispatch);
    expect(c.handled).toEqual(new Set(events.map((e) => e.eventId)));
    await delivery.close();
    await expect(delivery.deliver('orders', events, c.dispatch)).rejects.toThrow('closed');
  });
});
