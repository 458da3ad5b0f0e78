import type { PaymentProviders } from './payment-provider.js';

/** Money-in settings the funding flow is given (built from SettlementConfig at start-up). */
export const FUNDING_SETTINGS = Symbol('FUNDING_SETTINGS');

export interface FundingSettings {
  intentTtlMs: number;
  providers: PaymentProviders;
  clock: () => Date;
  /** Days the funds of an instant payment (card, wallet) are held (MESHFAB_SETTLEMENT_INSTANT_FUNDS_HOLD_DAYS; 0: off). */
  instantFundsHoldDays: number;
}
