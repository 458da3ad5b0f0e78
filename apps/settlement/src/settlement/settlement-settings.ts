import type { PaymentPolicy } from './domain/payment-policy.js';

export const SETTLEMENT_SETTINGS = Symbol('SETTLEMENT_SETTINGS');

export interface SettlementSettings {
  policy: PaymentPolicy;
  currency: string;
  clock: () => Date;
  /** Days the funds of an instant payment method are held before what they paid for can be paid out (0: off). */
  instantFundsHoldDays: number;
}
