/* eslint-disable @typescript-eslint/no-unsafe-return -- response bodies are untyped JSON read by assertions */
// Issue 16: amounts are exact and capped. One member's giant deposit must never break the shared
// clearing account for everyone else (it used to push `external:bank-clearing:CNY` past
// Number.MAX_SAFE_INTEGER, and from then on every deposit in CNY answered 500). The real module behind
// the real platform edge, against a real PostgreSQL.
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ServiceDatabase } from '#libs/eventsourcing';
import { PlatformModule } from '#libs/platform';
import { dropSchema, testDatabaseUrl, testPublicKeys, testSigning, testTokens, uniqueSchema } from '#libs/testing';
import { httpCaller } from '../../../test/support/settlement-http.js';
import { SettlementModule } from './settlement.module.js';

const secret = 'settlement-amounts-int-spec-secret-0123456789';
const run = randomUUID().slice(0, 8);
const id = (name: string) => `${name}-${run}`;
const DEFAULT_CAP = 1_000_000_000_000; // 10^12 minor units: the default per-deposit and per-balance cap

describe('settlement amounts: exact, capped, one member cannot break another', () => {
  const schema = uniqueSchema('settlement_amounts');
  const tokens = testTokens(secret);
  const tokenOf: Record<string, string> = {};
  let app: INestApplication;
  let db: ServiceDatabase;
  let base: string;
  const giant = id('brand-giant');
  const others = [id('brand-o1'), id('brand-o2'), id('brand-o3')];

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        PlatformModule.forRoot({ serviceName: 'settlement', config: { PORT: 0, MESHFAB_JWT_PUBLIC_KEYS: testPublicKeys(secret), LOG_LEVEL: 'error' } }),
        SettlementModule.forRoot({ databaseUrl: testDatabaseUrl(), signing: testSigning(secret), env: { MESHFAB_SETTLEMENT_SCHEMA: schema } }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    db = app.get(ServiceDatabase);
    await app.listen(0);
    base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    for (const brand of [giant, ...others]) tokenOf[brand] = await tokens.issue({ sub: brand, role: 'brand' });
    tokenOf.operator = await tokens.issue({ sub: 'op-1', role: 'operator' });
    tokenOf.approver = await tokens.issue({ sub: 'op-2', role: 'operator' });
  });

  afterAll(async () => {
    await app?.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  const call = httpCaller(() => base, tokenOf);
  /**
   * A credit of a brand's funds the way an operator records a bank booking: requested by one operator,
   * posted when a second approves (the money-moving step; direct deposits are retired). Returns the
   * approval's answer.
   */
  const deposit = async (brandId: string, amountMinor: number) => {
    const requested = await call('POST', '/settlement/manual-credits', {
      as: 'operator',
      key: randomUUID(),
      body: { brandId, amount: { amountMinor, currency: 'CNY' }, reason: `bank booking of ${amountMinor}` },
    });
    if (requested.status !== 201) return requested;
    return call('POST', `/settlement/manual-credits/${requested.body.creditId}/approve`, { as: 'approver' });
  };
  const available = async (brand: string): Promise<number | undefined> =>
    (await call('GET', '/settlement/accounts/me', { as: brand })).body.totals.find((t: { currency: string }) => t.currency === 'CNY')?.availableMinor;
  const transferCount = async (): Promise<number> =>
    Number((await db.dataSource.query<{ n: string }[]>(`SELECT count(*)::text AS n FROM "${schema}".transfers`))[0].n);

  it('refuses the giant deposit with 422 naming the cap, then serves everyone else', async () => {
    const before = await transferCount();
    const refused = await deposit(giant, Number.MAX_SAFE_INTEGER);
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ error: 'amount_over_cap' });
    expect(refused.body.message).toContain('MESHFAB_SETTLEMENT_MAX_DEPOSIT_MINOR');
    expect(refused.body.message).toContain(String(DEFAULT_CAP));
    expect(await transferCount()).toBe(before); // nothing stored

    // Just under the caps: the deposit and the brand's balance both at the limit.
    const atCap = await deposit(giant, DEFAULT_CAP);
    expect(atCap.status).toBe(200);
    expect(await available(giant)).toBe(DEFAULT_CAP);

    // One more fen would take the brand's balance over its cap: 422, nothing stored.
    const afterCap = await transferCount();
    const overBalance = await deposit(giant, 1);
    expect(overBalance.status).toBe(422);
    expect(overBalance.body).toMatchObject({ error: 'balance_over_cap' });
    expect(overBalance.body.message).toContain('MESHFAB_SETTLEMENT_MAX_BALANCE_MINOR');
    expect(await transferCount()).toBe(afterCap);
    expect(await available(giant)).toBe(DEFAULT_CAP);

    // Ordinary deposits by other brands in the same currency all succeed.
    for (const [i, brand] of others.entries()) {
      const ok = await deposit(brand, 12_345 + i);
      expect(ok.status).toBe(200);
      expect(await available(brand)).toBe(12_345 + i);
      const again = await deposit(brand, 1);
      expect(again.status).toBe(200);
      expect(await available(brand)).toBe(12_346 + i);
    }

    const check = await call('GET', '/settlement/ledger/check', { as: 'operator' });
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({ balanced: true, totalsByCurrency: [{ currency: 'CNY', sumOfBalancesMinor: 0 }], accountsNotMatchingEntries: [], unbalancedTransfers: [] });
    const audit = await call('GET', '/settlement/audit', { as: 'operator' });
    expect(audit.status).toBe(200);
    expect(audit.body.ok).toBe(true);
  });

  it('keeps amounts exact: the sum of the clearing shards mirrors every deposit to the fen', async () => {
    const rows: { total: string }[] = await db.dataSource.query(
      `SELECT sum(balance)::text AS total FROM "${schema}".accounts WHERE purpose = 'bank_clearing' AND currency = 'CNY'`,
    );
    const expected = -(BigInt(DEFAULT_CAP) + others.reduce((acc, _, i) => acc + BigInt(12_346 + i), 0n));
    expect(BigInt(rows[0].total)).toBe(expected);
  });
});
