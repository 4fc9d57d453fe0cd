/**
 * Cursor keys of the transactions lists, on the shared cursor format (infra/http/pagination):
 * account numbers for the accounts list, posting ids for a transaction log. A key of any other
 * format is refused (400), never passed to SQL.
 */
import { decodeCursor } from '../infra/http/pagination';

/** Posting ids (bigint identity) as cursor keys. */
export const POSTING_ID = /^[1-9][0-9]{0,18}$/;
/** Account numbers as cursor keys. */
export const ACCOUNT_NUMBER = /^BW[0-9]{12}$/;

const INT8_MAX = 9_223_372_036_854_775_807n;

/** The account number an accounts-list cursor continues after. */
export function decodeAccountCursor(cursor: string): string {
  const [key] = decodeCursor(cursor, ['string'], ([k]) => ACCOUNT_NUMBER.test(String(k)));
  return key as string;
}

/** The posting id (within PostgreSQL's int8 range) a transaction-log cursor continues before. */
export function decodePostingCursor(cursor: string): bigint {
  const [key] = decodeCursor(cursor, ['string'], ([k]) => POSTING_ID.test(String(k)) && BigInt(String(k)) <= INT8_MAX);
  return BigInt(key as string);
}
