/**
 * Countdown ownership across replicas: the replica holding an auction's timer lease (read from
 * Redis: its value names the holder's pid) is SIGKILLed shortly before the end; the other one
 * takes over and closes the auction exactly once, within 2 s of endsAt, charging the winner
 * once. On SIGTERM a replica gives its leases back, closes its sockets so clients reconnect
 * elsewhere, and exits 0; a client that reconnects with lastSeq misses nothing.
 */
import { Redis } from 'ioredis';
import { api, createDatabase, sleep, sql, startApp, startRedis, type AppProcess, type RedisServer } from '../harness';
import { connect, joinAuction, leagueWith, openAuction, range, users, waitFor, type RecordingSocket } from './support';

const leaseKey = (auctionId: string) => `bw:auction-timer:${auctionId}`;

/** The replica whose pid is in the lease value. */
async function leaseHolder(redis: Redis, auctionId: string, apps: AppProcess[]): Promise<AppProcess> {
  let holder: AppProcess | undefined;
  await waitFor(
    async () => {
      const value = await redis.get(leaseKey(auctionId));
      const pid = Number(/:(\d+):[0-9a-f]{8}$/.exec(value ?? '')?.[1]);
      holder = apps.find((a) => a.pid === pid);
      return holder !== undefined;
    },
    5_000,
    'a replica to hold the auction timer lease',
  );
  return holder!;
}

describe('countdown failover', () => {
  let redisServer: RedisServer;
  let redis: Redis;
  let dbUrl: string;
  const apps: AppProcess[] = [];
  const sockets: RecordingSocket[] = [];

  const start = async () => {
    const app = await startApp({
      databaseUrl: dbUrl,
      redisUrl: redisServer.url,
      env: { ENABLE_RATE_LIMITING: 'false' },
    });
    apps.push(app);
    return app;
  };

  beforeAll(async () => {
    redisServer = await startRedis();
    redis = new Redis(redisServer.url);
    dbUrl = await createDatabase();
    await Promise.all([start(), start()]);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await Promise.all(apps.map((a) => a.stop()));
    redis?.disconnect();
    await redisServer?.stop();
  });

  it('closes once, within 2 s of endsAt, when the replica driving the countdown is SIGKILLed', async () => {
    const [a, b] = apps;
    const [owner, alice, bob] = await users(dbUrl, 3);
    const league = await leagueWith(a.baseUrl, owner, [alice, bob], { budget: '100.00' });
    const auction = await openAuction(a.baseUrl, owner, league.id, { durationSeconds: 5, startingPrice: '10.00' });
    expect(
      (
        await api(a.baseUrl, 'POST', `/api/v1/auctions/${auction.id}/bids`, {
          token: alice.token,
          body: { amount: '10.00' },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await api(b.baseUrl, 'POST', `/api/v1/auctions/${auction.id}/bids`, {
          token: bob.token,
          body: { amount: '12.50' },
        })
      ).status,
    ).toBe(201);

    const holder = await leaseHolder(redis, auction.id, [a, b]);
    const survivor = holder === a ? b : a;
    const watchers = [await connect(survivor.baseUrl, alice.token), await connect(survivor.baseUrl, bob.token)];
    sockets.push(...watchers);
    await Promise.all(watchers.map((w) => joinAuction(w, auction.id)));

    const endsAt = Date.parse(auction.endsAt!);
    await sleep(Math.max(0, endsAt - 1_000 - Date.now()));
    await holder.kill();

    await waitFor(
      () => watchers.every((w) => w.of('auction_closed').length >= 1),
      6_000,
      'auction_closed from the surviving replica',
    );
    await sleep(1_500);
    for (const w of watchers) {
      expect(w.of('auction_closed')).toEqual([{ auctionId: auction.id, seq: 3, winnerId: bob.id, amount: '12.50' }]);
    }
    const [row] = await sql<{ status: string; closed_at: Date; ends_at: Date; winner_id: string }>(
      dbUrl,
      'SELECT status, closed_at, ends_at, winner_id FROM auctions WHERE id = $1',
      [auction.id],
    );
    expect(row.status).toBe('CLOSED');
    expect(row.winner_id).toBe(bob.id);
    const lateMs = row.closed_at.getTime() - row.ends_at.getTime();
    expect({ closedAfterEndMs: lateMs >= 0 && lateMs < 2_000 ? 'within 2 s' : lateMs }).toEqual({
      closedAfterEndMs: 'within 2 s',
    });
    const closes = await sql<{ n: string }>(
      dbUrl,
      `SELECT count(*) AS n FROM auction_events WHERE auction_id = $1 AND type = 'closed'`,
      [auction.id],
    );
    expect(Number(closes[0].n)).toBe(1);
    const budgets = await sql<{ user_id: string; remaining_budget: string }>(
      dbUrl,
      'SELECT user_id, remaining_budget FROM league_participants WHERE league_id = $1',
      [league.id],
    );
    expect(Object.fromEntries(budgets.map((p) => [p.user_id, p.remaining_budget]))).toEqual({
      [owner.id]: '10000',
      [alice.id]: '10000',
      [bob.id]: '8750',
    });
    const after = await api(survivor.baseUrl, 'GET', `/api/v1/auctions/${auction.id}`, { token: alice.token });
    expect(after.body).toMatchObject({ status: 'CLOSED', winnerId: bob.id, currentAmount: '12.50', seq: 3 });
    apps.splice(apps.indexOf(holder), 1);
  });

  it('on SIGTERM gives the lease back, drops sockets so they reconnect elsewhere, and exits 0', async () => {
    await start();
    const live = [...apps];
    const [x] = live;
    const [owner, alice] = await users(dbUrl, 2);
    const league = await leagueWith(x.baseUrl, owner, [alice]);
    const auction = await openAuction(x.baseUrl, owner, league.id, { durationSeconds: 60 });
    const holder = await leaseHolder(redis, auction.id, live);
    const other = live.find((app) => app !== holder)!;

    const onHolder = await connect(holder.baseUrl, alice.token, { reconnection: false });
    sockets.push(onHolder);
    await joinAuction(onHolder, auction.id);
    const bid = (n: number) =>
      api(other.baseUrl, 'POST', `/api/v1/auctions/${auction.id}/bids`, {
        token: alice.token,
        body: { amount: `${n}.00` },
      });
    for (const n of range(1, 3)) expect((await bid(n)).status).toBe(201);
    await waitFor(() => onHolder.seqs().length === 3, 3_000, 'three bid_updates on the replica about to stop');

    const reason = new Promise<string>((resolve) => onHolder.socket.once('disconnect', (r) => resolve(r)));
    const exit = holder.stop('SIGTERM');
    // A transport close (not "io server disconnect") is what makes Socket.IO clients reconnect by themselves.
    expect(await reason).toBe('transport close');
    expect(onHolder.of('server_shutdown')).toEqual([{ reconnect: true }]);
    expect(await exit).toBe(0);
    apps.splice(apps.indexOf(holder), 1);
    expect(holder.output()).toContain('auction countdowns stopped');

    // The lease is free (or already a survivor's) at once: no 1.5 s wait for it to expire.
    const survivors = live.filter((app) => app !== holder);
    const value = await redis.get(leaseKey(auction.id));
    expect(value === null || survivors.some((app) => value.includes(`:${app.pid}:`))).toBe(true);
    await leaseHolder(redis, auction.id, survivors);

    for (const n of range(4, 5)) expect((await bid(n)).status).toBe(201);
    const again = await connect(other.baseUrl, alice.token);
    sockets.push(again);
    await joinAuction(again, auction.id, 3);
    expect(again.seqs()).toEqual([4, 5]);
    await waitFor(() => again.of('timer_tick').length > 0, 3_000, 'timer ticks from the replica that took over');
  });
});
