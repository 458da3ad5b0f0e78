import { DomainError } from '#libs/domain';
import { Accounts } from './accounts.js';
import { minorFromDb, sumMinor } from './money.js';
import { assertFloors, InsufficientFunds, move, transferFingerprint, validateTransfer, type TransferRequest } from './transfer.js';

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

  it('sums without float drift', () => {
    expect(sumMinor([Number.MAX_SAFE_INTEGER, -1, 1])).toBe(Number.MAX_SAFE_INTEGER);
    expect(sumMinor([10, 20, -30])).toBe(0);
  });
});
