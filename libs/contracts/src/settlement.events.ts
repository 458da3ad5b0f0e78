import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Min, ValidateNested } from 'class-validator';
import { MoneyDto } from './common.dto.js';
import { IntegrationEvent } from './contract-registry.js';

export class EscrowFundedContract {
  @IsString() orderId!: string;
  @IsString() subtaskId!: string;
  @IsString() brandId!: string;
  @ValidateNested() @Type(() => MoneyDto) amount!: MoneyDto;
  /** The brand's funds then included instant money (card, wallet) on hold until this time (issue 16, optional hold). */
  @IsOptional() @IsString() fundsHeldUntil?: string;
}
IntegrationEvent('settlement', 'EscrowFunded')(EscrowFundedContract);

/** The brand's available funds do not cover a lot; the order waits as awaiting_funds. */
export class FundsShortContract {
  @IsString() orderId!: string;
  @IsString() subtaskId!: string;
  @IsString() brandId!: string;
  @ValidateNested() @Type(() => MoneyDto) required!: MoneyDto;
  @ValidateNested() @Type(() => MoneyDto) available!: MoneyDto;
}
IntegrationEvent('settlement', 'FundsShort')(FundsShortContract);

export class PaymentReleasedContract {
  @IsString() orderId!: string;
  @IsString() subtaskId!: string;
  @IsString() workshopId!: string;
  @ValidateNested() @Type(() => MoneyDto) gross!: MoneyDto;
  @ValidateNested() @Type(() => MoneyDto) platformFee!: MoneyDto;
  @ValidateNested() @Type(() => MoneyDto) penalty!: MoneyDto;
  @ValidateNested() @Type(() => MoneyDto) net!: MoneyDto;
  /** Whole days the delivery was late (each started day counts; added with issue 16's one write path). */
  @IsOptional() @IsInt() @Min(0) daysLate?: number;
  @IsOptional() @IsString() releasedAt?: string;
  /** Funded by instant money still on hold: the workshop can pay the net out from this time on (Stripe's `available_on`). */
  @IsOptional() @IsString() availableOn?: string;
}
IntegrationEvent('settlement', 'PaymentReleased')(PaymentReleasedContract);

export class OrderSettledContract {
  @IsString() orderId!: string;
  @IsString() brandId!: string;
  @ValidateNested() @Type(() => MoneyDto) paidToWorkshops!: MoneyDto;
  @ValidateNested() @Type(() => MoneyDto) refundedToBrand!: MoneyDto;
  @IsOptional() @IsString() statementId?: string;
}
IntegrationEvent('settlement', 'OrderSettled')(OrderSettledContract);

/** A brand's bank transfer was recorded: its available funds grew (pending lots are funded next, oldest first). */
export class FundsDepositedContract {
  @IsString() brandId!: string;
  @IsString() depositId!: string;
  @ValidateNested() @Type(() => MoneyDto) amount!: MoneyDto;
  @ValidateNested() @Type(() => MoneyDto) available!: MoneyDto;
}
IntegrationEvent('settlement', 'FundsDeposited')(FundsDepositedContract);

/** A lot's escrowed price went back to the brand's funds: the lot was re-planned elsewhere, cancelled, or its order closed before it passed. */
export class EscrowRefundedContract {
  @IsString() orderId!: string;
  @IsString() subtaskId!: string;
  @IsString() brandId!: string;
  @ValidateNested() @Type(() => MoneyDto) amount!: MoneyDto;
  @IsString() reason!: string;
}
IntegrationEvent('settlement', 'EscrowRefunded')(EscrowRefundedContract);
