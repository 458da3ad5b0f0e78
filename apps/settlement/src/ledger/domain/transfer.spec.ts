import { DomainError } from '#libs/domain';
import { Accounts } from './accounts.js';
import { minorFromDb, parseMinor, sumMinor, toJsonMinor, toMinor } from './money.js';
import { assertFloors, InsufficientFunds, MAX_TRANSFER_LEGS, move, transferFingerprint, validateTransfer, type TransferRequest } from './transfer.js';

const funds = Accounts.brandFunds('b-1', 'CNY');
const escrow = Accounts.orderEscrow('o-1', 'b-1', 'CNY');
const bank = Accounts.bankClearing('CNY');

const escrowFunding = (amountMinor = 1000): TransferRequest => ({
  transferId: 'escrow:s-1:1',
  kind: 'escrow_funding',
  currency: 'CNY',
  orderId: 'o-1',
  subtaskId: 's-1',
  legs: move(funds, escrow, amountMinor),
});

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return error instanceof DomainError ? `${error.code}:${error.message}:${JSON.stringify(error.details)}` : String(error);
  }
  return undefined;
};

describe('transfer validation', () => {
  it('accepts a balanced transfer', () => {
    expect(() => validateTransfer(escrowFunding())).not.toThrow();
  });

  it('refuses legs that do not balance', () => {
    const t = escrowFunding();
    t.legs[1] = { ...t.legs[1], amountMinor: 999 };
    expect(codeOf(() => validateTransfer(t))).toMatch(/validation_failed.*"field":"legs"/);
  });

  it('refuses floats, zero legs, single legs, mixed currencies and repeated accounts', () => {
    expect(codeOf(() => validateTransfer({ ...escrowFunding(), legs: move(funds, escrow, 10.5) }))).toMatch(/legs.0.amountMinor/);
    expect(codeOf(() => validateTransfer({ ...escrowFunding(), legs: move(funds, escrow, 0) }))).toMatch(/must not be zero|legs.0/);
    expect(codeOf(() => validateTransfer({ ...escrowFunding(), legs: [{ account: funds, amountMinor: 5 }] }))).toMatch(/at least two legs/);
    expect(codeOf(() => validateTransfer({ ...escrowFunding(), legs: move(funds, Accounts.orderEscrow('o-1', 'b-1', 'USD'), 5) }))).toMatch(/holds USD/);
    expect(codeOf(() => validateTransfer({ ...escrowFunding(), legs: move(funds, funds, 5) }))).toMatch(/appears twice/);
    expect(codeOf(() => validateTransfer({ ...escrowFunding(), transferId: ' ' }))).toMatch(/transferId/);
  });

  it(`refuses more than ${MAX_TRANSFER_LEGS} legs (a transfer's lines are numbered within that many ids)`, () => {
    const legs = (n: number) => [
      { account: bank, amountMinor: -(n - 1) },
      ...Array.from({ length: n - 1 }, (_, i) => ({ account: Accounts.brandFunds(`b-${i}`, 'CNY'), amountMinor: 1 })),
    ];
    expect(() => validateTransfer({ ...escrowFunding(), legs: legs(MAX_TRANSFER_LEGS) })).not.toThrow();
    expect(codeOf(() => validateTransfer({ ...escrowFunding(), legs: legs(MAX_TRANSFER_LEGS + 1) }))).toMatch(/a transfer has at most 16 legs, not 17/);
  });

  it('fingerprints bigint and number amounts alike, with the text numbers always gave (old ids still replay)', () => {
    const a = escrowFunding(1000);
    const asBig = { ...a, legs: move(funds, escrow, 1000n) };
    expect(transferFingerprint(asBig)).toBe(transferFingerprint(a));
    expect(transferFingerprint(a)).toBe(JSON.stringify(['escrow_funding', 'CNY', 'o-1', 's-1', [[escrow.id, 1000], [funds.id, -1000]].sort((x, y) => (String(x[0]) < String(y[0]) ? -1 : 1))]));
    expect(() => validateTransfer(asBig)).not.toThrow();
    const huge = { ...a, legs: move(funds, escrow, 2n ** 70n) };
    expect(() => validateTransfer(huge)).not.toThrow(); // exact; the balance caps refuse it in the ledger
    expect(transferFingerprint(huge)).toContain(String(2n ** 70n));
  });

  it('fingerprints content regardless of leg order, and differently for different content', () => {
    const a = escrowFunding();
    const b = { ...a, legs: [...a.legs].reverse() };
    expect(transferFingerprint(a)).toBe(transferFingerprint(b));
    expect(transferFingerprint(a)).not.toBe(transferFingerprint(escrowFunding(1001)));
  });

  it('refuses to take a floored account below its floor, and lets the clearing account go negative', () => {
    const t = escrowFunding(1000);
    expect(() => assertFloors(t, new Map([[funds.id, 1000]]))).not.toThrow();
    expect(() => assertFloors(t, new Map([[funds.id, 999]]))).toThrow(InsufficientFunds);
    expect(codeOf(() => assertFloors(t, new Map([[funds.id, 999]])))).toContain('"balanceMinor":999,"requiredMinor":1000');
    const deposit: TransferRequest = { transferId: 'd', kind: 'deposit', currency: 'CNY', legs: move(bank, funds, 5000) };
    expect(() => assertFloors(deposit, new Map([[bank.id, 0]]))).not.toThrow();
  });
});

describe('money conversions', () => {
  it('reads bigint strings exactly and refuses unsafe values', () => {
    expect(minorFromDb('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(minorFromDb('-42')).toBe(-42);
    expect(minorFromDb(null)).toBe(0);
    expect(() => minorFromDb('9007199254740992')).toThrow(RangeError);
    expect(() => minorFromDb(1.5)).toThrow(RangeError);
  });

  it('sums exactly, past the safe range too', () => {
    expect(sumMinor([Number.MAX_SAFE_INTEGER, -1, 1])).toBe(BigInt(Number.MAX_SAFE_INTEGER));
    expect(sumMinor([Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 2n])).toBe(18_014_398_509_481_984n);
    expect(sumMinor([10, 20, -30])).toBe(0n);
  });

  it('reads database values exactly as bigint and converts to JSON only through a checked function', () => {
    expect(parseMinor('123456789012345678901234567890')).toBe(123456789012345678901234567890n);
    expect(parseMinor(' -7 ')).toBe(-7n);
    expect(parseMinor(null)).toBe(0n);
    expect(() => parseMinor('1.5')).toThrow(RangeError);
    expect(() => parseMinor('1e3')).toThrow(RangeError);
    expect(toJsonMinor(9_007_199_254_740_991n)).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => toJsonMinor(9_007_199_254_740_992n)).toThrow(RangeError);
    expect(() => toJsonMinor(-9_007_199_254_740_992n)).toThrow(RangeError);
    expect(toMinor(42)).toBe(42n);
    expect(() => toMinor(0.1 + 0.2)).toThrow(/safe integer/);
    expect(() => toMinor(2 ** 53)).toThrow(/safe integer/);
  });
});
