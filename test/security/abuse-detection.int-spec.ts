/**
 * Abuse detection (DESIGN.md §7), on two replicas sharing one Redis and one database: refusals
 * made by guards count like refusals made by services, so a CUSTOMER hammering an ADMIN-only
 * route (403 from the role guard) and failing a few sign-ins is flagged, with the count shared
 * between the replicas, and an ADMIN sees the flag. Identity only ever comes from a verified
 * token or a known account: tokens forged in a victim's name never count against the victim.
 * Default settings (ABUSE_THRESHOLD 50 events / 300 s, ENABLE_ABUSE_DETECTION on); only the IP
 * limiter is raised by the harness, so 127.0.0.1 is not blocked first.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { api, createDatabase, createUser, sharedRedisUrl, startApp, type AppProcess, type TestUser } from '../harness';
import { connect, createAuction, emitAck, leagueWith } from '../auctions/support';

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

  const flags = async (): Promise<Array<{ userId: string; lastEvent: string }>> => {
    const res = await api<{ flaggedUsers: Array<{ userId: string; lastEvent: string }> }>(replicas[1].baseUrl, 'GET', '/api/v1/admin/security', { token: admin.token });
    expect(res.status).toBe(200);
    return res.body.flaggedUsers;
  };
  const flaggedIds = async (): Promise<string[]> => (await flags()).map((f) => f.userId);

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

  // Found by a review: only someone else's accounts counted; leagues and auctions of others
  // answered the same 404 without a security event.
  it("flags a user probing other users' leagues and auctions (404s, REST and socket); unknown ids do not count", async () => {
    const owner = await createUser(dbUrl);
    const league = await leagueWith(replicas[0].baseUrl, owner, []);
    const auction = await createAuction(replicas[0].baseUrl, owner, league.id);
    const prober = await createUser(dbUrl);
    const socket = await connect(replicas[1].baseUrl, prober.token);
    const probes: Array<() => Promise<{ status: number; code: string }>> = [
      ...[
        ['GET', `/api/v1/leagues/${league.id}`],
        ['GET', `/api/v1/auctions/${auction.id}`],
        ['POST', `/api/v1/auctions/${auction.id}/start`],
      ].map(([method, path], i) => async () => {
        const res = await api(replicas[i % 2].baseUrl, method, path, { token: prober.token });
        return { status: res.status, code: res.body.code };
      }),
      async () => {
        const res = await api(replicas[1].baseUrl, 'POST', `/api/v1/leagues/${league.id}/auctions`, {
          token: prober.token,
          body: { lot: 'Lot', startingPrice: '1.00', minIncrement: '1.00', durationSeconds: 60, antiSnipeSeconds: 0 },
        });
        return { status: res.status, code: res.body.code };
      },
      async () => {
        const ack = await emitAck(socket.socket, 'auction:join', { auctionId: auction.id });
        return { status: 404, code: ack.code };
      },
    ];
    try {
      for (let i = 0; i < 55; i++) expect(await probes[i % probes.length]()).toEqual({ status: 404, code: 'NOT_FOUND' });
    } finally {
      socket.close();
    }
    // The same number of 404s for ids that exist nowhere: nobody's resource, no event.
    const lost = await createUser(dbUrl);
    for (let i = 0; i < 55; i++) {
      const res = await api(replicas[i % 2].baseUrl, 'GET', `/api/v1/${i % 2 ? 'leagues' : 'auctions'}/${randomUUID()}`, { token: lost.token });
      expect(res.body.code).toBe('NOT_FOUND');
    }

    const deadline = Date.now() + 5_000;
    let flagged = await flags();
    while (!flagged.some((f) => f.userId === prober.id) && Date.now() < deadline) flagged = await flags();
    expect(flagged.find((f) => f.userId === prober.id)).toMatchObject({ lastEvent: 'NOT_FOUND_PROBE' });
    expect(flagged.map((f) => f.userId)).not.toContain(lost.id);
  });
});
