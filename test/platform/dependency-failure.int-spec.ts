/**
 * Dependencies failing and coming back, with no restart: SMTP and Redis stop → their breakers
 * open, /health/check and circuit_breaker_state show it, readiness stays 200 and the API keeps
 * answering what it can; they return → breakers close and the queued mail goes out.
 * PostgreSQL stops → the database breaker opens and requests fail fast with 503, not hang.
 */
import { randomUUID } from 'node:crypto';
import { api, createDatabase, createUser, freePort, sleep, startApp, startPostgres, startRedis } from '../harness';
import { startSmtpSink } from '../auth/smtp-sink';

async function breakerGauge(baseUrl: string, name: string): Promise<number | undefined> {
  const text = (await api<string>(baseUrl, 'GET', '/metrics')).body;
  const m = new RegExp(`circuit_breaker_state\\{name="${name}"\\} (\\d)`).exec(text);
  return m ? Number(m[1]) : undefined;
}

async function eventually<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(last)} after ${timeoutMs} ms`);
    await sleep(200);
    last = await probe();
  }
  return last;
}

const PASSWORD = 'Str0ng!Passw0rd';

describe('dependency failures', () => {
  it('SMTP and Redis down: breakers open, API keeps serving; back: breakers close, mail delivered', async () => {
    const redis = await startRedis();
    const smtp = await startSmtpSink(await freePort());
    const databaseUrl = await createDatabase();
    const app = await startApp({
      databaseUrl,
      redisUrl: redis.url,
      env: { SMTP_URL: smtp.url, MAIL_BREAKER_RESET_MS: '1000', MAIL_RETRY_BASE_MS: '200', MAIL_RETRY_MAX_MS: '1000', MAIL_POLL_INTERVAL_MS: '200', RATE_LIMIT_SIGNIN: '1000/60' },
    });
    try {
      const teller = await createUser(databaseUrl, { roles: ['TELLER'] });
      const account = (await api(app.baseUrl, 'POST', '/api/v1/accounts', { token: teller.token, body: {} })).body.accountNumber;
      expect(await breakerGauge(app.baseUrl, 'mail')).toBe(0);
      expect(await breakerGauge(app.baseUrl, 'redis')).toBe(0);

      await smtp.stop();
      await redis.stop();
      const emails = Array.from({ length: 6 }, () => `dep-${randomUUID().slice(0, 8)}@example.test`);
      for (const email of emails) {
        const t0 = Date.now();
        const res = await api(app.baseUrl, 'POST', '/api/v1/auth/signup', { body: { email, password: PASSWORD } });
        expect(res.status).toBe(201);
        expect(Date.now() - t0).toBeLessThan(2_000);
      }
      // The API keeps answering: reads, money movements (throttling falls back locally), probes.
      const deposit = await api(app.baseUrl, 'POST', '/api/v1/deposits', { token: teller.token, body: { accountNumber: account, amount: '5.00', description: 'during outage' } });
      expect(deposit.status).toBe(201);
      expect((await api(app.baseUrl, 'GET', '/health/ready')).status).toBe(200);

      const degraded = await eventually(
        'health/check during the outage',
        async () => (await api(app.baseUrl, 'GET', '/health/check')).body,
        (b) => b.circuitBreakers?.mail === 'open' && b.circuitBreakers?.redis !== 'closed',
      );
      expect(degraded.components.redis.status).toBe('down');
      expect(degraded.degradedFeatures.map((f: { feature: string }) => f.feature)).toEqual(expect.arrayContaining(['throttling', 'shared-state']));
      expect(await breakerGauge(app.baseUrl, 'mail')).toBe(2);
      expect(await breakerGauge(app.baseUrl, 'redis')).toBeGreaterThanOrEqual(1);

      await smtp.start();
      await redis.start();
      await eventually('breakers closing', async () => (await api(app.baseUrl, 'GET', '/health/check')).body.circuitBreakers, (b) => b.mail === 'closed' && b.redis === 'closed', 30_000);
      expect(await breakerGauge(app.baseUrl, 'mail')).toBe(0);
      expect(await breakerGauge(app.baseUrl, 'redis')).toBe(0);
      for (const email of emails) await smtp.waitForMail(email, 30_000);
      // Within 10 s, not at the first look: CI once saw the revocation feed flag itself lost again
      // right after Redis returned (a heartbeat its command connection, still reconnecting, could
      // not send, read as a dead subscription; unsent heartbeats are no longer judged, see
      // revocation-feed.spec.ts, but that cause was inferred, not reproduced here).
      const healthy = await eventually(
        'every feature back after the outage',
        async () => (await api(app.baseUrl, 'GET', '/health/check')).body,
        (b) => b.components?.redis?.status === 'up' && b.degradedFeatures?.length === 0,
        10_000,
      );
      expect(healthy.degradedFeatures).toEqual([]);
    } finally {
      await app.stop();
      await smtp.stop();
      await redis.stop();
    }
  });

  it('PostgreSQL down: the database breaker opens and requests fail fast with 503; back: it closes', async () => {
    const pg = await startPostgres();
    const databaseUrl = await createDatabase(pg.url);
    const app = await startApp({ databaseUrl, env: { DB_CONNECT_TIMEOUT_MS: '2000' } });
    try {
      const teller = await createUser(databaseUrl, { roles: ['TELLER'] });
      await pg.stop();
      // Until the breaker has seen enough failed checkouts (pooled connections that died with the
      // server fail at query time first), each request fails on its own — always 503, never 500.
      let opened = false;
      for (let i = 0; i < 30 && !opened; i++) {
        const res = await api(app.baseUrl, 'GET', '/api/v1/accounts', { token: teller.token });
        expect(res.status).toBe(503);
        expect(res.body.code).toBe('SERVICE_UNAVAILABLE');
        opened = (await breakerGauge(app.baseUrl, 'database')) === 2;
      }
      expect(opened).toBe(true);
      const t0 = Date.now();
      const fast = await api(app.baseUrl, 'GET', '/api/v1/accounts', { token: teller.token });
      expect(fast.status).toBe(503);
      expect(fast.headers.get('retry-after')).toBeTruthy();
      expect(Date.now() - t0).toBeLessThan(500); // vs DB_CONNECT_TIMEOUT_MS 2000 without the breaker
      expect((await api(app.baseUrl, 'GET', '/health/live')).status).toBe(200);
      expect((await api(app.baseUrl, 'GET', '/health/ready')).status).toBe(503);

      await pg.start();
      await eventually('accounts readable again', async () => (await api(app.baseUrl, 'GET', '/api/v1/accounts', { token: teller.token })).status, (s) => s === 200, 30_000);
      expect(await breakerGauge(app.baseUrl, 'database')).toBe(0);
    } finally {
      await app.stop();
      await pg.dispose();
    }
  });
});
