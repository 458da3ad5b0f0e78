import fc from 'fast-check';
import { findReference, majorToMinor, parseStatement, StatementFormatError } from './bank-statement.js';

describe('bank statement', () => {
  it('converts decimal major units to minor units exactly, never through a float', () => {
    expect(majorToMinor('1000.05', 'CNY')).toBe(100_005);
    expect(majorToMinor('0.1', 'CNY')).toBe(10);
    expect(majorToMinor('200.10', 'CNY')).toBe(20_010);
    expect(majorToMinor('90071992547409.91', 'CNY')).toBe(9_007_199_254_740_991);
    expect(() => majorToMinor('90071992547409.92', 'CNY')).toThrow(StatementFormatError);
    for (const bad of ['12.345', '1,000.00', '1e3', '', '.5', 'abc']) expect(() => majorToMinor(bad, 'CNY')).toThrow(StatementFormatError);
  });

  it('round-trips every amount in fen', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (fen) => majorToMinor(`${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`, 'CNY') === fen));
  });

  it('parses lines, keeps bad ones with their problem, refuses a wrong header', () => {
    const lines = parseStatement('date,amount,currency,reference,bank_transaction_id\r\n2026-05-01,"1,5",CNY,"MF-AAAA-BBBB-CCCC, thanks",T1\n2026-05-01,15.00,cny,x,T2\n');
    expect(lines.map((l) => [l.lineNo, l.amountMinor, l.problem !== null, l.currency])).toEqual([
      [2, null, true, 'CNY'],
      [3, 1_500, false, 'CNY'],
    ]);
    expect(() => parseStatement('a,b\n1,2')).toThrow(StatementFormatError);
  });

  it('finds a reference in free remittance text', () => {
    expect(findReference('PO 17 / mf-ab12-cd34-ef56 thanks')).toBe('MFAB12CD34EF56');
    expect(findReference('no reference')).toBeNull();
  });
});
