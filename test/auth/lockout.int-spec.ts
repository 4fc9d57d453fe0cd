/**
 * Account lockout across replicas: failures are counted in Redis, so alternating instances
 * does not reset the count, and the lock answers 423 on every instance.
 */
import { api, createDatabase, sharedRedisUrl, sleep, sql, startApp, type AppProcess } from '../harness';
import { AUTH_TEST_ENV, PASSWORD, signIn, signUp, uniqueEmail } from './auth-helpers';

describe('account lockout shared by two instances', () => {
  let a: AppProcess;
  let b: AppProcess;
  let db: string;

  beforeAll(async () => {
    db = await createDatabase();
    const env = { ...AUTH_TEST_ENV, LOCKOUT_THRESHOLD: '5/900', LOCKOUT_DURATION_S: '4' };
    [a, b] = await Promise.all([
      startApp({ databaseUrl: db, redisUrl: sharedRedisUrl(), env }),
      startApp({ databaseUrl: db, redisUrl: sharedRedisUrl(), env }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  const attempt = (app: AppProcess, email: string, password: string) => api(app.baseUrl, 'POST', '/api/v1/auth/signin', { body: { email, password } });

  it('locks after 5 failures alternated between instances; the lock holds on both, even for the right password', async () => {
    const { email, user } = await signUp(a.baseUrl);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await attempt(i % 2 === 0 ? a : b, email, 'Wr0ng-password!')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 423]);

    for (const app of [a, b]) {
      const res = await attempt(app, email, PASSWORD);
      expect(res.status).toBe(423);
      expect(res.body.code).toBe('ACCOUNT_LOCKED');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }

    const locked = await sql<{ action: string }>(db, `SELECT action FROM audit_log WHERE user_id = $1 AND action = 'AUTH_ACCOUNT_LOCKED'`, [user.id]);
    expect(locked).toHaveLength(1);

    // The lock lasts LOCKOUT_DURATION_S (4 s here), then the right password works again.
    await sleep(4_500);
    await signIn(b.baseUrl, email);
  });

  it('forgives earlier failures after a successful sign-in', async () => {
    const { email } = await signUp(a.baseUrl);
    for (let i = 0; i < 4; i++) expect((await attempt(i % 2 === 0 ? a : b, email, 'Wr0ng-password!')).status).toBe(401);
    await signIn(a.baseUrl, email);
    for (let i = 0; i < 4; i++) expect((await attempt(i % 2 === 0 ? b : a, email, 'Wr0ng-password!')).status).toBe(401);
    await signIn(b.baseUrl, email);
  });

  it('locks an unknown email the same way, so a lock reveals nothing about accounts', async () => {
    const ghost = uniqueEmail('ghost');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await attempt(i % 2 === 0 ? a : b, ghost, 'Wr0ng-password!')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 423, 423]);
  });

  it('counts concurrent failures exactly: of 8 at once at most 4 are answered 401, the rest 423, one lock entry', async () => {
    const { email, user } = await signUp(a.baseUrl);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => attempt(i % 2 === 0 ? a : b, email, 'Wr0ng-password!')));
    const statuses = results.map((r) => r.status);
    // The window admits exactly 5 failures and the 5th locks. A 4th failure still in flight when
    // the lock lands also answers 423 (the account is locked by then), so 401s are 4 at most.
    const unauthorized = statuses.filter((s) => s === 401).length;
    expect(statuses.every((s) => s === 401 || s === 423)).toBe(true);
    expect(unauthorized).toBeLessThanOrEqual(4);
    expect(statuses.filter((s) => s === 423)).toHaveLength(8 - unauthorized);
    const locked = await sql(db, `SELECT 1 FROM audit_log WHERE user_id = $1 AND action = 'AUTH_ACCOUNT_LOCKED'`, [user.id]);
    expect(locked).toHaveLength(1);
  });
});
