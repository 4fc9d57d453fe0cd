import { DomainError } from '../infra/http/domain-error';
import { encodeCursor } from '../infra/http/pagination';
import { decodeAccountCursor, decodePostingCursor } from './cursor';

function refusal(decode: () => unknown): { code: string; status: number } | undefined {
  try {
    decode();
  } catch (err) {
    if (err instanceof DomainError) return { code: err.code, status: err.status };
    throw err;
  }
  return undefined;
}

describe('transactions cursors', () => {
  it('round-trips the keys it issues', () => {
    expect(decodePostingCursor(encodeCursor(['12345']))).toBe(12345n);
    expect(decodeAccountCursor(encodeCursor(['BW000000000042']))).toBe('BW000000000042');
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'a+b/c='],
    ['base64 of a bare number (not a key list)', Buffer.from('12345').toString('base64url')],
    ['a key of the wrong shape', encodeCursor(['12; DROP TABLE postings'])],
    ['a zero id', encodeCursor(['0'])],
    ['a negative id', encodeCursor(['-5'])],
    ['an id beyond bigint', encodeCursor(['99999999999999999999'])],
    ['far too long', 'A'.repeat(513)],
  ])('refuses a cursor that is %s with 400 VALIDATION_FAILED', (_label, cursor) => {
    expect(refusal(() => decodePostingCursor(cursor))).toEqual({ code: 'VALIDATION_FAILED', status: 400 });
  });

  it('refuses an account cursor that is not an account number', () => {
    expect(refusal(() => decodeAccountCursor(encodeCursor(['SETTLEMENT-GBP'])))).toEqual({ code: 'VALIDATION_FAILED', status: 400 });
  });
});

describe('posting cursors', () => {
  it('accepts ids up to the int8 maximum and refuses one beyond it', () => {
    expect(decodePostingCursor(encodeCursor(['9223372036854775807']))).toBe(9223372036854775807n);
    expect(refusal(() => decodePostingCursor(encodeCursor(['9223372036854775808'])))).toEqual({ code: 'VALIDATION_FAILED', status: 400 });
    expect(decodePostingCursor(encodeCursor(['7']))).toBe(7n);
  });
});
