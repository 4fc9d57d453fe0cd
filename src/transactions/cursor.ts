/**
 * Cursor keys of the transactions lists, on the shared cursor format (infra/http/pagination):
 * account numbers for the accounts list, posting ids for a transaction log. A key of any other
 * format is refused (400), never passed to SQL.
 */
import { decodeCursor, isBigintText } from '../infra/http/pagination';

/** Account numbers as cursor keys. */
export const ACCOUNT_NUMBER = /^BW[0-9]{12}$/;

/** The account number an accounts-list cursor continues after. */
export function decodeAccountCursor(cursor: string): string {
  const [key] = decodeCursor(cursor, ['string'], ([k]) => ACCOUNT_NUMBER.test(String(k)));
  return key as string;
}

/** The posting id (within PostgreSQL's int8 range; ids start at 1) a transaction-log cursor continues before. */
export function decodePostingCursor(cursor: string): bigint {
  const [key] = decodeCursor(cursor, ['string'], ([k]) => k !== '0' && isBigintText(String(k)));
  return BigInt(key as string);
}
