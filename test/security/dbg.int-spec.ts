import { api, createDatabase, createUser, startApp, startRedis } from '../harness';
it('debug', async () => {
  const redis = await startRedis();
  const dbUrl = await createDatabase();
  const env = { RATE_LIMIT_STATUS: '20/60' };
  const [a, b] = await Promise.all([startApp({ databaseUrl: dbUrl, redisUrl: redis.url, env }), startApp({ databaseUrl: dbUrl, redisUrl: redis.url, env })]);
  try {
    const user = await createUser(dbUrl);
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => api(i % 2 ? a.baseUrl : b.baseUrl, 'GET', '/api/v1/security/rate-limit?budget=status', { token: user.token })));
    console.log(results.map((r) => `${r.status}:${r.headers.get('ratelimit-remaining')}`).join(' '));
    console.log(a.output().split('\n').filter((l) => /throttl|redis|warn|error/i.test(l)).join('\n'));
    console.log(b.output().split('\n').filter((l) => /throttl|redis|warn|error/i.test(l)).join('\n'));
  } finally {
    await a.stop(); await b.stop(); await redis.stop();
  }
});
