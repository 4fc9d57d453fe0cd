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
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
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
