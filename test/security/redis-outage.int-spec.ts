/**
 * Throttling while Redis is down and after it returns, without restarts. A and B run fail-open
 * (RATE_LIMIT_FAIL_MODE=open, the default), C fail-closed; the route budget `status` is 5/60.
 * Their limiter deadline is raised to 1 s: these tests assert exact counts, and on a loaded test
 * machine a call can miss the 100 ms production deadline, which (by design) decides that call
 * locally. The deadline itself is tested on its own replica, with the default 100 ms, below.
 */
import { api, createDatabase, createUser, sleep, startApp, startRedis, type AppProcess, type RedisServer, type TestUser } from '../harness';
import { eventually, range } from './helpers';

const ROUTE = '/api/v1/security/rate-limit';

async function timed(baseUrl: string, path: string, token: string): Promise<{ status: number; ms: number; body: any; headers: Headers }> {
  const started = performance.now();
  const res = await api(baseUrl, 'GET', path, { token });
  return { status: res.status, ms: performance.now() - started, body: res.body, headers: res.headers };
}

async function degradedFeatures(app: AppProcess): Promise<Array<{ feature: string; reason: string }>> {
  return (await api(app.baseUrl, 'GET', '/health/check')).body.degradedFeatures;
}

describe('throttling through a Redis outage', () => {
  let redis: RedisServer;
  let dbUrl: string;
  let a: AppProcess;
  let b: AppProcess;
  let c: AppProcess;
  let admin: TestUser;

  beforeAll(async () => {
    redis = await startRedis();
    dbUrl = await createDatabase();
    const env = { RATE_LIMIT_STATUS: '5/60', RATE_LIMIT_REDIS_TIMEOUT_MS: '1000' };
    [a, b, c] = await Promise.all([
      startApp({ databaseUrl: dbUrl, redisUrl: redis.url, env }),
      startApp({ databaseUrl: dbUrl, redisUrl: redis.url, env }),
      startApp({ databaseUrl: dbUrl, redisUrl: redis.url, env: { ...env, RATE_LIMIT_FAIL_MODE: 'closed' } }),
    ]);
    admin = await createUser(dbUrl, { roles: ['ADMIN'] });
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
    await redis?.stop();
  });

  it('shares the budget across replicas while Redis is up (5 of 12 concurrent calls)', async () => {
    const user = await createUser(dbUrl);
    const results = await Promise.all(range(12).map((i) => api([a, b, c][i % 3].baseUrl, 'GET', ROUTE, { token: user.token })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(5);
    expect(await degradedFeatures(a)).toEqual([]);
  });

  describe('while Redis is stopped', () => {
    beforeAll(async () => {
      await redis.stop();
      await sleep(300);
    });

    it('fail-open: still serves promptly and still limits, per replica, from local memory', async () => {
      const user = await createUser(dbUrl);
      const onA: Awaited<ReturnType<typeof timed>>[] = [];
      for (const _ of range(7)) onA.push(await timed(a.baseUrl, ROUTE, user.token));
      expect(onA.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const slowest = Math.max(...onA.map((r) => r.ms));
      expect(slowest).toBeLessThan(300);
      expect(onA[5].headers.get('retry-after')).not.toBeNull();
      // Per replica: B keeps its own count while it cannot share (approximate limits, not an outage).
      expect((await timed(b.baseUrl, ROUTE, user.token)).status).toBe(200);
      // A route without a budget is served too (IP protection also falls back locally).
      const listing = await timed(a.baseUrl, '/api/v1/admin/security', admin.token);
      expect(listing.status).toBe(200);
      expect(listing.ms).toBeLessThan(300);
    });

    it('stays ready, naming Redis degraded, and /health/check shows throttling degraded', async () => {
      for (const app of [a, c]) {
        const ready = await api(app.baseUrl, 'GET', '/health/ready');
        expect(ready.status).toBe(200);
        expect(ready.body.details.redis.status).toBe('degraded');
      }
      const onA = await degradedFeatures(a);
      expect(onA.find((f) => f.feature === 'throttling')?.reason).toContain('fail-open');
      expect(onA.map((f) => f.feature)).toContain('shared-state');
      const onC = await degradedFeatures(c);
      expect(onC.find((f) => f.feature === 'throttling')?.reason).toContain('fail-closed');
    });

    it('fail-closed: limited routes answer 503 SERVICE_UNAVAILABLE at once; other routes are served', async () => {
      const user = await createUser(dbUrl);
      const limited = await timed(c.baseUrl, ROUTE, user.token);
      expect(limited.status).toBe(503);
      expect(limited.body).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
      expect(limited.headers.get('retry-after')).toBe('1');
      expect(limited.ms).toBeLessThan(300);
      const other = await timed(c.baseUrl, '/api/v1/admin/security', admin.token);
      expect(other.status).toBe(200);
    });
  });

  describe('after Redis is back', () => {
    beforeAll(async () => {
      await redis.start();
    });

    it('clears the degradation by itself and shares limits across replicas again, without restarts', async () => {
      const recovered = await eventually(async () => {
        const all = await Promise.all([a, b, c].map(degradedFeatures));
        return all.every((features) => features.length === 0);
      }, 20_000, 200);
      expect(recovered).toBe(true);

      const user = await createUser(dbUrl);
      const results = await Promise.all(range(12).map((i) => api([a, b][i % 2].baseUrl, 'GET', ROUTE, { token: user.token })));
      expect(results.filter((r) => r.status === 200)).toHaveLength(5);
      expect((await api(c.baseUrl, 'GET', ROUTE, { token: (await createUser(dbUrl)).token })).status).toBe(200);
    });
  });

  describe('while Redis hangs (process stopped with SIGSTOP: connections open, no answers)', () => {
    let d: AppProcess;
    beforeAll(async () => {
      d = await startApp({ databaseUrl: dbUrl, redisUrl: redis.url, env: { RATE_LIMIT_STATUS: '5/60', RATE_LIMIT_REDIS_TIMEOUT_MS: '100' } });
    });
    afterAll(async () => {
      process.kill(redis.pid, 'SIGCONT');
      await d?.stop();
    });

    it('waits at most the 100 ms deadline per Redis call, then stops waiting; limits still apply locally', async () => {
      const user = await createUser(dbUrl);
      expect((await timed(d.baseUrl, ROUTE, user.token)).status).toBe(200); // counted in Redis
      process.kill(redis.pid, 'SIGSTOP');
      const calls: Awaited<ReturnType<typeof timed>>[] = [];
      for (const _ of range(8)) calls.push(await timed(d.baseUrl, ROUTE, user.token));
      const ms = calls.map((r) => Math.round(r.ms));
      // A request makes at most two limiter calls (IP + route), each cut at the deadline...
      expect(Math.max(...ms)).toBeLessThan(2 * 100 + 200);
      // ...and after a few missed deadlines the replica stops asking Redis at all.
      expect(ms.slice(-5).every((x) => x < 100)).toBe(true);
      expect(calls.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(3);
      expect((await degradedFeatures(d)).map((f) => f.feature)).toContain('throttling');
      process.kill(redis.pid, 'SIGCONT');
      const recovered = await eventually(async () => (await degradedFeatures(d)).length === 0, 20_000, 200);
      expect(recovered).toBe(true);
    });
  });
});
