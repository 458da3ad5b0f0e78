import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import type { ServiceDatabase } from '#libs/eventsourcing';
import { DEFAULT_RETRY_POLICY, EventDispatcher, type DeadLetterSink, type RetryPolicy } from './event-dispatcher.js';
import { eventPattern } from './on-event.decorator.js';

export interface EventConsumerOptions {
  /** The consuming service (its handlers are `@OnEvent(consumer, type)`). */
  consumer: string;
  /** The services whose events it consumes. */
  producers: readonly string[];
  /** The consumer's own database: inbox, dead letters, checkpoints. */
  database: ServiceDatabase;
  retry?: Partial<RetryPolicy>;
  /** Park a failed event's stream instead of skipping past it (see EventDispatcher); default false. */
  parksStreams?: boolean;
}

/** What the Kafka and the embedded transports share: handler lookup by (consumer, type) and dispatch. */
export abstract class EventConsumerServer extends Server implements CustomTransportStrategy {
  override readonly propagatesEventHandlerErrors = true;
  protected readonly dispatcher: EventDispatcher;

  constructor(
    protected readonly options: EventConsumerOptions,
    deadLetterSink: DeadLetterSink,
  ) {
    super();
    this.dispatcher = new EventDispatcher(
      options.consumer,
      options.database,
      (type) => this.handlerFor(type),
      deadLetterSink,
      { ...DEFAULT_RETRY_POLICY, ...options.retry },
      undefined,
      options.parksStreams ?? false,
    );
  }

  /**
   * The handler of each event type, looked up once: Nest's lookup turns the pattern into its route
   * (JSON) on every call (about 2 % of the pipeline's CPU, twice per event). Forgotten whenever a handler is added.
   */
  private readonly handlers = new Map<string, MessageHandler | null>();

  private handlerFor(type: string): MessageHandler | null {
    let handler = this.handlers.get(type);
    if (handler === undefined) {
      handler = this.getHandlerByPattern(this.normalizePattern(eventPattern(this.options.consumer, type)));
      this.handlers.set(type, handler);
    }
    return handler;
  }

  override addHandler(...args: Parameters<Server['addHandler']>): void {
    this.handlers.clear();
    super.addHandler(...args);
  }

  on(): never {
    throw new Error(`${this.constructor.name} does not emit transport events`);
  }
}
