import { Type } from 'class-transformer';
import { IsDefined, IsIn, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import { PAYMENT_METHODS, type PaymentMethod } from '../funding/payment-provider.js';
import { PositiveMoneyDto } from '../settlement/settlement.dto.js';

export class SandboxPaymentDto {
  /** The funding intent's reference, as the payer would quote it. */
  @IsString()
  @Length(1, 200)
  reference!: string;

  @IsDefined()
  @ValidateNested()
  @Type(() => PositiveMoneyDto)
  amount!: PositiveMoneyDto;

  /** The provider's transaction id (generated when omitted); paying the same id twice is one payment. */
  @IsOptional()
  @IsString()
  @Length(1, 200)
  transactionId?: string;

  /**
   * How the payer pays (default `card`). Card and wallet payments are instant: with
   * MESHFAB_SETTLEMENT_INSTANT_FUNDS_HOLD_DAYS > 0, what they pay for can be paid out only once their hold ends.
   */
  @IsOptional()
  @IsIn(PAYMENT_METHODS)
  method?: PaymentMethod;
}

/** An amount in integer minor units. */
export class SandboxAmountDto {
  amountMinor!: number;
  currency!: string;
}

/** A payment taken by the sandbox provider; its signed webhook tells the network. */
export class SandboxPaymentViewDto {
  transactionId!: string;
  reference!: string;
  amount!: SandboxAmountDto;
  method!: 'card' | 'wallet' | 'bank_transfer';
  webhookId!: string;
  /** scheduled → delivered (the network answered 2xx) | failed (gave up after maxAttempts). */
  status!: 'scheduled' | 'delivered' | 'failed';
  attempts!: number;
  deliveries!: number;
  lastResponse!: number | null;
}
