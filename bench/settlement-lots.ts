// The 16 lots both settlement benches release against (settlement.bench.ts, settlement-cpu.bench.ts):
// each lot's order has a well-funded escrow of its own, and every release takes 100 fen from it.
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { Accounts, SHARD_SEPARATOR } from '../apps/settlement/src/ledger/domain/accounts.js';
import { DEFAULT_LEDGER_LIMITS } from '../apps/settlement/src/ledger/domain/limits.js';
import { move, type TransferRequest } from '../apps/settlement/src/ledger/domain/transfer.js';
import type { Ledger } from '../apps/settlement/src/ledger/ledger.js';

export const LOTS = 16;

export type BenchLot = ReturnType<typeof benchLots>[number];

export const benchLots = () =>
  Array.from({ length: LOTS }, (_, w) => ({
    escrow: Accounts.orderEscrow(`bench-order-${w}`, `bench-brand-${w}`, 'CNY'),
    payable: Accounts.workshopPayable(`bench-ws-${w}`, 'CNY'),
    orderId: `bench-order-${w}`,
  }));

/**
 * Creates every account a release touches (so the rounds measure releases, not account creation) and
 * funds each lot's escrow through `ledger`'s schema.
 */
export async function fundBenchLots(dataSource: DataSource, ledger: Ledger, lots: readonly BenchLot[]): Promise<void> {
  const fees = Accounts.platformFees('CNY');
  const feeShards = Array.from({ length: DEFAULT_LEDGER_LIMITS.pooledShards }, (_, k) => ({ ...fees, id: k === 0 ? fees.id : `${fees.id}${SHARD_SEPARATOR}${k}` }));
  await dataSource.transaction((m) => ledger.ensureAccounts(m, [...lots.map((l) => l.payable), ...feeShards]));
  for (const [w, lot] of lots.entries()) {
    const funds = Accounts.brandFunds(`bench-brand-${w}`, 'CNY');
    await dataSource.transaction(async (m) => {
      await ledger.post(m, { transferId: `bench-dep-${w}`, kind: 'deposit', currency: 'CNY', legs: move(Accounts.bankClearing('CNY'), funds, 900_000_000_000n) });
      await ledger.post(m, { transferId: `bench-esc-${w}`, kind: 'escrow_funding', currency: 'CNY', orderId: lot.orderId, legs: move(funds, lot.escrow, 900_000_000_000n) });
    });
  }
}

/** One release of `lot`: escrow → workshop payable 95 + platform fee 5, under a fresh transfer id. */
export const lotRelease = (lot: BenchLot, i: number): TransferRequest => ({
  transferId: `release:bench-${randomUUID()}-${i}`,
  kind: 'lot_release',
  currency: 'CNY',
  orderId: lot.orderId,
  legs: [
    { account: lot.escrow, amountMinor: -100n },
    { account: lot.payable, amountMinor: 95n },
    { account: Accounts.platformFees('CNY'), amountMinor: 5n },
  ],
});
