/**
 * Money at the API edge: decimal strings with at most two decimals ("12.50") in, integer minor
 * units (bigint) inside, the same strings out. Pure and BigInt-only: a float never touches an
 * amount, so no value is ever rounded on its way into or out of the ledger.
 */

/** Largest amount one request may move: 1,000,000,000.00 in minor units. */
export const MAX_AMOUNT_MINOR = 100_000_000_000n;

/** Strict amount syntax: no sign, no exponent, no leading zeros, no bare or trailing dot. */
const AMOUNT = /^(0|[1-9][0-9]{0,29})(?:\.([0-9]{1,2}))?$/;

/** Why an amount was refused; the validator turns it into a field message. */
export type AmountProblem = 'not-a-string' | 'malformed' | 'not-positive' | 'too-large';

export type AmountParse = { ok: true; minor: bigint } | { ok: false; problem: AmountProblem };

/**
 * Parses a client-supplied amount. Accepts "12", "12.5", "12.50"; refuses JSON numbers,
 * "1e3", "-1", "0", "0.001", " 1", "1.", ".5", "NaN", "01" and anything over the maximum.
 */
export function parseAmount(input: unknown): AmountParse {
  if (typeof input !== 'string') return { ok: false, problem: 'not-a-string' };
  if (input.length > 32) return { ok: false, problem: 'malformed' };
  const m = AMOUNT.exec(input);
  if (!m) return { ok: false, problem: 'malformed' };
  const minor = BigInt(m[1]) * 100n + BigInt((m[2] ?? '').padEnd(2, '0'));
  if (minor <= 0n) return { ok: false, problem: 'not-positive' };
  if (minor > MAX_AMOUNT_MINOR) return { ok: false, problem: 'too-large' };
  return { ok: true, minor };
}

export const AMOUNT_MESSAGES: Record<AmountProblem, string> = {
  'not-a-string': 'must be a decimal string such as "12.50", not a number',
  malformed: 'must be a decimal string with at most two decimals, such as "12.50"',
  'not-positive': 'must be greater than zero',
  'too-large': 'must not exceed 1000000000.00',
};

/** Parses an amount known to be valid (already checked by the DTO validator). */
export function amountToMinor(input: string): bigint {
  const parsed = parseAmount(input);
  if (!parsed.ok) throw new RangeError(`invalid amount: ${parsed.problem}`);
  return parsed.minor;
}

/**
 * Parses an operator-supplied decimal (config: transfer limits), where zero and leading zeros
 * are allowed. Throws on anything else; config is validated at start, so this never fails later.
 */
export function decimalToMinor(input: string): bigint {
  const m = /^([0-9]{1,15})(?:\.([0-9]{1,2}))?$/.exec(input.trim());
  if (!m) throw new RangeError(`not a decimal amount: ${input}`);
  return BigInt(m[1]) * 100n + BigInt((m[2] ?? '').padEnd(2, '0'));
}

/**
 * Formats minor units as a two-decimal string ("1250" → "12.50", "-5" → "-0.05").
 * Accepts bigint or the decimal string PostgreSQL returns for int8 columns.
 */
export function formatMinor(value: bigint | string | number): string {
  const minor = toBigInt(value);
  const negative = minor < 0n;
  const abs = negative ? -minor : minor;
  const units = abs / 100n;
  const cents = (abs % 100n).toString().padStart(2, '0');
  return `${negative ? '-' : ''}${units.toString()}.${cents}`;
}

/** int8 values from pg arrive as strings; numbers are accepted only when they are safe integers. */
export function toBigInt(value: bigint | string | number): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`not a safe integer: ${value}`);
    return BigInt(value);
  }
  if (!/^-?[0-9]+$/.test(value)) throw new RangeError(`not an integer: ${value}`);
  return BigInt(value);
}

/** For metrics only (histogram observations): minor units as a float in currency units. */
export function minorToUnitsApprox(minor: bigint): number {
  return Number(minor) / 100;
}
