/**
 * Opaque secrets handed to clients (refresh tokens, verification and reset tokens): 32 random
 * bytes, base64url. Only their SHA-256 is stored, and lookups go by that hash, so a database
 * leak exposes no usable token and a lookup's timing says nothing about the secret. Pure.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const OPAQUE_TOKEN_BYTES = 32;
/** base64url of 32 bytes, no padding. */
const OPAQUE_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function newOpaqueToken(): string {
  return randomBytes(OPAQUE_TOKEN_BYTES).toString('base64url');
}

/** True when the string could be a token we issued; anything else is refused without a lookup. */
export function isOpaqueTokenShape(token: string): boolean {
  return OPAQUE_TOKEN_SHAPE.test(token);
}

/** Hex SHA-256 of a token: what the database stores and is searched by. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time equality of two secrets (or their hashes), whatever their lengths. */
export function secretsEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}
