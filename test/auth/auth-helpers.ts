/** One-liners for auth tests: unique emails, a valid password, sign-up/sign-in, JWT payloads. */
import { randomUUID } from 'node:crypto';
import { api } from '../harness';

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
