import { BaseRpcContext } from '@nestjs/microservices';
import type { EntityManager } from 'typeorm';
import type { EventEnvelope } from '#libs/contracts';

interface EventContextArgs {
  /** The consumer's transaction: the inbox record and every write of the handler commit together. */
  manager: EntityManager;
  envelope: EventEnvelope;
  /** Where it came from: a Kafka topic or an embedded producer's log. */
  source: string;
  attempt: number;
}

/** What a `@OnEvent` handler gets as `@Ctx()`: write through `ctx.manager` so the effect is exactly-once. */
export class EventContext extends BaseRpcContext<[EventContextArgs]> {
  constructor(args: EventContextArgs) {
    super([args]);
  }
  get manager(): EntityManager {
    return this.args[0].manager;
  }
  get envelope(): EventEnvelope {
    return this.args[0].envelope;
  }
  get source(): string {
    return this.args[0].source;
  }
  get attempt(): number {
    return this.args[0].attempt;
  }
  /** Metadata for events this handler appends: same correlation, caused by this event. */
  get metadata(): { correlationId: string; causationId: string } {
    return { correlationId: this.envelope.correlationId, causationId: this.envelope.eventId };
  }
}
