import { Type } from 'class-transformer';
import { IsOptional, IsString, ValidateNested } from 'class-validator';
import { MoneyDto } from './common.dto.js';
import { IntegrationEvent } from './contract-registry.js';

export class EscrowFundedContract {
  @IsString() orderId!: string;
  @IsString() subtaskId!: string;
  @IsString() brandId!: string;
  @ValidateNested() @Type(() => MoneyDto) amount!: MoneyDto;
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
