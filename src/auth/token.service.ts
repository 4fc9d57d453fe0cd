/**
 * Access tokens: HS256 JWTs with the algorithm pinned (none and every other alg refused) and
 * iss/aud/exp checked. Used by the HTTP guard and the Socket.IO handshake alike.
 * They are stateless: signing out or a revoked refresh family does not recall an access token
 * already issued; it stays valid until it expires (JWT_ACCESS_TTL, 15 min by default). That is
 * the accepted price of not reading a session store on every request.
 */
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../config/config.service';
import { DomainError } from '../infra/http/domain-error';
import { PRIVILEGE_LEVELS, ROLES, type AccessClaims, type AuthUser } from './auth-user';

/** Verified tokens seen recently: a request's guards and the next requests of the same client skip the HMAC and parsing. */
const VERIFIED_CACHE_MAX = 10_000;

@Injectable()
export class TokenService {
  private readonly verified = new Map<string, { user: AuthUser; expiresAtMs: number }>();

  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
  ) {}

  get accessTtlSeconds(): number {
    return this.config.get('JWT_ACCESS_TTL');
  }

  /** Signs an access token; `familyId` names the refresh-token family (session) it belongs to. */
  signAccess(user: AuthUser, familyId?: string): string {
    const claims: AccessClaims = {
      sub: user.id,
      email: user.email,
      roles: user.roles,
      lvl: user.privilegeLevel,
      ev: user.emailVerified,
      ...(familyId ? { fam: familyId } : {}),
    };
    return this.jwt.sign(claims, {
      algorithm: 'HS256',
      issuer: this.config.get('JWT_ISSUER'),
      audience: this.config.get('JWT_AUDIENCE'),
      expiresIn: this.accessTtlSeconds,
      jwtid: randomUUID(),
    });
  }

  /**
   * Verifies signature, algorithm, issuer, audience and expiry; throws 401 UNAUTHENTICATED.
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

  private verifyUncached(token: string): { user: AuthUser; expiresAtMs: number } {
    let claims: AccessClaims & { exp?: number };
    try {
      claims = this.jwt.verify<AccessClaims & { exp?: number }>(token, {
        algorithms: ['HS256'],
        issuer: this.config.get('JWT_ISSUER'),
        audience: this.config.get('JWT_AUDIENCE'),
      });
    } catch {
      throw new DomainError('UNAUTHENTICATED', 401, 'Access token is missing, invalid or expired');
    }
    if (
      typeof claims.sub !== 'string' ||
      !Array.isArray(claims.roles) ||
      !claims.roles.every((r) => (ROLES as readonly string[]).includes(r)) ||
      !(PRIVILEGE_LEVELS as readonly string[]).includes(claims.lvl)
    ) {
      throw new DomainError('UNAUTHENTICATED', 401, 'Access token is missing, invalid or expired');
    }
    const user: AuthUser = {
      id: claims.sub,
      email: claims.email,
      roles: claims.roles,
      privilegeLevel: claims.lvl,
      emailVerified: claims.ev === true,
      ...(typeof claims.fam === 'string' ? { familyId: claims.fam } : {}),
    };
    // jsonwebtoken has checked exp; a token without exp is not cached beyond this call.
    return { user, expiresAtMs: typeof claims.exp === 'number' ? claims.exp * 1000 : 0 };
  }
}
