/**
 * Revocations when Redis goes away (docs/operations.md, "Session revocation"): two replicas on
 * a redis-server of this file's own (the run's shared one must not be stopped), restarted mid-test
 * and coming back EMPTY (no persistence). The rules under test:
 * - a revocation made while Redis is down bites at once on the replica that made it, and on the
 *   others once Redis is back (the writer re-sends it);
 * - customer routes go on meanwhile; staff routes answer 503 once a replica has been without the
 *   revocation feed for REVOCATION_MAX_STALENESS_MS (default 10 s: the default is what is tested);
 * - revocations made before the restart are not forgotten: replicas write back what Redis lost,
 *   so even a replica started after the restart learns them.
 * And the embedded default (no Redis): the in-process state alone revokes.
 */
import { api, createDatabase, createUser, startApp, startRedis, type AppProcess, type RedisServer } from '../harness';
import { AUTH_TEST_ENV, PASSWORD } from './auth-helpers';
import { ADMIN_ROUTE, everyReplicaAnswers, session, untilEveryReplica, verifiedAccount } from './revocation-support';

// Redis stays down for more than the default 10 s staleness bound, and app starts are slow on a busy machine.
jest.setTimeout(180_000);

describe('revocation across a Redis restart', () => {
  let redis: RedisServer;
  let db: string;
  const apps: AppProcess[] = [];

  beforeAll(async () => {
    [redis, db] = await Promise.all([startRedis(), createDatabase()]);
    apps.push(...(await Promise.all([0, 1].map(() => startApp({ databaseUrl: db, redisUrl: redis.url, env: AUTH_TEST_ENV })))));
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await redis?.stop();
  });

  it('applies revocations made during the outage once Redis is back, forgets none, and fails closed on staff routes only', async () => {
    const [a, b] = apps;
    const acct = await verifiedAccount(a.baseUrl, db);
    const early = await session(a.baseUrl, acct);
    const during = await session(a.baseUrl, acct);
    const staying = await session(b.baseUrl, acct);
    const boss = await createUser(db, { roles: ['ADMIN'] });
    await everyReplicaAnswers([a, b], boss.token, 200, ADMIN_ROUTE);

    expect((await api(b.baseUrl, 'POST', '/api/v1/auth/signout', { body: { refreshToken: early.refreshToken } })).status).toBe(204);
    await untilEveryReplica([a, b], early.accessToken, 401);

    await redis.stop();
    const downAt = Date.now();
    expect((await api(a.baseUrl, 'POST', '/api/v1/auth/signout', { body: { refreshToken: during.refreshToken } })).status).toBe(204);
    await everyReplicaAnswers([a], during.accessToken, 401);
    // B cannot know yet: it keeps its last known state (the documented fall-back).
    await everyReplicaAnswers([b], during.accessToken, 200);

    // Customer routes stay up; staff routes fail closed once the feed has been lost for 10 s.
    await untilEveryReplica([a, b], boss.token, 503, { path: ADMIN_ROUTE, timeoutMs: 25_000 });
    expect(Date.now() - downAt).toBeGreaterThanOrEqual(10_000);
    const refused = await api(b.baseUrl, 'GET', ADMIN_ROUTE, { token: boss.token });
    expect(refused.body.code).toBe('SERVICE_UNAVAILABLE');
    await everyReplicaAnswers([a, b], staying.accessToken, 200);
    expect(JSON.stringify((await api(b.baseUrl, 'GET', '/health/check')).body)).toContain('session-revocation');

    await redis.start();
    const upAt = Date.now();
    const caughtUp = await untilEveryReplica([a, b], during.accessToken, 401, { timeoutMs: 10_000 });
    // eslint-disable-next-line no-console
    console.log(`revocation made during the outage refused on both replicas ${caughtUp} ms after Redis came back`);
    await everyReplicaAnswers([a, b], early.accessToken, 401);
    await untilEveryReplica([a, b], boss.token, 200, { path: ADMIN_ROUTE, timeoutMs: 10_000 });
    expect(Date.now() - upAt).toBeLessThan(10_000);

    // Back to normal: a new revocation reaches both within 1 s.
    expect((await api(b.baseUrl, 'POST', '/api/v1/auth/signout', { body: { refreshToken: staying.refreshToken } })).status).toBe(204);
    expect(await untilEveryReplica([a, b], staying.accessToken, 401)).toBeLessThanOrEqual(1_000);

    // Redis came back empty; the replicas wrote back what it lost: a newcomer learns it all.
    const c = await startApp({ databaseUrl: db, redisUrl: redis.url, env: AUTH_TEST_ENV });
    apps.push(c);
    await everyReplicaAnswers([c], early.accessToken, 401);
    await everyReplicaAnswers([c], during.accessToken, 401);
    await everyReplicaAnswers([c], boss.token, 200, ADMIN_ROUTE);
  });
});

describe('revocation in single-instance mode (no Redis)', () => {
  let app: AppProcess;
  let db: string;

  beforeAll(async () => {
    db = await createDatabase();
    app = await startApp({ databaseUrl: db, env: AUTH_TEST_ENV });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('revokes from the in-process state: sign-out, and a password change keeping the current session', async () => {
    const acct = await verifiedAccount(app.baseUrl, db);
    const [one, two, three] = [await session(app.baseUrl, acct), await session(app.baseUrl, acct), await session(app.baseUrl, acct)];
    expect((await api(app.baseUrl, 'POST', '/api/v1/auth/signout', { body: { refreshToken: one.refreshToken } })).status).toBe(204);
    await everyReplicaAnswers([app], one.accessToken, 401);
    await everyReplicaAnswers([app], two.accessToken, 200);
    const change = await api(app.baseUrl, 'POST', '/api/v1/auth/password/change', {
      token: two.accessToken,
      body: { currentPassword: PASSWORD, newPassword: 'N3w-Password!' },
    });
    expect(change.status).toBe(204);
    await everyReplicaAnswers([app], three.accessToken, 401);
    await everyReplicaAnswers([app], two.accessToken, 200);
    // Staff routes never fail closed here: there is no feed to lose.
    const boss = await createUser(db, { roles: ['ADMIN'] });
    await everyReplicaAnswers([app], boss.token, 200, ADMIN_ROUTE);
  });
});
