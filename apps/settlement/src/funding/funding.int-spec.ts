/* eslint-disable @typescript-eslint/no-unsafe-return -- response bodies are untyped JSON read by assertions */
// Money in (issue 16) through the real settlement module behind the real platform edge (JWT, request
// edge with raw bodies, errors, validation) against a real PostgreSQL: funding intents, signed provider
// webhooks (forged, stale, duplicated), bank-statement reconciliation, four-eyes manual credits, the audit,
// the sandbox provider, and a property test throwing forged, replayed, reordered and duplicated deliveries.
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import { dropSchema, testDatabaseUrl, testTokens, uniqueSchema, waitFor } from '#libs/testing';
import { httpCaller, sendWebhook, startSettlementWithSandbox } from '../../../../test/support/settlement-http.js';
import { signWebhook } from './standard-webhooks.js';

const jwtSecret = 'funding-int-spec-secret-0123456789abcdef';
const providerSecret = `whsec_${Buffer.from('funding-int-spec-provider-secret-0123456789').toString('base64')}`;
const otherSecret = `whsec_${Buffer.from('an-attacker-guessing-the-secret-0123456789').toString('base64')}`;
const run = randomUUID().slice(0, 8);
const id = (name: string) => `${name}-${run}`;
/** The default caps on one funding intent and on one deposit or credit (10^12 minor units). */
const CAP = 1_000_000_000_000;

describe('money in: funding intents, webhooks, statements, manual credits', () => {
  const schema = uniqueSchema('funding');
  let app: INestApplication;
  let base: string;
  const tokens = testTokens(jwtSecret);
  const tokenOf: Record<string, string> = {};
  const brandA = id('brand-a');
  const brandB = id('brand-b');

  beforeAll(async () => {
    ({ app, base } = await startSettlementWithSandbox({ schema, keySeed: jwtSecret, providerSecret }));
    for (const [name, role] of [[brandA, 'brand'], [brandB, 'brand'], ['op-1', 'operator'], ['op-2', 'operator'], ['op-3', 'operator']] as const) {
      tokenOf[name] = await tokens.issue({ sub: name, role });
    }
  });

  afterAll(async () => {
    await app?.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  const call = httpCaller(() => base, tokenOf);
  const cny = (amountMinor: number) => ({ amountMinor, currency: 'CNY' });
  const intentOf = async (brand: string, amountMinor: number) => (await call('POST', '/settlement/funding-intents', { as: brand, key: randomUUID(), body: { amount: cny(amountMinor) } })).body;
  const available = async (brand: string) => ((await call('GET', '/settlement/accounts/me', { as: brand })).body.totals[0]?.availableMinor as number | undefined) ?? 0;
  const payment = (transactionId: string, reference: string, amountMinor: number, currency = 'CNY') =>
    JSON.stringify({ type: 'payment.succeeded', data: { transactionId, reference, amount: { amountMinor, currency } } });
  const webhook = (body: string, o: { secret?: string; timestamp?: number; webhookId?: string; signature?: string } = {}) =>
    sendWebhook(base, o.secret ?? providerSecret, body, { ...o, webhookId: o.webhookId ?? `msg_${randomUUID()}` });
  const audit = async () => (await call('GET', '/settlement/audit', { as: 'op-1' })).body;

  describe('funding intents', () => {
    it('requires an Idempotency-Key and a positive amount in minor units', async () => {
      const noKey = await call('POST', '/settlement/funding-intents', { as: brandA, body: { amount: cny(1000) } });
      expect(noKey).toMatchObject({ status: 400, body: { error: 'validation_failed', details: { field: 'Idempotency-Key' } } });
      const bad = await call('POST', '/settlement/funding-intents', { as: brandA, key: randomUUID(), body: { amount: { amountMinor: 10.5, currency: 'CNY' } } });
      expect(bad.status).toBe(400);
      expect((await call('POST', '/settlement/funding-intents', { as: 'op-1', key: randomUUID(), body: { amount: cny(1) } })).status).toBe(403);
    });

    it('creates a pending intent with a reference and an expiry, credits nothing, shows it to its brand only', async () => {
      const key = randomUUID();
      const created = await call('POST', '/settlement/funding-intents', { as: brandA, key, body: { amount: cny(100_000) } });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ brandId: brandA, amount: cny(100_000), received: cny(0), status: 'pending' });
      expect(created.body.reference).toMatch(/^MF-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
      expect(Date.parse(created.body.expiresAt)).toBeGreaterThan(Date.now() + 71 * 3_600_000);
      const replay = await call('POST', '/settlement/funding-intents', { as: brandA, key, body: { amount: cny(100_000) } });
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body.intentId).toBe(created.body.intentId);
      expect(await available(brandA)).toBe(0);
      expect((await call('GET', `/settlement/funding-intents/${created.body.intentId}`, { as: brandA })).status).toBe(200);
      expect((await call('GET', `/settlement/funding-intents/${created.body.intentId}`, { as: brandB })).status).toBe(404);
      expect((await call('GET', `/settlement/funding-intents/${created.body.intentId}`, { as: 'op-1' })).status).toBe(200);
      expect((await call('GET', '/settlement/funding-intents', { as: brandB })).body.items).toEqual([]);
      expect((await call('GET', '/settlement/funding-intents', { as: brandA })).body.items.map((i: any) => i.intentId)).toContain(created.body.intentId);
    });

    it('pages the lists of intents, unmatched payments and manual credits with a cursor, newest first', async () => {
      await intentOf(brandA, 1_001);
      await intentOf(brandA, 1_002);
      await webhook(payment(id('tx-page-1'), 'MF-0000-0000-0001', 101));
      await webhook(payment(id('tx-page-2'), 'MF-0000-0000-0002', 102));
      for (const [path, as] of [
        ['/settlement/funding-intents', brandA],
        ['/settlement/funding-intents', 'op-1'],
        ['/settlement/unmatched-payments', 'op-1'],
        ['/settlement/manual-credits', 'op-1'],
      ] as const) {
        const all = await call('GET', `${path}?limit=500`, { as });
        expect([path, all.status, all.body.hasMore, all.body.nextCursor]).toEqual([path, 200, false, null]);
        const paged: unknown[] = [];
        let cursor: string | null = null;
        do {
          const page: { status: number; body: any } = await call('GET', `${path}?limit=1${cursor ? `&cursor=${cursor}` : ''}`, { as });
          expect(page.status).toBe(200);
          paged.push(...(page.body.items as unknown[]));
          cursor = page.body.hasMore ? (page.body.nextCursor as string) : null;
        } while (cursor);
        expect([path, paged]).toEqual([path, all.body.items]);
        expect((await call('GET', `${path}?cursor=forged`, { as })).body).toMatchObject({ error: 'validation_failed', details: { field: 'cursor' } });
      }
    });

    it('refuses an intent over its cap with 422 at creation, storing nothing (not even the key)', async () => {
      const brand = id('brand-cap');
      tokenOf[brand] = await tokens.issue({ sub: brand, role: 'brand' });
      const key = randomUUID();
      const over = await call('POST', '/settlement/funding-intents', { as: brand, key, body: { amount: cny(CAP + 1) } });
      expect(over).toMatchObject({ status: 422, body: { error: 'amount_over_cap', details: { limit: 'MESHFAB_SETTLEMENT_MAX_FUNDING_INTENT_MINOR', limitMinor: CAP } } });
      expect((await call('GET', '/settlement/funding-intents', { as: brand })).body.items).toEqual([]);
      // The key was not spent on the refusal: the same key with an amount at the cap creates the intent.
      const atCap = await call('POST', '/settlement/funding-intents', { as: brand, key, body: { amount: cny(CAP) } });
      expect(atCap).toMatchObject({ status: 201, body: { brandId: brand, amount: cny(CAP), status: 'pending' } });
      expect(atCap.headers.get('idempotent-replayed')).toBeNull();
    });
  });

  describe('provider webhooks', () => {
    it('refuses a forged signature with 401 and credits nothing', async () => {
      const intent = await intentOf(brandB, 50_000);
      const body = payment(id('forged'), intent.reference, 50_000);
      expect(await webhook(body, { secret: otherSecret })).toMatchObject({ status: 401, body: { error: 'webhook_signature_invalid' } });
      expect((await webhook(body, { signature: 'v1,AAAA' })).status).toBe(401);
      // Signed, then tampered with: a bigger amount in the same envelope.
      const webhookId = `msg_${randomUUID()}`;
      const timestamp = Math.floor(Date.now() / 1000);
      const signature = signWebhook(providerSecret, webhookId, timestamp, body);
      expect((await webhook(payment(id('forged'), intent.reference, 5_000_000), { webhookId, timestamp, signature })).status).toBe(401);
      const unsigned = await fetch(`${base}/settlement/webhooks/sandbox`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(unsigned.status).toBe(401);
      expect(await available(brandB)).toBe(0);
    });

    it('refuses a delivery outside the replay window (5 min)', async () => {
      const intent = await intentOf(brandB, 50_000);
      const old = await webhook(payment(id('old'), intent.reference, 50_000), { timestamp: Math.floor(Date.now() / 1000) - 301 });
      expect(old).toMatchObject({ status: 401, body: { error: 'webhook_timestamp_out_of_window' } });
      const future = await webhook(payment(id('future'), intent.reference, 50_000), { timestamp: Math.floor(Date.now() / 1000) + 3600 });
      expect(future.status).toBe(401);
      expect(await available(brandB)).toBe(0);
    });

    it('credits the same provider transaction once, however often it is delivered', async () => {
      const intent = await intentOf(brandB, 70_000);
      const body = payment(id('tx-once'), intent.reference, 70_000);
      const answers = await Promise.all([webhook(body), webhook(body), webhook(body)]);
      expect(answers.map((a) => a.body.outcome).sort()).toEqual(['credited', 'duplicate', 'duplicate']);
      expect((await webhook(body)).body.outcome).toBe('duplicate');
      expect(await available(brandB)).toBe(70_000);
      expect((await call('GET', `/settlement/funding-intents/${intent.intentId}`, { as: brandB })).body).toMatchObject({ status: 'funded', received: cny(70_000) });
    });

    it('records a payment for an unknown reference as unmatched, credited to no one', async () => {
      const before = await Promise.all([available(brandA), available(brandB)]);
      const answer = await webhook(payment(id('tx-unknown'), 'MF-0000-0000-0000', 12_345));
      expect(answer).toMatchObject({ status: 200, body: { outcome: 'unmatched' } });
      expect(await Promise.all([available(brandA), available(brandB)])).toEqual(before);
      const unmatched = (await call('GET', '/settlement/unmatched-payments', { as: 'op-1' })).body.items;
      expect(unmatched).toEqual(expect.arrayContaining([expect.objectContaining({ transactionId: id('tx-unknown'), amount: cny(12_345), status: 'unmatched', brandId: null })]));
      // In another currency than the intent's: unmatched too.
      const intent = await intentOf(brandA, 1_000);
      expect((await webhook(payment(id('tx-usd'), intent.reference, 1_000, 'USD'))).body.outcome).toBe('unmatched');
    });

    it('partial and over-payments: credit what arrived; the intent is partially funded, then funded, the excess flagged', async () => {
      const startA = await available(brandA);
      const intent = await intentOf(brandA, 100_000);
      await webhook(payment(id('part-1'), intent.reference, 40_000));
      expect((await call('GET', `/settlement/funding-intents/${intent.intentId}`, { as: brandA })).body).toMatchObject({ status: 'partially_funded', received: cny(40_000), outstanding: cny(60_000) });
      await webhook(payment(id('part-2'), intent.reference.toLowerCase().replace(/-/g, ' '), 75_000)); // as a payer might type it
      const after = (await call('GET', `/settlement/funding-intents/${intent.intentId}`, { as: brandA })).body;
      expect(after).toMatchObject({ status: 'funded', received: cny(115_000), overpaid: cny(15_000) });
      expect(after.payments.map((p: any) => [p.amount.amountMinor, p.excessMinor])).toEqual([[40_000, 0], [75_000, 15_000]]);
      expect(await available(brandA)).toBe(startA + 115_000);
    });

    it('the sandbox provider pays an intent through a real signed webhook, delivered twice, credited once', async () => {
      const start = await available(brandB);
      const intent = await intentOf(brandB, 33_300);
      const paid = await call('POST', '/sandbox-provider/payments', { body: { reference: intent.reference, amount: cny(33_300) } });
      expect(paid.status).toBe(202);
      await waitFor(async () => ((await call('GET', `/settlement/funding-intents/${intent.intentId}`, { as: brandB })).body.status === 'funded' ? true : null), { timeoutMs: 10_000 });
      await waitFor(async () => ((await call('GET', `/sandbox-provider/payments/${paid.body.transactionId}`)).body.deliveries >= 2 ? true : null), { timeoutMs: 10_000 });
      expect(await available(brandB)).toBe(start + 33_300);
    });
  });

  describe('bank statements', () => {
    it('matches lines by reference, converts decimal yuan exactly, lists the unmatched, and changes nothing on a re-upload', async () => {
      const full = await intentOf(brandA, 100_005);
      const partial = await intentOf(brandA, 50_000);
      const start = await available(brandA);
      const csv = [
        'date,amount,currency,reference,bank_transaction_id',
        `2026-05-01,1000.05,CNY,"Payment ${full.reference} thanks",${id('bank-1')}`,
        `2026-05-01,200.1,CNY,${partial.reference},${id('bank-2')}`,
        `2026-05-02,999.99,CNY,no reference at all,${id('bank-3')}`,
        `2026-05-02,12.345,CNY,${partial.reference},${id('bank-4')}`,
        `2026-05-02,-50.00,CNY,${partial.reference},${id('bank-5')}`,
        `2026-05-03,200.1,CNY,${partial.reference},${id('bank-2')}`,
      ].join('\n');
      const first = await call('POST', '/settlement/bank-statements', { as: 'op-1', csv });
      expect(first.status).toBe(201);
      expect(first.body.counts).toEqual({ credited: 2, duplicate: 1, unmatched: 1, invalid: 2 });
      expect(first.body.lines.map((l: any) => [l.lineNo, l.outcome, l.amount?.amountMinor ?? null])).toEqual([
        [2, 'credited', 100_005],
        [3, 'credited', 20_010],
        [4, 'unmatched', 99_999],
        [5, 'invalid', null],
        [6, 'invalid', -5_000],
        [7, 'duplicate', 20_010],
      ]);
      expect(first.body.unmatched.map((l: any) => l.lineNo)).toEqual([4, 5, 6]);
      expect(await available(brandA)).toBe(start + 120_015);
      expect((await call('GET', `/settlement/funding-intents/${partial.intentId}`, { as: brandA })).body).toMatchObject({ status: 'partially_funded', received: cny(20_010) });
      const again = await call('POST', '/settlement/bank-statements', { as: 'op-1', csv });
      expect(again.status).toBe(200);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body.statementId).toBe(first.body.statementId);
      expect(await available(brandA)).toBe(start + 120_015);
      expect((await call('GET', `/settlement/bank-statements/${first.body.statementId}`, { as: 'op-1' })).body.counts).toEqual(first.body.counts);
      // The same bank transactions in another statement (another export of the same days): nothing again.
      const overlapping = await call('POST', '/settlement/bank-statements', { as: 'op-1', csv: `${csv}\n` + `2026-05-04,1.00,CNY,none,${id('bank-6')}` });
      expect(overlapping.body.counts).toEqual({ credited: 0, duplicate: 4, unmatched: 1, invalid: 2 }); // the unmatched line 4 was recorded too
      expect(await available(brandA)).toBe(start + 120_015);
    });

    it('refuses a statement without the header, and brands', async () => {
      expect(await call('POST', '/settlement/bank-statements', { as: 'op-1', csv: 'when,how much\n1,2' })).toMatchObject({ status: 400, body: { error: 'statement_invalid' } });
      expect((await call('POST', '/settlement/bank-statements', { as: brandA, csv: 'date,amount,currency,reference,bank_transaction_id\n' })).status).toBe(403);
    });
  });

  describe('manual credits (four eyes)', () => {
    it('needs a second, different operator; the requester cannot approve its own', async () => {
      const start = await available(brandB);
      const requested = await call('POST', '/settlement/manual-credits', { as: 'op-1', key: randomUUID(), body: { brandId: brandB, amount: cny(9_900), reason: 'booking 2026-05-01 without reference' } });
      expect(requested).toMatchObject({ status: 201, body: { status: 'requested', requestedBy: 'op-1' } });
      expect(await available(brandB)).toBe(start);
      const self = await call('POST', `/settlement/manual-credits/${requested.body.creditId}/approve`, { as: 'op-1' });
      expect(self).toMatchObject({ status: 403, body: { error: 'four_eyes_required' } });
      expect(await available(brandB)).toBe(start);
      const approved = await call('POST', `/settlement/manual-credits/${requested.body.creditId}/approve`, { as: 'op-2' });
      expect(approved).toMatchObject({ status: 200, body: { status: 'approved', decidedBy: 'op-2' } });
      expect((await call('POST', `/settlement/manual-credits/${requested.body.creditId}/approve`, { as: 'op-2' })).status).toBe(200); // repeated
      expect((await call('POST', `/settlement/manual-credits/${requested.body.creditId}/approve`, { as: 'op-3' })).status).toBe(409);
      expect(await available(brandB)).toBe(start + 9_900);
      expect((await call('POST', '/settlement/manual-credits', { as: brandB, key: randomUUID(), body: { brandId: brandB, amount: cny(1), reason: 'myself' } })).status).toBe(403);
      const rejected = await call('POST', '/settlement/manual-credits', { as: 'op-2', key: randomUUID(), body: { brandId: brandB, amount: cny(1), reason: 'typo' } });
      expect((await call('POST', `/settlement/manual-credits/${rejected.body.creditId}/reject`, { as: 'op-1', body: { reason: 'no such booking' } })).body.status).toBe('rejected');
      expect((await call('POST', `/settlement/manual-credits/${rejected.body.creditId}/approve`, { as: 'op-3' })).status).toBe(409);
    });
  });

  describe('manual credits over the cap', () => {
    it('are refused with 422 when requested, so none waits for an approval that could never post', async () => {
      const before = (await call('GET', '/settlement/manual-credits?limit=500', { as: 'op-1' })).body.items.length;
      const key = randomUUID();
      const over = await call('POST', '/settlement/manual-credits', { as: 'op-1', key, body: { brandId: brandB, amount: cny(CAP + 1), reason: 'a booking too large to be one credit' } });
      expect(over).toMatchObject({ status: 422, body: { error: 'amount_over_cap', details: { limit: 'MESHFAB_SETTLEMENT_MAX_DEPOSIT_MINOR', limitMinor: CAP } } });
      expect((await call('GET', '/settlement/manual-credits?limit=500', { as: 'op-1' })).body.items).toHaveLength(before);
      const atCap = await call('POST', '/settlement/manual-credits', { as: 'op-1', key, body: { brandId: brandB, amount: cny(CAP), reason: 'a booking exactly at the cap' } });
      expect(atCap).toMatchObject({ status: 201, body: { status: 'requested', amount: cny(CAP) } });
      // Rejected again at once: this test is about the request, not about crediting brand B a billion yuan.
      expect((await call('POST', `/settlement/manual-credits/${atCap.body.creditId}/reject`, { as: 'op-2', body: { reason: 'test of the cap only' } })).body.status).toBe('rejected');
    });
  });

  describe('the audit', () => {
    it('proves credited = confirmed payments + approved manual credits, nothing twice, every statement line accounted for', async () => {
      const a = await audit();
      expect(a.ok).toBe(true);
      expect(a.moneyIn).toMatchObject({ ok: true, creditedEqualsConfirmed: true, paymentsRecordedTwice: [], intentsNotMatchingPayments: [], receiptsWithoutSingleCredit: [] });
      expect(a.moneyIn.creditedMinor).toBe(a.moneyIn.confirmedPaymentsMinor + a.moneyIn.approvedManualCreditsMinor);
      expect(a.moneyIn.approvedManualCreditsMinor).toBe(9_900);
      expect(a.moneyIn.statementLines.accounted).toBe(true);
    });
  });

  it('property: forged, replayed, reordered and duplicated webhooks and statement lines never credit twice, never credit forged money', async () => {
    const counts = { runs: 0, deliveries: 0, forged: 0, stale: 0, duplicates: 0, statementLines: 0, credited: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ amountMinor: fc.integer({ min: 1, max: 5_000_000 }), known: fc.boolean(), viaStatement: fc.boolean() }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.constantFrom('valid', 'forged', 'stale', 'tampered'), { minLength: 6, maxLength: 20 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        async (payments, kinds, seed) => {
          counts.runs += 1;
          const brand = id(`fuzz-${counts.runs}`);
          tokenOf[brand] = await tokens.issue({ sub: brand, role: 'brand' });
          const intent = await intentOf(brand, 1_000_000);
          const start = await available(brand);
          // Every payment, delivered by every kind in `kinds` (cycled), in a shuffled order, some twice.
          const deliveries: (() => Promise<number>)[] = [];
          let expected = 0;
          payments.forEach((p, i) => {
            const tx = `${brand}-tx-${i}`;
            const reference = p.known ? intent.reference : 'MF-ZZZZ-ZZZZ-ZZZZ';
            if (p.viaStatement) {
              const csv = `date,amount,currency,reference,bank_transaction_id\n2026-05-01,${Math.floor(p.amountMinor / 100)}.${String(p.amountMinor % 100).padStart(2, '0')},CNY,${reference},${tx}`;
              if (p.known) expected += p.amountMinor;
              for (let n = 0; n < 2; n++) deliveries.push(async () => (counts.statementLines++, (await call('POST', '/settlement/bank-statements', { as: 'op-1', csv: n === 0 ? csv : `${csv}\n` })).status));
              return;
            }
            const body = payment(tx, reference, p.amountMinor);
            const own = [kinds[i % kinds.length], kinds[(i + 1) % kinds.length], 'valid'];
            if (own.includes('valid') && p.known) expected += p.amountMinor;
            for (const kind of own) {
              deliveries.push(async () => {
                counts.deliveries += 1;
                if (kind === 'forged') return (counts.forged++, (await webhook(body, { secret: otherSecret })).status);
                if (kind === 'stale') return (counts.stale++, (await webhook(body, { timestamp: Math.floor(Date.now() / 1000) - 600 })).status);
                if (kind === 'tampered') {
                  const webhookId = `msg_${randomUUID()}`;
                  const ts = Math.floor(Date.now() / 1000);
                  return (counts.forged++, (await webhook(payment(tx, intent.reference, p.amountMinor + 1_000_000), { webhookId, timestamp: ts, signature: signWebhook(providerSecret, webhookId, ts, body) })).status);
                }
                counts.duplicates += 1;
                return (await webhook(body)).status;
              });
            }
          });
          let state = seed;
          const order = deliveries.map((d) => ((state = (state * 1103515245 + 12345) % 2 ** 31), { d, k: state })).sort((a, b) => a.k - b.k);
          const statuses = await Promise.all(order.map(({ d }) => d()));
          counts.refused += statuses.filter((s) => s === 401).length;
          expect(statuses.filter((s) => ![200, 201, 401].includes(s))).toEqual([]);
          const credited = (await available(brand)) - start;
          counts.credited += credited;
          expect(credited).toBe(expected);
        },
      ),
      { numRuns: 25 },
    );
    const a = await audit();
    expect(a.moneyIn).toMatchObject({ ok: true, paymentsRecordedTwice: [], intentsNotMatchingPayments: [] });
    console.info(JSON.stringify({ fuzz: 'money in', ...counts }));
  }, 120_000);
});
