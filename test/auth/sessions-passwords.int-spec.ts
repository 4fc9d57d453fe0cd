/**
 * Refresh rotation and reuse detection, sign-out, password forgot/reset/change, against a real
 * app, PostgreSQL, Redis and an SMTP sink, with the audit entry each writes.
 */
import { api, sql, type AppProcess, type TestUser } from '../harness';
import { PASSWORD, jwtPayload, signIn, signUp, startAuthWorld, uniqueEmail, type AuthWorld } from './auth-helpers';
import { tokenFromMail, type SmtpSink } from './smtp-sink';

describe('sessions and passwords', () => {
  let w: AuthWorld;
  let app: AppProcess;
  let db: string;
  let smtp: SmtpSink;
  let admin: TestUser;

  beforeAll(async () => {
    w = await startAuthWorld();
    ({ app, db, smtp, admin } = w);
  });
  afterAll(async () => {
    await w?.stop();
  });

  const auditActions = (userId: string) => w.auditActions(userId);

  describe('refresh rotation', () => {
    it('rotates: new pair, old token spent; presenting the spent one revokes the whole family', async () => {
      const { email, user } = await signUp(app.baseUrl);
      const first = await signIn(app.baseUrl, email);
      const second = await api(app.baseUrl, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
      expect(second.status).toBe(200);
      expect(second.body.refreshToken).not.toBe(first.refreshToken);
      expect(jwtPayload(second.body.accessToken).fam).toBe(jwtPayload(first.accessToken).fam);

      const reuse = await api(app.baseUrl, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
      expect(reuse.status).toBe(401);
      expect(reuse.body.code).toBe('TOKEN_REUSED');
      // The legitimate newest token died with its family.
      const after = await api(app.baseUrl, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: second.body.refreshToken } });
      expect(after.status).toBe(401);
      expect(after.body.code).toBe('TOKEN_INVALID');
      const live = await sql(db, `SELECT 1 FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL`, [user.id]);
      expect(live).toHaveLength(0);
      const actions = await auditActions(user.id);
      expect(actions).toContain('AUTH_REFRESH');
      expect(actions).toContain('AUTH_TOKEN_REUSED');
    });

    it('lets exactly one of two concurrent refreshes with the same token win; the other is reuse', async () => {
      const { email } = await signUp(app.baseUrl);
      const { refreshToken } = await signIn(app.baseUrl, email);
      const results = await Promise.all([1, 2].map(() => api(app.baseUrl, 'POST', '/api/v1/auth/refresh', { body: { refreshToken } })));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 401]);
      const loser = results.find((r) => r.status === 401)!;
      expect(loser.body.code).toBe('TOKEN_REUSED');
      const winner = results.find((r) => r.status === 200)!;
      const next = await api(app.baseUrl, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: winner.body.refreshToken } });
      expect(next.status).toBe(401);
    });

    it('refuses unknown, malformed and expired refresh tokens with 401 TOKEN_INVALID', async () => {
      const { email, user } = await signUp(app.baseUrl);
      const { refreshToken } = await signIn(app.baseUrl, email);
      for (const t of ['A'.repeat(43), 'nope']) {
        const res = await api(app.baseUrl, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: t } });
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('TOKEN_INVALID');
      }
      await sql(db, `UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [user.id]);
      const expired = await api(app.baseUrl, 'POST', '/api/v1/auth/refresh', { body: { refreshToken } });
      expect(expired.status).toBe(401);
      expect(expired.body.code).toBe('TOKEN_INVALID');
    });

    it('re-reads the user: a role change reaches the token at the next refresh', async () => {
      const { email, user } = await signUp(app.baseUrl);
      const tokens = await signIn(app.baseUrl, email);
      const changed = await api(app.baseUrl, 'PATCH', `/api/v1/users/${user.id}/roles`, { token: admin.token, body: { roles: ['CUSTOMER', 'TELLER'] } });
      expect(changed.status).toBe(200);
      expect(jwtPayload(tokens.accessToken).roles).toEqual(['CUSTOMER']);
      const refreshed = await api(app.baseUrl, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: tokens.refreshToken } });
      expect(jwtPayload(refreshed.body.accessToken).roles).toEqual(['CUSTOMER', 'TELLER']);
    });
  });

  describe('sign-out', () => {
    it('answers 204, revokes the family, is idempotent, and audits it', async () => {
      const { email, user } = await signUp(app.baseUrl);
      const first = await signIn(app.baseUrl, email);
      const other = await signIn(app.baseUrl, email);
      const out = await api(app.baseUrl, 'POST', '/api/v1/auth/signout', { body: { refreshToken: first.refreshToken } });
      expect(out.status).toBe(204);
      expect(out.body).toBe('');
      const refresh = await api(app.baseUrl, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
      expect(refresh.status).toBe(401);
      expect(refresh.body.code).toBe('TOKEN_INVALID');
      expect((await api(app.baseUrl, 'POST', '/api/v1/auth/signout', { body: { refreshToken: first.refreshToken } })).status).toBe(204);
      // Another session of the same user is untouched.
      expect((await api(app.baseUrl, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: other.refreshToken } })).status).toBe(200);
      expect(await auditActions(user.id)).toContain('AUTH_SIGNOUT');
    });

    it('answers 401 TOKEN_INVALID for an unknown token and TOKEN_REUSED for a spent one', async () => {
      const unknown = await api(app.baseUrl, 'POST', '/api/v1/auth/signout', { body: { refreshToken: 'B'.repeat(43) } });
      expect(unknown.status).toBe(401);
      expect(unknown.body.code).toBe('TOKEN_INVALID');
      const { email } = await signUp(app.baseUrl);
      const first = await signIn(app.baseUrl, email);
      await api(app.baseUrl, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
      const spent = await api(app.baseUrl, 'POST', '/api/v1/auth/signout', { body: { refreshToken: first.refreshToken } });
      expect(spent.status).toBe(401);
      expect(spent.body.code).toBe('TOKEN_REUSED');
    });
  });

  describe('password forgot / reset', () => {
    it('answers 202 for known and unknown emails alike; only the known one gets a mail', async () => {
      const { email, user } = await signUp(app.baseUrl);
      const ghost = uniqueEmail('ghost');
      const a = await api(app.baseUrl, 'POST', '/api/v1/auth/password/forgot', { body: { email } });
      const b = await api(app.baseUrl, 'POST', '/api/v1/auth/password/forgot', { body: { email: ghost } });
      expect(a.status).toBe(202);
      expect(b.status).toBe(202);
      expect(b.body).toEqual(a.body);
      await smtp.waitForMail(email, 15_000);
      await new Promise((r) => setTimeout(r, 500));
      expect(smtp.mailsTo(email).filter((m) => m.subject.includes('Reset'))).toHaveLength(1);
      expect(smtp.mailsTo(ghost)).toHaveLength(0);
      expect(await auditActions(user.id)).toContain('AUTH_PASSWORD_RESET_REQUESTED');
    });

    it('resets with the mailed token (once), revokes every session, and the new password works', async () => {
      const { email, user } = await signUp(app.baseUrl);
      const session = await signIn(app.baseUrl, email);
      await api(app.baseUrl, 'POST', '/api/v1/auth/password/forgot', { body: { email } });
      const deadline = Date.now() + 15_000;
      while (!smtp.mailsTo(email).some((m) => m.subject.includes('Reset')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const token = tokenFromMail(smtp.mailsTo(email).find((m) => m.subject.includes('Reset'))!);

      const weak = await api(app.baseUrl, 'POST', '/api/v1/auth/password/reset', { body: { token, newPassword: 'weak' } });
      expect(weak.status).toBe(400);
      expect(weak.body.code).toBe('WEAK_PASSWORD');

      const res = await api(app.baseUrl, 'POST', '/api/v1/auth/password/reset', { body: { token, newPassword: 'N3w-Password!' } });
      expect(res.status).toBe(204);
      const again = await api(app.baseUrl, 'POST', '/api/v1/auth/password/reset', { body: { token, newPassword: 'N3w-Password!2' } });
      expect(again.status).toBe(401);
      expect(again.body.code).toBe('TOKEN_INVALID');

      expect((await api(app.baseUrl, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } })).status).toBe(401);
      expect((await api(app.baseUrl, 'POST', '/api/v1/auth/signin', { body: { email, password: PASSWORD } })).status).toBe(401);
      await signIn(app.baseUrl, email, 'N3w-Password!');
      expect(await auditActions(user.id)).toContain('AUTH_PASSWORD_RESET');
    });

    it('refuses unknown and expired reset tokens with 401 TOKEN_INVALID', async () => {
      const unknown = await api(app.baseUrl, 'POST', '/api/v1/auth/password/reset', { body: { token: 'C'.repeat(43), newPassword: 'N3w-Password!' } });
      expect(unknown.status).toBe(401);
      expect(unknown.body.code).toBe('TOKEN_INVALID');
      const { email, user } = await signUp(app.baseUrl);
      await api(app.baseUrl, 'POST', '/api/v1/auth/password/forgot', { body: { email } });
      const [row] = await sql<{ hours: string }>(
        db,
        `SELECT extract(epoch FROM expires_at - created_at) / 3600 AS hours FROM email_tokens WHERE user_id = $1 AND purpose = 'RESET_PASSWORD'`,
        [user.id],
      );
      expect(Number(row.hours)).toBeCloseTo(1, 2);
    });
  });

  describe('password change', () => {
    it('needs a signed-in caller', async () => {
      const res = await api(app.baseUrl, 'POST', '/api/v1/auth/password/change', { body: { currentPassword: PASSWORD, newPassword: 'N3w-Password!' } });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('UNAUTHENTICATED');
    });

    it('checks the current password and the policy, then keeps this session and revokes the others', async () => {
      const { email, user } = await signUp(app.baseUrl);
      const mine = await signIn(app.baseUrl, email);
      const other = await signIn(app.baseUrl, email);
      const wrong = await api(app.baseUrl, 'POST', '/api/v1/auth/password/change', { token: mine.accessToken, body: { currentPassword: 'Wr0ng-password!', newPassword: 'N3w-Password!' } });
      expect(wrong.status).toBe(401);
      expect(wrong.body.code).toBe('INVALID_CREDENTIALS');
      const weak = await api(app.baseUrl, 'POST', '/api/v1/auth/password/change', { token: mine.accessToken, body: { currentPassword: PASSWORD, newPassword: 'short' } });
      expect(weak.status).toBe(400);
      expect(weak.body.code).toBe('WEAK_PASSWORD');

      const ok = await api(app.baseUrl, 'POST', '/api/v1/auth/password/change', { token: mine.accessToken, body: { currentPassword: PASSWORD, newPassword: 'N3w-Password!' } });
      expect(ok.status).toBe(204);
      expect((await api(app.baseUrl, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: mine.refreshToken } })).status).toBe(200);
      const revoked = await api(app.baseUrl, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: other.refreshToken } });
      expect(revoked.status).toBe(401);
      expect(revoked.body.code).toBe('TOKEN_INVALID');
      await signIn(app.baseUrl, email, 'N3w-Password!');
      expect(await auditActions(user.id)).toContain('AUTH_PASSWORD_CHANGED');
    });
  });

  it('counts session events in auth_events_total{event,outcome}', async () => {
    const text = (await api<string>(app.baseUrl, 'GET', '/metrics')).body;
    expect(text).toMatch(/auth_events_total\{event="refresh",outcome="success"\} [1-9]/);
    expect(text).toMatch(/auth_events_total\{event="refresh",outcome="reused"\} [1-9]/);
    expect(text).toMatch(/auth_events_total\{event="signout",outcome="success"\} [1-9]/);
    expect(text).toMatch(/auth_events_total\{event="password_reset",outcome="success"\} [1-9]/);
    expect(text).toMatch(/auth_events_total\{event="password_change",outcome="success"\} [1-9]/);
  });
});
