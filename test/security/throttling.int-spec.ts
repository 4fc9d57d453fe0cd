/**
 * Route budgets across two replicas sharing one Redis: exact under concurrency, the 429 contract
 * (problem+json, Retry-After, RateLimit-*), metrics, security headers and CORS on every answer,
 * and ENABLE_RATE_LIMITING=false. The budget exercised is the real `status` budget of
 * GET /api/v1/security/rate-limit, set to 20 per minute for the test.
 */
import { api, createDatabase, createUser, startApp, startRedis, type AppProcess, type RedisServer, type TestUser } from '../harness';
import { expectSecurityHeaders, metricSum, range } from './helpers';

const ROUTE = '/api/v1/security/rate-limit';
const ORIGIN = 'https://app.example.test';

describe('route budgets across replicas', () => {
  let redis: RedisServer;
  let dbUrl: string;
  let a: AppProcess;
  let b: AppProcess;

  beforeAll(async () => {
    redis = await startRedis();
    dbUrl = await createDatabase();
    // Exact counts are asserted: a 1 s limiter deadline keeps a loaded test machine from missing the
    // 100 ms production deadline, which would decide that call locally (see redis-outage tests).
    const env = { RATE_LIMIT_STATUS: '20/60', CORS_ORIGINS: ORIGIN, RATE_LIMIT_REDIS_TIMEOUT_MS: '1000' };
    [a, b] = await Promise.all([startApp({ databaseUrl: dbUrl, redisUrl: redis.url, env }), startApp({ databaseUrl: dbUrl, redisUrl: redis.url, env })]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  let user: TestUser;
  let limited: Awaited<ReturnType<typeof api>>[];

  it('lets exactly 20 of 30 concurrent calls through, split over two instances; the other 10 get 429', async () => {
    user = await createUser(dbUrl);
    const results = await Promise.all(range(30).map((i) => api(i % 2 ? a.baseUrl : b.baseUrl, 'GET', `${ROUTE}?budget=status`, { token: user.token })));
    const statuses = results.map((r) => r.status);
    expect({ ok: statuses.filter((s) => s === 200).length, limited: statuses.filter((s) => s === 429).length }).toEqual({ ok: 20, limited: 10 });

    // Exactness, not luck: the 20 allowed calls saw 19..0 remaining, each value once.
    const remaining = results.filter((r) => r.status === 200).map((r) => Number(r.headers.get('ratelimit-remaining')));
    expect(remaining.sort((x, y) => x - y)).toEqual(range(20));
    for (const r of results.filter((x) => x.status === 200)) {
      expect(r.headers.get('ratelimit-limit')).toBe('20');
      expect(Number(r.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);
    }
    limited = results.filter((r) => r.status === 429);
  });

  it('answers each 429 as problem+json RATE_LIMIT_EXCEEDED with Retry-After and RateLimit-* headers', () => {
    for (const r of limited) {
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(r.body).toMatchObject({ status: 429, code: 'RATE_LIMIT_EXCEEDED' });
      const retryAfter = Number(r.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(r.headers.get('ratelimit-limit')).toBe('20');
      expect(r.headers.get('ratelimit-remaining')).toBe('0');
      expect(Number(r.headers.get('ratelimit-reset'))).toBe(retryAfter);
      expectSecurityHeaders(r.headers, 'a 429');
    }
  });

  it('counts the 429s in rate_limited_requests_total by route template (10 over both instances)', async () => {
    expect(await metricSum([a, b], `rate_limited_requests_total{route="${ROUTE}"}`)).toBe(10);
  });

  it('keeps budgets per user: another user still has all 20', async () => {
    const other = await createUser(dbUrl);
    const res = await api(a.baseUrl, 'GET', ROUTE, { token: other.token });
    expect(res.status).toBe(200);
    const status = res.body.budgets.find((x: { budget: string }) => x.budget === 'status');
    expect(status).toMatchObject({ limit: 20, windowSeconds: 60, remaining: 19, countedBy: 'user' });
    const bids = res.body.budgets.find((x: { budget: string }) => x.budget === 'bids');
    expect(bids).toMatchObject({ limit: 20, windowSeconds: 60, remaining: 20, resetSeconds: 0 });
    expect(res.body.budgets.map((x: { budget: string }) => x.budget)).toEqual(['deposits', 'withdrawals', 'transfers', 'leagues', 'bids', 'signin', 'status']);
    expect(res.body.budgets.find((x: { budget: string }) => x.budget === 'signin').countedBy).toBe('ip+email');
  });

  it('rejects unknown query fields and bad values with 400 VALIDATION_FAILED (global ValidationPipe)', async () => {
    const other = await createUser(dbUrl);
    const unknown = await api(b.baseUrl, 'GET', `${ROUTE}?budget=bids&admin=true`, { token: other.token });
    expect(unknown.status).toBe(400);
    expect(unknown.body.code).toBe('VALIDATION_FAILED');
    const bad = await api(b.baseUrl, 'GET', `${ROUTE}?budget=everything`, { token: other.token });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('budget');
  });

  it('counts anonymous callers by client IP (before authentication): 20 get 401, the 21st 429', async () => {
    const statuses: number[] = [];
    for (const i of range(21)) statuses.push((await api(i % 2 ? a.baseUrl : b.baseUrl, 'GET', ROUTE)).status);
    expect(statuses).toEqual([...range(20).map(() => 401), 429]);
  });

  it('puts the security headers on a 200, a 404, a 413 and a probe; relaxes CSP only for /api/docs', async () => {
    const other = await createUser(dbUrl);
    expectSecurityHeaders((await api(a.baseUrl, 'GET', ROUTE, { token: other.token })).headers, 'a 200');
    const notFound = await api(a.baseUrl, 'GET', '/api/v1/no-such-route');
    expect(notFound.status).toBe(404);
    expectSecurityHeaders(notFound.headers, 'a 404');
    const tooLarge = await api(b.baseUrl, 'POST', '/api/v1/no-such-route', { body: { blob: 'x'.repeat(200 * 1024) } });
    expect(tooLarge.status).toBe(413);
    expectSecurityHeaders(tooLarge.headers, 'a 413');
    expectSecurityHeaders((await api(b.baseUrl, 'GET', '/health/live')).headers, 'a probe');

    const docs = await fetch(`${a.baseUrl}/api/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-security-policy')).toContain("style-src 'self' 'unsafe-inline'");
    expect(docs.headers.get('x-frame-options')).toBe('DENY');
    const api404Csp = notFound.headers.get('content-security-policy') ?? '';
    expect(api404Csp).not.toContain('unsafe-inline');
  });

  it('documents the security endpoints in the OpenAPI document', async () => {
    const doc = (await api(a.baseUrl, 'GET', '/api/docs-json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([ROUTE, '/api/v1/admin/security', '/api/v1/admin/security/blocked-ips/{ip}', '/api/v1/admin/security/flags/{userId}']),
    );
    expect(doc.components.schemas.RateLimitStatusDto).toBeDefined();
    expect(doc.components.schemas.SecurityOverviewDto).toBeDefined();
  });

  it('sends CORS headers only to CORS_ORIGINS, with credentials and the rate-limit headers exposed', async () => {
    const other = await createUser(dbUrl);
    const allowed = await api(a.baseUrl, 'GET', ROUTE, { token: other.token, headers: { origin: ORIGIN } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('access-control-expose-headers')).toContain('RateLimit-Remaining');

    const foreign = await api(a.baseUrl, 'GET', ROUTE, { token: other.token, headers: { origin: 'https://evil.example.test' } });
    expect(foreign.status).toBe(200);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();

    const preflight = await fetch(`${b.baseUrl}${ROUTE}`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect((preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase()).toContain('authorization');
    // A preflight is an answer like any other (DESIGN.md §7): it carries every security header and
    // a request id. Nest runs CORS before its security hook by default, and these were missing.
    expectSecurityHeaders(preflight.headers, 'a preflight');
    expect(preflight.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    // OPTIONS from an allowed origin without Access-Control-Request-Method was a bare
    // "400 Invalid Preflight Request" in text/plain, without any of our headers.
    const bareOptions = await fetch(`${b.baseUrl}${ROUTE}`, { method: 'OPTIONS', headers: { origin: ORIGIN } });
    expect(bareOptions.status).toBe(204);
    expect(bareOptions.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expectSecurityHeaders(bareOptions.headers, 'an OPTIONS request without Access-Control-Request-Method');
    // CORS now runs after the request hooks (preParsing): answers made after routing still carry it,
    // errors and bodies read after it included.
    const unauthenticated = await api(a.baseUrl, 'GET', '/api/v1/accounts', { headers: { origin: ORIGIN } });
    const unknownRoute = await api(a.baseUrl, 'GET', '/api/v1/no-such-route', { headers: { origin: ORIGIN } });
    const badSignin = await api(a.baseUrl, 'POST', '/api/v1/auth/signin', { headers: { origin: ORIGIN }, body: { email: other.email, password: 'not-the-password-1A!' } });
    const tooLarge = await api(a.baseUrl, 'POST', '/api/v1/auth/signin', { headers: { origin: ORIGIN }, body: { blob: 'x'.repeat(200 * 1024) } });
    expect([unauthenticated, unknownRoute, badSignin, tooLarge].map((r) => [r.status, r.body.code, r.headers.get('access-control-allow-origin')])).toEqual([
      [401, 'UNAUTHENTICATED', ORIGIN],
      [404, 'NOT_FOUND', ORIGIN],
      [401, 'INVALID_CREDENTIALS', ORIGIN], // the JSON body was read after CORS ran
      [413, 'PAYLOAD_TOO_LARGE', ORIGIN],
    ]);
    const foreignPreflight = await fetch(`${b.baseUrl}${ROUTE}`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.test', 'access-control-request-method': 'GET' },
    });
    expect(foreignPreflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('single-instance mode (no REDIS_URL)', () => {
  it('limits budgets and blocks IPs from in-process stores', async () => {
    const dbUrl = await createDatabase();
    const app = await startApp({ databaseUrl: dbUrl, env: { RATE_LIMIT_STATUS: '3/60', IP_BLOCK_THRESHOLD: '10/60' } });
    try {
      const user = await createUser(dbUrl);
      const results = await Promise.all(range(5).map(() => api(app.baseUrl, 'GET', ROUTE, { token: user.token })));
      expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 429, 429]);
      const more = await Promise.all(range(6).map(() => api(app.baseUrl, 'GET', ROUTE, { token: user.token })));
      expect(more.filter((r) => r.status === 403)).toHaveLength(1); // the 11th request from 127.0.0.1
      expect((await api(app.baseUrl, 'GET', ROUTE, { token: user.token })).body.code).toBe('IP_BLOCKED');
      expect((await api(app.baseUrl, 'GET', '/health/check')).body.degradedFeatures).toEqual([]);
    } finally {
      await app.stop();
    }
  });
});

describe('ENABLE_RATE_LIMITING=false', () => {
  it('turns budgets and IP protection off', async () => {
    const redis = await startRedis();
    const dbUrl = await createDatabase();
    const app = await startApp({
      databaseUrl: dbUrl,
      redisUrl: redis.url,
      env: { ENABLE_RATE_LIMITING: 'false', RATE_LIMIT_STATUS: '3/60', IP_BLOCK_THRESHOLD: '5/60' },
    });
    try {
      const user = await createUser(dbUrl);
      const results = await Promise.all(range(12).map(() => api(app.baseUrl, 'GET', ROUTE, { token: user.token })));
      expect(results.map((r) => r.status)).toEqual(range(12).map(() => 200));
      expect(results[0].headers.get('ratelimit-limit')).toBeNull();
      expect(results[0].body.enabled).toBe(false);
    } finally {
      await app.stop();
      await redis.stop();
    }
  });
});
