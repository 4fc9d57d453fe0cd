/**
 * Redis pub/sub loses what is published while it is unreachable. With Redis stopped, bids placed
 * on one replica still reach the other replica's sockets, in order and once, caught up from the
 * auction_events table; the auction still closes exactly once; and when Redis is back, live
 * fan-out resumes without duplicates.
 */
import { api, createDatabase, sleep, sql, startApp, startRedis, type AppProcess, type RedisServer } from '../harness';
import { connect, joinAuction, leagueWith, openAuction, range, users, waitFor, type RecordingSocket } from './support';

describe('bid fan-out while Redis is down', () => {
  let redis: RedisServer;
  let dbUrl: string;
  let a: AppProcess;
  let b: AppProcess;
  const sockets: RecordingSocket[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    dbUrl = await createDatabase();
    const env = { ENABLE_RATE_LIMITING: 'false' };
    [a, b] = await Promise.all([
      startApp({ databaseUrl: dbUrl, redisUrl: redis.url, env }),
      startApp({ databaseUrl: dbUrl, redisUrl: redis.url, env }),
    ]);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  it('catches sockets up from the database, closes once, and resumes live fan-out after Redis returns', async () => {
    const [owner, alice] = await users(dbUrl, 2);
    const league = await leagueWith(a.baseUrl, owner, [alice]);
    const auction = await openAuction(a.baseUrl, owner, league.id, { durationSeconds: 14 });
    const onB = await connect(b.baseUrl, owner.token);
    sockets.push(onB);
    await joinAuction(onB, auction.id);
    const bid = async (n: number) => {
      const res = await api(a.baseUrl, 'POST', `/api/v1/auctions/${auction.id}/bids`, {
        token: alice.token,
        body: { amount: `${n}.00` },
      });
      if (res.status !== 201) throw new Error(`bid ${n}: expected 201, got ${res.status} ${JSON.stringify(res.body)}`);
    };

    await bid(1);
    await waitFor(() => onB.seqs().length === 1, 2_000, 'the first bid_update over Redis');

    await redis.stop();
    for (const n of range(2, 6)) await bid(n);
    await waitFor(
      () => onB.seqs().length === 6,
      5_000,
      'bids placed during the outage to reach the other replica from the database',
    );
    expect(onB.seqs()).toEqual(range(1, 6));

    await redis.start();
    await sleep(2_500); // clients reconnect with capped backoff
    for (const n of range(7, 9)) await bid(n);
    await waitFor(() => onB.seqs().length === 9, 3_000, 'live fan-out after Redis is back');

    await waitFor(() => onB.of('auction_closed').length === 1, 20_000, 'auction_closed');
    await sleep(1_500);
    expect(onB.seqs()).toEqual(range(1, 10));
    expect(onB.of('auction_closed')).toEqual([{ auctionId: auction.id, seq: 10, winnerId: alice.id, amount: '9.00' }]);
    const closes = await sql<{ n: string }>(
      dbUrl,
      `SELECT count(*) AS n FROM auction_events WHERE auction_id = $1 AND type = 'closed'`,
      [auction.id],
    );
    expect(Number(closes[0].n)).toBe(1);
    for (const app of [a, b]) expect(app.output()).not.toMatch(/unhandled|"level":"fatal"/i);
  });
});
