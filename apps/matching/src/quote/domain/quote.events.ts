import type { DomainEvent } from '#libs/domain';

export const QUOTE_OPTION_KINDS = ['cheapest', 'fastest', 'balanced'] as const;
export type QuoteOptionKind = (typeof QUOTE_OPTION_KINDS)[number];

/** One lot of a quoted plan: a step's units at one workshop, with the days and minutes it would book. */
export interface QuotedLot {
  stepId: string;
  process: string;
  workshopId: string;
  quantity: number;
  /** ISO dates (YYYY-MM-DD) and minutes booked on each. */
  days: { day: string; minutes: number }[];
  /** First and last working day (ISO dates). */
  start: string;
  finish: string;
  priceMinor: number;
  currency: string;
}

/** Money of an option in integer minor units: the brand pays `totalMinor`; the platform keeps its fee of it. */
export interface QuoteTotals {
  /** What the workshops receive: total − platform fee. */
  workshopsMinor: number;
  platformFeeMinor: number;
  totalMinor: number;
  currency: string;
}

export interface QuoteOption {
  kind: QuoteOptionKind;
  lots: QuotedLot[];
  totals: QuoteTotals;
  /** ISO dates: first working day, last working day, and the delivery date (the day after the last). */
  earliestStart: string;
  finish: string;
  deliveryDate: string;
}

/** How sure the quote is to hold: from the capacity slack of the workshops it would book. */
export interface QuoteConfidence {
  level: 'high' | 'medium' | 'low';
  /** 0..1: the smallest share, over the quote's steps, of the candidates' free time the step leaves free. */
  slack: number;
}

/** The order body a quote is for (the body of `POST /orders`), without the brand. */
export interface QuoteRequest {
  sku: string;
  productName: string;
  designFiles?: string[];
  quantity: number;
  unit: string;
  dueDate: string;
  delivery: { lat: number; lng: number; region?: string; city?: string };
  route: {
    stepId: string;
    process: string;
    parameters: Record<string, unknown>;
    workContentHoursPerUnit: number;
    inspection: { level: 'I' | 'II' | 'III' | 'S-1' | 'S-2' | 'S-3' | 'S-4'; aql: number; criticalAql?: number; minorAql?: number };
    dependsOn: string[];
    handoff?: 'per_step' | 'per_lot';
  }[];
  splitPolicy: { maxWorkshopsPerStep?: number; minLotSize?: number };
  budget?: { amountMinor: number; currency: 'CNY' | 'USD' | 'EUR' };
}

export type QuoteIssued = DomainEvent<
  'QuoteIssued',
  {
    quoteId: string;
    brandId: string;
    request: QuoteRequest;
    options: QuoteOption[];
    confidence: QuoteConfidence;
    issuedAt: string;
    validUntil: string;
    /** Set when the quote holds one option's capacity: which option, until when. */
    hold?: { option: QuoteOptionKind; until: string };
    /** The quote this one replaces (a re-quote after capacity moved). */
    requotes?: string;
  }
>;
export type QuoteAccepted = DomainEvent<
  'QuoteAccepted',
  { quoteId: string; brandId: string; orderId: string; option: QuoteOptionKind; request: QuoteRequest; lots: QuotedLot[]; totals: QuoteTotals; acceptedAt: string }
>;
export type QuoteRequoted = DomainEvent<'QuoteRequoted', { quoteId: string; brandId: string; reason: string; requoteId: string; at: string }>;
export type QuoteHoldExpired = DomainEvent<'QuoteHoldExpired', { quoteId: string; at: string }>;
/** The held capacity became the order's reservations (matching booked the quoted lots for it). */
export type QuoteHoldUsed = DomainEvent<'QuoteHoldUsed', { quoteId: string; orderId: string; at: string }>;

export type QuoteEvent = QuoteIssued | QuoteAccepted | QuoteRequoted | QuoteHoldExpired | QuoteHoldUsed;
