import { Logger } from '@nestjs/common';
import { isObservable, lastValueFrom } from 'rxjs';
import type { MessageHandler } from '@nestjs/microservices';
import { contractProblems, isIntegrationEvent, type EventEnvelope } from '#libs/contracts';
import type { ServiceDatabase } from '#libs/eventsourcing';
import { dependencyFailureOf, isTransientConflict } from '#libs/platform';
import { EventContext } from './event-context.js';
import { StreamOrderError, StreamVersions } from './stream-order.js';

export interface RetryPolicy {
  /** Attempts before a message is dead-lettered (default 5). */
  maxAttempts: number;
  /** First back-off; doubles each attempt (default 100 ms). */
  initialBackoffMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, initialBackoffMs: 100 };

/** Concurrent-append conflicts retried before they start to count as failed attempts. */
const MAX_CONFLICT_RETRIES = 50;

/**
 * Conflicts between concurrent handlers, not faults of the message: a concurrent append to the same
 * stream, or PostgreSQL choosing this transaction as a deadlock's victim (two handlers booking the
 * capacity of the same workshops, say). Retrying the whole handler is the remedy in both cases.
 */
const isConcurrencyConflict = (error: unknown): boolean => (error instanceof Error && error.name === 'ConcurrencyError') || isTransientConflict(error);

export type DispatchOutcome =
  | { kind: 'handled' }
  | { kind: 'duplicate' }
  | { kind: 'ignored' }
  | { kind: 'dead-lettered'; reason: string; attempts: number };

export interface DeadLetterSink {
  (letter: { envelope: unknown; reason: string; attempts: number; source: string }): Promise<void>;
}

/**
 * Events each consumer of this process handled, and redelivered events its inbox recognised and
 * skipped, since the process started (exposed on /metrics as `meshfab_events_handled_total` and
 * `meshfab_inbox_duplicates_total`), and events held because they arrived out of their stream's order
 * (`meshfab_stream_order_violations_total`). Process-wide: every dispatcher of the process adds to it.
 */
export interface DispatchTally {
  handled: number;
  duplicates: number;
  outOfOrder: number;
}
const tallies = new Map<string, DispatchTally>();
export function dispatchTallies(): ReadonlyMap<string, Readonly<DispatchTally>> {
  return tallies;
}
function tallyOf(consumer: string): DispatchTally {
  let tally = tallies.get(consumer);
  if (!tally) tallies.set(consumer, (tally = { handled: 0, duplicates: 0, outOfOrder: 0 }));
  return tally;
}

const ENVELOPE_FIELDS: (keyof EventEnvelope)[] = ['eventId', 'type', 'streamId', 'correlationId', 'causationId', 'occurredAt'];

/** Problems with a received message as an envelope, before its data is checked against the contract. */
export function envelopeProblems(message: unknown): string[] {
  if (message === null || typeof message !== 'object') return ['message is not a JSON object'];
  const m = message as Record<string, unknown>;
  const problems = ENVELOPE_FIELDS.filter((f) => typeof m[f] !== 'string' || m[f] === '').map((f) => `${f}: must be a non-empty string`);
  if (!Number.isInteger(m.streamVersion)) problems.push('streamVersion: must be an integer');
  if (!Number.isInteger(m.schemaVersion)) problems.push('schemaVersion: must be an integer');
  if (m.data === null || typeof m.data !== 'object') problems.push('data: must be an object');
  return problems;
}

/**
 * The delivery rules both transports share: validate the envelope and its contract (an invalid message
 * is dead-lettered at once, with the reason), run the consumer's handler inside an inbox transaction
 * (a redelivered event changes nothing), retry failures with exponential back-off, and dead-letter
 * after the last attempt so the message never blocks what comes after it.
 */
export class EventDispatcher {
  private readonly versions = new StreamVersions();
  private readonly log = new Logger(EventDispatcher.name);

  constructor(
    private readonly consumer: string,
    private readonly database: ServiceDatabase,
    private readonly findHandler: (type: string) => MessageHandler | null,
    private readonly deadLetter: DeadLetterSink,
    private readonly retry: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  async dispatch(message: unknown, source: string): Promise<DispatchOutcome> {
    const invalid = envelopeProblems(message);
    if (invalid.length > 0) return this.reject(message, `invalid envelope: ${invalid.join('; ')}`, 0, source);
    const envelope = message as EventEnvelope;
    const handler = this.findHandler(envelope.type);
    if (!handler) return { kind: 'ignored' };
    if (!isIntegrationEvent(envelope.type)) return this.reject(message, `${envelope.type} has no integration contract`, 0, source);
    const problems = contractProblems(envelope.type, envelope.data);
    if (problems.length > 0) return this.reject(message, `contract violation: ${problems.join('; ')}`, 0, source);

    let lastError: unknown;
    let conflicts = 0;
    let outageWaits = 0;
    for (let attempt = 1; attempt <= this.retry.maxAttempts; attempt++) {
      try {
        const outcome = await this.database.inbox.handleOnce(this.consumer, envelope.eventId, async (manager) => {
          // New to the inbox yet older than an event of its stream already applied: held, not applied.
          const stepBack = this.versions.stepBack(envelope.streamId, envelope.streamVersion);
          if (stepBack) throw this.streamOrderProblem(stepBack, source);
          const result: unknown = await handler(envelope, new EventContext({ manager, envelope, source, attempt }));
          if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
        });
        tallyOf(this.consumer)[outcome.handled ? 'handled' : 'duplicates'] += 1;
        if (outcome.handled) this.versions.seen(envelope.streamId, envelope.streamVersion);
        return outcome.handled ? { kind: 'handled' } : { kind: 'duplicate' };
      } catch (error) {
        lastError = error;
        // Events of different streams are handled concurrently (partitions, lanes, instances) and may
        // change the same aggregate or rows of this consumer: a concurrent append or a deadlock is
        // expected, not a sign of a poison message, so it is retried at once (with jitter) without
        // using up the message's attempts.
        if (isConcurrencyConflict(error) && conflicts < MAX_CONFLICT_RETRIES) {
          conflicts += 1;
          attempt -= 1;
          await this.sleep(Math.random() * 20 * Math.min(conflicts, 5));
          continue;
        }
        // PostgreSQL is down or silent: the message is not at fault, so it waits for the database
        // (backing off up to 5 s) without using up its attempts: an outage never dead-letters good events.
        if (dependencyFailureOf(error)) {
          outageWaits += 1;
          attempt -= 1;
          await this.sleep(Math.min(5000, this.retry.initialBackoffMs * 2 ** Math.min(outageWaits, 6)));
          continue;
        }
        if (attempt < this.retry.maxAttempts) await this.sleep(this.retry.initialBackoffMs * 2 ** (attempt - 1));
      }
    }
    const reason = lastError instanceof Error ? `${lastError.name}: ${lastError.message}` : String(lastError);
    return this.reject(message, reason, this.retry.maxAttempts, source);
  }

  /** Counts and logs an event that arrived out of its stream's order; returns the error that holds it. */
  streamOrderProblem(problem: string, source: string): StreamOrderError {
    tallyOf(this.consumer).outOfOrder += 1;
    this.log.error(`${this.consumer}: holding an event from ${source}: ${problem}`);
    return new StreamOrderError(problem);
  }

  private async reject(message: unknown, reason: string, attempts: number, source: string): Promise<DispatchOutcome> {
    const m = (message ?? {}) as Partial<EventEnvelope>;
    await this.database.deadLetters.record({
      consumer: this.consumer,
      source,
      eventId: typeof m.eventId === 'string' ? m.eventId : null,
      type: typeof m.type === 'string' ? m.type : null,
      payload: message,
      reason,
      attempts,
    });
    await this.deadLetter({ envelope: message, reason, attempts, source });
    return { kind: 'dead-lettered', reason, attempts };
  }
}
