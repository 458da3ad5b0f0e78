import type { QuoteConfidence, QuoteOption, QuoteOptionKind, QuoteRequest } from './quote.events.js';

export type QuoteCommand =
  | {
      type: 'IssueQuote';
      quoteId: string;
      brandId: string;
      request: QuoteRequest;
      options: QuoteOption[];
      confidence: QuoteConfidence;
      now: Date;
      validUntil: Date;
      hold?: { option: QuoteOptionKind; until: Date };
      requotes?: string;
    }
  | {
      /**
       * `fresh`: the same option planned again now, against today's capacity (null: no plan fits any
       * more; absent: not planned again because the option's capacity is held). `requoteId`: the id the
       * re-quote gets if the quote cannot be accepted as it stands.
       */
      type: 'AcceptQuote';
      quoteId: string;
      brandId: string;
      option: QuoteOptionKind;
      orderId: string;
      requoteId: string;
      now: Date;
      fresh?: QuoteOption | null;
    }
  | { type: 'ExpireHold'; quoteId: string; now: Date }
  | { type: 'UseHold'; quoteId: string; orderId: string; now: Date };
