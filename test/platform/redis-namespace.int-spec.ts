/**
 * Two deployments sharing one Redis (staging beside production), told apart by REDIS_NAMESPACE:
 * "alpha" with two replicas and "beta" with one, each on its own database, one redis-server of
 * this file's own (so every key and channel in it is theirs). Inside a namespace the replicas
 * share everything as before; across namespaces nothing: not a key, not a channel, not an IP
 * budget, not the retention lease, not a revocation.
 */
import { Redis } from 'ioredis';
import { api, createDatabase, createUser, startApp, startRedis, type AppProcess, type RedisServer } from '../harness';
import { eventually, metricSum, range } from '../security/helpers';

const ADMIN_ROUTE = '/api/v1/admin/security';

describe('deployments sharing one Redis under different REDIS_NAMESPACEs', () => {
  let redis: RedisServer;
  let inspect: Redis;
  let alphaDb: string;
  let betaDb: string;
  let alpha1: AppProcess;
  let alpha2: AppProcess;
  let beta: AppProcess;

  beforeAll(async () => {
    redis = await startRedis();
    inspect = new Redis(redis.url);
    [alphaDb, betaDb] = await Promise.all([createDatabase(), createDatabase()]);
    // The production IP threshold (100/60; the harness raises it for every other test) and the
    // default retention interval (a run at start, then every 15 min); 127.0.0.1 trusted as a
    // proxy, so the IP test's client (X-Forwarded-For) has a budget of its own.
    const env = { IP_BLOCK_THRESHOLD: undefined, TRUST_PROXY: '127.0.0.1' };
    [alpha1, alpha2, beta] = await Promise.all([
      startApp({ databaseUrl: alphaDb, redisUrl: redis.url, env: { ...env, REDIS_NAMESPACE: 'alpha' } }),
      startApp({ databaseUrl: alphaDb, redisUrl: redis.url, env: { ...env, REDIS_NAMESPACE: 'alpha' } }),
      startApp({ databaseUrl: betaDb, redisUrl: redis.url, env: { ...env, REDIS_NAMESPACE: 'beta' } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([alpha1?.stop(), alpha2?.stop(), beta?.stop()]);
    inspect?.disconnect();
    await redis?.stop();
  });

  it('keeps each deployment to its own revocations: a role change in alpha reaches both alpha replicas and not beta', async () => {
    const admin = await createUser(alphaDb, { roles: ['ADMIN'] });
    const user = await createUser(alphaDb);
    const res = await api(alpha1.baseUrl, 'PATCH', `/api/v1/users/${user.id}/roles`, { token: admin.token, body: { roles: ['TELLER'] } });
    expect(res.status).toBe(200);
    // eventually() returns the last value it saw: the assertion is on that.
    expect(await eventually(async () => ((await metricSum([alpha2], 'auth_revocation_records')) >= 1 ? true : undefined))).toBe(true);
    expect(await metricSum([alpha1], 'auth_revocation_records')).toBeGreaterThanOrEqual(1);
    expect(await metricSum([beta], 'auth_revocation_records')).toBe(0);
  });

  it('runs retention in each deployment: one lease per namespace, not one for the whole Redis', async () => {
    // Every replica tries at start; the lease lets one per deployment through (it lasts 30 min).
    const runs = (apps: AppProcess[]) => async () => ((await metricSum(apps, 'retention_runs_total')) >= 1 ? true : undefined);
    expect(await eventually(runs([alpha1, alpha2]))).toBe(true);
    expect(await eventually(runs([beta]))).toBe(true);
    expect(await metricSum([alpha1, alpha2], 'retention_runs_total')).toBe(1);
    expect(await inspect.exists('alpha:bw:retention:lease', 'beta:bw:retention:lease')).toBe(2);
  });

  it('puts every key and every channel in Redis under one of the two namespaces', async () => {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await inspect.scan(cursor, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    const channels = (await inspect.pubsub('CHANNELS', '*')) as string[];
    const outside = [...keys, ...channels].filter((name) => !name.startsWith('alpha:') && !name.startsWith('beta:'));
    expect(outside).toEqual([]);
    // Each deployment's subscriptions: revocation feed, auction events, Socket.IO's adapter.
    for (const ns of ['alpha', 'beta']) {
      expect(channels).toEqual(
        expect.arrayContaining([`${ns}:bw:revocations`, `${ns}:bw:auction-events`, `${ns}:socket.io-request#/#`]),
      );
    }
    expect(keys).toEqual(expect.arrayContaining(['alpha:bw:{revocations}']));
  });

  it('shares the IP budget between the replicas of one deployment and not with the other', async () => {
    // Unauthenticated calls to an ADMIN route: counted by IP before authentication answers 401.
    const client = { headers: { 'x-forwarded-for': '198.51.100.77' } };
    const statuses = [];
    for (const i of range(102)) statuses.push((await api(i % 2 ? alpha1.baseUrl : alpha2.baseUrl, 'GET', ADMIN_ROUTE, client)).status);
    expect(statuses).toEqual([...range(100).map(() => 401), 403, 403]);
    const blocked = await api(alpha2.baseUrl, 'GET', ADMIN_ROUTE, client);
    expect(blocked.body).toMatchObject({ code: 'IP_BLOCKED' });
    // The same client IP is a stranger to beta: its own budget, untouched.
    const beside = await Promise.all(range(5).map(() => api(beta.baseUrl, 'GET', ADMIN_ROUTE, client)));
    expect(beside.map((r) => r.status)).toEqual(range(5).map(() => 401));
  });
});
