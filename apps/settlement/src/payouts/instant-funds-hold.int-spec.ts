// The optional hold on instant money (issue 16, MESHFAB_SETTLEMENT_INSTANT_FUNDS_HOLD_DAYS=3) through the
// real settlement module and a real PostgreSQL: a brand pays by card (signed webhook, `method: card`), its
// lot is escrowed, passed and released to the workshop, and the workshop's payout of that money answers 422
// `funds_on_hold` naming when it becomes available; money a bank transfer paid for is paid out at once; the
// audit still proves the books.
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import type { InspectionPassedContract, SubtaskAcceptedContract, SubtaskCompletedContract } from '#libs/contracts';
import { ServiceDatabase } from '#libs/eventsourcing';
import { dropSchema, testDatabaseUrl, testTokens, uniqueSchema } from '#libs/testing';
import { httpCaller, sendWebhook, startSettlementWithSandbox } from '../../../../test/support/settlement-http.js';
import { SettlementService } from '../settlement/settlement.service.js';

const jwtSecret = 'instant-hold-int-spec-secret-0123456789abcdef';
const providerSecret = `whsec_${Buffer.from('instant-hold-int-spec-provider-secret-012345').toString('base64')}`;
const run = randomUUID().slice(0, 8);
const id = (name: string) => `${name}-${run}`;
const DAY_MS = 86_400_000;

describe('instant money on hold before payout (MESHFAB_SETTLEMENT_INSTANT_FUNDS_HOLD_DAYS=3)', () => {
  const schema = uniqueSchema('instant_hold');
  let app: INestApplication;
  let base: string;
  const tokens = testTokens(jwtSecret);
  const tokenOf: Record<string, string> = {};
  const card = { brand: id('brand-card'), workshop: id('ws-card'), order: id('order-card'), lot: id('lot-card') };
  const bank = { brand: id('brand-bank'), workshop: id('ws-bank'), order: id('order-bank'), lot: id('lot-bank') };

  beforeAll(async () => {
    ({ app, base } = await startSettlementWithSandbox({
      schema,
      keySeed: jwtSecret,
      providerSecret,
      env: { MESHFAB_SETTLEMENT_INSTANT_FUNDS_HOLD_DAYS: '3', MESHFAB_SETTLEMENT_PAYOUT_DISPATCH_MS: '50' },
    }));
    for (const p of [card, bank]) {
      tokenOf[p.brand] = await tokens.issue({ sub: p.brand, role: 'brand' });
      tokenOf[p.workshop] = await tokens.issue({ sub: p.workshop, role: 'workshop' });
    }
    tokenOf['op-1'] = await tokens.issue({ sub: 'op-1', role: 'operator' });
  });

  afterAll(async () => {
    await app?.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  const call = httpCaller(() => base, tokenOf);
  const cny = (amountMinor: number) => ({ amountMinor, currency: 'CNY' as const });

  /** The brand announces and pays 10,000 fen by `method`; then its lot (price 10,000) is accepted, delivered on time and passes. */
  async function payAndRelease(p: typeof card, method: 'card' | 'bank_transfer'): Promise<void> {
    const intent = (await call('POST', '/settlement/funding-intents', { as: p.brand, key: randomUUID(), body: { amount: cny(10_000) } })).body;
    const body = JSON.stringify({ type: 'payment.succeeded', data: { transactionId: `tx-${p.lot}`, reference: intent.reference, amount: cny(10_000), method } });
    expect((await sendWebhook(base, providerSecret, body, { webhookId: `msg_${randomUUID()}` })).body).toMatchObject({ outcome: 'credited' });
    const facts = { subtaskId: p.lot, orderId: p.order, brandId: p.brand, stepId: 'sew', process: 'sewing', workshopId: p.workshop, quantity: 100, price: cny(10_000) };
    const accepted: SubtaskAcceptedContract = { ...facts, acceptedAt: new Date().toISOString(), plannedEnd: '2030-01-01T00:00:00.000Z' };
    const completed: SubtaskCompletedContract = {
      ...facts,
      goodQuantity: 100,
      scrapQuantity: 0,
      completedAt: '2026-02-01T00:00:00.000Z',
      dueAt: '2026-02-02T00:00:00.000Z',
      inspection: { level: 'II', aql: 1 },
    };
    const passed: InspectionPassedContract = {
      inspectionLotId: `il-${p.lot}`,
      subtaskId: p.lot,
      orderId: p.order,
      brandId: p.brand,
      stepId: 'sew',
      process: 'sewing',
      workshopId: p.workshop,
      lotSize: 100,
      sampleSize: 20,
      severity: 'normal',
      passedQuantity: 100,
      inspectedAt: new Date().toISOString(),
    };
    const settlement = app.get(SettlementService);
    const meta = { correlationId: p.order, causationId: 'instant-hold-int-spec' };
    await app.get(ServiceDatabase).dataSource.transaction(async (m) => {
      await settlement.onSubtaskAccepted(accepted, m, meta);
      await settlement.onSubtaskCompleted(completed, m, meta);
      await settlement.onInspectionPassed(passed, m, meta);
    });
  }

  const payout = (workshop: string, body: unknown) => call('POST', '/settlement/payouts', { as: workshop, key: randomUUID(), body });

  it('refuses to pay out money a card payment paid for until its hold ends, naming the hold and the date', async () => {
    const before = Date.now();
    await payAndRelease(card, 'card');
    const net = (await call('GET', '/settlement/accounts/me', { as: card.workshop })).body.totals[0].availableMinor as number;
    expect(net).toBeGreaterThan(0);
    const refused = await payout(card.workshop, { amount: cny(net) });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toBe('funds_on_hold');
    expect(refused.body.message).toMatch(/instant payments \(card, wallet\) still on hold/);
    expect(refused.body.details).toMatchObject({ heldMinor: net, payableNowMinor: 0, requestedMinor: net });
    const availableOn = new Date(refused.body.details.availableOn as string).getTime();
    expect(availableOn).toBeGreaterThanOrEqual(before + 3 * DAY_MS - 1_000);
    expect(availableOn).toBeLessThanOrEqual(Date.now() + 3 * DAY_MS);
    // "All of it" is refused the same way; nothing moved.
    expect((await payout(card.workshop, { currency: 'CNY' })).body.error).toBe('funds_on_hold');
    expect((await call('GET', '/settlement/accounts/me', { as: card.workshop })).body.totals[0]).toMatchObject({ availableMinor: net, payoutPendingMinor: 0 });
    const lot: { funds_available_on: Date | null }[] = await app.get(ServiceDatabase).dataSource.query(`SELECT funds_available_on FROM "${schema}".lots WHERE subtask_id = $1`, [card.lot]);
    expect(lot[0].funds_available_on?.getTime()).toBe(availableOn);
  });

  it('pays out at once money a bank transfer paid for', async () => {
    await payAndRelease(bank, 'bank_transfer');
    const net = (await call('GET', '/settlement/accounts/me', { as: bank.workshop })).body.totals[0].availableMinor as number;
    const requested = await payout(bank.workshop, { amount: cny(net) });
    expect(requested.status).toBe(201);
    expect(requested.body.amount).toEqual(cny(net));
  });

  it('refuses a webhook naming a method it does not know', async () => {
    const body = JSON.stringify({ type: 'payment.succeeded', data: { transactionId: `tx-odd-${run}`, reference: 'MF-0000-0000-0000', amount: cny(100), method: 'cheque' } });
    const answer = await sendWebhook(base, providerSecret, body, { webhookId: `msg_${randomUUID()}` });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('webhook_payload_invalid');
  });

  it('keeps the books: the audit still proves them', async () => {
    const audit = (await call('GET', '/settlement/audit', { as: 'op-1' })).body;
    expect(audit.ok).toBe(true);
  });
});
