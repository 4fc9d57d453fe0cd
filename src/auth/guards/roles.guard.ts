/**
 * Global guard 2 of 3: authorisation by role. A route (or controller) marked @Roles(...) admits
 * callers holding at least one of them; others get 403 FORBIDDEN.
 */
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../../infra/http/domain-error';
import type { Role } from '../auth-user';
import { ROLES_KEY } from '../decorators/roles.decorator';
import type { AuthedRequest } from './jwt-auth.guard';

@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (!roles || roles.length === 0) return true;
    const user = context.switchToHttp().getRequest<AuthedRequest>().user;
    if (!user) throw new DomainError('UNAUTHENTICATED', 401, 'Access token is missing, invalid or expired');
    if (!roles.some((r) => user.roles.includes(r))) throw new DomainError('FORBIDDEN', 403, 'Your role does not allow this action');
    return true;
  }
}
