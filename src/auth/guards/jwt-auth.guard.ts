/**
 * Global guard #1: every route requires a valid access token unless marked @Public().
 * Then roles (@Roles) and verified email (@Verified) are checked, in that order, so one
 * guard decides authentication and authorisation for every module.
 */
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../../infra/http/domain-error';
import { currentRequest } from '../../infra/logging/request-context';
import type { AuthUser, Role } from '../auth-user';
import { IS_PUBLIC } from '../decorators/public.decorator';
import { ROLES_KEY } from '../decorators/roles.decorator';
import { REQUIRES_VERIFIED } from '../decorators/verified.decorator';
import { TokenService } from '../token.service';

export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+([A-Za-z0-9\-_.]+)$/i.exec(header.trim());
  return m?.[1];
}

@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    const req = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets);
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

    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (roles && roles.length > 0 && !roles.some((r) => user.roles.includes(r))) {
      throw new DomainError('FORBIDDEN', 403, 'Your role does not allow this action');
    }
    const needsVerified = this.reflector.getAllAndOverride<boolean>(REQUIRES_VERIFIED, targets);
    if (needsVerified && !user.emailVerified) {
      throw new DomainError('EMAIL_NOT_VERIFIED', 403, 'Verify your email address first');
    }
    return true;
  }
}
