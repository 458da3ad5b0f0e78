/** An amount in integer minor units (fen for CNY). */
export class AmountDto {
  amountMinor!: number;
  /** ISO 4217 code. */
  currency!: string;
}

/** A brand's announced payment: quote `reference` when paying; funds are credited when the payment is confirmed. */
export class FundingIntentDto {
  intentId!: string;
  brandId!: string;
  /** The reference the payer quotes (payment provider or bank transfer). */
  reference!: string;
  amount!: AmountDto;
  received!: AmountDto;
  outstanding!: AmountDto;
  overpaid!: AmountDto;
  /** open, partially_paid, funded, overpaid, expired... */
  status!: string;
  createdAt!: string;
  expiresAt!: string;
  fundedAt!: string | null;
  /** How to pay, in words. */
  instructions!: string;
}

/** A brand's funding intents, newest first. */
export class FundingIntentPageDto {
  /** Newest first. */
  items!: FundingIntentDto[];
  /** More intents follow: ask again with `cursor=nextCursor`. */
  hasMore!: boolean;
  /** The cursor of the next page; null on the last one. */
  nextCursor!: string | null;
}
