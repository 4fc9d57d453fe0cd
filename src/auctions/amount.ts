/**
 * Auction money: decimal strings on the wire ("12.50", at most two decimals, never a JSON
 * number), bigint minor units in PostgreSQL and in memory. Pure, so it is unit-tested alone.
 * Kept local to the auctions module; the ledger has its own helper.
 */
// Requests are validated with the ledger's IsMoneyAmount (the API documents' syntax and limit: a
// black-box review found "0010.00" taken for a bid and refused for a deposit); this only converts.
const AMOUNT = /^(0|[1-9]\d{0,12})(?:\.(\d{1,2}))?$/;

/** "12.5" → 1250n. Throws RangeError on anything that is not an amount string. */
export function parseAmount(value: string): bigint {
  const m = typeof value === 'string' ? AMOUNT.exec(value) : null;
  if (!m) throw new RangeError(`not an amount: ${JSON.stringify(value)}`);
  const cents = (m[2] ?? '').padEnd(2, '0');
  return BigInt(m[1]) * 100n + BigInt(cents);
}

/** 1250n (or "1250" as pg returns int8) → "12.50". */
export function formatAmount(minor: bigint | string | number): string {
  const v = BigInt(minor);
  const sign = v < 0n ? '-' : '';
  const abs = v < 0n ? -v : v;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

/** Like formatAmount, but keeps SQL NULL as null. */
export function formatOptionalAmount(minor: bigint | string | number | null | undefined): string | null {
  return minor === null || minor === undefined ? null : formatAmount(minor);
}
