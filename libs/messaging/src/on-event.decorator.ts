import { EventPattern } from '@nestjs/microservices';

/** The pattern a consumer's handler is registered under: several services share one process in the
 * embedded network, so the consuming service is part of the pattern. */
export const eventPattern = (consumer: string, type: string): { consumer: string; type: string } => ({ consumer, type });

/**
 * Marks a method as `consumer`'s handler of integration event `type`:
 * `@OnEvent('matching', 'OrderSubmitted') handle(@Payload() e: EventEnvelope<…>, @Ctx() ctx: EventContext)`.
 * The transport validates the contract, opens the inbox transaction and retries before dead-lettering.
 */
export const OnEvent = (consumer: string, type: string): MethodDecorator => EventPattern(eventPattern(consumer, type));
