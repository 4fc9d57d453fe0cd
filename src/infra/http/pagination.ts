/**
 * Cursor pagination (DESIGN.md §3): `?limit=` 1..100 (default 20) and an opaque `?cursor=`;
 * answers `{items, nextCursor}`. A cursor is base64url JSON of the last row's sort key, so
 * pages stay stable while rows are added. A cursor that does not decode to the expected shape
 * is a client error (400 VALIDATION_FAILED), never a 500. Pure.
 */
import { DomainError } from './domain-error';

export const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 100;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function encodeCursor(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/*
 * Checks of cursor keys that PostgreSQL casts (`::bigint`, `::timestamptz`, `::uuid`). Cursors are
 * base64url JSON that a client can write, and a key that matches a pattern but not the type
 * (an id past int8, month 13, 36 hyphens) made the cast fail with a 500; these accept exactly
 * what the cast accepts from the keys we issue.
 */
const INT8_MAX = 9_223_372_036_854_775_807n;
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// `timestamptz::text` in the ISO DateStyle: "2026-12-03 17:22:53.123456+00" (offset optional).
const TIMESTAMP_TEXT = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?(?:Z|[+-](\d{2})(?::?(\d{2}))?)?$/;

/** A non-negative integer in PostgreSQL's bigint range, as decimal text ("0" included). */
export function isBigintText(s: string): boolean {
  return /^(0|[1-9][0-9]{0,18})$/.test(s) && BigInt(s) <= INT8_MAX;
}

export function isUuidText(s: string): boolean {
  return UUID_TEXT.test(s);
}

/** A real instant in PostgreSQL's `timestamptz::text` form: month, day, time and offset in range. */
export function isTimestampText(s: string): boolean {
  const m = TIMESTAMP_TEXT.exec(s);
  if (!m) return false;
  const [year, month, day, hour, minute, second, offsetHours = 0, offsetMinutes = 0] = m.slice(1).map((v) => Number(v ?? 0));
  if (year < 1 || month < 1 || month > 12) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 59 && offsetHours <= 15 && offsetMinutes <= 59;
}

/** 400 VALIDATION_FAILED on `cursor`: the answer to any cursor we did not issue. */
export function invalidCursor(): DomainError {
  return new DomainError('VALIDATION_FAILED', 400, 'The request is not valid', [{ field: 'cursor', message: 'cursor is not valid' }]);
}

/**
 * Decodes a cursor into its sort key; `shape` checks each element (e.g. `['string', 'string']`)
 * and `accept`, when given, the key's format (e.g. an account number pattern).
 * Throws 400 VALIDATION_FAILED when it is not one of ours.
 */
export function decodeCursor(
  cursor: string,
  shape: Array<'string' | 'number'>,
  accept: (key: Array<string | number>) => boolean = () => true,
): Array<string | number> {
  const invalid = invalidCursor;
  if (cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  const bytes = Buffer.from(cursor, 'base64url');
  // Node decodes what it can and drops a trailing partial character: "WyIzOSJdx" read as the
  // cursor "WyIzOSJd". Only the exact encoding of what it decodes to is one of ours.
  if (bytes.toString('base64url') !== cursor) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== shape.length) throw invalid();
  parsed.forEach((v, i) => {
    if (typeof v !== shape[i] || (typeof v === 'number' && !Number.isSafeInteger(v))) throw invalid();
  });
  if (!accept(parsed as Array<string | number>)) throw invalid();
  return parsed as Array<string | number>;
}

/**
 * Builds a page from `limit + 1` fetched rows: the extra row only tells that more exist.
 * `keyOf` gives the sort key of a row, encoded into the cursor of the last row returned.
 */
export function toPage<R, T>(rows: R[], limit: number, keyOf: (row: R) => unknown[], map: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  return {
    items: pageRows.map(map),
    nextCursor: more && pageRows.length > 0 ? encodeCursor(keyOf(pageRows[pageRows.length - 1])) : null,
  };
}
