/**
 * Mail goes through a transactional outbox: an SMTP outage never blocks or fails sign-up, the
 * mail is delivered once the server is back, two instances never send one mail twice, and the
 * mail circuit breaker shows in /metrics and /health/check without touching readiness.
 */
import { api, createDatabase, freePort, sharedRedisUrl, sleep, sql, startApp, type AppProcess } from '../harness';
import { AUTH_TEST_ENV, PASSWORD, uniqueEmail } from './auth-helpers';
import { startSmtpSink, tokenFromMail } from './smtp-sink';

async function metric(app: AppProcess, pattern: RegExp): Promise<string | undefined> {
  const text = (await api<string>(app.baseUrl, 'GET', '/metrics')).body;
  return pattern.exec(text)?.[1];
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`expected ${what} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

describe('mail outbox', () => {
  it('answers sign-up 201 at once while SMTP is down, and delivers the mail once the server is back', async () => {
    const port = await freePort();
    const smtp = await startSmtpSink(port);
    const db = await createDatabase();
    const app = await startApp({
      databaseUrl: db,
      redisUrl: sharedRedisUrl(),
      env: {
        ...AUTH_TEST_ENV,
        SMTP_URL: smtp.url,
        MAIL_POLL_INTERVAL_MS: '200',
        MAIL_RETRY_BASE_MS: '200',
        MAIL_RETRY_MAX_MS: '1000',
        MAIL_SEND_TIMEOUT_MS: '2000',
        MAIL_BREAKER_RESET_MS: '1000',
      },
    });
    try {
      await smtp.stop();
      const emails = Array.from({ length: 6 }, () => uniqueEmail('outage'));
      for (const email of emails) {
        const started = performance.now();
        const res = await api(app.baseUrl, 'POST', '/api/v1/auth/signup', { body: { email, password: PASSWORD } });
        const ms = performance.now() - started;
        expect(res.status).toBe(201);
        expect(ms).toBeLessThan(1_500);
      }
      // Deliveries fail while the server is away; the breaker opens after enough of them...
      await waitUntil('the mail breaker to open', async () => (await metric(app, /circuit_breaker_state\{name="mail"\} (\d)/)) === '2', 15_000);
      const check = await api(app.baseUrl, 'GET', '/health/check');
      expect(check.body.circuitBreakers.mail).toBe('open');
      // ...without failing readiness.
      expect((await api(app.baseUrl, 'GET', '/health/ready')).status).toBe(200);
      const pending = await sql<{ n: string }>(db, `SELECT count(*) AS n FROM mail_outbox WHERE sent_at IS NULL AND attempts > 0`);
      expect(Number(pending[0].n)).toBeGreaterThan(0);

      await smtp.start();
      for (const email of emails) await smtp.waitForMail(email, 20_000);
      await sleep(1_000);
      for (const email of emails) expect(smtp.mailsTo(email)).toHaveLength(1);
      expect(await metric(app, /circuit_breaker_state\{name="mail"\} (\d)/)).toBe('0');
      const rows = await sql<{ sent: boolean; payload: Buffer | null }>(db, `SELECT sent_at IS NOT NULL AS sent, payload FROM mail_outbox`);
      expect(rows).toHaveLength(6);
      // Delivered mails keep no payload: their live links are gone from the database.
      expect(rows.every((r) => r.sent && r.payload === null)).toBe(true);

      // The link of a mail delivered late still verifies the account.
      const token = tokenFromMail(smtp.mailsTo(emails[0])[0]);
      expect((await api(app.baseUrl, 'GET', `/api/v1/auth/verify?token=${token}`)).status).toBe(200);
    } finally {
      await app.stop();
      await smtp.stop();
    }
  });

  it('never sends one mail twice when two instances poll the same outbox', async () => {
    const smtp = await startSmtpSink(await freePort());
    const db = await createDatabase();
    const env = { ...AUTH_TEST_ENV, SMTP_URL: smtp.url, MAIL_POLL_INTERVAL_MS: '50', MAIL_BATCH_SIZE: '3' };
    const [a, b] = await Promise.all([
      startApp({ databaseUrl: db, redisUrl: sharedRedisUrl(), env }),
      startApp({ databaseUrl: db, redisUrl: sharedRedisUrl(), env }),
    ]);
    try {
      const emails = Array.from({ length: 20 }, () => uniqueEmail('twice'));
      await Promise.all(emails.map((email, i) => api(i % 2 ? a.baseUrl : b.baseUrl, 'POST', '/api/v1/auth/signup', { body: { email, password: PASSWORD } })));
      for (const email of emails) await smtp.waitForMail(email, 20_000);
      await sleep(1_000);
      const counts = emails.map((e) => smtp.mailsTo(e).length);
      expect(counts).toEqual(emails.map(() => 1));
      expect(smtp.received).toHaveLength(20);
      const sentBy = Number(await metric(a, /mail_deliveries_total\{outcome="sent"\} (\d+)/)) + Number(await metric(b, /mail_deliveries_total\{outcome="sent"\} (\d+)/));
      expect(sentBy).toBe(20);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await smtp.stop();
    }
  });

  it('gives up at once on a permanent refusal (550) without tripping the breaker', async () => {
    const smtp = await startSmtpSink(await freePort(), { refuse: (a) => a.startsWith('bounce-') });
    const db = await createDatabase();
    const app = await startApp({ databaseUrl: db, env: { ...AUTH_TEST_ENV, SMTP_URL: smtp.url, MAIL_POLL_INTERVAL_MS: '100' } });
    try {
      const refused = Array.from({ length: 6 }, () => uniqueEmail('bounce'));
      for (const email of refused) expect((await api(app.baseUrl, 'POST', '/api/v1/auth/signup', { body: { email, password: PASSWORD } })).status).toBe(201);
      const good = uniqueEmail('fine');
      await api(app.baseUrl, 'POST', '/api/v1/auth/signup', { body: { email: good, password: PASSWORD } });
      await smtp.waitForMail(good);
      await waitUntil('the refused mails to be given up', async () => {
        const [{ n }] = await sql<{ n: string }>(db, `SELECT count(*) AS n FROM mail_outbox WHERE failed_at IS NOT NULL`);
        return Number(n) === 6;
      }, 15_000);
      const rows = await sql<{ attempts: number; payload: Buffer | null; last_error: string }>(db, `SELECT attempts, payload, last_error FROM mail_outbox WHERE failed_at IS NOT NULL`);
      expect(rows.every((r) => r.attempts === 1 && r.payload === null && r.last_error.includes('550'))).toBe(true);
      expect(await metric(app, /circuit_breaker_state\{name="mail"\} (\d)/)).toBe('0');
    } finally {
      await app.stop();
      await smtp.stop();
    }
  });

  it('without SMTP_URL writes the mail, link included, to the log as JSON at info', async () => {
    const db = await createDatabase();
    const app = await startApp({ databaseUrl: db, env: { ...AUTH_TEST_ENV, MAIL_POLL_INTERVAL_MS: '100' } });
    try {
      const email = uniqueEmail('logged');
      expect((await api(app.baseUrl, 'POST', '/api/v1/auth/signup', { body: { email, password: PASSWORD } })).status).toBe(201);
      let line: { level: string; mail: { to: string; link: string } } | undefined;
      await waitUntil('a mail log line', async () => {
        line = app
          .output()
          .split('\n')
          .filter((l) => l.includes(email) && l.includes('"mail"'))
          .map((l) => JSON.parse(l) as { level: string; mail: { to: string; link: string } })[0];
        return line !== undefined;
      }, 10_000);
      expect(line!.level).toBe('info');
      expect(line!.mail.link).toMatch(/\/api\/v1\/auth\/verify\?token=[A-Za-z0-9_-]{43}$/);
      const path = new URL(line!.mail.link).pathname + new URL(line!.mail.link).search;
      expect((await api(app.baseUrl, 'GET', path)).status).toBe(200);
      // The dispatcher is one of the cleanup steps of a graceful shutdown.
      expect(await app.stop('SIGTERM')).toBe(0);
      expect(app.output()).toContain('"component":"mail-dispatcher","msg":"closed"');
    } finally {
      await app.stop();
    }
  });
});
