/** A user as the rest of the code sees it (never with the password hash). */
import type { AuthUser, PrivilegeLevel, Role } from '../auth/auth-user';

export interface User {
  id: string;
  email: string;
  displayName: string | null;
  roles: Role[];
  privilegeLevel: PrivilegeLevel;
  emailVerified: boolean;
  createdAt: string;
}

export function toAuthUser(user: User, familyId?: string): AuthUser {
  return {
    id: user.id,
    email: user.email,
    roles: user.roles,
    privilegeLevel: user.privilegeLevel,
    emailVerified: user.emailVerified,
    ...(familyId ? { familyId } : {}),
  };
}
