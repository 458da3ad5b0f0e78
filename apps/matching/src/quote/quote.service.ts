import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError, NotFound, ValidationFailed } from '#libs/domain';
import { ident, ServiceDatabase, type EventMetadata } from '#libs/eventsourcing';
import { assertOwnership, type Principal } from '#libs/platform';
import { MATCHING_SETTINGS, type MatchingSettings } from '../config.js';
import { topologicalOrder } from '../plan/domain/planner.js';
import { Reservations } from '../plan/reservations.js';
import { QUOTE_OPTION_KINDS, type QuoteIssued, type QuoteOption, type QuoteOptionKind, type QuoteRequest } from './domain/quote.events.js';
import type { QuoteState } from './domain/quote.decider.js';
import { holdId, QuoteCommands } from './quote-commands.js';
import { planningRequestOf, QuotePlanner } from './quote-planner.js';

/** How long a hold waits for another booking of the same workshop-days (ms). */
const HOLD_LOCK_TIMEOUT_MS = 500;
const HOLD_ATTEMPTS = 4;

export interface QuoteView {
  quoteId: string;
  brandId: string;
  status: 'issued' | 'accepted' | 'requoted';
  issuedAt: string;
  validUntil: string;
  options: QuoteOption[];
  confidence: { level: 'high' | 'medium' | 'low'; slack: number };
  /** The option whose capacity is held, and until when (absent: nothing held). */
  hold: { option: QuoteOptionKind; until: string } | null;
  orderId: string | null;
  requoteId: string | null;
  reason: string | null;
  requotes: string | null;
}

interface QuoteRow {
  status: QuoteView['status'];
  hold_option: QuoteOptionKind | null;
  hold_until: Date | null;
  order_id: string | null;
  requote_id: string | null;
  reason: string | null;
  quote: QuoteIssued['data'];
}

export type AcceptOutcome = { outcome: 'accepted'; quoteId: string; orderId: string } | { outcome: 'requoted'; quoteId: string; reason: string; quote: QuoteView | null };

function viewOf(state: QuoteState): QuoteView {
  if (state.status === 'none') throw new Error('no quote');
  const q = state.quote;
  return {
    quoteId: q.quoteId,
    brandId: q.brandId,
    status: state.status,
    issuedAt: q.issuedAt,
    validUntil: q.validUntil,
    options: q.options,
    confidence: q.confidence,
    hold: state.held ?? null,
    orderId: state.orderId ?? null,
    requoteId: state.requoteId ?? null,
    reason: state.reason ?? null,
    requotes: q.requotes ?? null,
  };
}

/** Refuses a route the planner cannot read (the orders service checks the rest again when the order is placed). */
function validateQuoteRequest(request: QuoteRequest, now: Date): void {
  const ids = new Set<string>();
  request.route.forEach((s, i) => {
    if (ids.has(s.stepId)) throw new ValidationFailed(`route.${i}.stepId`, `duplicates step ${s.stepId}`);
    ids.add(s.stepId);
  });
  request.route.forEach((s, i) =>
    s.dependsOn.forEach((d, j) => {
      if (!ids.has(d) || d === s.stepId) throw new ValidationFailed(`route.${i}.dependsOn.${j}`, `names no other step of the route (${d})`);
    }),
  );
  try {
    topologicalOrder(request.route);
  } catch {
    throw new ValidationFailed('route', 'has a cycle');
  }
  const due = Date.parse(request.dueDate);
  if (!(due > now.getTime() + 86_400_000)) throw new ValidationFailed('dueDate', 'must leave at least one working day after today');
}

/**
 * Instant quotes: the price and dates of an order before it is placed, from the planner an order's plan
 * comes from, booking nothing — or holding one option's capacity for a while. Accepting turns the quote
 * into an order (`QuoteAccepted`; the orders service places it, matching books the quoted lots).
 */
@Injectable()
export class QuoteService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly s: string;
  private readonly log = new Logger(QuoteService.name);
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<number> | undefined;

  constructor(
    @Inject(ServiceDatabase) private readonly db: ServiceDatabase,
    @Inject(QuoteCommands) private readonly quotes: QuoteCommands,
    @Inject(QuotePlanner) private readonly planner: QuotePlanner,
    @Inject(Reservations) private readonly reservations: Reservations,
    @Inject(MATCHING_SETTINGS) private readonly settings: MatchingSettings,
  ) {
    this.s = ident(db.schema);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = this.releaseExpiredHolds()
        .catch((error: unknown) => {
          this.log.error(`hold sweep failed: ${String(error)}`);
          return 0;
        })
        .finally(() => (this.sweeping = undefined));
    }, this.settings.config.MESHFAB_MATCHING_QUOTE_SWEEP_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /** Quotes an order body; with `hold`, books that option's capacity softly until the hold ends. */
  async quote(brandId: string, request: QuoteRequest, hold: QuoteOptionKind | undefined, correlationId: string): Promise<QuoteView> {
    const now = this.settings.clock();
    validateQuoteRequest(request, now);
    await this.releaseExpiredHolds();
    const quoteId = randomUUID();
    const metadata: EventMetadata = { correlationId, causationId: 'POST /quotes' };
    return this.db.dataSource.transaction(async (m) => {
      const view = await this.issue(quoteId, brandId, request, hold, now, metadata, m);
      if (!view) throw new DomainError('capacity_taken', 'the capacity of the quote was being taken by other bookings; ask again', 'conflict');
      return view;
    });
  }

  /** Plans, holds (if asked) and issues; null when every attempt to hold lost its race. */
  private async issue(quoteId: string, brandId: string, request: QuoteRequest, hold: QuoteOptionKind | undefined, now: Date, metadata: EventMetadata, m: EntityManager, requotes?: string): Promise<QuoteView | null> {
    const c = this.settings.config;
    for (let attempt = 0; attempt < HOLD_ATTEMPTS; attempt++) {
      const planned = await this.planner.plan(planningRequestOf(request, now), m);
      if (!planned.ok) throw new DomainError(`quote_${planned.failure.kind}`, planned.failure.reason, 'rejected');
      const held = hold ? planned.options.find((o) => o.kind === hold) : undefined;
      if (hold && !held) throw new ValidationFailed('hold', `there is no ${hold} option (the quote has ${planned.options.map((o) => o.kind).join(', ')})`);
      if (held && !(await this.holdCapacity(quoteId, held, m))) {
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 10 * (attempt + 1)));
        continue;
      }
      const result = await this.quotes.handle(
        quoteId,
        {
          type: 'IssueQuote',
          quoteId,
          brandId,
          request,
          options: planned.options,
          confidence: planned.confidence,
          now,
          validUntil: new Date(now.getTime() + c.MESHFAB_MATCHING_QUOTE_VALID_MINUTES * 60_000),
          ...(held ? { hold: { option: held.kind, until: new Date(now.getTime() + c.MESHFAB_MATCHING_QUOTE_HOLD_MINUTES * 60_000) } } : {}),
          ...(requotes ? { requotes } : {}),
        },
        metadata,
        m,
      );
      return viewOf(result.state);
    }
    return null;
  }

  /** Books the option's lots as reservations of the hold; false (nothing booked) when a day was taken or being taken. */
  private async holdCapacity(quoteId: string, option: QuoteOption, m: EntityManager): Promise<boolean> {
    await m.query(`SAVEPOINT matching_quote_hold; SET LOCAL lock_timeout = ${HOLD_LOCK_TIMEOUT_MS}`);
    const clash = await this.reservations.reserveAll(
      option.lots.flatMap((l) => l.days.map((d) => ({ subtaskId: holdId(quoteId), workshopId: l.workshopId, process: l.process, day: d.day, minutes: d.minutes }))),
      m,
    );
    if (clash) {
      await m.query('ROLLBACK TO SAVEPOINT matching_quote_hold');
      return false;
    }
    await m.query('RELEASE SAVEPOINT matching_quote_hold; SET LOCAL lock_timeout TO DEFAULT');
    return true;
  }

  async get(quoteId: string, principal: Principal): Promise<QuoteView> {
    const { state } = await this.quotes.load(quoteId);
    if (state.status === 'none') throw new NotFound('quote', quoteId);
    assertOwnership(principal, state.quote.brandId, 'quote', quoteId);
    return viewOf(state);
  }

  /** A brand's quotes (an operator: all, or one brand's), newest first, from the `quotes` read model. */
  async list(principal: Principal, limit: number, brandId?: string): Promise<QuoteView[]> {
    const brand = principal.role === 'operator' ? (brandId ?? null) : principal.sub;
    const rows: QuoteRow[] = await this.db.dataSource.query(
      `SELECT status, hold_option, hold_until, order_id, requote_id, reason, quote FROM ${this.s}.quotes
        WHERE ($1::text IS NULL OR brand_id = $1) ORDER BY issued_at DESC, quote_id LIMIT $2`,
      [brand, limit],
    );
    return rows.map((r) => ({
      quoteId: r.quote.quoteId,
      brandId: r.quote.brandId,
      status: r.status,
      issuedAt: r.quote.issuedAt,
      validUntil: r.quote.validUntil,
      options: r.quote.options,
      confidence: r.quote.confidence,
      hold: r.hold_option && r.hold_until ? { option: r.hold_option, until: new Date(r.hold_until).toISOString() } : null,
      orderId: r.order_id,
      requoteId: r.requote_id,
      reason: r.reason,
      requotes: r.quote.requotes ?? null,
    }));
  }

  /**
   * Turns the quote into an order while it is valid: a held option as quoted; another one if planning
   * it again now gives the same workshops, days and price. Otherwise a re-quote with the reason.
   */
  async accept(quoteId: string, principal: Principal, requested: QuoteOptionKind | undefined, m: EntityManager, correlationId: string): Promise<AcceptOutcome> {
    const now = this.settings.clock();
    const { state } = await this.quotes.load(quoteId, m);
    if (state.status === 'none' || state.quote.brandId !== principal.sub) throw new NotFound('quote', quoteId);
    const metadata: EventMetadata = { correlationId, causationId: `POST /quotes/${quoteId}/accept` };
    if (state.status !== 'issued') return this.answer(state, m);
    const option = requested ?? state.held?.option ?? 'cheapest';
    if (!QUOTE_OPTION_KINDS.includes(option)) throw new ValidationFailed('option', `must be one of ${QUOTE_OPTION_KINDS.join(', ')}`);
    const held = state.held?.option === option && Date.parse(state.held.until) >= now.getTime() && now.getTime() <= Date.parse(state.quote.validUntil);
    // The hold counts against capacity: it is let go before planning again, so the quote does not compete with itself.
    if (!held && state.held) await this.reservations.release(holdId(quoteId), m);
    const fresh = held ? undefined : await this.planner.plan(planningRequestOf(state.quote.request, now), m);
    const requoteId = randomUUID();
    const result = await this.quotes.handle(
      quoteId,
      {
        type: 'AcceptQuote',
        quoteId,
        brandId: principal.sub,
        option,
        orderId: randomUUID(),
        requoteId,
        now,
        ...(fresh === undefined ? {} : { fresh: fresh.ok ? (fresh.options.find((o) => o.kind === option) ?? null) : null }),
      },
      metadata,
      m,
    );
    const after = result.state;
    if (after.status === 'requoted') {
      if (state.held) await this.reservations.release(holdId(quoteId), m);
      if (fresh?.ok) {
        await this.quotes.handle(
          requoteId,
          { type: 'IssueQuote', quoteId: requoteId, brandId: principal.sub, request: state.quote.request, options: fresh.options, confidence: fresh.confidence, now, validUntil: new Date(now.getTime() + this.settings.config.MESHFAB_MATCHING_QUOTE_VALID_MINUTES * 60_000), requotes: quoteId },
          metadata,
          m,
        );
      }
    } else if (after.status === 'accepted' && !after.held && state.held) {
      await this.reservations.release(holdId(quoteId), m);
    }
    return this.answer(after, m);
  }

  private async answer(state: QuoteState, m: EntityManager): Promise<AcceptOutcome> {
    if (state.status === 'accepted') return { outcome: 'accepted', quoteId: state.quote.quoteId, orderId: state.orderId! };
    if (state.status !== 'requoted') throw new Error('unreachable: quote neither accepted nor re-quoted');
    const requote = (await this.quotes.load(state.requoteId!, m)).state;
    return { outcome: 'requoted', quoteId: state.quote.quoteId, reason: state.reason!, quote: requote.status === 'none' ? null : viewOf(requote) };
  }

  /** Ends the holds whose time is up and frees their capacity; returns how many. */
  async releaseExpiredHolds(): Promise<number> {
    const now = this.settings.clock();
    const due: { quote_id: string }[] = await this.db.dataSource.query(`SELECT quote_id FROM ${this.s}.quotes WHERE hold_until <= $1 ORDER BY hold_until LIMIT 500`, [now]);
    for (const { quote_id: quoteId } of due) {
      await this.db.dataSource.transaction(async (m) => {
        const result = await this.quotes.handle(quoteId, { type: 'ExpireHold', quoteId, now }, { correlationId: quoteId, causationId: 'quote-hold-sweep' }, m);
        if (result.newEvents.length > 0) await this.reservations.release(holdId(quoteId), m);
      });
    }
    if (due.length > 0) this.log.debug(`${due.length} quote holds ended`);
    return due.length;
  }
}
