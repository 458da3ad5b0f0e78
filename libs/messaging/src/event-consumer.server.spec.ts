// The handler lookup of the consumers' shared base: remembered per event type, forgotten when a handler
// is added (a type looked up before its handler was bound is found afterwards).
import type { MessageHandler } from '@nestjs/microservices';
import type { ServiceDatabase } from '#libs/eventsourcing';
import { EventConsumerServer } from './event-consumer.server.js';
import { eventPattern } from './on-event.decorator.js';

class ProbeServer extends EventConsumerServer {
  lookups = 0;
  constructor() {
    super({ consumer: 'probe', producers: [], database: {} as ServiceDatabase }, { deadLetter: async () => undefined } as never);
  }
  listen(callback: () => void): void {
    callback();
  }
  close(): void {}
  unwrap<T>(): T {
    throw new Error('no client to unwrap');
  }
  override getHandlerByPattern(pattern: string): MessageHandler | null {
    this.lookups += 1;
    return super.getHandlerByPattern(pattern);
  }
  find(type: string): MessageHandler | null {
    return (this as unknown as { handlerFor(type: string): MessageHandler | null }).handlerFor(type);
  }
}

describe('EventConsumerServer handler lookup', () => {
  it('looks a type up once, and again after a handler is added', () => {
    const server = new ProbeServer();
    expect(server.find('Shipped')).toBeNull();
    expect(server.find('Shipped')).toBeNull();
    expect(server.lookups).toBe(1);
    const handler = (async () => undefined) as unknown as MessageHandler;
    server.addHandler(eventPattern('probe', 'Shipped'), handler, true);
    expect(server.find('Shipped')).toBe(handler);
    expect(server.find('Shipped')).toBe(handler);
    expect(server.lookups).toBe(2);
  });
});
