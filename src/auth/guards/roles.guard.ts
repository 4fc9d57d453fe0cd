/**
 * Global guard 2 of 3: authorisation by role. A route (or controller) marked @Roles(...) admits
 * callers holding at least one of them; others get 403 FORBIDDEN.
 */
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../../infra/http/domain-error';
import { HandlerMetadata } from '../../infra/http/handler-metadata';
import type { Role } from '../auth-user';
import { ROLES_KEY } from '../decorators/roles.decorator';
import type { AuthedRequest } from './jwt-auth.guard';

@Injectable()
export class RolesGuard implements CanActivate {
  private readonly roles: HandlerMetadata<Role[]>;

  constructor(reflector: Reflector) {
    this.roles = HandlerMetadata.of<Role[]>(reflector, ROLES_KEY);
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const roles = this.roles.get(context);
    if (!roles || roles.length === 0) return true;
    const user = context.switchToHttp().getRequest<AuthedRequest>().user;
    if (!user) throw new DomainError('UNAUTHENTICATED', 401, 'Access token is missing, invalid or expired');
    if (!roles.some((r) => user.roles.includes(r))) throw new DomainError('FORBIDDEN', 403, 'Your role does not allow this action');
    return true;
  }
}
