/**
 * Global guard 2 of 3: authorisation by role. A route (or controller) marked @Roles(...) admits
 * callers holding at least one of them; others get 403 FORBIDDEN. The roles are the token's as
 * judged by JwtAuthGuard (a role change made after the token was issued already applied).
 * Staff requests fail closed while this replica may have missed revocations for longer than
 * REVOCATION_MAX_STALENESS_MS (503): a demoted or signed-out ADMIN or TELLER must not keep acting
 * on everyone's data through a replica cut off from the revocation feed (docs/operations.md).
 * That covers @Roles routes AND every request made with a staff token: a teller's power over
 * any customer's account comes from the token's role inside the services (isStaff), not from
 * @Roles, so a route open to customers is a staff route too when a staff token calls it.
 */
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../../infra/http/domain-error';
import { HandlerMetadata } from '../../infra/http/handler-metadata';
import { isStaff, type Role } from '../auth-user';
import { ROLES_KEY } from '../decorators/roles.decorator';
import { AppConfig } from '../../config/config.service';
import { RevocationService } from '../revocation/revocation.service';
import type { AuthedRequest } from './jwt-auth.guard';

@Injectable()
export class RolesGuard implements CanActivate {
  private readonly roles: HandlerMetadata<Role[]>;

  constructor(
    reflector: Reflector,
    private readonly revocations: RevocationService,
    private readonly config: AppConfig,
  ) {
    this.roles = HandlerMetadata.of<Role[]>(reflector, ROLES_KEY);
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const roles = this.roles.get(context);
    const user = context.switchToHttp().getRequest<AuthedRequest>().user;
    const restricted = roles !== undefined && roles.length > 0;
    if (!restricted && !(user && isStaff(user))) return true;
    if (!user) throw new DomainError('UNAUTHENTICATED', 401, 'Access token is missing, invalid or expired');
    if (this.revocations.staleForMs() > this.config.get('REVOCATION_MAX_STALENESS_MS')) {
      throw new DomainError('SERVICE_UNAVAILABLE', 503, 'Session revocations cannot be confirmed right now; retry shortly', undefined, { 'Retry-After': '5' });
    }
    if (restricted && !roles.some((r) => user.roles.includes(r))) throw new DomainError('FORBIDDEN', 403, 'Your role does not allow this action');
    return true;
  }
}
