/**
 * Users (profile, admin role/level changes, listing) and the audit trail: every auth and user
 * action leaves its entry, readable (never writable) through the API with filters and cursors;
 * and /api/docs-json documents every auth and users endpoint with its schemas.
 */
import { api, createDatabase, createUser, sleep, sql, startApp, tokenFor, type AppProcess, type TestUser } from '../harness';
import { AUTH_TEST_ENV, PASSWORD, signIn, signUp } from './auth-helpers';

describe('users and the audit trail', () => {
  let app: AppProcess;
  let db: string;
  let admin: TestUser;
  let customer: TestUser;

  beforeAll(async () => {
    db = await createDatabase();
    // No SMTP_URL: mails are logged, links included, which is how this file reads its tokens.
    app = await startApp({ databaseUrl: db, env: { ...AUTH_TEST_ENV, MAIL_POLL_INTERVAL_MS: '100', LOCKOUT_DURATION_S: '60' } });
    admin = await createUser(db, { roles: ['ADMIN'] });
    customer = await createUser(db);
  });
  afterAll(async () => {
    await app?.stop();
  });

  async function loggedToken(email: string, pathPart: string): Promise<string> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      for (const line of app.output().split('\n')) {
        if (!line.includes(email) || !line.includes(pathPart)) continue;
        const link = (JSON.parse(line) as { mail: { link: string } }).mail.link;
        return new URL(link).searchParams.get('token')!;
      }
      if (Date.now() > deadline) throw new Error(`expected a logged mail to ${email} with a ${pathPart} link`);
      await sleep(100);
    }
  }

  const get = (path: string, token = admin.token) => api(app.baseUrl, 'GET', path, { token });

  describe('profile', () => {
    it('GET /me answers the profile; PATCH /me changes the display name (trimmed; "" clears it)', async () => {
      const me = await get('/api/v1/users/me', customer.token);
      expect(me.status).toBe(200);
      expect(me.body).toEqual({
        id: customer.id,
        email: customer.email,
        displayName: null,
        roles: ['CUSTOMER'],
        privilegeLevel: 'BASIC',
        emailVerified: true,
        createdAt: expect.any(String),
      });
      const set = await api(app.baseUrl, 'PATCH', '/api/v1/users/me', { token: customer.token, body: { displayName: '  Grace  ' } });
      expect(set.status).toBe(200);
      expect(set.body.displayName).toBe('Grace');
      const cleared = await api(app.baseUrl, 'PATCH', '/api/v1/users/me', { token: customer.token, body: { displayName: '' } });
      expect(cleared.body.displayName).toBeNull();
    });

    it('refuses a bad profile change with 400 VALIDATION_FAILED', async () => {
      for (const body of [{ displayName: 'x'.repeat(101) }, { displayName: 42 }, { displayName: 'ok', email: 'evil@x.test' }, {}]) {
        const res = await api(app.baseUrl, 'PATCH', '/api/v1/users/me', { token: customer.token, body });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
      }
    });
  });

  describe('admin', () => {
    it('GET /users lists every user with cursor pagination; a CUSTOMER gets 403', async () => {
      for (let i = 0; i < 3; i++) await createUser(db);
      const [{ n }] = await sql<{ n: string }>(db, `SELECT count(*) AS n FROM users`);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await get(`/api/v1/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.items.map((u: { id: string }) => u.id));
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor && pages < 50);
      expect(seen).toHaveLength(Number(n));
      expect(new Set(seen).size).toBe(seen.length);
      expect((await get('/api/v1/users', customer.token)).status).toBe(403);
    });

    it('refuses bad paging input with 400 VALIDATION_FAILED', async () => {
      for (const q of ['limit=0', 'limit=101', 'limit=abc', 'cursor=%%%', 'cursor=bm90LWpzb24', `cursor=${Buffer.from('["x","y"]').toString('base64url')}`]) {
        const res = await get(`/api/v1/users?${q}`);
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
      }
    });

    it('GET /users/:id answers the user, 404 for an unknown id, 400 for a malformed one', async () => {
      expect((await get(`/api/v1/users/${customer.id}`)).body.email).toBe(customer.email);
      const missing = await get('/api/v1/users/00000000-0000-4000-8000-000000000000');
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('NOT_FOUND');
      expect((await get('/api/v1/users/not-a-uuid')).status).toBe(400);
    });

    it('changes roles and privilege level, each with its audit entry written in the same transaction', async () => {
      const target = await createUser(db);
      const roles = await api(app.baseUrl, 'PATCH', `/api/v1/users/${target.id}/roles`, { token: admin.token, body: { roles: ['TELLER'] } });
      expect(roles.status).toBe(200);
      expect(roles.body.roles).toEqual(['TELLER']);
      const level = await api(app.baseUrl, 'PATCH', `/api/v1/users/${target.id}/privilege-level`, { token: admin.token, body: { privilegeLevel: 'PREMIUM' } });
      expect(level.status).toBe(200);
      expect(level.body.privilegeLevel).toBe('PREMIUM');
      const entries = await sql<{ action: string; details: Record<string, unknown> }>(
        db,
        `SELECT action, details FROM audit_log WHERE user_id = $1 ORDER BY id`,
        [target.id],
      );
      expect(entries).toEqual([
        { action: 'USER_ROLES_CHANGED', details: { actorId: admin.id, from: ['CUSTOMER'], to: ['TELLER'] } },
        { action: 'USER_LEVEL_CHANGED', details: { actorId: admin.id, from: 'BASIC', to: 'PREMIUM' } },
      ]);
    });

    it('refuses bad role and level changes', async () => {
      const target = await createUser(db);
      const cases: Array<[string, unknown, number, string]> = [
        ['roles', { roles: [] }, 400, 'VALIDATION_FAILED'],
        ['roles', { roles: ['ROOT'] }, 400, 'VALIDATION_FAILED'],
        ['roles', { roles: ['ADMIN', 'ADMIN'] }, 400, 'VALIDATION_FAILED'],
        ['privilege-level', { privilegeLevel: 'GOLD' }, 400, 'VALIDATION_FAILED'],
      ];
      for (const [what, body, status, code] of cases) {
        const res = await api(app.baseUrl, 'PATCH', `/api/v1/users/${target.id}/${what}`, { token: admin.token, body });
        expect([res.status, res.body.code]).toEqual([status, code]);
      }
      const self = await api(app.baseUrl, 'PATCH', `/api/v1/users/${admin.id}/roles`, { token: admin.token, body: { roles: ['CUSTOMER'] } });
      expect([self.status, self.body.code]).toEqual([409, 'CONFLICT']);
      const unknown = await api(app.baseUrl, 'PATCH', '/api/v1/users/00000000-0000-4000-8000-000000000000/privilege-level', { token: admin.token, body: { privilegeLevel: 'BUSINESS' } });
      expect(unknown.status).toBe(404);
      const byCustomer = await api(app.baseUrl, 'PATCH', `/api/v1/users/${target.id}/roles`, { token: customer.token, body: { roles: ['ADMIN'] } });
      expect(byCustomer.status).toBe(403);
      const [row] = await sql<{ roles: string[] }>(db, `SELECT roles FROM users WHERE id = $1`, [target.id]);
      expect(row.roles).toEqual(['CUSTOMER']);
    });
  });

  describe('audit trail', () => {
    it('records every auth and user action of a life cycle, readable through GET /api/v1/audit-log', async () => {
      const { email, user } = await signUp(app.baseUrl);
      await api(app.baseUrl, 'GET', `/api/v1/auth/verify?token=${await loggedToken(email, '/auth/verify')}`);
      const session = await signIn(app.baseUrl, email);
      await api(app.baseUrl, 'POST', '/api/v1/auth/signin', { body: { email, password: 'Wr0ng-password!' } });
      const refreshed = await api(app.baseUrl, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
      await api(app.baseUrl, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } }); // reuse
      const second = await signIn(app.baseUrl, email);
      await api(app.baseUrl, 'POST', '/api/v1/auth/signout', { body: { refreshToken: second.refreshToken } });
      const third = await signIn(app.baseUrl, email);
      await api(app.baseUrl, 'POST', '/api/v1/auth/password/change', { token: third.accessToken, body: { currentPassword: PASSWORD, newPassword: 'N3w-Password!' } });
      await api(app.baseUrl, 'POST', '/api/v1/auth/password/forgot', { body: { email } });
      await api(app.baseUrl, 'POST', '/api/v1/auth/password/reset', { body: { token: await loggedToken(email, '/reset-password'), newPassword: 'Thr33-Password!' } });
      await api(app.baseUrl, 'PATCH', `/api/v1/users/${user.id}/roles`, { token: admin.token, body: { roles: ['CUSTOMER', 'TELLER'] } });
      await api(app.baseUrl, 'PATCH', `/api/v1/users/${user.id}/privilege-level`, { token: admin.token, body: { privilegeLevel: 'BUSINESS' } });
      for (let i = 0; i < 5; i++) await api(app.baseUrl, 'POST', '/api/v1/auth/signin', { body: { email, password: 'Wr0ng-password!' } });
      expect(refreshed.status).toBe(200);

      const res = await get(`/api/v1/audit-log?userId=${user.id}&limit=100`);
      expect(res.status).toBe(200);
      const actions = new Set(res.body.items.map((e: { action: string }) => e.action));
      for (const action of [
        'AUTH_SIGNUP',
        'AUTH_EMAIL_VERIFIED',
        'AUTH_SIGNIN',
        'AUTH_SIGNIN_FAILED',
        'AUTH_REFRESH',
        'AUTH_TOKEN_REUSED',
        'AUTH_SIGNOUT',
        'AUTH_PASSWORD_CHANGED',
        'AUTH_PASSWORD_RESET_REQUESTED',
        'AUTH_PASSWORD_RESET',
        'USER_ROLES_CHANGED',
        'USER_LEVEL_CHANGED',
        'AUTH_ACCOUNT_LOCKED',
      ]) {
        expect({ action, recorded: actions.has(action) }).toEqual({ action, recorded: true });
      }
      const entry = res.body.items[0];
      expect(entry).toEqual({
        id: expect.stringMatching(/^\d+$/),
        userId: user.id,
        action: expect.any(String),
        details: expect.any(Object),
        ip: '127.0.0.1',
        userAgent: expect.any(String),
        requestId: expect.any(String),
        createdAt: expect.any(String),
      });
      // Newest first.
      const ids = res.body.items.map((e: { id: string }) => Number(e.id));
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
      // The user's own view shows exactly these entries (the account is locked now: mint a token).
      const ownToken = tokenFor({ id: user.id, email, roles: ['CUSTOMER', 'TELLER'], privilegeLevel: 'BUSINESS', emailVerified: true });
      const own = await get(`/api/v1/users/me/audit-log?limit=100`, ownToken);
      expect(own.status).toBe(200);
      expect(own.body.items.map((e: { id: string }) => e.id)).toEqual(ids.map(String));
      const page = await get(`/api/v1/users/me/audit-log?limit=2`, ownToken);
      expect(page.body.items).toHaveLength(2);
      const next = await get(`/api/v1/users/me/audit-log?limit=2&cursor=${page.body.nextCursor}`, ownToken);
      expect(next.body.items.map((e: { id: string }) => e.id)).toEqual(ids.slice(2, 4).map(String));
    });

    it('filters by action and time, and pages with a cursor without gaps or repeats', async () => {
      const { email } = await signUp(app.baseUrl);
      for (let i = 0; i < 5; i++) await signIn(app.baseUrl, email);
      const all: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await get(`/api/v1/audit-log?action=AUTH_SIGNIN&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        expect(res.body.items.every((e: { action: string }) => e.action === 'AUTH_SIGNIN')).toBe(true);
        all.push(...res.body.items.map((e: { id: string }) => e.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      const [{ n }] = await sql<{ n: string }>(db, `SELECT count(*) AS n FROM audit_log WHERE action = 'AUTH_SIGNIN'`);
      expect(all).toHaveLength(Number(n));
      expect(new Set(all).size).toBe(all.length);

      const future = new Date(Date.now() + 3_600_000).toISOString();
      const past = new Date(Date.now() - 3_600_000).toISOString();
      expect((await get(`/api/v1/audit-log?from=${future}`)).body.items).toHaveLength(0);
      expect((await get(`/api/v1/audit-log?to=${past}`)).body.items).toHaveLength(0);
      expect((await get(`/api/v1/audit-log?from=${past}&to=${future}&limit=1`)).body.items).toHaveLength(1);
    });

    it('refuses bad filters with 400, non-admins with 403, and offers no way to change or delete entries', async () => {
      for (const q of ['userId=nope', 'action=lower-case', 'from=yesterday', `from=${new Date().toISOString()}&to=${new Date(Date.now() - 1000).toISOString()}`]) {
        const res = await get(`/api/v1/audit-log?${q}`);
        expect([q, res.status, res.body.code]).toEqual([q, 400, 'VALIDATION_FAILED']);
      }
      expect((await get('/api/v1/audit-log', customer.token)).status).toBe(403);
      for (const method of ['DELETE', 'PATCH', 'PUT', 'POST']) {
        const res = await api(app.baseUrl, method, '/api/v1/audit-log', { token: admin.token, body: {} });
        expect([method, res.status]).toEqual([method, 404]);
      }
    });
  });

  it('documents every auth and users endpoint, with request and response schemas, in /api/docs-json', async () => {
    const doc = (await api(app.baseUrl, 'GET', '/api/docs-json')).body;
    const expected: Array<[string, string, number, boolean]> = [
      ['post', '/api/v1/auth/signup', 201, true],
      ['post', '/api/v1/auth/verify', 200, true],
      ['get', '/api/v1/auth/verify', 200, false],
      ['post', '/api/v1/auth/signin', 200, true],
      ['post', '/api/v1/auth/refresh', 200, true],
      ['post', '/api/v1/auth/signout', 204, true],
      ['post', '/api/v1/auth/password/forgot', 202, true],
      ['post', '/api/v1/auth/password/reset', 204, true],
      ['post', '/api/v1/auth/password/change', 204, true],
      ['get', '/api/v1/users/me', 200, false],
      ['patch', '/api/v1/users/me', 200, true],
      ['get', '/api/v1/users/me/audit-log', 200, false],
      ['get', '/api/v1/users', 200, false],
      ['get', '/api/v1/users/{id}', 200, false],
      ['patch', '/api/v1/users/{id}/roles', 200, true],
      ['patch', '/api/v1/users/{id}/privilege-level', 200, true],
      ['get', '/api/v1/audit-log', 200, false],
    ];
    for (const [method, path, status, hasBody] of expected) {
      const op = doc.paths?.[path]?.[method];
      expect({ endpoint: `${method} ${path}`, documented: Boolean(op) }).toEqual({ endpoint: `${method} ${path}`, documented: true });
      expect(Object.keys(op.responses)).toContain(String(status));
      if (hasBody) expect(op.requestBody?.content?.['application/json']?.schema?.$ref).toMatch(/^#\/components\/schemas\//);
      if (status === 200 || status === 201) expect(op.responses[String(status)].content['application/json'].schema).toBeDefined();
      expect(Object.keys(op.responses).some((s) => s.startsWith('4'))).toBe(true);
    }
    expect(doc.components.schemas.SignUpDto.required).toEqual(expect.arrayContaining(['email', 'password']));
    expect(doc.components.schemas.TokenPairDto.properties).toHaveProperty('refreshToken');
    expect(doc.paths['/api/v1/users/me'].get.security).toBeDefined();
  });
});
