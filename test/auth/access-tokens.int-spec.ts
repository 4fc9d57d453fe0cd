/**
 * The three global guards: a bad access token of any kind is 401 UNAUTHENTICATED; a valid one
 * without the route's role is 403 FORBIDDEN (authentication is decided before roles).
 */
import jwt from 'jsonwebtoken';
import { api, createDatabase, createUser, startApp, TEST_JWT_SECRET, tokenFor, type AppProcess, type TestUser } from '../harness';
import { keyIdOf } from '../../src/auth/signing-keys';
import { AUTH_TEST_ENV } from './auth-helpers';

describe('access token checks', () => {
  let app: AppProcess;
  let user: TestUser;

  beforeAll(async () => {
    const db = await createDatabase();
    app = await startApp({ databaseUrl: db, env: AUTH_TEST_ENV });
    user = await createUser(db);
  });
  afterAll(async () => {
    await app?.stop();
  });

  const me = (authorization?: string) => api(app.baseUrl, 'GET', '/api/v1/users/me', { headers: authorization ? { authorization } : {} });
  const claims = () => ({ sub: user.id, email: user.email, roles: user.roles, lvl: user.privilegeLevel, ev: true });

  it('accepts a valid token', async () => {
    expect((await me(`Bearer ${user.token}`)).status).toBe(200);
  });

  const bad: Array<[string, () => string]> = [
    ['no header', () => ''],
    ['not a Bearer scheme', () => `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['garbage', () => 'Bearer not.a.jwt'],
    [
      'a tampered signature',
      () => {
        const [h, p, s] = user.token.split('.');
        return `Bearer ${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`;
      },
    ],
    [
      'a tampered payload (roles raised to ADMIN)',
      () => {
        const [h, , s] = user.token.split('.');
        const p = Buffer.from(JSON.stringify({ ...jwtClaims(user.token), roles: ['ADMIN'] })).toString('base64url');
        return `Bearer ${h}.${p}.${s}`;
      },
    ],
    [
      'alg none',
      () => {
        const h = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
        const p = Buffer.from(JSON.stringify({ ...jwtClaims(user.token) })).toString('base64url');
        return `Bearer ${h}.${p}.`;
      },
    ],
    ['another HMAC algorithm (HS512)', () => `Bearer ${jwt.sign(claims(), TEST_JWT_SECRET, { algorithm: 'HS512', expiresIn: 900, issuer: 'bulwark', audience: 'bulwark-api' })}`],
    ['an expired token', () => `Bearer ${tokenFor(user, { expiresIn: -10 })}`],
    ['a wrong audience', () => `Bearer ${tokenFor(user, { audience: 'someone-else' })}`],
    ['a wrong issuer', () => `Bearer ${tokenFor(user, { issuer: 'evil' })}`],
    ['a wrong secret', () => `Bearer ${tokenFor(user, { secret: 'another-secret-that-is-long-enough-0123456789' })}`],
    ['a wrong secret under the right kid', () => `Bearer ${tokenFor(user, { secret: 'another-secret-that-is-long-enough-0123456789', kid: keyIdOf(TEST_JWT_SECRET) })}`],
    ['an unknown kid', () => `Bearer ${tokenFor(user, { kid: '0123456789abcdef' })}`],
  ];

  it.each(bad)('refuses %s with 401 UNAUTHENTICATED', async (_, header) => {
    const res = await me(header() || undefined);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('UNAUTHENTICATED');
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    // RFC 9110: every 401 carries a challenge; RFC 6750: invalid_token when a Bearer token was sent.
    const sent = header().startsWith('Bearer ');
    expect(res.headers.get('www-authenticate')).toBe(sent ? 'Bearer realm="bulwark", error="invalid_token"' : 'Bearer realm="bulwark"');
  });

  it('answers 403 FORBIDDEN to a valid token without the role, and 401 before roles without a token', async () => {
    const forbidden = await api(app.baseUrl, 'GET', '/api/v1/users', { token: user.token });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('FORBIDDEN');
    const anonymous = await api(app.baseUrl, 'GET', '/api/v1/audit-log');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('UNAUTHENTICATED');
  });
});

function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}
