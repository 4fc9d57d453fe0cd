import { ACCOUNT_NUMBER, POSTING_ID, decodeCursor, decodePostingCursor, encodeCursor } from './cursor';

describe('opaque cursors', () => {
  it('round-trips the keys it issues', () => {
    expect(decodeCursor(encodeCursor('12345'), POSTING_ID)).toBe('12345');
    expect(decodeCursor(encodeCursor('BW000000000042'), ACCOUNT_NUMBER)).toBe('BW000000000042');
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'a+b/c='],
    ['base64 of a bare number (no version tag)', Buffer.from('12345').toString('base64url')],
    ['a key of the wrong shape', encodeCursor('12; DROP TABLE postings')],
    ['a zero id', encodeCursor('0')],
    ['a negative id', encodeCursor('-5')],
    ['an id beyond bigint', encodeCursor('99999999999999999999')],
    ['far too long', 'A'.repeat(201)],
  ])('refuses a cursor that is %s', (_label, cursor) => {
    expect(decodeCursor(cursor, POSTING_ID)).toBeUndefined();
  });
});

describe('posting cursors', () => {
  it('accepts ids up to the int8 maximum and refuses one beyond it', () => {
    expect(decodePostingCursor(encodeCursor('9223372036854775807'))).toBe(9223372036854775807n);
    expect(decodePostingCursor(encodeCursor('9223372036854775808'))).toBeUndefined();
    expect(decodePostingCursor(encodeCursor('7'))).toBe(7n);
  });
});
