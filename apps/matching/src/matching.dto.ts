import { IsDateString, IsInt, IsOptional, IsString, Length, Min } from 'class-validator';

export class DeclineOfferDto {
  @IsString() @Length(1, 500) reason!: string;
}

export class CounterOfferDto {
  /** Fewer units than offered. */
  @IsOptional() @IsInt() @Min(1) quantity?: number;
  /** A later end than offered (ISO 8601; the lot is done before this instant). */
  @IsOptional() @IsDateString() plannedEnd?: string;
}

export class ReportProgressDto {
  @IsInt() @Min(0) doneQuantity!: number;
}

export class CompleteSubtaskDto {
  @IsInt() @Min(0) goodQuantity!: number;
  @IsInt() @Min(0) scrapQuantity!: number;
}

/** An amount in integer minor units (fen for CNY). */
export class PriceDto {
  amountMinor!: number;
  /** ISO 4217 code. */
  currency!: string;
}

/** The last progress a workshop reported on a subtask. */
export class SubtaskProgressDto {
  doneQuantity!: number;
  reportedAt!: string;
  /** Why the lot is at risk of missing its planned end, or null. */
  atRisk!: string | null;
}

/** A lot of an order's step at one workshop: an offer until accepted, then work in progress. */
export class SubtaskViewDto {
  /** Also the offer's id (POST /matching/offers/{id}/accept). */
  subtaskId!: string;
  orderId!: string;
  stepId!: string;
  process!: string;
  workshopId!: string;
  quantity!: number;
  /** What the workshop is paid for the lot. */
  price!: PriceDto;
  /** offered, accepted, declined, expired, countered, in_progress, completed, passed, failed, cancelled... */
  status!: string;
  statusReason!: string | null;
  /** When an unanswered offer expires (ISO 8601). */
  expiresAt!: string;
  plannedStart!: string;
  plannedEnd!: string;
  /** How many times the lot was delivered (rework counts again). */
  completions!: number;
  goodQuantity!: number | null;
  scrapQuantity!: number | null;
  progress!: SubtaskProgressDto | null;
  /** The subtask this one replaces (re-planned after a decline, expiry or a short delivery). */
  replaces!: string | null;
  /** Settlement holds the lot's price in escrow: work may start. */
  funded!: boolean;
  /** Why the planner chose this workshop (a workshop sees only its own candidacy). */
  explanation!: Record<string, unknown> | null;
}

/** The planner's answer to a counter-offer: `taken` (a new accepted subtask on the workshop's terms) or `refused` (the offer stands). */
export class CounterOutcomeDto {
  outcome!: 'taken' | 'refused';
  /** Why the planner refused. */
  reason?: string;
  /** The offer as it stands (refused). */
  offer?: SubtaskViewDto;
  /** The new accepted subtask (taken). */
  subtask?: SubtaskViewDto;
}

/** A page of offers, soonest expiry first. */
export class OfferPageDto {
  items!: SubtaskViewDto[];
  /** More offers follow: ask again with `cursor=nextCursor`. */
  hasMore!: boolean;
  /** The cursor of the next page; null on the last one. */
  nextCursor!: string | null;
}
