import { headerKeyId, keyIdOf, SigningKeys } from './signing-keys';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('signing keys', () => {
  it('derives a 16-hex kid that does not contain the secret', () => {
    const secret = 'a'.repeat(40);
    expect(keyIdOf(secret)).toMatch(/^[0-9a-f]{16}$/);
    expect(keyIdOf(secret)).not.toContain('aaaa');
    expect(keyIdOf(secret)).toBe(keyIdOf(secret));
    expect(keyIdOf(secret)).not.toBe(keyIdOf('b'.repeat(40)));
  });

  it('finds the current and previous keys by kid, and nothing else', () => {
    const keys = new SigningKeys('new-secret-0123456789-0123456789', ['old-secret-0123456789-0123456789']);
    expect(keys.keyFor(keyIdOf('new-secret-0123456789-0123456789'))).toBe(keys.currentKey);
    expect(keys.keyFor(keyIdOf('old-secret-0123456789-0123456789'))).toBeDefined();
    expect(keys.keyFor(keyIdOf('dropped-secret-0123456789-012345'))).toBeUndefined();
    expect(keys.keyFor(undefined)).toBe(keys.currentKey);
    expect(keys.kids).toHaveLength(2);
  });

  it('reads the kid from a header', () => {
    expect(headerKeyId(`${b64({ alg: 'HS256', kid: 'abc' })}.x.y`)).toBe('abc');
    expect(headerKeyId(`${b64({ alg: 'HS256' })}.x.y`)).toBeUndefined();
    expect(() => headerKeyId('%%%.x.y')).toThrow();
  });
});
