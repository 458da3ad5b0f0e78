import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { EventMetadata } from '#libs/eventsourcing';
import { MATCHING_SETTINGS, type MatchingSettings } from '../config.js';
import { NetworkView } from '../network/network-view.js';
import { dayNumber, type PlannedLot } from '../plan/domain/planner.js';
import { Reservations } from '../plan/reservations.js';
import { holdId, QuoteCommands } from './quote-commands.js';

const dayOf = (iso: string): number => dayNumber(new Date(`${iso}T00:00:00Z`));

/**
 * The bridge from an accepted quote to its order's plan: the quoted lots, as the planner's lots, for the
 * order placed from the quote; and the quote's hold, let go as the lots are booked in its place.
 */
@Injectable()
export class QuotedPlans {
  constructor(
    @Inject(QuoteCommands) private readonly quotes: QuoteCommands,
    @Inject(NetworkView) private readonly network: NetworkView,
    @Inject(Reservations) private readonly reservations: Reservations,
    @Inject(MATCHING_SETTINGS) private readonly settings: MatchingSettings,
  ) {}

  /** The lots of the accepted quote the order comes from; null when there is none or its days have passed. */
  async lotsFor(order: { orderId: string; brandId: string; quoteId?: string }, m: EntityManager): Promise<PlannedLot[] | null> {
    if (!order.quoteId) return null;
    const { state } = await this.quotes.load(order.quoteId, m);
    if (state.status !== 'accepted' || state.orderId !== order.orderId || state.quote.brandId !== order.brandId) return null;
    const option = state.quote.options.find((o) => o.lots.length > 0 && o.kind === this.acceptedOption(state));
    if (!option) return null;
    const tomorrow = dayNumber(this.settings.clock()) + 1;
    if (option.lots.some((l) => dayOf(l.start) < tomorrow)) return null;
    const locations = await this.network.locationOf([...new Set(option.lots.map((l) => l.workshopId))], m);
    return option.lots.map((l) => ({
      stepId: l.stepId,
      process: l.process,
      workshopId: l.workshopId,
      quantity: l.quantity,
      minutes: l.days.reduce((sum, d) => sum + d.minutes, 0),
      days: l.days.map((d) => ({ day: dayOf(d.day), minutes: d.minutes })),
      startDay: dayOf(l.start),
      endDay: dayOf(l.finish),
      priceMinor: l.priceMinor,
      transportMinor: 0,
      riskMinor: 0,
      currency: l.currency,
      location: locations.get(l.workshopId) ?? { lat: 0, lng: 0 },
      explanation: { mode: 'cost', binding: 'quoted', window: { earliestDay: dayOf(l.start), latestDay: dayOf(l.finish) }, candidatesConsidered: 0, candidates: [] },
    }));
  }

  /** The quote's hold (if still there) ends: its capacity goes back to the book, for the order's lots to take. */
  async useHold(order: { orderId: string; quoteId?: string }, metadata: EventMetadata, m: EntityManager): Promise<void> {
    if (!order.quoteId) return;
    const result = await this.quotes.handle(order.quoteId, { type: 'UseHold', quoteId: order.quoteId, orderId: order.orderId, now: this.settings.clock() }, metadata, m);
    if (result.newEvents.length > 0) await this.reservations.release(holdId(order.quoteId), m);
  }

  private acceptedOption(state: Awaited<ReturnType<QuoteCommands['load']>>['state']): string | undefined {
    return state.status === 'accepted' ? state.acceptedOption : undefined;
  }
}
