import { checkIdempotencyKey, requestFingerprint } from './idempotency-key';

describe('Idempotency-Key header', () => {
  it.each([
    ['a', 'a'],
    ['order-2024-01-01:0001.retry_2', 'order-2024-01-01:0001.retry_2'],
    ['k'.repeat(255), 'k'.repeat(255)],
    ['550e8400-e29b-41d4-a716-446655440000', '550e8400-e29b-41d4-a716-446655440000'],
  ])('accepts %p', (header, key) => {
    expect(checkIdempotencyKey(header)).toEqual({ ok: true, key });
  });

  it('treats a missing header as "not idempotent"', () => {
    expect(checkIdempotencyKey(undefined)).toEqual({ ok: true, key: undefined });
  });

  it.each([
    ['empty', ''],
    ['too long', 'k'.repeat(256)],
    ['a space', 'a b'],
    ['a slash', 'a/b'],
    ['unicode', 'clé'],
    ['a newline', 'abc\n'],
    ['sent twice', ['a', 'b']],
  ] as Array<[string, string | string[]]>)('refuses a key that is %s', (_label, header) => {
    expect(checkIdempotencyKey(header).ok).toBe(false);
  });
});

describe('request fingerprint', () => {
  it('is equal for equal requests and differs when any field differs', () => {
    const base = requestFingerprint('TRANSFER', ['BW000000000001', 'BW000000000002', 1250n, 'rent']);
    expect(requestFingerprint('TRANSFER', ['BW000000000001', 'BW000000000002', 1250n, 'rent'])).toBe(base);
    expect(requestFingerprint('TRANSFER', ['BW000000000001', 'BW000000000002', 1251n, 'rent'])).not.toBe(base);
    expect(requestFingerprint('TRANSFER', ['BW000000000002', 'BW000000000001', 1250n, 'rent'])).not.toBe(base);
    expect(requestFingerprint('TRANSFER', ['BW000000000001', 'BW000000000002', 1250n, 'rent '])).not.toBe(base);
    expect(requestFingerprint('DEPOSIT', ['BW000000000001', 'BW000000000002', 1250n, 'rent'])).not.toBe(base);
  });

  it('cannot be confused by field boundaries', () => {
    expect(requestFingerprint('DEPOSIT', ['ab', 'c'])).not.toBe(requestFingerprint('DEPOSIT', ['a', 'bc']));
  });
});
