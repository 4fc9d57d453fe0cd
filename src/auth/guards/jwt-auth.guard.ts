/**
 * Global guard 1 of 3 (then RolesGuard, then VerifiedEmailGuard): authentication. Every route
 * requires a valid access token unless marked @Public(). Access tokens are stateless and
 * short-lived (JWT_ACCESS_TTL, 15 min): a signed-out or revoked session's access token is not
 * recalled and keeps working until it expires, which is accepted to keep requests store-free.
 */
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../../infra/http/domain-error';
import { HandlerMetadata } from '../../infra/http/handler-metadata';
import { currentRequest } from '../../infra/logging/request-context';
import type { AuthUser } from '../auth-user';
import { IS_PUBLIC } from '../decorators/public.decorator';
import { TokenService } from '../token.service';

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
          req.user = this.tokens.verifyAccess(token);
        } catch {
          /* ignore: the route is public */
        }
      }
      return true;
    }
    if (!token) throw new DomainError('UNAUTHENTICATED', 401, 'Access token is missing, invalid or expired');
    const user = this.tokens.verifyAccess(token);
    req.user = user;
    const ctx = currentRequest();
    if (ctx) ctx.userId = user.id;
    return true;
  }
}
