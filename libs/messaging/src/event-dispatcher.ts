import { Logger } from '@nestjs/common';
import { isObservable, lastValueFrom } from 'rxjs';
import type { MessageHandler } from '@nestjs/microservices';
import { contractProblems, isIntegrationEvent, wasCheckedAtAppend, type EventEnvelope } from '#libs/contracts';
import { consumeInTrace, type ServiceDatabase } from '#libs/eventsourcing';
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

/**
 * The most events handled in one inbox transaction (`dispatchAll`): one commit for up to this many
 * events of a lane or a partition. Bounded because a batch holds the event log's horizon (and its
 * events' advisory locks) until it commits, and a failing batch is redone event by event.
 */
export const MAX_EVENTS_PER_TRANSACTION = 64;

/** One message to dispatch: as `dispatch`'s arguments. */
export interface Delivery {
  message: unknown;
  source: string;
  traceparent?: string;
}

/** A message of a batch, as found: to be handled (its handler, its contract checked) or ignored (no handler). */
type BatchItem = Delivery & { index: number } & ({ kind: 'ignored' } | { kind: 'found'; envelope: EventEnvelope; handler: MessageHandler });

/** Rolls a batch's transaction back so that its events are handled one by one. */
class BatchGivenUp extends Error {}

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
  | { kind: 'dead-lettered'; reason: string; attempts: number }
  /** Given up on by a consumer that parks: its stream waits for the operator (dead-letters.ts). */
  | { kind: 'parked'; reason: string; attempts: number }
  /** A later event of a parked stream: kept behind the parked one, applied once the operator resolves it. */
  | { kind: 'held' };

/** What an operator's replay or discard of a dead letter did (POST /admin/dead-letters/:id/replay|discard). */
export interface Resolution {
  letterId: string;
  outcome: 'replayed' | 'discarded' | 'failed';
  /** Why the replay failed again (the letter stays as it was, with this reason). */
  reason?: string;
  /** Held events of its stream applied after it, in order. */
  released: number;
  /** A held event that failed in its turn and now parks the stream. */
  parkedAgain?: string;
}

/** A dead letter that cannot be resolved as asked: gone, already resolved, or held behind a parked one. */
export class DeadLetterNotResolvable extends Error {
  constructor(
    readonly code: 'dead_letter_not_found' | 'dead_letter_resolved' | 'dead_letter_held',
    message: string,
  ) {
    super(message);
    this.name = 'DeadLetterNotResolvable';
  }
}

type Attempted = { ok: true; handled: boolean; parked?: true } | { ok: false; reason: string; attempts: number };

const HELD = { reason: 'held behind a parked event of its stream', attempts: 0 };

/** The dispatchers of this process by `<schema>/<consumer>`: the operator's replay finds its consumer here. */
const dispatchers = new Map<string, EventDispatcher>();
export function dispatcherOf(schema: string, consumer: string): EventDispatcher | undefined {
  return dispatchers.get(`${schema}/${consumer}`);
}

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
  /** Runs of events committed in one inbox transaction (`dispatchAll`), and runs rolled back and redone event by event. */
  batches: number;
  batchFallbacks: number;
}
const tallies = new Map<string, DispatchTally>();
export function dispatchTallies(): ReadonlyMap<string, Readonly<DispatchTally>> {
  return tallies;
}
function tallyOf(consumer: string): DispatchTally {
  let tally = tallies.get(consumer);
  if (!tally) tallies.set(consumer, (tally = { handled: 0, duplicates: 0, outOfOrder: 0, batches: 0, batchFallbacks: 0 }));
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
    /**
     * Park instead of skipping: a consumer whose effects must not skip an event (a payment, a capacity
     * booking, a saga step) stops applying the failed event's stream until an operator replays or
     * discards it; its later events are held (in the dead-letter table) and other streams flow.
     */
    private readonly parksStreams = false,
  ) {
    dispatchers.set(`${database.schema}/${consumer}`, this);
  }

  /** `traceparent`: the trace context the event was appended in (its stored column, or its Kafka header). */
  async dispatch(message: unknown, source: string, traceparent?: string): Promise<DispatchOutcome> {
    const found = this.handlerOf(message);
    if (found.kind === 'invalid') return this.reject(message, found.reason, 0, source);
    if (found.kind === 'ignored') return { kind: 'ignored' };
    const { envelope, handler } = found;
    const problem = contractProblemOf(envelope, source);
    if (problem) {
      if (this.parksStreams && (await this.database.deadLetters.holdIfParked({ ...this.letterOf(message, source), ...HELD }))) return this.held(envelope, source);
      return this.reject(message, problem, 0, source);
    }
    // A consumer that parks checks its stream in the inbox's claim (one round trip with the duplicate check).
    const attempted = await consumeInTrace(envelope, this.consumer, traceparent, () => this.handleWithRetries(envelope, handler, source, true, this.parksStreams));
    if (attempted.ok && attempted.parked) {
      await this.database.deadLetters.record({ ...this.letterOf(message, source), ...HELD, status: 'held' });
      return this.held(envelope, source);
    }
    if (attempted.ok) return attempted.handled ? { kind: 'handled' } : { kind: 'duplicate' };
    return this.reject(message, attempted.reason, attempted.attempts, source);
  }

  /**
   * Dispatches `deliveries` in order, as `dispatch` one after another would, but each run of up to
   * MAX_EVENTS_PER_TRANSACTION valid messages in ONE inbox transaction (Inbox.handleBatch): one commit,
   * one claim statement and one inbox INSERT for the run, instead of one of each per event. `done` hears of
   * each message's outcome in order, once it is committed (before the next run starts).
   *
   * Anything but a clean run — an effect that throws (a handler error, a concurrency conflict, a lost
   * connection), an event out of its stream's order, a parked stream, an event recorded concurrently, a
   * failed commit — rolls the whole run back and dispatches exactly its messages one by one through
   * `dispatch`, which keeps every rule: retries with back-off, conflict retries, outage waits, dead letters,
   * parking and holding. A message that is no valid envelope or breaks its contract is never put in a
   * run; it goes through `dispatch` in its turn. What this keeps in memory (the streams' versions, the
   * tallies of /metrics) changes only after the run's commit.
   */
  async dispatchAll(
    deliveries: readonly Delivery[],
    done: (index: number, outcome: DispatchOutcome) => void | Promise<void> = () => undefined,
    maxPerTransaction = MAX_EVENTS_PER_TRANSACTION,
  ): Promise<void> {
    let next = 0;
    while (next < deliveries.length) {
      const run: BatchItem[] = [];
      let found = 0;
      for (; next < deliveries.length && found < maxPerTransaction; next++) {
        const delivery = deliveries[next];
        const item = this.handlerOf(delivery.message);
        if (item.kind === 'invalid' || (item.kind === 'found' && contractProblemOf(item.envelope, delivery.source))) break;
        run.push({ ...delivery, index: next, ...item });
        if (item.kind === 'found') found += 1;
      }
      // Two or more to handle: one transaction; otherwise (or when it gives up) the per-event path.
      const outcomes = found >= 2 ? await this.handleRun(run) : undefined;
      for (const [i, item] of run.entries()) await done(item.index, outcomes?.[i] ?? (await this.dispatch(item.message, item.source, item.traceparent)));
      if (run.length === 0) {
        // An invalid message, or one breaking its contract: dead-lettered (or held) by `dispatch`.
        const { message, source, traceparent } = deliveries[next];
        await done(next, await this.dispatch(message, source, traceparent));
        next += 1;
      }
    }
  }

  /** One run in one inbox transaction; undefined when it was rolled back (its messages are then dispatched one by one). */
  private async handleRun(run: readonly BatchItem[]): Promise<DispatchOutcome[] | undefined> {
    // A message delivered twice in one batch (a relay that published it again): the later copy is a duplicate.
    const firstCopy = new Map<string, number>();
    const handled: (BatchItem & { kind: 'found' })[] = [];
    for (const [i, item] of run.entries()) {
      if (item.kind !== 'found' || firstCopy.has(item.envelope.eventId)) continue;
      firstCopy.set(item.envelope.eventId, i);
      handled.push(item);
    }
    let fresh: boolean[];
    try {
      const outcome = await this.database.inbox.handleBatch(
        this.consumer,
        handled.map(({ envelope }) => ({ eventId: envelope.eventId, unlessParked: this.parksStreams ? envelope.streamId : undefined })),
        async (manager, isNew) => {
          // The newest version of each stream applied in this transaction: an older one after it is out of order.
          const applied = new Map<string, number>();
          for (const [i, { envelope, handler, source, traceparent }] of handled.entries()) {
            if (!isNew[i]) continue;
            const newest = applied.get(envelope.streamId);
            if (this.versions.stepBack(envelope.streamId, envelope.streamVersion) || (newest !== undefined && envelope.streamVersion < newest)) {
              throw new BatchGivenUp(`${envelope.streamId} out of order`); // `dispatch` holds it, counts and logs it
            }
            await consumeInTrace(envelope, this.consumer, traceparent, async () => {
              const result: unknown = await handler(envelope, new EventContext({ manager, envelope, source, attempt: 1 }));
              if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
            });
            applied.set(envelope.streamId, Math.max(newest ?? envelope.streamVersion, envelope.streamVersion));
          }
        },
      );
      if (!outcome.committed) {
        tallyOf(this.consumer).batchFallbacks += 1;
        this.log.debug(`${this.consumer}: a batch of ${handled.length} events is handled one by one: ${outcome.why}`);
        return undefined;
      }
      fresh = outcome.fresh;
    } catch (error) {
      tallyOf(this.consumer).batchFallbacks += 1;
      this.log.debug(`${this.consumer}: a batch of ${handled.length} events is handled one by one: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
      return undefined;
    }
    // Committed: only now does what is kept in memory change.
    const tally = tallyOf(this.consumer);
    tally.batches += 1;
    const handledAt = new Map(handled.map((item, h) => [item, h]));
    const outcomes: DispatchOutcome[] = run.map((item, i) => {
      if (item.kind === 'ignored') return { kind: 'ignored' };
      const h = handledAt.get(item) ?? -1;
      if (h === -1 || firstCopy.get(item.envelope.eventId) !== i || !fresh[h]) {
        tally.duplicates += 1;
        return { kind: 'duplicate' };
      }
      tally.handled += 1;
      this.versions.seen(item.envelope.streamId, item.envelope.streamVersion);
      return { kind: 'handled' };
    });
    return outcomes;
  }

  /** Behind a parked event of its stream: kept in arrival order, applied when the operator resolves that one. */
  private held(envelope: EventEnvelope, source: string): DispatchOutcome {
    this.log.warn(`${this.consumer}: holding ${envelope.type} from ${source}: stream ${envelope.streamId} is parked`);
    return { kind: 'held' };
  }

  /**
   * The operator replays a dead or parked letter (its cause fixed): it is handled again, bypassing the
   * stream-order check (the operator chose to apply it now). Handled: the letter is marked replayed by
   * `by`, and the held events of its stream follow in order. Failed again: it stays, with the new reason.
   */
  async replay(letterId: string, by: string): Promise<Resolution> {
    const letter = await this.waitingLetter(letterId);
    const attempted = await this.attemptOnce(letter.payload, letter.source);
    if (!attempted.ok) {
      if (letter.status === 'parked') await this.database.deadLetters.park(letter.id, attempted.reason, letter.attempts + attempted.attempts, false);
      this.log.warn(`${this.consumer}: replay of dead letter ${letter.id} by ${by} failed again: ${attempted.reason}`);
      return { letterId, outcome: 'failed', reason: attempted.reason, released: 0 };
    }
    await this.database.deadLetters.resolve(letter.id, 'replayed', by, attempted.handled ? 'handled on replay' : 'already handled (inbox)');
    this.log.warn(`${this.consumer}: dead letter ${letter.id} (${letter.type ?? 'message'} of ${letter.streamId ?? 'no stream'}) replayed by ${by}`);
    return { letterId, outcome: 'replayed', ...(letter.status === 'parked' ? await this.release(letter.streamId!) : { released: 0 }) };
  }

  /** The operator gives a dead or parked letter up for good, with a reason; a parked stream's held events follow. */
  async discard(letterId: string, by: string, reason: string): Promise<Resolution> {
    const letter = await this.waitingLetter(letterId);
    if (!(await this.database.deadLetters.resolve(letter.id, 'discarded', by, reason))) throw new DeadLetterNotResolvable('dead_letter_resolved', `dead letter ${letterId} was resolved meanwhile`);
    this.log.warn(`${this.consumer}: dead letter ${letter.id} (${letter.type ?? 'message'} of ${letter.streamId ?? 'no stream'}) discarded by ${by}: ${reason}`);
    return { letterId, outcome: 'discarded', ...(letter.status === 'parked' ? await this.release(letter.streamId!) : { released: 0 }) };
  }

  private async waitingLetter(letterId: string) {
    const letter = await this.database.deadLetters.get(letterId);
    if (!letter || letter.consumer !== this.consumer) throw new DeadLetterNotResolvable('dead_letter_not_found', `no dead letter ${letterId} of ${this.consumer}`);
    if (letter.status === 'held') {
      throw new DeadLetterNotResolvable('dead_letter_held', `dead letter ${letterId} waits behind the parked event of stream ${letter.streamId}: replay or discard that one first`);
    }
    if (letter.status !== 'dead' && letter.status !== 'parked') throw new DeadLetterNotResolvable('dead_letter_resolved', `dead letter ${letterId} was already ${letter.status}`);
    return letter;
  }

  /** Applies the held events of a stream whose parked event was resolved, oldest first, until one fails (it parks the stream again). */
  private async release(streamId: string): Promise<{ released: number; parkedAgain?: string }> {
    let released = 0;
    for (;;) {
      const waiting = await this.database.deadLetters.waiting(this.consumer, streamId);
      if (waiting.length === 0) return { released };
      const next = waiting[0];
      if (next.status === 'parked') return { released, parkedAgain: next.id }; // parked again meanwhile
      const attempted = await this.attemptOnce(next.payload, next.source, true);
      if (!attempted.ok) {
        await this.database.deadLetters.park(next.id, attempted.reason, attempted.attempts);
        this.log.error(`${this.consumer}: held event ${next.id} of ${streamId} failed in its turn and parks the stream: ${attempted.reason}`);
        return { released, parkedAgain: next.id };
      }
      await this.database.deadLetters.resolve(next.id, 'replayed', 'stream released', attempted.handled ? 'handled in its turn' : 'already handled (inbox)');
      released += 1;
    }
  }

  /** One message through validation and the handler's retries, recording nothing on failure (replay and release). */
  private async attemptOnce(message: unknown, source: string, checkOrder = false): Promise<Attempted> {
    const found = this.handlerOf(message);
    if (found.kind === 'invalid') return { ok: false, reason: found.reason, attempts: 0 };
    if (found.kind === 'ignored') return { ok: true, handled: false };
    const problem = contractProblemOf(found.envelope, source);
    if (problem) return { ok: false, reason: problem, attempts: 0 };
    return this.handleWithRetries(found.envelope, found.handler, source, checkOrder);
  }

  /** The message as an envelope and this consumer's handler of its type; invalid, or ignored (no handler). */
  private handlerOf(
    message: unknown,
  ): { kind: 'invalid'; reason: string } | { kind: 'ignored' } | { kind: 'found'; envelope: EventEnvelope; handler: MessageHandler } {
    const invalid = envelopeProblems(message);
    if (invalid.length > 0) return { kind: 'invalid', reason: `invalid envelope: ${invalid.join('; ')}` };
    const envelope = message as EventEnvelope;
    const handler = this.findHandler(envelope.type);
    return handler ? { kind: 'found', envelope, handler } : { kind: 'ignored' };
  }

  private async handleWithRetries(envelope: EventEnvelope, handler: MessageHandler, source: string, checkOrder: boolean, unlessParked = false): Promise<Attempted> {
    let lastError: unknown;
    let conflicts = 0;
    let outageWaits = 0;
    for (let attempt = 1; attempt <= this.retry.maxAttempts; attempt++) {
      try {
        const outcome = await this.database.inbox.handleOnce(this.consumer, envelope.eventId, async (manager) => {
          // New to the inbox yet older than an event of its stream already applied: held, not applied.
          const stepBack = checkOrder ? this.versions.stepBack(envelope.streamId, envelope.streamVersion) : undefined;
          if (stepBack) throw this.streamOrderProblem(stepBack, source);
          const result: unknown = await handler(envelope, new EventContext({ manager, envelope, source, attempt }));
          if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
        }, { unlessParked: unlessParked ? envelope.streamId : undefined });
        if (!outcome.handled && outcome.parked) return { ok: true, handled: false, parked: true };
        tallyOf(this.consumer)[outcome.handled ? 'handled' : 'duplicates'] += 1;
        if (outcome.handled) this.versions.seen(envelope.streamId, envelope.streamVersion);
        return { ok: true, handled: outcome.handled };
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
    return { ok: false, reason, attempts: this.retry.maxAttempts };
  }

  /** Counts and logs an event that arrived out of its stream's order; returns the error that holds it. */
  streamOrderProblem(problem: string, source: string): StreamOrderError {
    tallyOf(this.consumer).outOfOrder += 1;
    this.log.error(`${this.consumer}: holding an event from ${source}: ${problem}`);
    return new StreamOrderError(problem);
  }

  private letterOf(message: unknown, source: string) {
    const m = (message ?? {}) as Partial<EventEnvelope>;
    return {
      consumer: this.consumer,
      source,
      eventId: typeof m.eventId === 'string' ? m.eventId : null,
      type: typeOf(message),
      streamId: streamIdOf(message),
      payload: message,
    };
  }

  /** Dead-letters (or, for a consumer that parks, parks the stream of) a message given up on. */
  private async reject(message: unknown, reason: string, attempts: number, source: string): Promise<DispatchOutcome> {
    const letter = this.letterOf(message, source);
    const parks = this.parksStreams && letter.streamId !== null;
    await this.database.deadLetters.record({ ...letter, reason, attempts, status: parks ? 'parked' : 'dead' });
    if (parks) this.log.error(`${this.consumer}: parked stream ${letter.streamId} at ${letter.type ?? 'a message'} from ${source}: ${reason}`);
    await this.deadLetter({ envelope: message, reason, attempts, source });
    return parks ? { kind: 'parked', reason, attempts } : { kind: 'dead-lettered', reason, attempts };
  }
}

/** Why `envelope` breaks its integration contract (or has none), or undefined. */
/** The source of every message the embedded transport delivers (`embedded:<producer>`). */
export const EMBEDDED_SOURCE = 'embedded:';

function contractProblemOf(envelope: EventEnvelope, source: string): string | undefined {
  if (!isIntegrationEvent(envelope.type)) return `${envelope.type} has no integration contract`;
  // Read by the embedded transport from the row this process appended after checking it: checked already.
  if (source.startsWith(EMBEDDED_SOURCE) && wasCheckedAtAppend(envelope.eventId)) return undefined;
  const problems = contractProblems(envelope.type, envelope.data);
  return problems.length > 0 ? `contract violation: ${problems.join('; ')}` : undefined;
}

function streamIdOf(message: unknown): string | null {
  const streamId = (message as { streamId?: unknown } | null)?.streamId;
  return typeof streamId === 'string' && streamId !== '' ? streamId : null;
}

function typeOf(message: unknown): string | null {
  const type = (message as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : null;
}
