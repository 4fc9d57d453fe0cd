/** One-liners for auth tests: unique emails, a valid password, sign-up/sign-in, JWT payloads. */
import { randomUUID } from 'node:crypto';
import { api, createDatabase, createUser, freePort, sharedRedisUrl, startApp, type AppProcess, type TestUser } from '../harness';
import { startSmtpSink, type SmtpSink } from './smtp-sink';

export const PASSWORD = 'C0rrect-Horse!';

export function uniqueEmail(tag = 'user'): string {
  return `${tag}-${randomUUID().slice(0, 8)}@example.test`;
}

/** Env every auth test app gets: a signin budget that never interferes with lockout tests. */
export const AUTH_TEST_ENV: Record<string, string> = { RATE_LIMIT_SIGNIN: '1000/60', LOG_LEVEL: 'info' };

export async function signUp(baseUrl: string, email = uniqueEmail(), password = PASSWORD) {
  const res = await api(baseUrl, 'POST', '/api/v1/auth/signup', { body: { email, password } });
  if (res.status !== 201) throw new Error(`sign-up of ${email} should answer 201, got ${res.status}: ${JSON.stringify(res.body)}`);
  return { email, password, user: res.body as { id: string; email: string; roles: string[] } };
}

export async function signIn(baseUrl: string, email: string, password = PASSWORD) {
  const res = await api(baseUrl, 'POST', '/api/v1/auth/signin', { body: { email, password } });
  if (res.status !== 200) throw new Error(`sign-in of ${email} should answer 200, got ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as { accessToken: string; refreshToken: string; tokenType: string; expiresIn: number };
}

export function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** One app with an SMTP sink, shared Redis and an ADMIN user; `auditActions` reads a user's trail. */
export interface AuthWorld {
  app: AppProcess;
  db: string;
  smtp: SmtpSink;
  admin: TestUser;
  adminEmail: string;
  auditActions(userId: string): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startAuthWorld(): Promise<AuthWorld> {
  const db = await createDatabase();
  const smtp = await startSmtpSink(await freePort());
  const adminEmail = uniqueEmail('boss');
  const app = await startApp({
    databaseUrl: db,
    redisUrl: sharedRedisUrl(),
    env: { ...AUTH_TEST_ENV, SMTP_URL: smtp.url, ADMIN_EMAILS: `someone@else.test, ${adminEmail.toUpperCase()}`, MAIL_POLL_INTERVAL_MS: '100' },
  });
  const admin = await createUser(db, { roles: ['ADMIN'] });
  return {
    app,
    db,
    smtp,
    admin,
    adminEmail,
    async auditActions(userId: string) {
      const res = await api(app.baseUrl, 'GET', `/api/v1/audit-log?userId=${userId}&limit=100`, { token: admin.token });
      if (res.status !== 200) throw new Error(`GET /api/v1/audit-log should answer 200 to an ADMIN, got ${res.status}`);
      return (res.body.items as Array<{ action: string }>).map((e) => e.action);
    },
    async stop() {
      await app.stop();
      await smtp.stop();
    },
  };
}
