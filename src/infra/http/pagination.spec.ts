import { DomainError } from './domain-error';
import { decodeCursor, encodeCursor, toPage } from './pagination';

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
    const full = toPage(rows, 2, (r) => [r.id], (r) => r.id);
    expect(full.items).toEqual([1, 2]);
    expect(decodeCursor(full.nextCursor!, ['number'])).toEqual([2]);
    const last = toPage(rows.slice(0, 2), 2, (r) => [r.id], (r) => r.id);
    expect(last).toEqual({ items: [1, 2], nextCursor: null });
    expect(toPage([], 20, () => [], (r) => r)).toEqual({ items: [], nextCursor: null });
  });
});
