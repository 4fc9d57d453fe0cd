/**
 * A primary killed (SIGKILL) while two replicas take load: requests, bids over REST and sockets on
 * both replicas, an auction counting down, and one client hammering a throttled route. Checked:
 * the replicas reconnect by themselves (same processes), no 5xx but documented 503s, every socket
 * sees every seq once, a socket reconnecting with lastSeq gets exactly what it missed, the
 * auction closes once, fan-out (bid_update and the adapter's timer_tick) works on both replicas
 * after the promotion, throttling is exact again for new subjects, and the hammering client got
 * no more than the stated bound (docs/operations.md): N (shared window) + R × N (each replica's
 * local fallback while Redis cannot answer) for N = 60 and R = 2 replicas.
 */
import { api, createUser, sleep, sql, type AppProcess, type TestUser } from '../harness';
import { connect, joinAuction, leagueWith, openAuction, range, users, waitFor, type RecordingSocket } from '../auctions/support';
import { as, count, histogram, STATUS_LIMIT, STATUS_ROUTE, throttleBurst } from './suite';

export interface FailoverTarget {
  /** Kills the primary that matters for this auction; returns what it needs to wait for. */
  kill(auctionId: string): Promise<{ waitPromoted(): Promise<unknown> }>;
}

/** The last /health/check body per replica: a timeout names what stayed degraded. */
const lastHealth = new Map<string, unknown>();

async function redisHealthy(app: AppProcess): Promise<boolean> {
  const res = await api(app.baseUrl, 'GET', '/health/check');
  lastHealth.set(app.baseUrl, { degradedFeatures: res.body.degradedFeatures, redis: res.body.components?.redis });
  return res.body.components?.redis?.status === 'up' && res.body.degradedFeatures.length === 0;
}

async function metric(app: AppProcess, name: string): Promise<number> {
  const text = (await api<string>(app.baseUrl, 'GET', '/metrics')).body;
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}

export async function failoverUnderLoad(a: AppProcess, b: AppProcess, dbUrl: string, target: FailoverTarget): Promise<Record<string, number>> {
  const pids = [a.pid, b.pid];
  const [owner, m1, m2, m3, m4] = await users(dbUrl, 5);
  const league = await leagueWith(a.baseUrl, owner, [m1, m2, m3, m4], { budget: '100000.00' });
  const auction = await openAuction(a.baseUrl, owner, league.id, { durationSeconds: 24 });
  const sockets: RecordingSocket[] = [await connect(a.baseUrl, owner.token), await connect(b.baseUrl, m1.token)];
  const dropping = await connect(a.baseUrl, m2.token);
  await Promise.all([...sockets, dropping].map((s) => joinAuction(s, auction.id)));

  const statuses: number[] = [];
  let hammerAllowed = 0;
  let hammerCalls = 0;
  let running = true;
  let amount = 1;
  // Four bidders at about 3 bids/s stay under the bid budget (20/60 each) for the whole test.
  const bidders = [m1, m2, m3, m4];
  const pool: TestUser[] = await Promise.all(range(1, 10).map(() => createUser(dbUrl)));
  const record = (status: number) => statuses.push(status);
  const worker = async (i: number) => {
    for (let n = 0; running; n++) {
      const res = await api(n % 2 ? a.baseUrl : b.baseUrl, 'GET', STATUS_ROUTE, as(undefined, pool[(i + n) % pool.length].token)).catch(() => ({ status: 0 }));
      record(res.status);
    }
  };
  const hammer = await createUser(dbUrl);
  const hammering = async () => {
    for (let n = 0; running; n++) {
      const res = await api(n % 2 ? a.baseUrl : b.baseUrl, 'GET', STATUS_ROUTE, as(undefined, hammer.token)).catch(() => ({ status: 0 }));
      record(res.status);
      hammerCalls++;
      if (res.status === 200) hammerAllowed++;
    }
  };
  const bidding = async () => {
    for (let n = 0; running; n++) {
      const res = await api(n % 2 ? a.baseUrl : b.baseUrl, 'POST', `/api/v1/auctions/${auction.id}/bids`, {
        token: bidders[n % 4].token,
        body: { amount: `${++amount}.00` }, // every attempt bids higher: a lost answer cannot stall the loop
        ...as(),
      }).catch(() => ({ status: 0, body: {} }));
      record(res.status);
      await sleep(300);
    }
  };
  // The hammering subject gets three parallel loops: enough calls that a fallback without a limit
  // would let far more than the bound through.
  const load = Promise.all([...range(1, 2).map(worker), hammering(), hammering(), hammering(), bidding()]);

  await sleep(1_500);
  const lastSeq = Math.max(0, ...dropping.seqs());
  dropping.close();
  const killedAt = Date.now();
  const { waitPromoted } = await target.kill(auction.id);
  await waitPromoted();
  const promotedMs = Date.now() - killedAt;
  await waitFor(async () => (await redisHealthy(a)) && (await redisHealthy(b)), 30_000, 'both replicas back on shared Redis').catch((err: Error) => {
    const logs = [a, b].map((app) => `${app.baseUrl}:\n${app.output().split('\n').filter((l) => /revocation|redis|subscri|breaker/i.test(l)).slice(-25).join('\n')}`);
    throw new Error(`${err.message}; last /health/check: ${JSON.stringify(Object.fromEntries(lastHealth))}\n${logs.join('\n')}`);
  });
  const recoveredMs = Date.now() - killedAt;
  await sleep(1_000);
  running = false;
  await load;

  // Fan-out after the promotion: the relay's bid_update well within its 1-2 s database catch-up,
  // and the adapter's timer_tick (one replica drives the countdown) on both replicas.
  const ticksBefore = sockets.map((s) => s.of('timer_tick').length);
  const latencies: number[] = [];
  for (const n of range(1, 3)) {
    const before = sockets[1].seqs('bid_update').length;
    const sent = Date.now();
    amount += 10;
    const res = await api(a.baseUrl, 'POST', `/api/v1/auctions/${auction.id}/bids`, { token: bidders[n % 4].token, body: { amount: `${amount}.00` }, ...as() });
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
    await waitFor(() => sockets[1].seqs('bid_update').length > before, 5_000, 'bid_update on replica B');
    latencies.push(Date.now() - sent);
  }
  await sleep(2_500);
  sockets.forEach((s, i) => expect(s.of('timer_tick').length).toBeGreaterThan(ticksBefore[i]));
  expect(Math.min(...latencies)).toBeLessThan(800);

  // A socket back with lastSeq gets exactly the seqs it missed, on the other replica.
  const back = await connect(b.baseUrl, m2.token);
  await joinAuction(back, auction.id, lastSeq);
  const dbSeq = Number((await sql<{ seq: string }>(dbUrl, 'SELECT seq FROM auctions WHERE id = $1', [auction.id]))[0].seq);
  expect(back.seqs()).toEqual(range(lastSeq + 1, dbSeq));
  sockets.push(back);

  // Exactly once, in order, and closed once.
  await waitFor(() => sockets.every((s) => s.of('auction_closed').length > 0), 30_000, 'auction_closed on every socket');
  await sleep(1_500);
  // The close is the last seq (it may have happened before the rejoin on a slow machine).
  const finalSeq = Number((await sql<{ seq: string }>(dbUrl, 'SELECT seq FROM auctions WHERE id = $1', [auction.id]))[0].seq);
  expect(finalSeq).toBeGreaterThanOrEqual(dbSeq);
  for (const s of sockets.slice(0, 2)) expect(s.seqs()).toEqual(range(1, finalSeq));
  expect(back.seqs()).toEqual(range(lastSeq + 1, finalSeq));
  const closes = await sql(dbUrl, `SELECT 1 FROM auction_events WHERE auction_id = $1 AND type = 'closed'`, [auction.id]);
  expect(closes).toHaveLength(1);
  for (const s of sockets) s.close();

  // No replica restarted; no 5xx beyond 503; exact throttling for a new subject.
  expect([a.child.exitCode, b.child.exitCode, a.pid, b.pid]).toEqual([null, null, ...pids]);
  const fivexx = statuses.filter((s) => s >= 500 && s !== 503);
  expect({ fivexx, failedConnections: count(statuses, 0) }).toEqual({ fivexx: [], failedConnections: 0 });
  const burst = await throttleBurst(a, b, await createUser(dbUrl), 80);
  expect(histogram(burst)).toEqual({ 200: STATUS_LIMIT, 429: 20 });
  // The stated leak bound: N + R × N in one window.
  expect(hammerAllowed).toBeLessThanOrEqual(STATUS_LIMIT * 3);
  for (const app of [a, b]) expect(await metric(app, 'redis_failovers_total')).toBeGreaterThanOrEqual(1);

  const figures = {
    promotedMs,
    recoveredMs,
    requests: statuses.length,
    hammerCalls: hammerCalls,
    status503: count(statuses, 503),
    hammerAllowed,
    bidUpdateMinMs: Math.min(...latencies),
    bids: finalSeq - 1,
    closedAfterRejoin: Number(finalSeq > dbSeq),
  };
  process.stdout.write(`failover figures: ${JSON.stringify(figures)}\n`);
  return figures;
}
