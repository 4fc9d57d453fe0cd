/**
 * Opaque secrets handed to clients (refresh tokens, verification and reset tokens): 32 random
 * bytes, base64url. Only their SHA-256 is stored, and lookups go by that hash (a unique index),
 * so a database leak exposes no usable token, and no secret is ever compared byte by byte in
 * our code: the index lookup's timing depends on the hash, which tells an attacker nothing about
 * the token. (Passwords are compared inside argon2's verify, which is constant-time.) Pure.
 */
import { createHash, randomBytes } from 'node:crypto';

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
