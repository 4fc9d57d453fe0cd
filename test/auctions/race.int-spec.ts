/**
 * 50 concurrent bids of increasing amounts from 10 bidders, spread over two replicas and over
 * REST and Socket.IO: the accepted ones get gap-free seqs with strictly rising amounts, the
 * highest valid amount leads, every refusal is BID_TOO_LOW, and sockets on both replicas receive
 * each accepted bid exactly once, in seq order.
 */
import { api, sleep, sql, type AppProcess } from '../harness';
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

interface Outcome {
  n: number;
  bidderId: string;
  ok: boolean;
  code?: string;
  seq?: number;
  bidId?: string;
}

describe('concurrent bids across two replicas', () => {
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

  it('orders 50 racing bids into one gap-free sequence that every socket sees once', async () => {
    const [owner, ...bidders] = await users(dbUrl, 11);
    const league = await leagueWith(a.baseUrl, owner, bidders, { budget: '1000.00' });
    const auction = await openAuction(a.baseUrl, owner, league.id, {
      startingPrice: '1.00',
      minIncrement: '1.00',
      durationSeconds: 120,
    });

    const watchers = [
      ...(await Promise.all(range(1, 3).map(() => connect(a.baseUrl, owner.token)))),
      ...(await Promise.all(range(1, 3).map(() => connect(b.baseUrl, owner.token)))),
    ];
    sockets.push(...watchers);
    await Promise.all(watchers.map((w) => joinAuction(w, auction.id)));
    const bidderSockets = await Promise.all(
      bidders.map((u, i) => connect(i % 2 === 0 ? a.baseUrl : b.baseUrl, u.token)),
    );
    sockets.push(...bidderSockets);

    const place = async (n: number): Promise<Outcome> => {
      const i = n % 10;
      const bidder = bidders[i];
      const amount = money(100 * n);
      if (n % 2 === 0) {
        const res = await api(
          (n / 2) % 2 === 0 ? a.baseUrl : b.baseUrl,
          'POST',
          `/api/v1/auctions/${auction.id}/bids`,
          { token: bidder.token, body: { amount } },
        );
        return {
          n,
          bidderId: bidder.id,
          ok: res.status === 201,
          code: res.body.code,
          seq: res.body.seq,
          bidId: res.body.bidId,
        };
      }
      const ack = await emitAck(bidderSockets[i].socket, 'bid:place', { auctionId: auction.id, amount });
      return { n, bidderId: bidder.id, ok: ack.ok, code: ack.code, seq: ack.bid?.seq, bidId: ack.bid?.bidId };
    };
    const outcomes = await Promise.all(range(1, 50).map(place));

    const accepted = outcomes.filter((o) => o.ok).sort((x, y) => x.seq! - y.seq!);
    const refused = outcomes.filter((o) => !o.ok);
    expect(refused.map((o) => o.code).filter((c) => c !== 'BID_TOO_LOW')).toEqual([]);
    expect(accepted.length + refused.length).toBe(50);
    expect(accepted.map((o) => o.seq)).toEqual(range(1, accepted.length));
    const amounts = accepted.map((o) => o.n);
    expect(amounts).toEqual([...amounts].sort((x, y) => x - y)); // each accepted bid beat the one before
    expect(amounts[amounts.length - 1]).toBe(50);

    const state = (await api(b.baseUrl, 'GET', `/api/v1/auctions/${auction.id}`, { token: owner.token })).body;
    expect(state).toMatchObject({
      currentAmount: '50.00',
      leaderId: accepted[accepted.length - 1].bidderId,
      seq: accepted.length,
    });
    const stored = await sql<{ seq: string; amount: string }>(
      dbUrl,
      'SELECT seq, amount FROM bids WHERE auction_id = $1 ORDER BY seq',
      [auction.id],
    );
    expect(stored.map((r) => Number(r.seq))).toEqual(range(1, accepted.length));
    expect(stored.map((r) => Number(r.amount) / 100)).toEqual(amounts);

    await waitFor(
      () => watchers.every((w) => w.of('bid_update').length >= accepted.length),
      5_000,
      `every watcher to receive ${accepted.length} bid_updates`,
    );
    await sleep(500);
    for (const [i, w] of watchers.entries()) {
      expect({ watcher: i, seqs: w.seqs('bid_update') }).toEqual({ watcher: i, seqs: range(1, accepted.length) });
      expect(w.of('bid_update').map((u) => u.bidId)).toEqual(accepted.map((o) => o.bidId));
    }
  });
});
