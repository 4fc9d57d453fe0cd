/**
 * Outbox mails carry a link with a live token until they are sent, and tokens must never sit
 * in the database in the clear (DESIGN.md §7). So the payload is sealed with AES-256-GCM under
 * a key derived (HKDF) from JWT_SECRET with its own label, and wiped once delivered. A payload
 * sealed under another secret (after a rotation) fails to open: the mail is given up. Pure.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface OutboxMail {
  to: string;
  subject: string;
  text: string;
  /** The action link (verification, reset), logged in dev mode instead of sending. */
  link?: string;
}

export function deriveOutboxKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'bulwark', 'bulwark:mail-outbox:v1', 32));
}

export function sealMail(key: Buffer, mail: OutboxMail): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(mail), 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

/** Opens a sealed payload; throws when it was tampered with or sealed under another key. */
export function openMail(key: Buffer, sealed: Buffer): OutboxMail {
  if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) throw new Error('unknown outbox payload format');
  const iv = sealed.subarray(1, 1 + IV_BYTES);
  const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(tag);
  const plain = Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
  return JSON.parse(plain.toString('utf8')) as OutboxMail;
}

/**
 * Delay before the next attempt of a mail that has failed `attempts` times: base·2^(attempts-1),
 * capped, with ±20 % jitter so replicas and mails do not retry in lockstep.
 */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(baseMs * 2 ** Math.max(0, attempts - 1), maxMs);
  return Math.min(maxMs, Math.round(exp * (0.8 + 0.4 * random())));
}
