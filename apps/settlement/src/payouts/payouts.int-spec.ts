/* eslint-disable @typescript-eslint/no-unsafe-return -- response bodies are untyped JSON read by assertions */
// Money out (issue 16) through the real settlement module, the sandbox payment provider as the payout
// rail and a real PostgreSQL: a payout is instructed to the provider and confirmed by its signed webhook,
// a bounced payout gives the money back, a suspended workshop's payouts are held until it is reinstated,
// forged, replayed and contradicting confirmations change nothing, and the audit proves paid out = confirmed payouts.
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { ServiceDatabase } from '#libs/eventsourcing';
import { dropSchema, testDatabaseUrl, testTokens, uniqueSchema, waitFor } from '#libs/testing';
import { httpCaller, sendWebhook, startSettlementWithSandbox } from '../../../../test/support/settlement-http.js';
import { Accounts } from '../ledger/domain/accounts.js';
import { move } from '../ledger/domain/transfer.js';
import { Ledger } from '../ledger/ledger.js';
import { PayoutService } from './payout.service.js';

const jwtSecret = 'payouts-int-spec-secret-0123456789abcdef';
const providerSecret = `whsec_${Buffer.from('payouts-int-spec-provider-secret-0123456789').toString('base64')}`;
const run = randomUUID().slice(0, 8);
const id = (name: string) => `${name}-${run}`;

describe('money out: payouts through the provider', () => {
  const schema = uniqueSchema('payouts');
  let app: INestApplication;
  let base: string;
  const tokens = testTokens(jwtSecret);
  const tokenOf: Record<string, string> = {};
  const shops = { paid: id('ws-paid'), bounced: id('ws-bounced'), suspended: id('ws-suspended'), forged: id('ws-forged') };

  beforeAll(async () => {
    ({ app, base } = await startSettlementWithSandbox({ schema, keySeed: jwtSecret, providerSecret, env: { MESHFAB_SETTLEMENT_PAYOUT_DISPATCH_MS: '50' } }));
    for (const shop of Object.values(shops)) tokenOf[shop] = await tokens.issue({ sub: shop, role: 'workshop' });
    tokenOf['op-1'] = await tokens.issue({ sub: 'op-1', role: 'operator' });
    // Arrange: each workshop was paid for a lot (the lot flows are settlement.int-spec's subject).
    const ledger = app.get(Ledger);
    const db = app.get(ServiceDatabase);
    await db.dataSource.transaction(async (m) => {
      for (const shop of Object.values(shops)) {
        await ledger.post(m, { transferId: `release:fixture-${shop}`, kind: 'lot_release', currency: 'CNY', subtaskId: `fixture-${shop}`, legs: move(Accounts.bankClearing('CNY'), Accounts.workshopPayable(shop, 'CNY'), 100_000) });
      }
    });
  });

  afterAll(async () => {
    await app?.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  const call = httpCaller(() => base, tokenOf);
  const request = async (shop: string, amountMinor: number) => call('POST', '/settlement/payouts', { as: shop, key: randomUUID(), body: { amount: { amountMinor, currency: 'CNY' } } });
  const settled = (shop: string, payoutId: string, status = 'paid') =>
    waitFor(async () => {
      const payout = (await call('GET', `/settlement/payouts/${payoutId}`, { as: shop })).body;
      return payout.status === status ? payout : null;
    }, { timeoutMs: 15_000 });
  const totals = async (shop: string) => (await call('GET', '/settlement/accounts/me', { as: shop })).body.totals[0];
  const moneyOut = async () => (await call('GET', '/settlement/audit', { as: 'op-1' })).body.moneyOut;
  const consumed = (work: (payouts: PayoutService, m: import('typeorm').EntityManager) => Promise<void>) =>
    app.get(ServiceDatabase).dataSource.transaction((m) => work(app.get(PayoutService), m));

  it('instructs the provider and is confirmed paid by its signed webhook, once, though delivered twice', async () => {
    const requested = await request(shops.paid, 12_000);
    expect(requested).toMatchObject({ status: 201, body: { status: 'requested' } });
    const paid = await settled(shops.paid, requested.body.payoutId);
    expect(paid).toMatchObject({ provider: 'sandbox', confirmation: { source: 'provider:sandbox' }, amount: { amountMinor: 12_000 } });
    // The sandbox delivers every confirmation twice here (DUPLICATE_PERCENT 100): let the second arrive.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await call('GET', `/settlement/payouts/${requested.body.payoutId}`, { as: shops.paid })).body).toMatchObject({ status: 'paid', confirmation: paid.confirmation });
    expect(await totals(shops.paid)).toMatchObject({ availableMinor: 88_000, payoutPendingMinor: 0 });
    // The operator cannot confirm it again with a bank transaction: it is the provider's, and paid.
    const reconcile = await call('POST', `/settlement/payouts/${requested.body.payoutId}/paid`, { as: 'op-1', body: { bankTransactionId: 'BANK-1' } });
    expect(reconcile).toMatchObject({ status: 409, body: { error: 'payout_state_conflict' } });
  });

  it('gives the money back to the workshop when the provider reports the payout failed', async () => {
    const requested = await request(shops.bounced, 5_013); // the sandbox bounces amounts ending in 13
    const failed = await settled(shops.bounced, requested.body.payoutId, 'failed');
    expect(failed.failureReason).toContain('account_closed');
    expect(await totals(shops.bounced)).toMatchObject({ availableMinor: 100_000, payoutPendingMinor: 0 });
    const again = await request(shops.bounced, 100_000);
    expect(await settled(shops.bounced, again.body.payoutId)).toMatchObject({ status: 'paid' });
  });

  it('holds the payouts of a suspended workshop until the registry reinstates it', async () => {
    const meta = { correlationId: randomUUID(), causationId: 'registry-event' };
    const before = await request(shops.suspended, 1_000);
    await settled(shops.suspended, before.body.payoutId);
    await consumed((payouts, m) => payouts.onMemberSuspended(shops.suspended, 'counterfeit labels', m, meta));
    const held = await request(shops.suspended, 2_000);
    expect(held.body).toMatchObject({ status: 'held', holdReason: 'the workshop is suspended' });
    await new Promise((resolve) => setTimeout(resolve, 300)); // several dispatch rounds
    expect((await call('GET', `/settlement/payouts/${held.body.payoutId}`, { as: shops.suspended })).body).toMatchObject({ status: 'held', provider: null });
    expect(await totals(shops.suspended)).toMatchObject({ payoutPendingMinor: 2_000 });
    await consumed((payouts, m) => payouts.onMemberReinstated(shops.suspended, 'appeal upheld', m, meta));
    expect(await settled(shops.suspended, held.body.payoutId)).toMatchObject({ status: 'paid' });
    expect(await totals(shops.suspended)).toMatchObject({ availableMinor: 97_000, payoutPendingMinor: 0 });
  });

  it('refuses forged, contradicting and unknown confirmations, and the audit proves paid out = confirmed payouts', async () => {
    const requested = await request(shops.forged, 3_000);
    const payoutId = requested.body.payoutId as string;
    const body = (type: string, transactionId: string, amountMinor = 3_000, payout = payoutId) =>
      JSON.stringify({ type, data: { payoutId: payout, transactionId, amount: { amountMinor, currency: 'CNY' }, reason: 'forged' } });
    const forged = await sendWebhook(base, `whsec_${Buffer.from('an-attacker-guessing-the-secret-0123456789').toString('base64')}`, body('payout.failed', 'tx-forged'), { webhookId: `msg_${randomUUID()}` });
    expect(forged.status).toBe(401);
    const paid = await settled(shops.forged, payoutId);
    // Signed, but contradicting what the provider already confirmed: another transaction, a failure after the payment.
    expect((await sendWebhook(base, providerSecret, body('payout.paid', 'tx-other'), { webhookId: `msg_${randomUUID()}` })).status).toBe(409);
    expect((await sendWebhook(base, providerSecret, body('payout.failed', 'tx-other'), { webhookId: `msg_${randomUUID()}` })).status).toBe(409);
    // The same confirmation again (a provider's retry) changes nothing.
    const replay = await sendWebhook(base, providerSecret, body('payout.paid', paid.confirmation.transactionId), { webhookId: `msg_${randomUUID()}` });
    expect(replay).toMatchObject({ status: 200, body: { outcome: 'payout_paid', status: 'paid' } });
    expect((await sendWebhook(base, providerSecret, body('payout.paid', 'tx-x', 3_000, 'payout-unknown'), { webhookId: `msg_${randomUUID()}` })).status).toBe(404);
    expect(await totals(shops.forged)).toMatchObject({ availableMinor: 97_000, payoutPendingMinor: 0 });
    const audit = await moneyOut();
    expect(audit).toMatchObject({ ok: true, payoutsWithoutMatchingTransfer: [], failedPayoutsNotReturned: [] });
    expect(audit.paidOutMinor).toBe(12_000 + 100_000 + 1_000 + 2_000 + 3_000);
  });
});
