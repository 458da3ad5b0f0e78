import type { EntityManager } from 'typeorm';
import { ident, type Projection, type StoredEvent } from '#libs/eventsourcing';
import type { QuoteEvent } from './domain/quote.events.js';

/** The `quotes` read model: one row per quote with its status, validity and hold, kept inline with every append. */
export class QuoteSummaryProjection implements Projection {
  readonly name = 'quote-summary';
  readonly handles = ['QuoteIssued', 'QuoteAccepted', 'QuoteRequoted', 'QuoteHoldExpired', 'QuoteHoldUsed'];
  private readonly s: string;

  constructor(schema: string) {
    this.s = ident(schema);
  }

  async apply(stored: StoredEvent, m: EntityManager): Promise<void> {
    const event = { type: stored.type, data: stored.data } as QuoteEvent;
    switch (event.type) {
      case 'QuoteIssued': {
        const d = event.data;
        await m.query(
          `INSERT INTO ${this.s}.quotes (quote_id, brand_id, status, issued_at, valid_until, hold_option, hold_until, quote)
           VALUES ($1, $2, 'issued', $3, $4, $5, $6, $7) ON CONFLICT (quote_id) DO NOTHING`,
          [d.quoteId, d.brandId, d.issuedAt, d.validUntil, d.hold?.option ?? null, d.hold?.until ?? null, JSON.stringify(d)],
        );
        return;
      }
      case 'QuoteAccepted':
        await m.query(
          `UPDATE ${this.s}.quotes SET status = 'accepted', order_id = $2,
             hold_until = CASE WHEN hold_option = $3 THEN hold_until END, hold_option = CASE WHEN hold_option = $3 THEN hold_option END
           WHERE quote_id = $1`,
          [event.data.quoteId, event.data.orderId, event.data.option],
        );
        return;
      case 'QuoteRequoted':
        await m.query(`UPDATE ${this.s}.quotes SET status = 'requoted', requote_id = $2, reason = $3, hold_until = NULL, hold_option = NULL WHERE quote_id = $1`, [
          event.data.quoteId,
          event.data.requoteId,
          event.data.reason,
        ]);
        return;
      case 'QuoteHoldExpired':
      case 'QuoteHoldUsed':
        await m.query(`UPDATE ${this.s}.quotes SET hold_until = NULL, hold_option = NULL WHERE quote_id = $1`, [event.data.quoteId]);
        return;
    }
  }

  async reset(m: EntityManager): Promise<void> {
    await m.query(`DELETE FROM ${this.s}.quotes`);
  }
}
