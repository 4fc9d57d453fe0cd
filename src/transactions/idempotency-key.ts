/**
 * Idempotency-Key header rules and the request fingerprint stored with a key. Pure, so the
 * rules are unit-tested: a key is 1..255 characters of [A-Za-z0-9_-:.]; the fingerprint covers
 * the operation and the normalised request (amounts in minor units), so "12.5" and "12.50"
 * are the same request while a deposit and a withdrawal under one key are not.
 */
import { createHash } from 'node:crypto';

const KEY = /^[A-Za-z0-9_\-:.]{1,255}$/;

export type KeyCheck = { ok: true; key: string | undefined } | { ok: false; message: string };

/** Reads the raw header value; absent means "not idempotent", anything malformed is refused. */
export function checkIdempotencyKey(header: string | string[] | undefined): KeyCheck {
  if (header === undefined) return { ok: true, key: undefined };
  if (Array.isArray(header)) return { ok: false, message: 'must be sent once' };
  if (!KEY.test(header)) return { ok: false, message: 'must be 1 to 255 characters of A-Z, a-z, 0-9, "_", "-", ":" or "."' };
  return { ok: true, key: header };
}

/** A stable fingerprint of one money request; field order is fixed by the caller's tuple. */
export function requestFingerprint(operation: string, fields: Array<string | bigint | null | undefined>): string {
  const canonical = JSON.stringify([operation, ...fields.map((f) => (f === undefined || f === null ? null : String(f)))]);
  return createHash('sha256').update(canonical).digest('hex');
}
