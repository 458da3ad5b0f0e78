import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { EventEnvelope } from '#libs/contracts';
import { ident, ServiceDatabase } from '#libs/eventsourcing';
import { NOTIFICATIONS_CLOCK } from '../config.js';
import { NEEDS_KNOWN_LOT, noticesOf, type KnownLot, type Notice } from './domain/member-notices.js';

/** The Standard Webhooks message id of what `memberId` is told of event `sourceEventId`: the same on every attempt. */
export const messageIdOf = (sourceEventId: string, memberId: string): string =>
  `msg_${createHash('sha256').update(`${sourceEventId}\u0000${memberId}`).digest('hex').slice(0, 32)}`;

/** A lot's workshop and brand, as an offer or an acceptance names them (the `known_lots` row). */
interface KnownLotRow {
  subtaskId: string;
  workshopId: string;
  brandId: string;
}

export interface MemberEventRow {
  seq: string;
  tx_id: string;
  message_id: string;
  member_id: string;
  member_role: string;
  type: string;
  occurred_at: Date;
  payload: Record<string, unknown>;
}

/** The largest `seq`: a position `(txId, MAX_SEQ)` is after every event of transaction `txId`. */
const MAX_SEQ = '9223372036854775807';

/** What a webhook body and an SSE `data:` line carry. */
export const messageBody = (row: Pick<MemberEventRow, 'message_id' | 'type' | 'occurred_at' | 'payload'>) => ({
  id: row.message_id,
  type: row.type,
  timestamp: row.occurred_at.toISOString(),
  data: row.payload,
});

/** Wakes the dispatcher when deliveries were written or became due (it also polls). */
export const DELIVERIES_WRITTEN = Symbol('DELIVERIES_WRITTEN');
export type DeliveriesWritten = () => void;

/** The wake-up line from the writers of deliveries to the dispatcher of the same module. */
export class WakeSignal {
  private listener: () => void = () => undefined;
  readonly notify: DeliveriesWritten = () => this.listener();
  listen(listener: () => void): void {
    this.listener = listener;
  }
}

/**
 * Records, in the consumer's inbox transaction, what each member is told of an integration event, and
 * the webhook deliveries to the member's enabled endpoints subscribed to its type (the outbox of webhooks).
 */
@Injectable()
export class MemberEventsService {
  private readonly s: string;

  constructor(
    @Inject(ServiceDatabase) readonly database: ServiceDatabase,
    @Inject(NOTIFICATIONS_CLOCK) private readonly clock: () => Date,
    @Inject(DELIVERIES_WRITTEN) private readonly wake: DeliveriesWritten,
  ) {
    this.s = ident(database.schema);
  }

  async record(envelope: EventEnvelope, manager: EntityManager): Promise<number> {
    const data = envelope.data;
    // An offer or an acceptance teaches the service the lot's workshop and brand (for the lot's later
    // events, which do not name them): written with the event's notices, in the same statement.
    const learnt: KnownLotRow | undefined =
      envelope.type === 'SubtaskOffered' || envelope.type === 'SubtaskAccepted'
        ? { subtaskId: String(data.subtaskId), workshopId: String(data.workshopId), brandId: String(data.brandId) }
        : undefined;
    let lot: KnownLot | undefined;
    if (NEEDS_KNOWN_LOT.has(envelope.type)) {
      const rows: { workshop_id: string; brand_id: string }[] = await manager.query(`SELECT workshop_id, brand_id FROM ${this.s}.known_lots WHERE subtask_id = $1`, [data.subtaskId]);
      if (rows[0]) lot = { workshopId: rows[0].workshop_id, brandId: rows[0].brand_id };
    }
    const deliveries = await this.tellAll(manager, envelope.eventId, new Date(envelope.occurredAt), noticesOf({ type: envelope.type, data, lot }), learnt);
    if (deliveries > 0) setTimeout(this.wake, 20).unref();
    return deliveries;
  }

  /** Writes one member's notice and its deliveries; returns how many deliveries. A notice already written changes nothing. */
  tell(manager: EntityManager, sourceEventId: string, occurredAt: Date, notice: Notice): Promise<number> {
    return this.tellAll(manager, sourceEventId, occurredAt, [notice]);
  }

  /**
   * Writes the notices of one event, in order, and the deliveries to each member's enabled endpoints
   * subscribed to its type, in one statement (with the lot the event teaches, `learnt`); returns how many
   * deliveries. Notices already written (a redelivered event) change nothing.
   */
  async tellAll(manager: EntityManager, sourceEventId: string, occurredAt: Date, notices: readonly Notice[], learnt?: KnownLotRow): Promise<number> {
    if (notices.length === 0 && !learnt) return 0;
    const rows: unknown[] = await manager.query(
      `WITH known AS (
         INSERT INTO ${this.s}.known_lots (subtask_id, workshop_id, brand_id) SELECT $9, $10, $11 WHERE $9::text IS NOT NULL
         ON CONFLICT (subtask_id) DO NOTHING
       ),
       told AS (
         INSERT INTO ${this.s}.member_events (message_id, source_event_id, member_id, member_role, type, occurred_at, payload)
         SELECT n.message_id, $1, n.member_id, n.member_role, n.type, $2, n.payload
           FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[]) WITH ORDINALITY AS n(message_id, member_id, member_role, type, payload, ord)
          ORDER BY n.ord
         ON CONFLICT (message_id) DO NOTHING
         RETURNING seq, member_id, type
       )
       INSERT INTO ${this.s}.webhook_deliveries (endpoint_id, event_seq, next_attempt_at, created_at)
       SELECT e.id, told.seq, $8, $8 FROM told JOIN ${this.s}.webhook_endpoints e
         ON e.member_id = told.member_id AND e.status = 'enabled' AND (told.type = ANY (e.event_types) OR '*' = ANY (e.event_types))
       RETURNING id`,
      [
        sourceEventId,
        occurredAt,
        notices.map((n) => messageIdOf(sourceEventId, n.memberId)),
        notices.map((n) => n.memberId),
        notices.map((n) => n.role),
        notices.map((n) => n.type),
        notices.map((n) => JSON.stringify(n.data)),
        this.clock(),
        learnt?.subtaskId ?? null,
        learnt?.workshopId ?? null,
        learnt?.brandId ?? null,
      ],
    );
    return rows.length;
  }

  /**
   * Where a stream without Last-Event-ID starts: before every transaction still running (its events have
   * not committed yet, whatever its id). Starting after the member's latest committed event instead would
   * skip the events of an older transaction that commits after the stream opened; this start may instead
   * repeat a few events that committed just before it, which an at-least-once stream allows.
   */
  async startOfNow(): Promise<{ txId: string; seq: string }> {
    const rows: { tx_id: string }[] = await this.database.dataSource.query(
      `SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::numeric - 1)::text AS tx_id`,
    );
    return { txId: rows[0].tx_id, seq: MAX_SEQ };
  }

  /**
   * A member's events after `after` (a `tx_id.seq` position, exclusive), in commit order, only from
   * transactions every later reader will also see (none still in progress before them), so a stream that
   * resumes from the last id it got never skips an event that committed late.
   */
  async after(memberId: string, after: { txId: string; seq: string } | null, limit: number, types?: readonly string[]): Promise<MemberEventRow[]> {
    return this.database.dataSource.query(
      // Ordered by the columns, not by the text aliases of the same names ("10" sorts before "9").
      `SELECT e.seq::text AS seq, e.tx_id::text AS tx_id, e.message_id, e.member_id, e.member_role, e.type, e.occurred_at, e.payload FROM ${this.s}.member_events e
        WHERE e.member_id = $1 AND e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
          AND ($2::xid8 IS NULL OR (e.tx_id, e.seq) > ($2::xid8, $3::bigint))
          AND ($5::text[] IS NULL OR e.type = ANY ($5))
        ORDER BY e.tx_id, e.seq LIMIT $4`,
      [memberId, after?.txId ?? null, after?.seq ?? null, limit, types && types.length > 0 ? types : null],
    );
  }
}
