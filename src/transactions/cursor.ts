/**
 * Opaque keyset cursors for paginated lists. The client sees base64url text; inside is a
 * version tag and the last key served. Anything that does not decode to a well-formed key is
 * refused (400), never passed to SQL.
 */
const PREFIX = 'v1:';

export function encodeCursor(key: string): string {
  return Buffer.from(PREFIX + key, 'utf8').toString('base64url');
}

/** Returns the key, or undefined when the cursor is not one we issued in this shape. */
export function decodeCursor(cursor: string, keyShape: RegExp): string | undefined {
  if (cursor.length === 0 || cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(PREFIX)) return undefined;
  const key = text.slice(PREFIX.length);
  return keyShape.test(key) ? key : undefined;
}

/** Posting ids (bigint identity) as cursor keys. */
export const POSTING_ID = /^[1-9][0-9]{0,18}$/;
/** Account numbers as cursor keys. */
export const ACCOUNT_NUMBER = /^BW[0-9]{12}$/;

const INT8_MAX = 9_223_372_036_854_775_807n;

/** A posting-id cursor as a bigint within PostgreSQL's int8 range, or undefined. */
export function decodePostingCursor(cursor: string): bigint | undefined {
  const key = decodeCursor(cursor, POSTING_ID);
  if (key === undefined) return undefined;
  const id = BigInt(key);
  return id <= INT8_MAX ? id : undefined;
}
