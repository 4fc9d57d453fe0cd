/**
 * Two replicas sharing one PostgreSQL and one Redis: 10 sockets on each receive every
 * bid_update of a run of bids placed alternately over REST on one replica and over Socket.IO on
 * the other, in seq order, without gap or duplicate; a socket reconnecting to the other replica
 * with lastSeq gets exactly what it missed; auction_closed arrives exactly once per socket; and
 * only one replica drives the countdown (about one timer_tick a second, not two).
 */
import { api, sleep, sql, type AppProcess, type TestUser } from '../harness';
import {
  connect,
  emitAck,
  joinAuction,
  leagueWith,
  money,
  openAuction,
  range,
  users,
  waitFor,
  type RecordingSocket,
  startTwoReplicas,
} from './support';

describe('bid fan-out across two replicas', () => {
  let a: AppProcess;
  let b: AppProcess;
  let dbUrl: string;
  const sockets: RecordingSocket[] = [];

  beforeAll(async () => {
    ({ dbUrl, a, b } = await startTwoReplicas({ ENABLE_RATE_LIMITING: 'false' }));
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('delivers every bid in order exactly once on both replicas, replays missed events, and closes once', async () => {
    const [owner, ...members] = await users(dbUrl, 6);
    const [restBidder1, restBidder2, socketBidder1, socketBidder2, watcher] = members as TestUser[];
    const league = await leagueWith(a.baseUrl, owner, members, { budget: '10000.00' });
    const auction = await openAuction(a.baseUrl, owner, league.id, {
      startingPrice: '1.00',
      minIncrement: '1.00',
      durationSeconds: 12,
    });

    const watchersA: RecordingSocket[] = [];
    const watchersB: RecordingSocket[] = [];
    for (let i = 0; i < 10; i++) {
      const who = [owner, ...members][i % 6];
      watchersA.push(await connect(a.baseUrl, who.token));
      watchersB.push(await connect(b.baseUrl, who.token));
    }
    sockets.push(...watchersA, ...watchersB);
    await Promise.all([...watchersA, ...watchersB].map((s) => joinAuction(s, auction.id)));
    const bidSockets = [await connect(b.baseUrl, socketBidder1.token), await connect(b.baseUrl, socketBidder2.token)];
    sockets.push(...bidSockets);

    // 30 bids: odd ones over REST on replica A, even ones over Socket.IO on replica B.
    const accepted: Array<{ seq: number; bidId: string; amount: string }> = [];
    const placeBid = async (n: number) => {
      const amount = money(100 * n);
      if (n % 2 === 1) {
        const bidder = n % 4 === 1 ? restBidder1 : restBidder2;
        const res = await api(a.baseUrl, 'POST', `/api/v1/auctions/${auction.id}/bids`, {
          token: bidder.token,
          body: { amount },
        });
        if (res.status !== 201) throw new Error(`REST bid ${n} refused: ${JSON.stringify(res.body)}`);
        accepted.push(res.body);
      } else {
        const ack = await emitAck(bidSockets[n % 4 === 0 ? 0 : 1].socket, 'bid:place', {
          auctionId: auction.id,
          amount,
        });
        if (!ack.ok) throw new Error(`socket bid ${n} refused: ${JSON.stringify(ack)}`);
        accepted.push(ack.bid);
      }
    };
    const ticksBefore = watchersA[0].of('timer_tick').length + watchersB[0].of('timer_tick').length;
    const started = Date.now();
    for (const n of range(1, 30)) await placeBid(n);
    expect(accepted.map((x) => x.seq)).toEqual(range(1, 30));

    const all = [...watchersA, ...watchersB];
    await waitFor(
      () => all.every((s) => s.of('bid_update').length >= 30),
      5_000,
      'all 20 sockets to receive 30 bid_updates',
    );
    await sleep(300); // would-be duplicates have time to show up
    all.forEach((s, i) => {
      expect({ socket: i, seqs: s.seqs('bid_update') }).toEqual({ socket: i, seqs: range(1, 30) });
      expect(s.of('bid_update').map((u) => u.bidId)).toEqual(accepted.map((x) => x.bidId));
    });
    expect(watchersB[3].of('bid_update')[4]).toMatchObject({
      auctionId: auction.id,
      seq: 5,
      amount: '5.00',
      bidderId: restBidder1.id,
    });

    // One countdown driver for both replicas: about one tick per second reaches each socket.
    await sleep(Math.max(0, 3_000 - (Date.now() - started)));
    const elapsedS = (Date.now() - started) / 1000;
    const ticks = watchersA[0].of('timer_tick').length + watchersB[0].of('timer_tick').length - ticksBefore;
    expect(ticks / 2 / elapsedS).toBeGreaterThan(0.5);
    expect(ticks / 2 / elapsedS).toBeLessThan(1.6);

    // A watcher on A drops after seq 30; five bids later it comes back on B with lastSeq = 30.
    const dropped = watchersA[9];
    dropped.close();
    for (const n of range(31, 35)) await placeBid(n);
    const back = await connect(b.baseUrl, watcher.token);
    sockets.push(back);
    const ack = await joinAuction(back, auction.id, 30);
    expect({ replayedBeforeAck: back.seqs() }).toEqual({ replayedBeforeAck: range(31, 35) });
    expect(ack.auction).toMatchObject({ id: auction.id, seq: 35, status: 'OPEN' });
    // ...and one that missed more comes back on A with lastSeq = 10.
    const late = await connect(a.baseUrl, watcher.token);
    sockets.push(late);
    await joinAuction(late, auction.id, 10);
    expect(late.seqs()).toEqual(range(11, 35));
    for (const n of range(36, 37)) await placeBid(n);

    // The close: exactly one auction_closed per socket, after every bid, with the next seq.
    const listening = [...watchersA.slice(0, 9), ...watchersB, back, late];
    await waitFor(
      () => listening.every((s) => s.of('auction_closed').length >= 1),
      20_000,
      'auction_closed on every socket',
    );
    await sleep(1_500);
    for (const [i, s] of listening.entries()) {
      expect({ socket: i, closed: s.of('auction_closed') }).toEqual({
        socket: i,
        closed: [{ auctionId: auction.id, seq: 38, winnerId: restBidder1.id, amount: '37.00' }],
      });
    }
    for (const s of [...watchersA.slice(0, 9), ...watchersB]) expect(s.seqs()).toEqual(range(1, 38));
    expect(back.seqs()).toEqual(range(31, 38));
    expect(late.seqs()).toEqual(range(11, 38));
    expect(dropped.seqs()).toEqual(range(1, 30));

    const events = await sql<{ seq: string }>(
      dbUrl,
      'SELECT seq FROM auction_events WHERE auction_id = $1 ORDER BY seq',
      [auction.id],
    );
    expect(events.map((e) => Number(e.seq))).toEqual(range(1, 38));
    const [winner] = await sql<{ remaining_budget: string }>(
      dbUrl,
      'SELECT remaining_budget FROM league_participants WHERE league_id = $1 AND user_id = $2',
      [league.id, restBidder1.id],
    );
    expect(winner.remaining_budget).toBe(String(1_000_000 - 3_700));
    const metricsA = (await api<string>(a.baseUrl, 'GET', '/metrics')).body;
    const metricsB = (await api<string>(b.baseUrl, 'GET', '/metrics')).body;
    const accepts = (text: string) => Number(/^bids_accepted_total (\d+)/m.exec(text)?.[1] ?? 0);
    expect(accepts(metricsA) + accepts(metricsB)).toBe(37);
  });
});
