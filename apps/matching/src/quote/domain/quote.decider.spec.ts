import { DomainError, NotFound, ValidationFailed } from '#libs/domain';
import { DeciderSpecification } from '#libs/testing';
import type { QuoteCommand } from './quote.commands.js';
import { capacityMoved, quoteDecider } from './quote.decider.js';
import type { QuoteEvent, QuoteOption, QuoteRequest } from './quote.events.js';

const request: QuoteRequest = {
  sku: 'TEE-1',
  productName: 'Tee',
  quantity: 100,
  unit: 'pcs',
  dueDate: '2030-02-01T00:00:00.000Z',
  delivery: { lat: 30, lng: 120 },
  route: [{ stepId: 'sew', process: 'sewing', parameters: {}, workContentHoursPerUnit: 0.1, inspection: { level: 'II', aql: 1 }, dependsOn: [] }],
  splitPolicy: {},
};
const option = (kind: QuoteOption['kind'], over: Partial<QuoteOption> = {}): QuoteOption => ({
  kind,
  lots: [
    {
      stepId: 'sew',
      process: 'sewing',
      workshopId: 'ws-1',
      quantity: 100,
      days: [
        { day: '2030-01-10', minutes: 480 },
        { day: '2030-01-11', minutes: 120 },
      ],
      start: '2030-01-10',
      finish: '2030-01-11',
      priceMinor: 10_000,
      currency: 'CNY',
    },
  ],
  totals: { workshopsMinor: 9_500, platformFeeMinor: 500, totalMinor: 10_000, currency: 'CNY' },
  earliestStart: '2030-01-10',
  finish: '2030-01-11',
  deliveryDate: '2030-01-12',
  ...over,
});
const cheapest = option('cheapest');
const fastest = option('fastest', { totals: { workshopsMinor: 11_400, platformFeeMinor: 600, totalMinor: 12_000, currency: 'CNY' }, finish: '2030-01-10', deliveryDate: '2030-01-11' });
const now = new Date('2030-01-05T08:00:00Z');
const validUntil = new Date('2030-01-05T09:00:00Z');
const holdUntil = new Date('2030-01-05T08:30:00Z');
const confidence = { level: 'high' as const, slack: 0.8 };
const issue: QuoteCommand = { type: 'IssueQuote', quoteId: 'q-1', brandId: 'b-1', request, options: [cheapest, fastest], confidence, now, validUntil };
const issued: QuoteEvent = {
  type: 'QuoteIssued',
  data: { quoteId: 'q-1', brandId: 'b-1', request, options: [cheapest, fastest], confidence, issuedAt: now.toISOString(), validUntil: validUntil.toISOString() },
};
const issuedHeld: QuoteEvent = { type: 'QuoteIssued', data: { ...issued.data, hold: { option: 'cheapest', until: holdUntil.toISOString() } } };
const later = (minutes: number) => new Date(now.getTime() + minutes * 60_000);
const accept = (over: Partial<Extract<QuoteCommand, { type: 'AcceptQuote' }>> = {}): QuoteCommand => ({
  type: 'AcceptQuote',
  quoteId: 'q-1',
  brandId: 'b-1',
  option: 'cheapest',
  orderId: 'o-1',
  requoteId: 'q-2',
  now: later(10),
  ...over,
});
const accepted: QuoteEvent = {
  type: 'QuoteAccepted',
  data: { quoteId: 'q-1', brandId: 'b-1', orderId: 'o-1', option: 'cheapest', request, lots: cheapest.lots, totals: cheapest.totals, acceptedAt: later(10).toISOString() },
};

const spec = DeciderSpecification.for(quoteDecider);

describe('quote decider', () => {
  it('issues a quote with its options and validity, once', () => {
    spec.given([]).when(issue).then([issued]);
    spec.given([issued]).when(issue).thenThrows(DomainError);
  });

  it('holds only an option the quote has, and needs one option at least and a validity after now', () => {
    spec
      .given([])
      .when({ ...issue, hold: { option: 'cheapest', until: holdUntil } })
      .then([issuedHeld]);
    spec
      .given([])
      .when({ ...issue, hold: { option: 'balanced', until: holdUntil } })
      .thenThrows(ValidationFailed);
    spec
      .given([])
      .when({ ...issue, options: [] })
      .thenThrows(DomainError);
    spec
      .given([])
      .when({ ...issue, validUntil: now })
      .thenThrows(ValidationFailed);
  });

  it('accepts a held option while the hold lasts, without planning it again', () => {
    spec.given([issuedHeld]).when(accept()).then([accepted]);
  });

  it('accepts an option that is not held when planning it again gives the same plan and price', () => {
    spec
      .given([issued])
      .when(accept({ fresh: cheapest }))
      .then([accepted]);
  });

  it('re-quotes with the reason when capacity moved: another price, date or workshop, or no plan at all', () => {
    const dearer = option('cheapest', { totals: { ...cheapest.totals, totalMinor: 10_400 } });
    spec
      .given([issued])
      .when(accept({ fresh: dearer }))
      .then([{ type: 'QuoteRequoted', data: { quoteId: 'q-1', brandId: 'b-1', reason: 'capacity moved: the price is now 10400 instead of 10000 (CNY minor units)', requoteId: 'q-2', at: later(10).toISOString() } }]);
    spec
      .given([issued])
      .when(accept({ fresh: null }))
      .then([{ type: 'QuoteRequoted', data: { quoteId: 'q-1', brandId: 'b-1', reason: 'capacity moved: no plan fits before the due date any more', requoteId: 'q-2', at: later(10).toISOString() } }]);
  });

  it('re-quotes a quote past its validity, held or not', () => {
    spec
      .given([issuedHeld])
      .when(accept({ now: later(61), fresh: cheapest }))
      .then([{ type: 'QuoteRequoted', data: { quoteId: 'q-1', brandId: 'b-1', reason: `the quote was valid until ${validUntil.toISOString()}`, requoteId: 'q-2', at: later(61).toISOString() } }]);
  });

  it('plans again once the hold expired (the held option is no longer taken on trust)', () => {
    spec
      .given([issuedHeld, { type: 'QuoteHoldExpired', data: { quoteId: 'q-1', at: later(30).toISOString() } }])
      .when(accept())
      .thenThrows(Error);
    spec
      .given([issuedHeld])
      .when(accept({ now: later(31) }))
      .thenThrows(Error);
  });

  it('answers a repeated accept with nothing new (the order of the first), and hides the quote from another brand', () => {
    spec.given([issued, accepted]).when(accept({ orderId: 'o-other' })).then([]);
    spec
      .given([issued])
      .when(accept({ brandId: 'b-2', fresh: cheapest }))
      .thenThrows(NotFound);
    spec.given([]).when(accept()).thenThrows(NotFound);
  });

  it('refuses an option the quote does not have', () => {
    spec
      .given([issued])
      .when(accept({ option: 'balanced', fresh: cheapest }))
      .thenThrows(ValidationFailed);
  });

  it('ends a hold by itself once its time is up, and only then', () => {
    spec
      .given([issuedHeld])
      .when({ type: 'ExpireHold', quoteId: 'q-1', now: later(29) })
      .then([]);
    spec
      .given([issuedHeld])
      .when({ type: 'ExpireHold', quoteId: 'q-1', now: later(30) })
      .then([{ type: 'QuoteHoldExpired', data: { quoteId: 'q-1', at: later(30).toISOString() } }]);
    spec.given([issuedHeld, { type: 'QuoteHoldExpired', data: { quoteId: 'q-1', at: later(30).toISOString() } }]).when({ type: 'ExpireHold', quoteId: 'q-1', now: later(40) }).then([]);
  });

  it('keeps the accepted option’s hold for the order until its lots are booked, then ends it once', () => {
    const used: QuoteEvent = { type: 'QuoteHoldUsed', data: { quoteId: 'q-1', orderId: 'o-1', at: later(11).toISOString() } };
    spec.given([issuedHeld, accepted]).when({ type: 'UseHold', quoteId: 'q-1', orderId: 'o-1', now: later(11) }).then([used]);
    spec.given([issuedHeld, accepted, used]).when({ type: 'UseHold', quoteId: 'q-1', orderId: 'o-1', now: later(12) }).then([]);
    spec.given([issuedHeld, accepted]).when({ type: 'UseHold', quoteId: 'q-1', orderId: 'o-other', now: later(11) }).then([]);
    // Not used in time (the order never came): it expires like any hold.
    spec
      .given([issuedHeld, accepted])
      .when({ type: 'ExpireHold', quoteId: 'q-1', now: later(30) })
      .then([{ type: 'QuoteHoldExpired', data: { quoteId: 'q-1', at: later(30).toISOString() } }]);
    // Accepting another option than the held one lets the hold go.
    const acceptedFastest: QuoteEvent = { type: 'QuoteAccepted', data: { ...accepted.data, option: 'fastest', lots: fastest.lots, totals: fastest.totals } };
    spec.given([issuedHeld]).when(accept({ option: 'fastest', fresh: fastest })).then([acceptedFastest]);
    spec.given([issuedHeld, acceptedFastest]).when({ type: 'UseHold', quoteId: 'q-1', orderId: 'o-1', now: later(11) }).then([]);
  });

  it('says in words what moved, and nothing when nothing did', () => {
    expect(capacityMoved(cheapest, cheapest)).toBe('');
    expect(capacityMoved(cheapest, { ...cheapest, deliveryDate: '2030-01-14' })).toBe('capacity moved: the delivery date is now 2030-01-14 instead of 2030-01-12');
    const elsewhere = { ...cheapest, lots: [{ ...cheapest.lots[0], workshopId: 'ws-2' }] };
    expect(capacityMoved(cheapest, elsewhere)).toBe('capacity moved: the quoted workshops no longer have the quoted days free');
  });
});
