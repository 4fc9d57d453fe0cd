import type { AuthUser } from '../auth-user';
import { newer, parseRecord, RevocationState, type RevocationRecord } from './revocation-state';

const NOW = 1_000_000;
const user = (over: Partial<AuthUser> = {}): AuthUser => ({
  id: 'u1',
  email: 'u1@example.test',
  roles: ['ADMIN'],
  privilegeLevel: 'BASIC',
  emailVerified: true,
  familyId: 'f1',
  issuedAtMs: NOW - 10,
  ...over,
});

describe('revocation state', () => {
  let clock = NOW;
  const state = () => new RevocationState(() => clock);
  beforeEach(() => (clock = NOW));

  it('voids every token of a revoked session, and only those', () => {
    const s = state();
    s.apply({ kind: 'session', familyId: 'f1', expiresAt: NOW + 1000 });
    expect(s.judge(user())).toEqual({ ok: false, reason: 'revoked_session' });
    expect(s.judge(user({ issuedAtMs: NOW + 500 }))).toEqual({ ok: false, reason: 'revoked_session' });
    expect(s.judge(user({ familyId: 'f2' })).ok).toBe(true);
  });

  it('voids a user\'s tokens issued at or before the instant, not after it, and keeps the kept session', () => {
    const s = state();
    s.apply({ kind: 'user', userId: 'u1', at: NOW, keep: 'f9', expiresAt: NOW + 1000 });
    expect(s.judge(user({ issuedAtMs: NOW - 1 })).ok).toBe(false);
    expect(s.judge(user({ issuedAtMs: NOW })).ok).toBe(false);
    expect(s.judge(user({ issuedAtMs: NOW + 1 })).ok).toBe(true);
    expect(s.judge(user({ familyId: 'f9' })).ok).toBe(true);
    expect(s.judge(user({ familyId: undefined })).ok).toBe(false);
    expect(s.judge(user({ id: 'u2' })).ok).toBe(true);
  });

  it('judges tokens issued before a role change with the new roles', () => {
    const s = state();
    s.apply({ kind: 'authz', userId: 'u1', at: NOW, roles: ['CUSTOMER'], privilegeLevel: 'PREMIUM', expiresAt: NOW + 1000 });
    const before = s.judge(user());
    expect(before.ok && before.user.roles).toEqual(['CUSTOMER']);
    expect(before.ok && before.user.privilegeLevel).toBe('PREMIUM');
    const after = s.judge(user({ issuedAtMs: NOW + 1 }));
    expect(after.ok && after.user.roles).toEqual(['ADMIN']);
  });

  it('judges tokens issued before an email verification as verified; a record without the field leaves the claim', () => {
    const s = state();
    s.apply({ kind: 'authz', userId: 'u1', at: NOW, roles: ['CUSTOMER'], privilegeLevel: 'BASIC', emailVerified: true, expiresAt: NOW + 1000 });
    const before = s.judge(user({ emailVerified: false, roles: ['CUSTOMER'] }));
    expect(before.ok && before.user.emailVerified).toBe(true);
    // Written by a replica of the previous release (no emailVerified): the token's claim stands.
    const older = state();
    older.apply({ kind: 'authz', userId: 'u1', at: NOW, roles: ['CUSTOMER'], privilegeLevel: 'BASIC', expiresAt: NOW + 1000 });
    const judged = older.judge(user({ emailVerified: false }));
    expect(judged.ok && judged.user.emailVerified).toBe(false);
    const wire = { kind: 'authz', userId: 'u', at: 1, roles: [], privilegeLevel: 'BASIC', emailVerified: true, expiresAt: 2 };
    expect(parseRecord(wire)).toEqual(wire);
  });

  it('keeps the later of two records, in whatever order they arrive, and forgets expired ones', () => {
    const early: RevocationRecord = { kind: 'user', userId: 'u1', at: NOW - 100, expiresAt: NOW + 1000 };
    const late: RevocationRecord = { kind: 'user', userId: 'u1', at: NOW, keep: 'f1', expiresAt: NOW + 1100 };
    for (const order of [[early, late], [late, early]]) {
      const s = state();
      for (const r of order) s.apply(r);
      expect(s.all()).toEqual([late]);
    }
    expect(newer(early, late)).toBe(late);
    const s = state();
    s.apply(late);
    clock = NOW + 1100;
    expect(s.judge(user({ familyId: 'f2' })).ok).toBe(true);
    s.sweep();
    expect(s.size).toBe(0);
    expect(s.apply(late)).toBe(false);
  });

  it('parses only well-formed records', () => {
    expect(parseRecord({ kind: 'session', familyId: 'f', expiresAt: 1 })).toEqual({ kind: 'session', familyId: 'f', expiresAt: 1 });
    expect(parseRecord({ kind: 'authz', userId: 'u', at: 1, roles: ['ROOT'], privilegeLevel: 'BASIC', expiresAt: 2 })).toBeUndefined();
    expect(parseRecord({ kind: 'user', userId: 'u', expiresAt: 2 })).toBeUndefined();
    expect(parseRecord('x')).toBeUndefined();
  });
});
