/**
 * What users see must be the same on every Redis topology (DESIGN §2): these checks run against
 * two app replicas sharing one highly available Redis (Sentinel or Cluster) and one database.
 * The replicas trust 127.0.0.1 as a proxy, so every call names its client in X-Forwarded-For:
 * a fresh random address per call unless a test wants one client (IP blocks).
 */
import { randomInt } from 'node:crypto';
import { api, createUser, sleep, sql, startApp, type AppProcess, type TestUser } from '../harness';
import { signUp, PASSWORD } from '../auth/auth-helpers';
import { connect, emitAck, joinAuction, leagueWith, openAuction, users, waitFor, type RecordingSocket } from '../auctions/support';

export const ADMIN_ROUTE = '/api/v1/admin/security';
export const STATUS_ROUTE = '/api/v1/security/rate-limit?budget=status';
/** The default `status` budget (RATE_LIMIT_STATUS 60/60). */
export const STATUS_LIMIT = 60;

export const randomIp = () => `198.18.${randomInt(0, 256)}.${randomInt(1, 255)}`;

export function as(ip = randomIp(), token?: string) {
  return { headers: { 'x-forwarded-for': ip }, ...(token ? { token } : {}) };
}

/** The env of both replicas: defaults except a trusted proxy and an IP threshold a test can reach. */
export function replicaEnv(topology: Record<string, string>): Record<string, string> {
  return {
    ...topology,
    TRUST_PROXY: '127.0.0.1',
    // The production default (100/60) is reached in ~35 requests here; other calls use fresh addresses.
    IP_BLOCK_THRESHOLD: '30/60',
    // Exact counts are asserted on a loaded 2-core machine: the 100 ms production limiter deadline
    // would sometimes decide a call locally (see test/security/throttling.int-spec.ts).
    RATE_LIMIT_REDIS_TIMEOUT_MS: '1000',
    // Flags are listed whatever the threshold; 5 (default 50) keeps the listing test short.
    ABUSE_THRESHOLD: '5/300',
  };
}

export async function startReplicas(dbUrl: string, env: Record<string, string>): Promise<[AppProcess, AppProcess]> {
  // Six Redis servers, two apps and the suite share 2 busy cores: a start can outlast 60 s.
  const opts = { databaseUrl: dbUrl, env, readyTimeoutMs: 110_000 };
  const [a, b] = await Promise.all([startApp(opts), startApp(opts)]);
  return [a, b];
}

/**
 * Client addresses no other call of the file uses (198.19/16, each once): a random one from
 * `randomIp()`'s range could be the address a test blocked on purpose, and one call of the burst
 * would then answer 403 instead of counting against the user's budget.
 */
let burstIps = 0;
const burstIp = () => `198.19.${Math.floor(++burstIps / 250) % 256}.${(burstIps % 250) + 1}`;

/** N allowed means N: `calls` concurrent calls of one user over both replicas; returns the statuses. */
export async function throttleBurst(a: AppProcess, b: AppProcess, user: TestUser, calls: number): Promise<number[]> {
  const results = await Promise.all(
    Array.from({ length: calls }, (_, i) => api(i % 2 ? a.baseUrl : b.baseUrl, 'GET', STATUS_ROUTE, as(burstIp(), user.token))),
  );
  return results.map((r) => r.status);
}

/**
 * Signs a fresh verified user in on replica A, signs out on A, and returns how long it took until
 * BOTH replicas refused the session's access token (DESIGN §4: within 1 s). Every call names its
 * own client address, so the low IP threshold of these replicas is never reached.
 */
export async function signOutRefusedEverywhere(a: AppProcess, b: AppProcess, dbUrl: string): Promise<number> {
  const email = `ha-${randomInt(1e9)}@example.test`;
  const signup = await api(a.baseUrl, 'POST', '/api/v1/auth/signup', { body: { email, password: PASSWORD }, ...as() });
  expect(signup.status).toBe(201);
  await sql(dbUrl, `UPDATE users SET email_verified_at = now() WHERE id = $1`, [signup.body.id]);
  const signin = await api(a.baseUrl, 'POST', '/api/v1/auth/signin', { body: { email, password: PASSWORD }, ...as() });
  expect(signin.status).toBe(200);
  const { accessToken, refreshToken } = signin.body as { accessToken: string; refreshToken: string };
  for (const app of [a, b]) expect((await api(app.baseUrl, 'GET', '/api/v1/users/me', as(undefined, accessToken))).status).toBe(200);
  expect((await api(a.baseUrl, 'POST', '/api/v1/auth/signout', { body: { refreshToken }, ...as() })).status).toBe(204);
  const started = Date.now();
  const refusedAt = new Map<AppProcess, number>();
  while (refusedAt.size < 2 && Date.now() - started < 5_000) {
    for (const app of [a, b]) {
      if (refusedAt.has(app)) continue;
      const res = await api(app.baseUrl, 'GET', '/api/v1/users/me', as(undefined, accessToken));
      if (res.status === 401) refusedAt.set(app, Date.now() - started);
    }
    await sleep(10);
  }
  expect(refusedAt.size).toBe(2);
  return Math.max(...refusedAt.values());
}

export const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

/** How many of each status: a failed comparison names the unexpected ones. */
export const histogram = (statuses: number[]) =>
  statuses.reduce<Record<number, number>>((h, s) => ((h[s] = (h[s] ?? 0) + 1), h), {});

export interface HaContext {
  a: AppProcess;
  b: AppProcess;
  dbUrl: string;
  admin: TestUser;
  /** The port of the primary that keeps `key`. */
  primaryOf(key: string): number;
  /** How many primaries the flags must be spread over (a cluster: at least 2). */
  minPrimaries: number;
}

export function sharedStateSuite(ctx: () => HaContext): void {
  it('throttles exactly across replicas: 60 of 80 concurrent calls pass, 20 get 429', async () => {
    const { a, b, dbUrl } = ctx();
    const statuses = await throttleBurst(a, b, await createUser(dbUrl), 80);
    expect(histogram(statuses)).toEqual({ 200: STATUS_LIMIT, 429: 20 });
  });

  it('blocks an IP on both replicas after 30 calls and lists it to an ADMIN', async () => {
    const { a, b, admin } = ctx();
    const ip = randomIp();
    const burst = await Promise.all(Array.from({ length: 31 }, (_, i) => api(i % 2 ? a.baseUrl : b.baseUrl, 'GET', ADMIN_ROUTE, as(ip))));
    expect(count(burst.map((r) => r.status), 403)).toBe(1);
    for (const app of [a, b]) expect((await api(app.baseUrl, 'GET', ADMIN_ROUTE, as(ip))).body.code).toBe('IP_BLOCKED');
    for (const app of [a, b]) {
      const listed = await api(app.baseUrl, 'GET', ADMIN_ROUTE, as(undefined, admin.token));
      expect(listed.status).toBe(200);
      expect(listed.body.blockedIps.map((x: { ip: string }) => x.ip)).toContain(ip);
    }
  });

  it('lists abuse flags kept on every primary (5 failed sign-ins flag a user)', async () => {
    const { a, b, dbUrl, admin, primaryOf, minPrimaries } = ctx();
    // Users until their flags land on enough primaries (the key's slot follows the user id).
    const customers: TestUser[] = [];
    const primaries = new Set<number>();
    while (customers.length < 3 || primaries.size < minPrimaries) {
      const c = await createUser(dbUrl);
      customers.push(c);
      primaries.add(primaryOf(`bw:abuse:flag:{${c.id}}`));
    }
    await Promise.all(
      customers.map(async (c) => {
        for (let i = 0; i < 5; i++) {
          await api(i % 2 ? a.baseUrl : b.baseUrl, 'POST', '/api/v1/auth/signin', { body: { email: c.email, password: 'Wr0ng-password!' }, ...as() });
        }
      }),
    );
    for (const app of [a, b]) {
      await waitFor(
        async () => {
          const res = await api(app.baseUrl, 'GET', ADMIN_ROUTE, as(undefined, admin.token));
          const ids = res.body.flaggedUsers.map((f: { userId: string }) => f.userId);
          return customers.every((c) => ids.includes(c.id));
        },
        10_000,
        'every flagged user in the admin listing',
      );
    }
    expect(primaries.size).toBeGreaterThanOrEqual(minPrimaries);
  });

  it('ends a signed-out session on both replicas within 1 s (the revocation feed rides on this Redis)', async () => {
    const { a, b, dbUrl } = ctx();
    expect(await signOutRefusedEverywhere(a, b, dbUrl)).toBeLessThanOrEqual(1_000);
  });

  it('locks an account after 5 failed sign-ins alternated over the replicas; both answer 423', async () => {
    const { a, b } = ctx();
    const { email } = await signUp(a.baseUrl);
    const attempt = (app: AppProcess, password: string) => api(app.baseUrl, 'POST', '/api/v1/auth/signin', { body: { email, password }, ...as() });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await attempt(i % 2 ? b : a, 'Wr0ng-password!')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 423]);
    for (const app of [a, b]) expect((await attempt(app, PASSWORD)).body.code).toBe('ACCOUNT_LOCKED');
  });

  it('closes an auction exactly once and fans bid_update out to sockets on both replicas', async () => {
    const { a, b, dbUrl } = ctx();
    const [owner, m1, m2] = await users(dbUrl, 3);
    const league = await leagueWith(a.baseUrl, owner, [m1, m2], { budget: '1000.00' });
    const auction = await openAuction(a.baseUrl, owner, league.id, { durationSeconds: 4 });
    const sockets: RecordingSocket[] = [await connect(a.baseUrl, owner.token), await connect(b.baseUrl, m1.token), await connect(b.baseUrl, m2.token)];
    try {
      await Promise.all(sockets.map((s) => joinAuction(s, auction.id)));
      const rest = await api(a.baseUrl, 'POST', `/api/v1/auctions/${auction.id}/bids`, { token: m1.token, body: { amount: '5.00' }, ...as() });
      expect(rest.status).toBe(201);
      const ack = await emitAck(sockets[2].socket, 'bid:place', { auctionId: auction.id, amount: '6.00' });
      expect(ack.ok).toBe(true);
      await waitFor(() => sockets.every((s) => s.seqs('bid_update').length >= 2), 5_000, 'bid_update on both replicas');
      await waitFor(() => sockets.every((s) => s.of('auction_closed').length >= 1), 15_000, 'auction_closed');
      await sleep(1_500); // a second close would show up here
      for (const s of sockets) {
        expect(s.seqs()).toEqual([1, 2, 3]);
        expect(s.of('auction_closed')).toEqual([expect.objectContaining({ auctionId: auction.id, seq: 3, winnerId: m2.id, amount: '6.00' })]);
        expect(s.of('timer_tick').length).toBeGreaterThan(0);
      }
      const closes = await sql(dbUrl, `SELECT 1 FROM auction_events WHERE auction_id = $1 AND type = 'closed'`, [auction.id]);
      expect(closes).toHaveLength(1);
    } finally {
      for (const s of sockets) s.close();
    }
  });
}
