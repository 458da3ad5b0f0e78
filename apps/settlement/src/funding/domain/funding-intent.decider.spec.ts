import { DeciderSpecification } from '#libs/testing';
import { FundingIntentExists, fundingIntentDecider, fundingIntentStatus, PaymentCurrencyMismatch, type FundingIntentEvent } from './funding-intent.decider.js';
import { fold } from '#libs/domain';

const spec = DeciderSpecification.for(fundingIntentDecider);
const now = new Date('2026-05-01T00:00:00.000Z');
const later = new Date('2026-05-02T00:00:00.000Z');
const afterExpiry = new Date('2026-05-05T00:00:00.000Z');
const cny = (amountMinor: number) => ({ amountMinor, currency: 'CNY' });
const created: FundingIntentEvent = {
  type: 'FundingIntentCreated',
  data: { intentId: 'fi-1', brandId: 'b-1', reference: 'MF-AAAA-BBBB-CCCC', amount: cny(100_000), createdAt: now.toISOString(), expiresAt: '2026-05-04T00:00:00.000Z' },
};
const pay = (transactionId: string, amountMinor: number, at = later) => ({ type: 'ApplyPayment' as const, source: 'provider:sandbox', transactionId, amount: cny(amountMinor), now: at });
const applied = (transactionId: string, amountMinor: number, appliedMinor: number, excessMinor: number, receivedMinor: number, late = false, at = later): FundingIntentEvent => ({
  type: 'FundingIntentPaymentApplied',
  data: { intentId: 'fi-1', brandId: 'b-1', source: 'provider:sandbox', transactionId, amount: cny(amountMinor), appliedMinor, excessMinor, receivedMinor, late, receivedAt: at.toISOString() },
});
const funded = (receivedMinor: number, overpaidMinor: number, at = later): FundingIntentEvent => ({
  type: 'FundingIntentFunded',
  data: { intentId: 'fi-1', brandId: 'b-1', receivedMinor, overpaidMinor, fundedAt: at.toISOString() },
});

describe('funding intent', () => {
  it('is created pending with its expiry', () => {
    spec.given([]).when({ type: 'CreateFundingIntent', intentId: 'fi-1', brandId: 'b-1', reference: 'MF-AAAA-BBBB-CCCC', amount: cny(100_000), now, ttlMs: 72 * 3_600_000 }).then([created]);
    expect(fundingIntentStatus(fold(fundingIntentDecider, [created]), later)).toBe('pending');
  });

  it('is created once', () => {
    spec.given([created]).when({ type: 'CreateFundingIntent', intentId: 'fi-1', brandId: 'b-1', reference: 'x', amount: cny(1), now, ttlMs: 1 }).thenThrows(FundingIntentExists);
  });

  it('a partial payment credits what arrived and leaves the intent partially funded', () => {
    spec.given([created]).when(pay('t1', 40_000)).then([applied('t1', 40_000, 40_000, 0, 40_000)]);
    expect(fundingIntentStatus(fold(fundingIntentDecider, [created, applied('t1', 40_000, 40_000, 0, 40_000)]), later)).toBe('partially_funded');
  });

  it('the payment that reaches the amount funds it; an excess is credited and flagged', () => {
    spec.given([created, applied('t1', 40_000, 40_000, 0, 40_000)]).when(pay('t2', 75_000)).then([applied('t2', 75_000, 60_000, 15_000, 115_000), funded(115_000, 15_000)]);
  });

  it('a payment to a funded intent is all excess, and funds it no second time', () => {
    spec.given([created, applied('t1', 100_000, 100_000, 0, 100_000), funded(100_000, 0)]).when(pay('t3', 500)).then([applied('t3', 500, 0, 500, 100_500)]);
  });

  it('a payment after the expiry is still credited (the money is the brand\'s), flagged late', () => {
    spec.given([created]).when(pay('t1', 100_000, afterExpiry)).then([applied('t1', 100_000, 100_000, 0, 100_000, true, afterExpiry), funded(100_000, 0, afterExpiry)]);
    expect(fundingIntentStatus(fold(fundingIntentDecider, [created]), afterExpiry)).toBe('expired');
  });

  it('refuses a payment in another currency (recorded as unmatched by the caller)', () => {
    spec.given([created]).when({ ...pay('t1', 100), amount: { amountMinor: 100, currency: 'USD' } }).thenThrows(PaymentCurrencyMismatch);
  });

  it('refuses fractional or non-positive amounts', () => {
    spec.given([created]).when(pay('t1', 10.5)).thenThrows((e) => (e as { code?: string }).code === 'invalid_payment_amount');
    spec.given([created]).when(pay('t1', 0)).thenThrows((e) => (e as { code?: string }).code === 'invalid_payment_amount');
  });
});
