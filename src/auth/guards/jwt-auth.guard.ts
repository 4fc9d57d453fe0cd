/**
 * Global guard 1 of 3 (then RolesGuard, then VerifiedEmailGuard): authentication. Every route
 * requires a valid access token unless marked @Public(). After the (cached) signature check the
 * token is judged against this replica's revocation state — in memory, no Redis round trip: a
 * revoked session's token is 401, and a token issued before a role or level change acts with
 * the new values.
 */
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../../infra/http/domain-error';
import { HandlerMetadata } from '../../infra/http/handler-metadata';
import { currentRequest } from '../../infra/logging/request-context';
import type { AuthUser } from '../auth-user';
import { IS_PUBLIC } from '../decorators/public.decorator';
import { RevocationService } from '../revocation/revocation.service';
import { TokenService, unauthenticated } from '../token.service';

export type AuthedRequest = FastifyRequest & { user?: AuthUser };

export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+([A-Za-z0-9\-_.]+)$/i.exec(header.trim());
  return m?.[1];
}

@Injectable()
export class JwtAuthGuard implements CanActivate {
  private readonly isPublic: HandlerMetadata<boolean>;

  constructor(
    reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly revocations: RevocationService,
  ) {
    this.isPublic = HandlerMetadata.of<boolean>(reflector, IS_PUBLIC);
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const isPublic = this.isPublic.get(context);
    const token = bearerToken(req.headers.authorization);
    if (isPublic) {
      // A public route still learns who is calling when a valid token is sent (per-user throttling).
      if (token) {
        try {
          req.user = this.authenticate(token);
        } catch {
          /* ignore: the route is public */
        }
      }
      return true;
    }
    if (!token) throw new DomainError('UNAUTHENTICATED', 401, 'Access token is missing, invalid or expired');
    const user = this.authenticate(token);
    req.user = user;
    const ctx = currentRequest();
    if (ctx) ctx.userId = user.id;
    return true;
  }

  /** Signature (cached per token), then revocation (never cached: it can change at any time). */
  private authenticate(token: string): AuthUser {
    const verdict = this.revocations.judge(this.tokens.verifyAccess(token));
    if (verdict.ok) return verdict.user;
    this.tokens.countRejection(verdict.reason);
    throw unauthenticated();
  }
}
