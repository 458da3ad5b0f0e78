import { DomainError, NotFound, ValidationFailed, type Decider } from '#libs/domain';
import type { QuoteCommand } from './quote.commands.js';
import type { QuoteEvent, QuoteIssued, QuoteOption, QuoteOptionKind } from './quote.events.js';

export type QuoteState =
  | { status: 'none' }
  | {
      status: 'issued' | 'accepted' | 'requoted';
      quote: QuoteIssued['data'];
      /** The option whose capacity is held, while the hold lasts. */
      held?: { option: QuoteOptionKind; until: string };
      orderId?: string;
      /** The option the quote was accepted with. */
      acceptedOption?: QuoteOptionKind;
      requoteId?: string;
      reason?: string;
    };

/**
 * What changed between the quoted option and the same option planned again now, in words ('' when
 * nothing a brand would notice changed: the same workshops, units, days and price).
 */
export function capacityMoved(quoted: QuoteOption, fresh: QuoteOption | null): string {
  if (!fresh) return 'capacity moved: no plan fits before the due date any more';
  const changes: string[] = [];
  if (fresh.totals.totalMinor !== quoted.totals.totalMinor) changes.push(`the price is now ${fresh.totals.totalMinor} instead of ${quoted.totals.totalMinor} (${quoted.totals.currency} minor units)`);
  if (fresh.deliveryDate !== quoted.deliveryDate) changes.push(`the delivery date is now ${fresh.deliveryDate} instead of ${quoted.deliveryDate}`);
  const key = (o: QuoteOption) =>
    o.lots
      .map((l) => `${l.stepId}|${l.workshopId}|${l.quantity}|${l.days.map((d) => `${d.day}:${d.minutes}`).join(',')}`)
      .sort()
      .join(';');
  if (changes.length === 0 && key(fresh) !== key(quoted)) changes.push('the quoted workshops no longer have the quoted days free');
  return changes.length === 0 ? '' : `capacity moved: ${changes.join('; ')}`;
}

function issue(command: Extract<QuoteCommand, { type: 'IssueQuote' }>, state: QuoteState): QuoteEvent[] {
  if (state.status !== 'none') throw new DomainError('quote_exists', `quote ${command.quoteId} exists already`, 'conflict');
  if (command.options.length === 0) throw new DomainError('no_plan', 'a quote needs at least one option', 'rejected');
  if (command.validUntil.getTime() <= command.now.getTime()) throw new ValidationFailed('validUntil', 'must be after the time of the quote');
  if (command.hold) {
    const held = command.hold.option;
    if (!command.options.some((o) => o.kind === held)) throw new ValidationFailed('hold', `the quote has no ${held} option to hold`);
  }
  return [
    {
      type: 'QuoteIssued',
      data: {
        quoteId: command.quoteId,
        brandId: command.brandId,
        request: command.request,
        options: command.options,
        confidence: command.confidence,
        issuedAt: command.now.toISOString(),
        validUntil: command.validUntil.toISOString(),
        ...(command.hold ? { hold: { option: command.hold.option, until: command.hold.until.toISOString() } } : {}),
        ...(command.requotes ? { requotes: command.requotes } : {}),
      },
    },
  ];
}

function accept(command: Extract<QuoteCommand, { type: 'AcceptQuote' }>, state: Exclude<QuoteState, { status: 'none' }>): QuoteEvent[] {
  const { quote } = state;
  if (command.brandId !== quote.brandId) throw new NotFound('quote', quote.quoteId);
  // Accepted or re-quoted already: the same answer again (the service reads it from the state).
  if (state.status !== 'issued') return [];
  const option = quote.options.find((o) => o.kind === command.option);
  if (!option) throw new ValidationFailed('option', `the quote has no ${command.option} option (it has ${quote.options.map((o) => o.kind).join(', ')})`);
  const at = command.now.toISOString();
  const requote = (reason: string): QuoteEvent[] => [{ type: 'QuoteRequoted', data: { quoteId: quote.quoteId, brandId: quote.brandId, reason, requoteId: command.requoteId, at } }];
  if (command.now.getTime() > Date.parse(quote.validUntil)) return requote(`the quote was valid until ${quote.validUntil}`);
  const held = state.held?.option === command.option && command.now.getTime() <= Date.parse(state.held.until);
  if (!held) {
    if (command.fresh === undefined) throw new Error(`quote ${quote.quoteId}: the ${command.option} option is not held; it must be planned again to be accepted`);
    const moved = capacityMoved(option, command.fresh);
    if (moved) return requote(moved);
  }
  return [
    {
      type: 'QuoteAccepted',
      data: { quoteId: quote.quoteId, brandId: quote.brandId, orderId: command.orderId, option: option.kind, request: quote.request, lots: option.lots, totals: option.totals, acceptedAt: at },
    },
  ];
}

/**
 * A quote: issued with up to three options (optionally holding one option's capacity), then accepted
 * into an order while valid — held, or planned again to the same result — or re-quoted with the
 * reason. A hold ends by itself when its time is up (`ExpireHold`), or becomes the order's reservations
 * once the accepted quote's order is booked (`UseHold`).
 */
export const quoteDecider: Decider<QuoteState, QuoteCommand, QuoteEvent> = {
  initialState: () => ({ status: 'none' }),
  decide(command, state) {
    if (command.type === 'IssueQuote') return issue(command, state);
    if (state.status === 'none') throw new NotFound('quote', command.quoteId);
    if (command.type === 'AcceptQuote') return accept(command, state);
    if (command.type === 'UseHold') {
      if (state.status !== 'accepted' || !state.held || state.orderId !== command.orderId) return [];
      return [{ type: 'QuoteHoldUsed', data: { quoteId: state.quote.quoteId, orderId: command.orderId, at: command.now.toISOString() } }];
    }
    if (state.held && Date.parse(state.held.until) <= command.now.getTime()) {
      return [{ type: 'QuoteHoldExpired', data: { quoteId: state.quote.quoteId, at: command.now.toISOString() } }];
    }
    return [];
  },
  evolve(state, event) {
    switch (event.type) {
      case 'QuoteIssued':
        return { status: 'issued', quote: event.data, ...(event.data.hold ? { held: event.data.hold } : {}) };
      case 'QuoteAccepted':
        // The accepted option's hold stays until its lots are booked for the order (or it expires).
        return state.status === 'none' ? state : { ...state, status: 'accepted', held: state.held?.option === event.data.option ? state.held : undefined, orderId: event.data.orderId, acceptedOption: event.data.option };
      case 'QuoteRequoted':
        return state.status === 'none' ? state : { ...state, status: 'requoted', held: undefined, requoteId: event.data.requoteId, reason: event.data.reason };
      case 'QuoteHoldExpired':
      case 'QuoteHoldUsed':
        return state.status === 'none' ? state : { ...state, held: undefined };
    }
  },
};
