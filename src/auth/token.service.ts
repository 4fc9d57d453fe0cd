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

@Injectable()
export class TokenService {
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

  /** Verifies signature, algorithm, issuer, audience and expiry; throws 401 UNAUTHENTICATED. */
  verifyAccess(token: string): AuthUser {
    let claims: AccessClaims;
    try {
      claims = this.jwt.verify<AccessClaims & object>(token, {
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
    return {
      id: claims.sub,
      email: claims.email,
      roles: claims.roles,
      privilegeLevel: claims.lvl,
      emailVerified: claims.ev === true,
      ...(typeof claims.fam === 'string' ? { familyId: claims.fam } : {}),
    };
  }
}
