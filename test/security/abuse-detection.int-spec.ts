/**
 * Abuse detection (DESIGN.md §7), on two replicas sharing one Redis and one database: refusals
 * made by guards count like refusals made by services, so a CUSTOMER hammering an ADMIN-only
 * route (403 from the role guard) and failing a few sign-ins is flagged, with the count shared
 * between the replicas, and an ADMIN sees the flag. Identity only ever comes from a verified
 * token or a known account: tokens forged in a victim's name never count against the victim.
 * Default settings (ABUSE_THRESHOLD 50 events / 300 s, ENABLE_ABUSE_DETECTION on); only the IP
 * limiter is raised by the harness, so 127.0.0.1 is not blocked first.
 */
import { createHmac } from 'node:crypto';
import { api, createDatabase, createUser, sharedRedisUrl, startApp, type AppProcess, type TestUser } from '../harness';

/** A token naming `victim` that the app never signed: `alg: none`, or HS256 with a guessed key. */
function forgedToken(victim: TestUser, how: 'unsigned' | 'wrong-key'): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: victim.id, email: victim.email, roles: ['CUSTOMER'], lvl: 'BASIC', ev: true, iss: 'bulwark', aud: 'bulwark-api', iat: now, exp: now + 900 };
  if (how === 'unsigned') return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
  const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${unsigned}.${createHmac('sha256', 'guessed-secret').update(unsigned).digest('base64url')}`;
}

describe('abuse detection counts refusals by guards, across replicas', () => {
  let dbUrl: string;
  let replicas: AppProcess[];
  let admin: TestUser;

  beforeAll(async () => {
    dbUrl = await createDatabase();
    const redisUrl = sharedRedisUrl();
    // Generous start-up wait: two apps starting at once on a busy 2-core machine.
    replicas = await Promise.all([0, 1].map(() => startApp({ databaseUrl: dbUrl, redisUrl, readyTimeoutMs: 120_000 })));
    admin = await createUser(dbUrl, { roles: ['ADMIN'] });
  });
  afterAll(async () => {
    await Promise.all((replicas ?? []).map((r) => r.stop()));
  });

  const flaggedIds = async (): Promise<string[]> => {
    const res = await api<{ flaggedUsers: Array<{ userId: string }> }>(replicas[1].baseUrl, 'GET', '/api/v1/admin/security', { token: admin.token });
    expect(res.status).toBe(200);
    return res.body.flaggedUsers.map((f) => f.userId);
  };

  it('flags a CUSTOMER who calls an ADMIN-only route 55 times and fails sign-ins; ADMIN sees the flag', async () => {
    const customer = await createUser(dbUrl);
    // 55 role-guard refusals, alternating replicas: neither replica alone sees 50.
    for (let i = 0; i < 55; i++) {
      const res = await api(replicas[i % 2].baseUrl, 'GET', '/api/v1/users', { token: customer.token });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN');
    }
    for (let i = 0; i < 3; i++) {
      const res = await api(replicas[i % 2].baseUrl, 'POST', '/api/v1/auth/signin', { body: { email: customer.email, password: 'Wrong-passw0rd!' } });
      expect(res.status).toBe(401);
    }
    // Events are recorded off the request path: allow a moment.
    const deadline = Date.now() + 5_000;
    let flagged = await flaggedIds();
    while (!flagged.includes(customer.id) && Date.now() < deadline) flagged = await flaggedIds();
    expect(flagged).toContain(customer.id);
  });

  it('never counts a forged token against the user it names', async () => {
    const victim = await createUser(dbUrl);
    for (let i = 0; i < 60; i++) {
      const token = forgedToken(victim, i % 2 === 0 ? 'unsigned' : 'wrong-key');
      const res = await api(replicas[i % 2].baseUrl, 'GET', '/api/v1/users', { token });
      expect(res.status).toBe(401);
    }
    // A genuine refusal afterwards must find an empty window: one event, far from 50.
    expect((await api(replicas[0].baseUrl, 'GET', '/api/v1/users', { token: victim.token })).status).toBe(403);
    expect(await flaggedIds()).not.toContain(victim.id);
  });
});
