import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { SubmitOrderDto } from '#libs/contracts';
import { QUOTE_OPTION_KINDS, type QuoteOptionKind } from './domain/quote.events.js';

/** `POST /quotes`: the body of `POST /orders`, and optionally which option's capacity to hold. */
export class RequestQuoteDto extends SubmitOrderDto {
  /** Hold this option's capacity for MESHFAB_MATCHING_QUOTE_HOLD_MINUTES (it counts against capacity like a reservation). */
  @IsOptional() @IsIn(QUOTE_OPTION_KINDS) hold?: QuoteOptionKind;
}

export class AcceptQuoteDto {
  /** The option to order (default: the held one, else `cheapest`). */
  @IsOptional() @IsIn(QUOTE_OPTION_KINDS) option?: QuoteOptionKind;
}

export class ListQuotesQuery {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) limit?: number;
  /** Operators only: one brand's quotes. */
  @IsOptional() @IsString() @Length(1, 128) brandId?: string;
}

export class QuotedDayDto {
  /** ISO date (YYYY-MM-DD). */
  day!: string;
  minutes!: number;
}

/** One lot of a quoted plan: units of a step at one workshop, its days and price. */
export class QuotedLotViewDto {
  stepId!: string;
  process!: string;
  workshopId!: string;
  quantity!: number;
  days!: QuotedDayDto[];
  /** Earliest start and finish (ISO dates, working days). */
  start!: string;
  finish!: string;
  /** The workshop's price for the lot (integer minor units). */
  priceMinor!: number;
  currency!: string;
}

/** An option's money in integer minor units: the brand pays `totalMinor`, of which the platform keeps `platformFeeMinor`. */
export class QuoteTotalsViewDto {
  workshopsMinor!: number;
  platformFeeMinor!: number;
  totalMinor!: number;
  currency!: string;
}

export class QuoteOptionDto {
  /** cheapest, fastest or balanced. */
  kind!: string;
  lots!: QuotedLotViewDto[];
  totals!: QuoteTotalsViewDto;
  /** ISO dates: first working day, last working day, delivery date. */
  earliestStart!: string;
  finish!: string;
  deliveryDate!: string;
}

export class QuoteConfidenceDto {
  /** high (slack ≥ 0.5), medium (≥ 0.2) or low. */
  level!: string;
  /** Smallest share, over the route's processes, of the candidates' free time the plan leaves free. */
  slack!: number;
}

export class QuoteHoldDto {
  option!: string;
  until!: string;
}

export class QuoteViewDto {
  quoteId!: string;
  brandId!: string;
  /** issued, accepted or requoted. */
  status!: string;
  issuedAt!: string;
  validUntil!: string;
  /** Up to three: cheapest, fastest, balanced (an option no different from one before is left out). */
  options!: QuoteOptionDto[];
  confidence!: QuoteConfidenceDto;
  hold!: QuoteHoldDto | null;
  /** The order an accepted quote became. */
  orderId!: string | null;
  /** The quote that replaced a re-quoted one, and why. */
  requoteId!: string | null;
  reason!: string | null;
  /** The quote this one re-quotes. */
  requotes!: string | null;
}

/** `accepted`: the order is being placed under `orderId`. `requoted`: capacity moved; `reason` and the new `quote` (null if nothing fits now). */
export class AcceptQuoteOutcomeDto {
  outcome!: string;
  quoteId!: string;
  orderId?: string;
  reason?: string;
  quote?: QuoteViewDto | null;
}
