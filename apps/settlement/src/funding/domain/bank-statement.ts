/**
 * A bank statement as the operator uploads it: CSV, UTF-8, one header line exactly
 * `date,amount,currency,reference,bank_transaction_id`, then one line per booking. Fields may be quoted
 * ("…", a doubled quote inside). Amounts are DECIMAL STRINGS IN MAJOR UNITS as banks print them
 * (`1000`, `1000.5`, `1000.50`: yuan, dollars, euros), at most two decimals, no thousands separators, no
 * sign other than a leading `-`; they are converted to integer minor units by string arithmetic (never a
 * float): `1000.50` CNY → 100050 fen. Negative amounts (money leaving the account) are listed, never
 * credited.
 */
export const STATEMENT_HEADER = ['date', 'amount', 'currency', 'reference', 'bank_transaction_id'] as const;

/** Minor-unit digits of the currencies settlement books (ISO 4217 exponents). */
const EXPONENT: Record<string, number> = { CNY: 2, USD: 2, EUR: 2 };

export interface StatementLine {
  lineNo: number;
  date: string;
  currency: string;
  reference: string;
  bankTransactionId: string;
  /** Null when the line is invalid (see `problem`). */
  amountMinor: number | null;
  problem: string | null;
}

export class StatementFormatError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * `"1000.50"` in a currency with `exponent` decimals → 100050, exactly; throws on anything else
 * (too many decimals, separators, exponents, beyond the safe integer range).
 */
export function majorToMinor(text: string, currency: string): number {
  const exponent = EXPONENT[currency];
  if (exponent === undefined) throw new StatementFormatError(`unknown currency ${currency}`);
  const match = /^(-?)(\d{1,16})(?:\.(\d+))?$/.exec(text.trim());
  if (!match) throw new StatementFormatError(`amount "${text}" is not a decimal number in major units (e.g. 1000.50)`);
  const [, sign, whole, fraction = ''] = match;
  if (fraction.length > exponent) throw new StatementFormatError(`amount "${text}" has more than ${exponent} decimals for ${currency}`);
  const minor = BigInt(whole) * 10n ** BigInt(exponent) + BigInt(fraction.padEnd(exponent, '0') || '0');
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) throw new StatementFormatError(`amount "${text}" is too large`);
  return Number(sign === '-' ? -minor : minor);
}

/** Splits one CSV record (RFC 4180 quoting, no line breaks inside fields). */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        current += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else current += c;
    } else if (c === '"' && current === '') quoted = true;
    else if (c === ',') {
      fields.push(current);
      current = '';
    } else current += c;
  }
  if (quoted) throw new StatementFormatError('an unterminated quoted field');
  fields.push(current);
  return fields.map((f) => f.trim());
}

/** Parses a statement; a wrong header is refused as a whole, a bad line is kept with its problem. */
export function parseStatement(csv: string, maxLines = 10_000): StatementLine[] {
  const rows = csv.replace(/^\uFEFF/, '').split(/\r?\n/).filter((r) => r.trim() !== '');
  if (rows.length === 0) throw new StatementFormatError('the statement is empty');
  const header = splitCsvLine(rows[0]).map((h) => h.toLowerCase());
  if (header.join(',') !== STATEMENT_HEADER.join(',')) throw new StatementFormatError(`the header must read ${STATEMENT_HEADER.join(',')}`);
  if (rows.length - 1 > maxLines) throw new StatementFormatError(`a statement holds at most ${maxLines} lines`);
  return rows.slice(1).map((row, index) => {
    const lineNo = index + 2;
    let fields: string[];
    try {
      fields = splitCsvLine(row);
    } catch (error) {
      return { lineNo, date: '', currency: '', reference: '', bankTransactionId: '', amountMinor: null, problem: (error as Error).message };
    }
    const [date = '', amount = '', currency = '', reference = '', bankTransactionId = ''] = fields;
    const line: StatementLine = { lineNo, date, currency: currency.toUpperCase(), reference, bankTransactionId, amountMinor: null, problem: null };
    if (fields.length !== STATEMENT_HEADER.length) return { ...line, problem: `expected ${STATEMENT_HEADER.length} fields, found ${fields.length}` };
    if (!bankTransactionId || bankTransactionId.length > 200) return { ...line, problem: 'bank_transaction_id is missing or longer than 200 characters' };
    if (reference.length > 200) return { ...line, problem: 'reference is longer than 200 characters' };
    try {
      const minor = majorToMinor(amount, line.currency);
      if (minor <= 0) return { ...line, amountMinor: minor, problem: 'not an incoming payment (amount is zero or negative)' };
      return { ...line, amountMinor: minor };
    } catch (error) {
      return { ...line, problem: (error as Error).message };
    }
  });
}

/** The reference as payers type it: case, spaces and dashes do not matter (`mf-ab12 cd34` = `MFAB12CD34`). */
export const normalizeReference = (reference: string): string => reference.toUpperCase().replace(/[^A-Z0-9]/g, '');

/** Finds a Meshfab payment reference inside a free-text remittance line ("PO 17 / MF-AB12-CD34 thanks"). */
export function findReference(text: string): string | null {
  const match = /MF-?[A-Z0-9]{4}-?[A-Z0-9]{4}-?[A-Z0-9]{4}/i.exec(text);
  return match ? normalizeReference(match[0]) : null;
}
