/**
 * Access tokens: HS256 JWTs with the algorithm pinned (none and every other alg refused) and
 * iss/aud/exp checked. Used by the HTTP guard and the Socket.IO handshake alike.
 * - Keys: `JWT_SECRET` signs; it and `JWT_PREVIOUS_SECRETS` verify. The header's `kid` names
 *   the key (signing-keys.ts); an unknown or dropped `kid` is refused like any bad token.
 * - `iat` and `exp` are whole seconds: RFC 7519 allows a fractional NumericDate, but decoders
 *   that read them as integers (Rust's jsonwebtoken, for one) refused our tokens. The issue time
 *   in milliseconds travels in the private claim `ims`, so a revocation and a token issued in the
 *   same second are still told apart (revocation-state.ts); a token without it (signed before
 *   `ims` existed, with a fractional `iat`) is judged by its `iat`.
 * - Revocation is NOT checked here: callers (JwtAuthGuard, the gateway) ask RevocationService
 *   after this, so the verified-token cache below can never let a revoked token through.
 * Rejections are counted in `auth_token_rejections_total{reason}`, never logged per request.
 */
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import type { Counter } from 'prom-client';
import { AppConfig } from '../config/config.service';
import { DomainError } from '../infra/http/domain-error';
import { MetricsService } from '../metrics/metrics.service';
import { PRIVILEGE_LEVELS, ROLES, type AccessClaims, type AuthUser } from './auth-user';
import { headerKeyId, SigningKeys } from './signing-keys';

/** Verified tokens seen recently: a request's guards and the next requests of the same client skip the HMAC and parsing. */
const VERIFIED_CACHE_MAX = 10_000;

export type TokenRejection = 'invalid' | 'expired' | 'unknown_kid' | 'revoked_session' | 'revoked_user';

export const unauthenticated = () => new DomainError('UNAUTHENTICATED', 401, 'Access token is missing, invalid or expired');

/** `auth_token_rejections_total{reason}`, shared by the token check and the revocation check. */
export function tokenRejectionsCounter(metrics: MetricsService): Counter<'reason'> {
  return metrics.counter('auth_token_rejections_total', 'Access tokens refused, by reason (bad, expired, unknown kid, revoked)', ['reason']);
}

@Injectable()
export class TokenService {
  private readonly verified = new Map<string, { user: AuthUser; expiresAtMs: number }>();
  private readonly keys: SigningKeys;
  private readonly rejections: Counter<'reason'>;

  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.keys = new SigningKeys(config.get('JWT_SECRET'), config.get('JWT_PREVIOUS_SECRETS'));
    this.rejections = tokenRejectionsCounter(metrics);
  }

  get accessTtlSeconds(): number {
    return this.config.get('JWT_ACCESS_TTL');
  }

  /** Counts a refused token (also used by callers refusing a revoked one). */
  countRejection(reason: TokenRejection): void {
    this.rejections.inc({ reason });
  }

  /** Signs an access token; `familyId` names the refresh-token family (session) it belongs to. */
  signAccess(user: AuthUser, familyId?: string): string {
    const nowMs = Date.now();
    const claims: AccessClaims & { iat: number } = {
      sub: user.id,
      email: user.email,
      roles: user.roles,
      lvl: user.privilegeLevel,
      ev: user.emailVerified,
      ...(familyId ? { fam: familyId } : {}),
      iat: Math.floor(nowMs / 1000),
      ims: nowMs,
    };
    return this.jwt.sign(claims, {
      secret: this.keys.currentKey as unknown as Buffer,
      algorithm: 'HS256',
      keyid: this.keys.currentKid,
      issuer: this.config.get('JWT_ISSUER'),
      audience: this.config.get('JWT_AUDIENCE'),
      expiresIn: this.accessTtlSeconds,
      jwtid: randomUUID(),
    });
  }

  /**
   * Verifies key, signature, algorithm, issuer, audience and expiry; throws 401 UNAUTHENTICATED.
   * The result of a successful verification depends only on the token and the clock, so it is
   * remembered until the token's `exp` (bounded LRU); expiry is still checked on every use.
   */
  verifyAccess(token: string): AuthUser {
    const cached = this.verified.get(token);
    if (cached) {
      if (Date.now() < cached.expiresAtMs) return cached.user;
      this.verified.delete(token);
    }
    const { user, expiresAtMs } = this.verifyUncached(token);
    if (this.verified.size >= VERIFIED_CACHE_MAX) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(token, { user, expiresAtMs });
    return user;
  }

  private reject(reason: TokenRejection): DomainError {
    this.countRejection(reason);
    return unauthenticated();
  }

  private verifyUncached(token: string): { user: AuthUser; expiresAtMs: number } {
    let kid: string | undefined;
    try {
      kid = headerKeyId(token);
    } catch {
      throw this.reject('invalid');
    }
    const key = this.keys.keyFor(kid);
    if (!key) throw this.reject('unknown_kid');
    let claims: AccessClaims & { exp?: number; iat?: number };
    try {
      claims = this.jwt.verify<AccessClaims & { exp?: number; iat?: number }>(token, {
        secret: key as unknown as Buffer,
        algorithms: ['HS256'],
        issuer: this.config.get('JWT_ISSUER'),
        audience: this.config.get('JWT_AUDIENCE'),
      });
    } catch (err) {
      throw this.reject((err as Error).name === 'TokenExpiredError' ? 'expired' : 'invalid');
    }
    if (
      typeof claims.sub !== 'string' ||
      !Array.isArray(claims.roles) ||
      !claims.roles.every((r) => (ROLES as readonly string[]).includes(r)) ||
      !(PRIVILEGE_LEVELS as readonly string[]).includes(claims.lvl)
    ) {
      throw this.reject('invalid');
    }
    const user: AuthUser = {
      id: claims.sub,
      email: claims.email,
      roles: claims.roles,
      privilegeLevel: claims.lvl,
      emailVerified: claims.ev === true,
      ...(typeof claims.fam === 'string' ? { familyId: claims.fam } : {}),
      issuedAtMs: issuedAtMs(claims),
    };
    // jsonwebtoken has checked exp; a token without exp is not cached beyond this call.
    return { user, expiresAtMs: typeof claims.exp === 'number' ? claims.exp * 1000 : 0 };
  }
}

/**
 * When a verified token was issued, in ms: `ims` when it lies within its `iat` second (always, for
 * tokens we sign), else `iat`. No iat: treated as issued at the epoch, so every revocation of the
 * user applies to it.
 */
export function issuedAtMs(claims: { iat?: unknown; ims?: unknown }): number {
  if (typeof claims.iat !== 'number') return 0;
  const iatMs = Math.round(claims.iat * 1000);
  const ims = claims.ims;
  if (typeof ims === 'number' && Number.isInteger(ims) && ims >= iatMs && ims < iatMs + 1000) return ims;
  return iatMs;
}
