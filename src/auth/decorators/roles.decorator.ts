import { SetMetadata } from '@nestjs/common';
import type { Role } from '../auth-user';

export const ROLES_KEY = 'bulwark:roles';
/** Restricts a route (or controller) to callers holding at least one of these roles. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
