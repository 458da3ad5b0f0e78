import type { PaymentPolicy } from './domain/payment-policy.js';

export const SETTLEMENT_SETTINGS = Symbol('SETTLEMENT_SETTINGS');

export interface SettlementSettings {
  policy: PaymentPolicy;
  currency: string;
  clock: () => Date;
}
