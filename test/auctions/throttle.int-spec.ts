/**
 * The bids budget (RATE_LIMIT_BIDS, 20 per 60 s per user) with throttling ON, shared by REST and
 * Socket.IO and by both replicas: 20 bids pass whichever way they come, the 21st is refused on
 * the socket with an ack carrying retryAfter and over REST with 429; another user is unaffected.
 * REST bids are counted by the global throttling guard (security module), socket bids by the
 * gateway through RateLimitService.consume with the same `user:<id>` subject.
 */
import { api, type AppProcess } from '../harness';
import {
  connect,
  emitAck,
  leagueWith,
  money,
  openAuction,
  range,
  users,
  type RecordingSocket,
  startTwoReplicas,
} from './support';

describe('bid throttling shared by REST and Socket.IO', () => {
  let a: AppProcess;
  let b: AppProcess;
  let dbUrl: string;
  const sockets: RecordingSocket[] = [];

  beforeAll(async () => {
    ({ dbUrl, a, b } = await startTwoReplicas({ ENABLE_RATE_LIMITING: 'true', RATE_LIMIT_BIDS: '20/60' }));
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('allows 20 bids a minute per user across REST, Socket.IO and both replicas, and refuses the 21st either way', async () => {
    const [owner, alice, bob] = await users(dbUrl, 3);
    const league = await leagueWith(a.baseUrl, owner, [alice, bob], { budget: '1000.00' });
    const auction = await openAuction(a.baseUrl, owner, league.id, {
      startingPrice: '1.00',
      minIncrement: '1.00',
      durationSeconds: 120,
    });
    const aliceSocket = await connect(b.baseUrl, alice.token);
    const bobSocket = await connect(a.baseUrl, bob.token);
    sockets.push(aliceSocket, bobSocket);

    const restBid = (n: number) =>
      api(a.baseUrl, 'POST', `/api/v1/auctions/${auction.id}/bids`, {
        token: alice.token,
        body: { amount: money(100 * n) },
      });
    const socketBid = (n: number) =>
      emitAck(aliceSocket.socket, 'bid:place', { auctionId: auction.id, amount: money(100 * n) });

    for (const n of range(1, 20)) {
      if (n % 2 === 1) {
        const res = await restBid(n);
        expect({ bid: n, via: 'REST', status: res.status }).toEqual({ bid: n, via: 'REST', status: 201 });
      } else {
        const ack = await socketBid(n);
        expect({ bid: n, via: 'socket', ok: ack.ok, code: ack.code }).toEqual({
          bid: n,
          via: 'socket',
          ok: true,
          code: undefined,
        });
      }
    }

    const refusedAck = await socketBid(21);
    expect(refusedAck).toMatchObject({ ok: false, code: 'RATE_LIMIT_EXCEEDED' });
    expect(refusedAck.retryAfter).toBeGreaterThan(0);
    expect(refusedAck.retryAfter).toBeLessThanOrEqual(60);
    const refusedRest = await restBid(22);
    expect([refusedRest.status, refusedRest.body.code]).toEqual([429, 'RATE_LIMIT_EXCEEDED']);
    expect(Number(refusedRest.headers.get('retry-after'))).toBeGreaterThan(0);

    // Someone else's budget is untouched, and the refused bids changed nothing.
    expect(await emitAck(bobSocket.socket, 'bid:place', { auctionId: auction.id, amount: '21.00' })).toMatchObject({
      ok: true,
      bid: { seq: 21 },
    });
    const state = await api(b.baseUrl, 'GET', `/api/v1/auctions/${auction.id}`, { token: owner.token });
    expect(state.body).toMatchObject({ seq: 21, currentAmount: '21.00', leaderId: bob.id });
  });
});
