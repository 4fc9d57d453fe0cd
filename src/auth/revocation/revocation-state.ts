/**
 * What this replica knows about revoked sessions, as plain data with a deterministic merge, so
 * records can arrive in any order, twice, or from a full re-read, and every replica ends with
 * the same answer. Three kinds of record, each expiring once no access token it can affect is
 * still alive (JWT_ACCESS_TTL after it was written):
 * - `session`: a refresh family (session) was ended — every access token carrying it is void.
 * - `user`: "tokens of this user issued at or before `at` are void", except those of `keep`
 *   (the session that changed its own password survives).
 * - `authz`: the user's roles, privilege level or email verification changed at `at`; tokens
 *   issued at or before `at` are judged with these values instead of their claims (a record
 *   written before `emailVerified` existed leaves the token's own claim).
 *
 * Same-instant rule: a token is affected when its issue time (ms, from the token's `iat`) is
 * <= `at`. Writers stamp `at` while holding the user's row lock and do not commit before the
 * clock has passed it, so a token issued before the change (under the same lock) always has
 * iat <= at, and one issued after it always has iat > at.
 * Pure: unit-tested in revocation-state.spec.ts.
 */
import { PRIVILEGE_LEVELS, ROLES, type AuthUser, type PrivilegeLevel, type Role } from '../auth-user';

export type RevocationRecord =
  | { kind: 'session'; familyId: string; expiresAt: number }
  | { kind: 'user'; userId: string; at: number; keep?: string; expiresAt: number }
  | { kind: 'authz'; userId: string; at: number; roles: Role[]; privilegeLevel: PrivilegeLevel; emailVerified?: boolean; expiresAt: number };

export type Verdict = { ok: true; user: AuthUser } | { ok: false; reason: 'revoked_session' | 'revoked_user' };

/** The field a record is stored under (one per session, one per user and kind). */
export function recordKey(r: RevocationRecord): string {
  return r.kind === 'session' ? `s:${r.familyId}` : `${r.kind === 'user' ? 'u' : 'a'}:${r.userId}`;
}

/** Parses a record from the wire or the store; undefined when it is not one (never throws). */
export function parseRecord(value: unknown): RevocationRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  if (typeof r.expiresAt !== 'number') return undefined;
  if (r.kind === 'session' && typeof r.familyId === 'string') return { kind: 'session', familyId: r.familyId, expiresAt: r.expiresAt };
  if (typeof r.userId !== 'string' || typeof r.at !== 'number') return undefined;
  if (r.kind === 'user') {
    return { kind: 'user', userId: r.userId, at: r.at, expiresAt: r.expiresAt, ...(typeof r.keep === 'string' ? { keep: r.keep } : {}) };
  }
  if (
    r.kind === 'authz' &&
    Array.isArray(r.roles) &&
    r.roles.every((x) => (ROLES as readonly unknown[]).includes(x)) &&
    (PRIVILEGE_LEVELS as readonly unknown[]).includes(r.privilegeLevel)
  ) {
    return {
      kind: 'authz',
      userId: r.userId,
      at: r.at,
      roles: r.roles as Role[],
      privilegeLevel: r.privilegeLevel as PrivilegeLevel,
      ...(typeof r.emailVerified === 'boolean' ? { emailVerified: r.emailVerified } : {}),
      expiresAt: r.expiresAt,
    };
  }
  return undefined;
}

/** Of two records under the same key, the one that wins (the later change; ties by expiry). */
export function newer(a: RevocationRecord, b: RevocationRecord): RevocationRecord {
  const at = (r: RevocationRecord) => (r.kind === 'session' ? 0 : r.at);
  if (at(a) !== at(b)) return at(a) > at(b) ? a : b;
  return a.expiresAt >= b.expiresAt ? a : b;
}

export class RevocationState {
  private readonly sessions = new Map<string, RevocationRecord & { kind: 'session' }>();
  private readonly users = new Map<string, RevocationRecord & { kind: 'user' }>();
  private readonly authz = new Map<string, RevocationRecord & { kind: 'authz' }>();

  constructor(private readonly clock: () => number = Date.now) {}

  get size(): number {
    return this.sessions.size + this.users.size + this.authz.size;
  }

  /** Merges a record; true when it changed what this replica knows (callers then re-judge sockets). */
  apply(r: RevocationRecord): boolean {
    if (r.expiresAt <= this.clock()) return false;
    const map = this.mapOf(r);
    const key = r.kind === 'session' ? r.familyId : r.userId;
    const current = map.get(key);
    if (current && newer(current, r) === current) return false;
    map.set(key, r as never);
    return true;
  }

  /** The stored record under the same key as `r`, if any and alive. */
  current(r: RevocationRecord): RevocationRecord | undefined {
    const found = this.mapOf(r).get(r.kind === 'session' ? r.familyId : r.userId);
    return found && found.expiresAt > this.clock() ? found : undefined;
  }

  /**
   * The hot path (every authenticated request and socket event): two or three Map lookups.
   * Returns the user to act as (new roles/level/verification after an authz change) or why the token is void.
   */
  judge(user: AuthUser): Verdict {
    const now = this.clock();
    if (user.familyId !== undefined && this.sessions.size > 0) {
      const s = this.sessions.get(user.familyId);
      if (s && s.expiresAt > now) return { ok: false, reason: 'revoked_session' };
    }
    if (this.users.size === 0 && this.authz.size === 0) return { ok: true, user };
    const issuedAt = user.issuedAtMs ?? 0;
    const u = this.users.get(user.id);
    if (u && u.expiresAt > now && issuedAt <= u.at && (u.keep === undefined || u.keep !== user.familyId)) {
      return { ok: false, reason: 'revoked_user' };
    }
    const a = this.authz.get(user.id);
    if (a && a.expiresAt > now && issuedAt <= a.at) {
      return { ok: true, user: { ...user, roles: a.roles, privilegeLevel: a.privilegeLevel, emailVerified: a.emailVerified ?? user.emailVerified } };
    }
    return { ok: true, user };
  }

  all(): RevocationRecord[] {
    const now = this.clock();
    return [...this.sessions.values(), ...this.users.values(), ...this.authz.values()].filter((r) => r.expiresAt > now);
  }

  /** Drops expired records (the state stays as small as the revocations of one token lifetime). */
  sweep(): void {
    const now = this.clock();
    for (const map of [this.sessions, this.users, this.authz] as Array<Map<string, RevocationRecord>>) {
      for (const [k, r] of map) if (r.expiresAt <= now) map.delete(k);
    }
  }

  private mapOf(r: RevocationRecord): Map<string, RevocationRecord> {
    return (r.kind === 'session' ? this.sessions : r.kind === 'user' ? this.users : this.authz) as Map<string, RevocationRecord>;
  }
}
