/**
 * Global guard 3 of 3: routes marked @Verified() (DESIGN.md "(verified)") answer 403
 * EMAIL_NOT_VERIFIED to a caller whose email is not verified: the token's claim, unless the
 * revocation state knows better (a verification after the token was issued is an `authz` record,
 * so the caller need not sign in again).
 */
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../../infra/http/domain-error';
import { HandlerMetadata } from '../../infra/http/handler-metadata';
import { REQUIRES_VERIFIED } from '../decorators/verified.decorator';
import type { AuthedRequest } from './jwt-auth.guard';

@Injectable()
export class VerifiedEmailGuard implements CanActivate {
  private readonly requiresVerified: HandlerMetadata<boolean>;

  constructor(reflector: Reflector) {
    this.requiresVerified = HandlerMetadata.of<boolean>(reflector, REQUIRES_VERIFIED);
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const needsVerified = this.requiresVerified.get(context);
    if (!needsVerified) return true;
    const user = context.switchToHttp().getRequest<AuthedRequest>().user;
    if (!user) throw new DomainError('UNAUTHENTICATED', 401, 'Access token is missing, invalid or expired');
    if (!user.emailVerified) throw new DomainError('EMAIL_NOT_VERIFIED', 403, 'Verify your email address first');
    return true;
  }
}
