import { applyDecorators, Catch, UseFilters, type RpcExceptionFilter } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';

/** The pattern a consumer's handler is registered under: several services share one process in the
 * embedded network, so the consuming service is part of the pattern. */
export const eventPattern = (consumer: string, type: string): { consumer: string; type: string } => ({ consumer, type });

/** Hands a handler's error to the transport untouched (Nest's default RPC filter would replace it with
 * "Internal server error"), so retries and dead letters carry the real reason. */
@Catch()
class RethrowToTransport implements RpcExceptionFilter {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * Marks a method as `consumer`'s handler of integration event `type`:
 * `@OnEvent('matching', 'OrderSubmitted') handle(@Payload() e: EventEnvelope<…>, @Ctx() ctx: EventContext)`.
 * The transport validates the contract, opens the inbox transaction and retries before dead-lettering.
 */
export const OnEvent = (consumer: string, type: string): MethodDecorator =>
  applyDecorators(EventPattern(eventPattern(consumer, type)), UseFilters(new RethrowToTransport()));
