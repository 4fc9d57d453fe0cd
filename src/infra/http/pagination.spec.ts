import { DomainError } from './domain-error';
import { decodeCursor, encodeCursor, isBigintText, isTimestampText, isUuidText, toPage } from './pagination';

describe('cursor pagination', () => {
  it('round-trips a sort key through an opaque URL-safe cursor', () => {
    const key = ['2026-01-01 10:00:00.123456+00', '8f14e45f-ceea-4e7a-9a1b-0d1c2b3a4f5e'];
    const cursor = encodeCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, ['string', 'string'])).toEqual(key);
    expect(decodeCursor(encodeCursor([42]), ['number'])).toEqual([42]);
  });

  it.each([
    ['not base64url', '%%%'],
    ['not JSON', Buffer.from('not json').toString('base64url')],
    ['not an array', encodeCursor({ a: 1 } as unknown as unknown[])],
    ['wrong arity', encodeCursor(['a'])],
    ['wrong types', encodeCursor([1, 2])],
    ['unsafe number', Buffer.from('["x", 1e300]').toString('base64url')],
    ['too long', 'a'.repeat(600)],
    // Both decode to the same key as a cursor we issued: Node drops what it cannot decode.
    ['a valid cursor with a character more', `${encodeCursor(['abc', 1])}x`], // "WyJhYmMiLDFd" + "x"
    ['a valid cursor with unused bits set in its last character', 'WyJhIiwxXR'], // ours: "WyJhIiwxXQ
  ])('refuses a cursor that is %s with 400 VALIDATION_FAILED', (_, cursor) => {
    let caught: unknown;
    try {
      decodeCursor(cursor, ['string', 'number']);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DomainError);
    expect((caught as DomainError).code).toBe('VALIDATION_FAILED');
    expect((caught as DomainError).status).toBe(400);
    expect((caught as DomainError).errors?.[0].field).toBe('cursor');
  });

  it('builds pages from limit + 1 rows: a next cursor only when more rows exist', () => {
    const rows = [1, 2, 3].map((id) => ({ id }));
    const full = toPage(
      rows,
      2,
      (r) => [r.id],
      (r) => r.id,
    );
    expect(full.items).toEqual([1, 2]);
    expect(decodeCursor(full.nextCursor!, ['number'])).toEqual([2]);
    const last = toPage(
      rows.slice(0, 2),
      2,
      (r) => [r.id],
      (r) => r.id,
    );
    expect(last).toEqual({ items: [1, 2], nextCursor: null });
    expect(
      toPage(
        [],
        20,
        () => [],
        (r) => r,
      ),
    ).toEqual({ items: [], nextCursor: null });
  });
});

// Keys PostgreSQL casts: what passes must cast, or a crafted cursor is a 500 (found by a review).
describe('cursor key checks', () => {
  it.each(['2026-12-03 17:22:53.123456+00', '2026-12-03 17:22:53+05:30', '2024-02-29T23:59:59Z', '2026-12-03 17:22:53', '0001-01-01 00:00:00+15:59'])(
    'accepts the timestamp %s',
    (text) => expect(isTimestampText(text)).toBe(true),
  );

  it.each([
    ['month 13', '2026-13-01 00:00:00+00'],
    ['day 31 of a 30-day month', '2026-11-31 00:00:00+00'],
    ['29 February of a common year', '2100-02-29 00:00:00+00'],
    ['hour 99', '2026-12-03 99:00:00+00'],
    ['second 60', '2026-12-03 10:00:60+00'],
    ['offset +99', '2026-12-03 10:00:00+99'],
    ['year 0', '0000-01-01 00:00:00+00'],
    ['trailing text', '2026-12-03 10:00:00+00 BC'],
  ])('refuses a timestamp with %s', (_, text) => expect(isTimestampText(text)).toBe(false));

  it('accepts bigint ids up to int8 and UUIDs only in their canonical form', () => {
    expect(isBigintText('0')).toBe(true);
    expect(isBigintText('9223372036854775807')).toBe(true);
    expect(isBigintText('9223372036854775808')).toBe(false);
    expect(isBigintText('9999999999999999999')).toBe(false);
    expect(isBigintText('007')).toBe(false);
    expect(isBigintText('-1')).toBe(false);
    expect(isUuidText('8f14e45f-ceea-4e7a-9a1b-0d1c2b3a4f5e')).toBe(true);
    expect(isUuidText('-'.repeat(36))).toBe(false);
    expect(isUuidText('8f14e45fceea4e7a9a1b0d1c2b3a4f5e0000')).toBe(false);
  });
});
