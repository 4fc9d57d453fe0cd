/**
 * The auth contract end to end against a real app, PostgreSQL, Redis and an SMTP sink:
 * sign-up, verification by mail, sign-in, rotation and reuse detection, sign-out, password
 * forgot/reset/change, and the audit entries each action writes.
 */
import { api, createDatabase, createUser, freePort, sharedRedisUrl, sql, startApp, type AppProcess, type TestUser } from '../harness';
import { AUTH_TEST_ENV, PASSWORD, jwtPayload, signIn, signUp, uniqueEmail } from './auth-helpers';
import { startSmtpSink, tokenFromMail, type SmtpSink } from './smtp-sink';

describe('auth flows', () => {
  let app: AppProcess;
  let db: string;
  let smtp: SmtpSink;
  let admin: TestUser;
  const adminEmail = uniqueEmail('boss');

  beforeAll(async () => {
    db = await createDatabase();
    smtp = await startSmtpSink(await freePort());
    app = await startApp({
      databaseUrl: db,
      redisUrl: sharedRedisUrl(),
      env: { ...AUTH_TEST_ENV, SMTP_URL: smtp.url, ADMIN_EMAILS: `someone@else.test, ${adminEmail.toUpperCase()}`, MAIL_POLL_INTERVAL_MS: '100' },
    });
    admin = await createUser(db, { roles: ['ADMIN'] });
  });
  afterAll(async () => {
    await app?.stop();
    await smtp?.stop();
  });

  async function auditActions(userId: string): Promise<string[]> {
    const res = await api(app.baseUrl, 'GET', `/api/v1/audit-log?userId=${userId}&limit=100`, { token: admin.token });
    expect(res.status).toBe(200);
    return (res.body.items as Array<{ action: string }>).map((e) => e.action);
  }

  describe('sign-up', () => {
    it('creates an unverified CUSTOMER, audits it and queues one verification mail', async () => {
      const email = uniqueEmail();
      const res = await api(app.baseUrl, 'POST', '/api/v1/auth/signup', { body: { email, password: PASSWORD, displayName: 'Ada' } });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ id: expect.any(String), email, roles: ['CUSTOMER'], privilegeLevel: 'BASIC', emailVerified: false });
      const [row] = await sql<{ password_hash: string; display_name: string }>(db, `SELECT password_hash, display_name FROM users WHERE id = $1`, [res.body.id]);
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
      expect(row.display_name).toBe('Ada');
      const mail = await smtp.waitForMail(email);
      expect(mail.subject).toContain('Confirm');
      // Only the hash of the verification token is stored.
      const token = tokenFromMail(mail);
      const stored = await sql<{ token_hash: string }>(db, `SELECT token_hash FROM email_tokens WHERE user_id = $1`, [res.body.id]);
      expect(stored).toHaveLength(1);
      expect(stored[0].token_hash).not.toContain(token);
      expect(stored[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(await auditActions(res.body.id)).toContain('AUTH_SIGNUP');
    });

    it('gives ADMIN to emails listed in ADMIN_EMAILS, case-insensitively', async () => {
      const res = await api(app.baseUrl, 'POST', '/api/v1/auth/signup', { body: { email: adminEmail, password: PASSWORD } });
      expect(res.status).toBe(201);
      expect(res.body.roles).toContain('ADMIN');
    });

    it('answers 409 EMAIL_TAKEN for an email in use, whatever its case', async () => {
      const { email } = await signUp(app.baseUrl);
      const res = await api(app.baseUrl, 'POST', '/api/v1/auth/signup', { body: { email: email.toUpperCase(), password: PASSWORD } });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('EMAIL_TAKEN');
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    });

    it.each([
      ['too short', 'Ab1!xyz'],
      ['too long', `Ab1!${'x'.repeat(125)}`],
      ['no upper-case letter', 'c0rrect-horse!'],
      ['no lower-case letter', 'C0RRECT-HORSE!'],
      ['no digit', 'Correct-Horse!'],
      ['no special character', 'C0rrectHorse1'],
    ])('refuses a weak password (%s) with 400 WEAK_PASSWORD', async (_, password) => {
      const res = await api(app.baseUrl, 'POST', '/api/v1/auth/signup', { body: { email: uniqueEmail(), password } });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('WEAK_PASSWORD');
      expect(res.body.errors[0].field).toBe('password');
    });

    it('accepts exactly 8 and exactly 128 characters', async () => {
      for (const password of ['Ab1!abcd', `Ab1!${'x'.repeat(124)}`]) {
        const res = await api(app.baseUrl, 'POST', '/api/v1/auth/signup', { body: { email: uniqueEmail(), password } });
        expect(res.status).toBe(201);
      }
    });

    it('answers 400 VALIDATION_FAILED for a bad email, a missing password or an unknown field', async () => {
      for (const body of [{ email: 'not-an-email', password: PASSWORD }, { email: uniqueEmail() }, { email: uniqueEmail(), password: PASSWORD, admin: true }]) {
        const res = await api(app.baseUrl, 'POST', '/api/v1/auth/signup', { body });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
      }
    });
  });

  describe('verification', () => {
    it('works end to end: sign-up → mail → link → sign-in → /users/me shows emailVerified', async () => {
      const { email, user } = await signUp(app.baseUrl);
      const mail = await smtp.waitForMail(email);
      const link = /(https?:\/\/\S+\/api\/v1\/auth\/verify\?token=[A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
      expect(link).toBeDefined();
      const path = new URL(link!).pathname + new URL(link!).search;
      const verified = await api(app.baseUrl, 'GET', path);
      expect(verified.status).toBe(200);
      expect(verified.body).toMatchObject({ id: user.id, emailVerified: true });

      const tokens = await signIn(app.baseUrl, email);
      expect(jwtPayload(tokens.accessToken).ev).toBe(true);
      const me = await api(app.baseUrl, 'GET', '/api/v1/users/me', { token: tokens.accessToken });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ id: user.id, email, emailVerified: true });
      expect(await auditActions(user.id)).toContain('AUTH_EMAIL_VERIFIED');

      // Single-use: the same link again is refused.
      const again = await api(app.baseUrl, 'GET', path);
      expect(again.status).toBe(401);
      expect(again.body.code).toBe('TOKEN_INVALID');
    });

    it('POST /verify takes the token in the body; unknown and expired tokens are 401 TOKEN_INVALID', async () => {
      const { email, user } = await signUp(app.baseUrl);
      const token = tokenFromMail(await smtp.waitForMail(email));
      expect((await api(app.baseUrl, 'POST', '/api/v1/auth/verify', { body: { token: 'x'.repeat(43) } })).body.code).toBe('TOKEN_INVALID');
      expect((await api(app.baseUrl, 'POST', '/api/v1/auth/verify', { body: { token: 'short' } })).status).toBe(401);
      await sql(db, `UPDATE email_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [user.id]);
      const expired = await api(app.baseUrl, 'POST', '/api/v1/auth/verify', { body: { token } });
      expect(expired.status).toBe(401);
      expect(expired.body.code).toBe('TOKEN_INVALID');
      await sql(db, `UPDATE email_tokens SET expires_at = now() + interval '1 hour' WHERE user_id = $1`, [user.id]);
      const ok = await api(app.baseUrl, 'POST', '/api/v1/auth/verify', { body: { token } });
      expect(ok.status).toBe(200);
      expect(ok.body.emailVerified).toBe(true);
    });

    it('makes verification links expire after 24 hours', async () => {
      const { user } = await signUp(app.baseUrl);
      const [row] = await sql<{ hours: string }>(db, `SELECT extract(epoch FROM expires_at - created_at) / 3600 AS hours FROM email_tokens WHERE user_id = $1`, [user.id]);
      expect(Number(row.hours)).toBeCloseTo(24, 1);
    });
  });

  describe('sign-in', () => {
    it('returns a Bearer pair whose access token works and carries the session id', async () => {
      const { email, user } = await signUp(app.baseUrl);
      const tokens = await signIn(app.baseUrl, email.toUpperCase());
      expect(tokens).toEqual({ accessToken: expect.any(String), refreshToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), tokenType: 'Bearer', expiresIn: 900 });
      const claims = jwtPayload(tokens.accessToken);
      expect(claims).toMatchObject({ sub: user.id, iss: 'bulwark', aud: 'bulwark-api', ev: false, fam: expect.any(String) });
      expect((claims.exp as number) - (claims.iat as number)).toBe(900);
      const [stored] = await sql<{ token_hash: string; family_id: string }>(db, `SELECT token_hash, family_id FROM refresh_tokens WHERE user_id = $1`, [user.id]);
      expect(stored.family_id).toBe(claims.fam);
      expect(stored.token_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(stored.token_hash).not.toBe(tokens.refreshToken);
      expect((await api(app.baseUrl, 'GET', '/api/v1/users/me', { token: tokens.accessToken })).status).toBe(200);
      expect(await auditActions(user.id)).toContain('AUTH_SIGNIN');
    });

    it('answers a wrong password and an unknown email alike: 401 INVALID_CREDENTIALS, similar time', async () => {
      const { email, user } = await signUp(app.baseUrl);
      const attempt = async (e: string) => {
        const started = performance.now();
        const res = await api(app.baseUrl, 'POST', '/api/v1/auth/signin', { body: { email: e, password: 'Wr0ng-password!' } });
        return { res, ms: performance.now() - started };
      };
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 3; i++) {
        const a = await attempt(email);
        const b = await attempt(uniqueEmail('ghost'));
        expect(a.res.status).toBe(401);
        expect(b.res.status).toBe(401);
        expect(a.res.body.code).toBe('INVALID_CREDENTIALS');
        expect(b.res.body.code).toBe('INVALID_CREDENTIALS');
        expect(b.res.body.detail).toBe(a.res.body.detail);
        known.push(a.ms);
        unknown.push(b.ms);
      }
      const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[1];
      // Both paths run one argon2 verification: an unknown email must not answer much faster.
      expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
      const actions = await auditActions(user.id);
      expect(actions.filter((a) => a === 'AUTH_SIGNIN_FAILED')).toHaveLength(3);
      const [failed] = await sql<{ details: { reason: string } }>(
        db,
        `SELECT details FROM audit_log WHERE user_id = $1 AND action = 'AUTH_SIGNIN_FAILED' LIMIT 1`,
        [user.id],
      );
      expect(failed.details.reason).toBe('wrong_password');
    });
  });

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

  it('counts auth events in auth_events_total{event,outcome}', async () => {
    const text = (await api<string>(app.baseUrl, 'GET', '/metrics')).body;
    expect(text).toMatch(/auth_events_total\{event="signup",outcome="success"\} [1-9]/);
    expect(text).toMatch(/auth_events_total\{event="signin",outcome="failure"\} [1-9]/);
    expect(text).toMatch(/auth_events_total\{event="refresh",outcome="reused"\} [1-9]/);
    expect(text).toMatch(/circuit_breaker_state\{name="mail"\} 0/);
  });
});
