/**
 * Rotating JWT_SECRET without signing anyone out (DESIGN §4, runbook in docs/operations.md):
 * two replicas on one database and Redis go through the steps of a rolling rotation, replica by
 * replica; tokens issued before and after keep working on both at every step, until the old
 * secret is dropped. Tokens name their key in `kid`; an unknown or dropped kid is 401, counted
 * in auth_token_rejections_total{reason="unknown_kid"}, and not logged per request.
 */
import { keyIdOf } from '../../src/auth/signing-keys';
import { api, createDatabase, createUser, sharedRedisUrl, startApp, tokenFor, type AppProcess } from '../harness';
import { AUTH_TEST_ENV } from './auth-helpers';
import { everyReplicaAnswers, metric, session, verifiedAccount } from './revocation-support';

const OLD = 'old-rotation-secret-0123456789-abcdefghij';
const NEW = 'new-rotation-secret-0123456789-klmnopqrst';

function kidOf(token: string): unknown {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')).kid;
}

// App starts take 5-20 s on a loaded machine: the steps replace replicas in parallel where the
// rollout order does not matter, and the test gets a budget of its own.
jest.setTimeout(240_000);

describe('JWT secret rotation', () => {
  let db: string;
  let a: AppProcess;
  let b: AppProcess;
  let plain: AppProcess;
  const running: AppProcess[] = [];

  const replica = async (secret: string, previous = ''): Promise<AppProcess> => {
    const app = await startApp({
      databaseUrl: db,
      redisUrl: sharedRedisUrl(),
      env: { ...AUTH_TEST_ENV, JWT_SECRET: secret, ...(previous ? { JWT_PREVIOUS_SECRETS: previous } : {}) },
    });
    running.push(app);
    return app;
  };
  /** Rolling update of one replica: stop it, start its successor. */
  const replace = async (old: AppProcess, secret: string, previous = ''): Promise<AppProcess> => {
    await old.stop();
    return replica(secret, previous);
  };

  beforeAll(async () => {
    db = await createDatabase();
    // Step 1 of the runbook (the new secret staged as verify-only everywhere; OLD still signs),
    // plus one replica on the new secret alone for the bad-kid checks.
    [a, b, plain] = await Promise.all([replica(OLD, NEW), replica(OLD, NEW), replica(NEW)]);
  });
  afterAll(async () => {
    await Promise.all(running.map((app) => app.stop()));
  });

  it('keeps tokens from before and after working on every replica at every step, until the old secret is dropped', async () => {
    const acct = await verifiedAccount(a.baseUrl, db);
    const before = await session(a.baseUrl, acct);
    expect(kidOf(before.accessToken)).toBe(keyIdOf(OLD));
    expect(before.accessToken).not.toContain(Buffer.from(OLD).toString('base64url').slice(0, 12));
    // What a replica that predates the rotation (OLD only, no previous) signed: same kid, same key.
    const legacy = tokenFor({ ...(await createUser(db)) }, { secret: OLD });
    await everyReplicaAnswers([a, b], before.accessToken, 200);
    await everyReplicaAnswers([a, b], legacy, 200);

    // Step 2: the new secret signs, the old one verifies, replica by replica. Mid-rollout, A
    // signs with NEW while B still signs with OLD: each verifies the other's tokens.
    a = await replace(a, NEW, OLD);
    const during = await session(a.baseUrl, acct);
    expect(kidOf(during.accessToken)).toBe(keyIdOf(NEW));
    const fromB = await session(b.baseUrl, acct);
    expect(kidOf(fromB.accessToken)).toBe(keyIdOf(OLD));
    for (const token of [before.accessToken, legacy, during.accessToken, fromB.accessToken]) await everyReplicaAnswers([a, b], token, 200);
    b = await replace(b, NEW, OLD);
    const after = await session(b.baseUrl, acct);
    expect(kidOf(after.accessToken)).toBe(keyIdOf(NEW));
    for (const token of [before.accessToken, during.accessToken, fromB.accessToken, after.accessToken]) await everyReplicaAnswers([a, b], token, 200);
    // Refresh tokens are opaque (not JWTs): they survive the rotation and come back signed with NEW.
    const refreshed = await api(a.baseUrl, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: before.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect(kidOf(refreshed.body.accessToken)).toBe(keyIdOf(NEW));

    // Step 3 (once every OLD token has expired, JWT_ACCESS_TTL later): OLD is dropped.
    [a, b] = await Promise.all([replace(a, NEW), replace(b, NEW)]);
    for (const token of [during.accessToken, after.accessToken, refreshed.body.accessToken]) await everyReplicaAnswers([a, b], token, 200);
    const dropped = await api(a.baseUrl, 'GET', '/api/v1/users/me', { token: fromB.accessToken });
    expect(dropped.status).toBe(401);
    expect(dropped.body.code).toBe('UNAUTHENTICATED');
    await everyReplicaAnswers([a, b], fromB.accessToken, 401);
    await everyReplicaAnswers([a, b], legacy, 401);
    expect(await metric(a.baseUrl, 'auth_token_rejections_total{reason="unknown_kid"}')).toBeGreaterThan(0);
  });

  it('refuses an unknown kid with 401 UNAUTHENTICATED, counts it and does not log it per request', async () => {
    const app = plain;
    const user = await createUser(db);
    const good = tokenFor(user, { secret: NEW });
    expect((await api(app.baseUrl, 'GET', '/api/v1/users/me', { token: good })).status).toBe(200);
    const counted = await metric(app.baseUrl, 'auth_token_rejections_total{reason="unknown_kid"}');
    const logLines = app.output().split('\n').length;
    const forged = [
      tokenFor(user, { secret: NEW, kid: '0123456789abcdef' }),
      tokenFor(user, { secret: NEW, kid: keyIdOf(OLD) }),
      tokenFor(user, { secret: OLD }),
    ];
    for (let i = 0; i < 10; i++) {
      for (const token of forged) {
        const res = await api(app.baseUrl, 'GET', '/api/v1/users/me', { token });
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('UNAUTHENTICATED');
        expect(res.headers.get('content-type')).toContain('application/problem+json');
      }
    }
    expect(await metric(app.baseUrl, 'auth_token_rejections_total{reason="unknown_kid"}')).toBe(counted + 30);
    // The access log may note each request; nothing is logged at warn or above for a bad token.
    const added = app.output().split('\n').slice(logLines - 1).filter((l) => l.trim().length > 0);
    const loud = added.filter((l) => /"level":(4|5|6)\d/.test(l));
    expect(loud).toEqual([]);
  });
});
