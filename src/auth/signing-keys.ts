/**
 * The HS256 keys of access tokens: `JWT_SECRET` signs, it and every `JWT_PREVIOUS_SECRETS`
 * entry verify. Each key is named in the token header by a `kid` derived from the secret (the
 * first 8 bytes of its SHA-256, hex), so a verifier picks the one key to try, the secret never
 * appears anywhere, and dropping a secret from the list makes its tokens unknown (401).
 * Pure (node:crypto only): unit-tested in signing-keys.spec.ts.
 */
import { createHash, createSecretKey, type KeyObject } from 'node:crypto';

export function keyIdOf(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 16);
}

/** The `kid` of a JWT's header, undefined when it has none; throws on a header that is not JSON. */
export function headerKeyId(token: string): string | undefined {
  const dot = token.indexOf('.');
  const header = JSON.parse(Buffer.from(dot < 0 ? token : token.slice(0, dot), 'base64url').toString('utf8')) as { kid?: unknown };
  return typeof header.kid === 'string' ? header.kid : undefined;
}

export class SigningKeys {
  readonly currentKid: string;
  /** A KeyObject, made once: given a string, jsonwebtoken would try to parse it as a public key on every call. */
  readonly currentKey: KeyObject;
  private readonly byKid = new Map<string, KeyObject>();

  constructor(current: string, previous: readonly string[] = []) {
    this.currentKid = keyIdOf(current);
    this.currentKey = createSecretKey(Buffer.from(current, 'utf8'));
    this.byKid.set(this.currentKid, this.currentKey);
    for (const secret of previous) {
      const kid = keyIdOf(secret);
      if (!this.byKid.has(kid)) this.byKid.set(kid, createSecretKey(Buffer.from(secret, 'utf8')));
    }
  }

  get kids(): string[] {
    return [...this.byKid.keys()];
  }

  /**
   * The key that may have signed a token with this `kid`. A token without one predates key ids
   * (issued by a release without rotation support): only the current secret can have signed it.
   */
  keyFor(kid: string | undefined): KeyObject | undefined {
    return kid === undefined ? this.currentKey : this.byKid.get(kid);
  }
}
