import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, Min, ValidateNested } from 'class-validator';
import { CURRENCIES, type Currency } from '#libs/contracts';
import { CursorPageQueryDto } from '#libs/platform';

/** A positive amount in integer minor units (fen for CNY). */
export class PositiveMoneyDto {
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  amountMinor!: number;

  @IsIn(CURRENCIES)
  currency!: Currency;
}

export class PayoutRequestDto {
  /** Omit to pay out the whole available balance of `currency` (default: the service currency). */
  @IsOptional()
  @ValidateNested()
  @Type(() => PositiveMoneyDto)
  amount?: PositiveMoneyDto;

  @IsOptional()
  @IsIn(CURRENCIES)
  currency?: Currency;
}

/** An operator reconciles a payout with the bank transaction that paid it. */
export class MarkPayoutPaidDto {
  /** The bank's own id of the outgoing transaction (as on the bank statement); it confirms one payout, once. */
  @IsString()
  @Length(1, 200)
  bankTransactionId!: string;

  /** Free text from the bank (e.g. the remittance reference), kept with the payout. */
  @IsOptional()
  @IsString()
  @Length(1, 200)
  bankReference?: string;
}

export class TransfersQueryDto extends CursorPageQueryDto {
  @IsOptional()
  @IsString()
  @Length(1, 300)
  account?: string;
}

export class PayoutsQueryDto extends CursorPageQueryDto {
  @IsOptional()
  @IsString()
  @Length(1, 100)
  workshopId?: string;
}
