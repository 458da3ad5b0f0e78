import type { EventEnvelope } from '#libs/contracts';
import { isAfter, START_OF_LOG, type GlobalPosition, type ServiceDatabase } from '#libs/eventsourcing';
import { publishedEvents, RELAY_SUBSCRIPTION_ID } from './kafka-outbox-relay.js';

/**
 * A producer's integration-event feed: what its relay publishes to Kafka (the same events, the same
 * envelopes), read from its own store in the log's global order. A consumer whose topic lost its early
 * records (see KafkaEventConsumer) rebuilds from it; served over HTTP as `GET /admin/event-feed/:service`
 * (libs/runtime), read in-process when the producer is hosted in the same process.
 */
export interface EventFeedPage {
  events: EventEnvelope[];
  /** The cursor of the next page (opaque). */
  next: string;
  /**
   * Nothing after `next` could be read when the page was read: the feed holds every event the relay had
   * published to Kafka by then (see readEventFeed).
   */
  end: boolean;
}

export interface EventFeed {
  /** Where the events come from, for logs: `the in-process log of orders`, `http://orders:3000`. */
  readonly source: string;
  /** The page after `after` (undefined: the start of the log), of at most `limit` stored events. */
  page(after: string | undefined, limit: number): Promise<EventFeedPage>;
}

/** A cursor that is not one of the feed's. */
export class InvalidFeedCursor extends Error {
  constructor(cursor: string) {
    super(`"${cursor.slice(0, 100)}" is not a cursor of this feed: pass the "next" of the previous page, or nothing to start at the beginning`);
    this.name = 'InvalidFeedCursor';
  }
}

export const encodeFeedCursor = (position: GlobalPosition): string => Buffer.from(`${position.transactionId}.${position.position}`).toString('base64url');

export function decodeFeedCursor(cursor: string | undefined): GlobalPosition {
  if (cursor === undefined || cursor === '') return START_OF_LOG;
  const match = /^(\d{1,20})\.(\d{1,20})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match || encodeFeedCursor({ transactionId: match[1], position: match[2] }) !== cursor) throw new InvalidFeedCursor(cursor);
  return { transactionId: match[1], position: match[2] };
}

/**
 * One page of `database`'s feed: up to `limit` stored events after `after`, of which the integration
 * events are returned (the internal ones are skipped, as the relay skips them).
 *
 * Why `end` can be trusted by a consumer rebuilding what Kafka lost: the log is read as the relay reads
 * it, below the horizon no transaction that may still commit an event is under (event-log.ts). Whatever
 * the relay published, it had read below that horizon, and a transaction whose id is below it has
 * ended for good, so a later read sees that event too. `end` also waits for the relay's checkpoint
 * (loaded before the page is read): the feed has then read past everything the relay had published by
 * then, even while a read holds back for a poll (an id whose owner is not found yet counts as ours).
 */
export async function readEventFeed(database: ServiceDatabase, after: GlobalPosition, limit: number): Promise<{ events: EventEnvelope[]; next: GlobalPosition; end: boolean }> {
  const relayed = await database.checkpoints.load(RELAY_SUBSCRIPTION_ID);
  const batch = await database.log.readAfter(after, limit);
  const next = batch.at(-1)?.globalPosition ?? after;
  return { events: publishedEvents(batch).map((p) => p.envelope), next, end: batch.length < limit && !isAfter(relayed, next) };
}

/** The feed of a producer hosted in this process: its own store, no HTTP. */
export class LocalEventFeed implements EventFeed {
  readonly source: string;

  constructor(
    producer: string,
    private readonly database: ServiceDatabase,
  ) {
    this.source = `the in-process log of ${producer}`;
  }

  async page(after: string | undefined, limit: number): Promise<EventFeedPage> {
    const page = await readEventFeed(this.database, decodeFeedCursor(after), limit);
    return { ...page, next: encodeFeedCursor(page.next) };
  }
}

/** Calls of the HTTP feed that fail (a producer still starting, a network cut) are tried again this many times. */
const HTTP_ATTEMPTS = 8;

/** The feed of a producer hosted elsewhere: its host's `GET /admin/event-feed/:producer`, with the operator's token. */
export class HttpEventFeed implements EventFeed {
  readonly source: string;

  constructor(
    private readonly producer: string,
    baseUrl: string,
    private readonly token: string,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.source = `${baseUrl.replace(/\/+$/, '')}/admin/event-feed/${producer}`;
  }

  async page(after: string | undefined, limit: number): Promise<EventFeedPage> {
    const query = new URLSearchParams({ limit: String(limit), ...(after ? { after } : {}) });
    let last: unknown;
    for (let attempt = 1; attempt <= HTTP_ATTEMPTS; attempt++) {
      try {
        const response = await fetch(`${this.source}?${query.toString()}`, { headers: { authorization: `Bearer ${this.token}` }, signal: AbortSignal.timeout(30_000) });
        if (response.ok) return (await response.json()) as EventFeedPage;
        const problem = new Error(`${this.source} answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
        // A refusal (a wrong token, an unknown service, a bad cursor) will not change by asking again.
        if (response.status < 500 && response.status !== 429) throw Object.assign(problem, { final: true });
        last = problem;
      } catch (error) {
        if ((error as { final?: boolean }).final) throw error;
        last = error;
      }
      if (attempt < HTTP_ATTEMPTS) await this.sleep(Math.min(5000, 250 * 2 ** (attempt - 1)));
    }
    throw new Error(`the event feed of ${this.producer} at ${this.source} did not answer after ${HTTP_ATTEMPTS} attempts: ${last instanceof Error ? last.message : String(last)}`);
  }
}

/** Stored events a consumer reads per page of a feed while it rebuilds. */
const BOOTSTRAP_PAGE = 500;
/** Pages in a row that may come back empty before the feed's end (a read held back): 10 s. */
const MAX_EMPTY_PAGES = 100;

/**
 * Reads `feed` from its start to its end and hands each event to `dispatch`, one after the other (so
 * each stream's events arrive in version order); returns how many events it read.
 */
export async function readWholeFeed(feed: EventFeed, dispatch: (event: EventEnvelope, source: string) => Promise<unknown>): Promise<number> {
  let cursor: string | undefined;
  let count = 0;
  let empty = 0;
  for (;;) {
    const page = await feed.page(cursor, BOOTSTRAP_PAGE);
    for (const event of page.events) {
      count += 1;
      await dispatch(event, `${feed.source}#${count}`);
    }
    if (page.end) return count;
    empty = page.next === cursor ? empty + 1 : 0;
    if (empty > MAX_EMPTY_PAGES) throw new Error(`the event feed at ${feed.source} did not reach its end: it stays behind what the relay published`);
    if (page.next === cursor) await new Promise((r) => setTimeout(r, 100));
    cursor = page.next;
  }
}

const bootstrapped = new Map<string, Map<string, number>>();

/** Per consumer and producer: events this process read from producers' feeds to rebuild what Kafka lost (for metrics). */
export function bootstrapTallies(): ReadonlyMap<string, ReadonlyMap<string, number>> {
  return bootstrapped;
}

export function countBootstrapped(consumer: string, producer: string, events: number): void {
  const ofConsumer = bootstrapped.get(consumer) ?? new Map<string, number>();
  ofConsumer.set(producer, (ofConsumer.get(producer) ?? 0) + events);
  bootstrapped.set(consumer, ofConsumer);
}
