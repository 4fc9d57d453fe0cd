/** The authenticated caller, passed explicitly to services (never fished out of a global). */
export const ROLES = ['CUSTOMER', 'TELLER', 'ADMIN'] as const;
export type Role = (typeof ROLES)[number];

export const PRIVILEGE_LEVELS = ['BASIC', 'PREMIUM', 'BUSINESS'] as const;
export type PrivilegeLevel = (typeof PRIVILEGE_LEVELS)[number];

export interface AuthUser {
  id: string;
  email: string;
  roles: Role[];
  privilegeLevel: PrivilegeLevel;
  emailVerified: boolean;
  /** Refresh-token family (session) the access token was issued for; absent on foreign tokens. */
  familyId?: string;
  /** When the access token was issued (ms; from `iat`): revocations void tokens issued at or before them. */
  issuedAtMs?: number;
}

/** Claims of an access token (besides iss, aud, iat, exp, jti). */
export interface AccessClaims {
  sub: string;
  email: string;
  roles: Role[];
  lvl: PrivilegeLevel;
  ev: boolean;
  /** Refresh-token family (session) id: lets sign-out revoke exactly this session's tokens, and "change password" keep it. */
  fam?: string;
  /** Issue time in ms (`iat` is whole seconds): see token.service.ts. */
  ims?: number;
}

export function isStaff(user: AuthUser): boolean {
  return user.roles.includes('ADMIN') || user.roles.includes('TELLER');
}
