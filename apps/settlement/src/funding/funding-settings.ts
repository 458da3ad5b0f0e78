import type { PaymentProviders } from './payment-provider.js';

/** Money-in settings the funding flow is given (built from SettlementConfig at start-up). */
export const FUNDING_SETTINGS = Symbol('FUNDING_SETTINGS');

export interface FundingSettings {
  intentTtlMs: number;
  providers: PaymentProviders;
  clock: () => Date;
}
