import { createHash } from 'node:crypto';
import { hashToken, isOpaqueTokenShape, newOpaqueToken } from './secret-tokens';

describe('opaque secret tokens', () => {
  it('are 32 random bytes in base64url (43 characters), never repeating', () => {
    const tokens = Array.from({ length: 1000 }, newOpaqueToken);
    expect(new Set(tokens).size).toBe(1000);
    for (const t of tokens) {
      expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(t, 'base64url')).toHaveLength(32);
      expect(isOpaqueTokenShape(t)).toBe(true);
    }
  });

  it.each(['', 'short', 'x'.repeat(42), 'x'.repeat(44), `${'x'.repeat(42)}=`, `${'x'.repeat(42)}/`, `${'x'.repeat(42)}+`])('rejects the shape %j', (t) => {
    expect(isOpaqueTokenShape(t)).toBe(false);
  });

  it('hashes to the hex SHA-256 of the token, which is what the database stores', () => {
    const t = newOpaqueToken();
    expect(hashToken(t)).toBe(createHash('sha256').update(t).digest('hex'));
    expect(hashToken(t)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(t)).not.toBe(hashToken(newOpaqueToken()));
  });
});
