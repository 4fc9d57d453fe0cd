/**
 * Timeouts and Redis faults (issue #18), through fault proxies: a pool checkout that cannot get
 * a connection, a query the server never answers (partition), Redis cut or restarted under a
 * throttled route in both RATE_LIMIT_FAIL_MODEs, a socket bid while the limiter is down, and the
 * outage log's burst lines with their counts. Never a 500, never a hang.
 *
 * `open` runs the DEFAULT settings. `closed` runs small timeouts so the file stays fast:
 * DB_CONNECT_TIMEOUT_MS=2000 and DB_STATEMENT_TIMEOUT_MS=1000 (query deadline 3 s) instead of
 * 5 s / 7 s (2 s, not less: a loaded test machine must still connect at start-up), OUTAGE_LOG_INTERVAL_MS=1000 to see summary lines within seconds (the 10 s default is
 * unit-tested and seen in database-faults.int-spec.ts), RATE_LIMIT_FAIL_MODE=closed, and a 1 s
 * limiter deadline so a loaded test machine does not turn a healthy Redis call into a 503.
 */
import { randomUUID } from 'node:crypto';
import { api, createDatabase, createUser, sleep, startRedis, type RedisServer, type TestUser } from '../harness';
import { connect, emitAck, leagueWith, openAuction } from '../auctions/support';
import { balanceOf, deposit, openAccount } from '../transactions/ledger-fixtures';
import {
  expectServiceUnavailable,
  expectSoundBooks,
  fired,
  logLines,
  retried,
  startFaultedApp,
  type FaultedApp,
} from './fault-support';

let redis: RedisServer;
let open: FaultedApp;
let closed: FaultedApp;

beforeAll(async () => {
  redis = await startRedis();
  const dbUrl = await createDatabase();
  [open, closed] = await Promise.all([
    startFaultedApp({ redisPort: redis.port, dbUrl }),
    startFaultedApp({
      redisPort: redis.port,
      dbUrl,
      env: {
        DB_CONNECT_TIMEOUT_MS: '2000',
        DB_STATEMENT_TIMEOUT_MS: '1000',
        OUTAGE_LOG_INTERVAL_MS: '1000',
        RATE_LIMIT_FAIL_MODE: 'closed',
        RATE_LIMIT_REDIS_TIMEOUT_MS: '1000',
      },
    }),
  ]);
});
afterAll(async () => {
  await Promise.all([open?.close(), closed?.close()]);
  await redis?.stop();
});
afterEach(() => {
  for (const f of [open, closed]) {
    f.pg.heal();
    f.redis.heal();
  }
});

async function depositor(f: FaultedApp): Promise<{ user: TestUser; account: string }> {
  const user = await createUser(f.dbUrl, { level: 'BUSINESS' });
  return { user, account: await openAccount(f.app.baseUrl, user) };
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

/** Until the database breaker lets requests through again after a fault. */
async function healthy(f: FaultedApp, user: TestUser): Promise<void> {
  const res = await retried(() => api(f.app.baseUrl, 'GET', '/api/v1/accounts', { token: user.token }), 60);
  expect(res.status).toBe(200);
}

describe('Redis cut under a throttled route (deposits)', () => {
  it('fail-open (default): the script cut before or after Redis ran it, or every connection dropped: still 201', async () => {
    const { user, account } = await depositor(open);
    const before = open.redis.cutWhen('deposits:user:', 'before');
    expect((await deposit(open.app.baseUrl, user, account, '1.00')).status).toBe(201);
    await fired(before, 'limiter script (before)');
    const after = open.redis.cutWhen('deposits:user:', 'after');
    expect((await deposit(open.app.baseUrl, user, account, '1.00')).status).toBe(201);
    await fired(after, 'limiter script (after)');
    const burst = Array.from({ length: 8 }, () => deposit(open.app.baseUrl, user, account, '1.00'));
    await sleep(5);
    open.redis.dropAll();
    expect((await Promise.all(burst)).map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(await balanceOf(open.dbUrl, account)).toBe(1000n);
  });

  it('fail-closed: a script cut before it reached Redis is resent on the new connection: 201, counted once', async () => {
    const { user, account } = await depositor(closed);
    const first = await deposit(closed.app.baseUrl, user, account, '2.00');
    expect(first.status).toBe(201);
    const cut = closed.redis.cutWhen('deposits:user:', 'before');
    const res = await deposit(closed.app.baseUrl, user, account, '2.00');
    await fired(cut, 'limiter script');
    expect(res.status).toBe(201);
    expect(Number(res.headers.get('ratelimit-remaining'))).toBe(Number(first.headers.get('ratelimit-remaining')) - 1);
  });

  it('fail-closed: Redis unreachable → 503 SERVICE_UNAVAILABLE with Retry-After, nothing moved; back → 201', async () => {
    const { user, account } = await depositor(closed);
    closed.redis.refuseNew();
    closed.redis.dropAll();
    const res = await deposit(closed.app.baseUrl, user, account, '2.00');
    expectServiceUnavailable(res, '1');
    expect(await balanceOf(closed.dbUrl, account)).toBe(0n);
    closed.redis.heal();
    expect((await retried(() => deposit(closed.app.baseUrl, user, account, '2.00'), 60)).status).toBe(201);
    expect(await balanceOf(closed.dbUrl, account)).toBe(200n);
  });

  it('fail-closed: a socket bid:place while Redis is unreachable acks {ok:false, code:SERVICE_UNAVAILABLE}', async () => {
    const [owner, bidder] = await Promise.all([createUser(closed.dbUrl), createUser(closed.dbUrl)]);
    const league = await leagueWith(closed.app.baseUrl, owner, [bidder]);
    const auction = await openAuction(closed.app.baseUrl, owner, league.id, { durationSeconds: 600 });
    const s = await connect(closed.app.baseUrl, bidder.token);
    try {
      closed.redis.refuseNew();
      closed.redis.dropAll();
      const ack = await emitAck(s.socket, 'bid:place', { auctionId: auction.id, amount: '2.00' });
      expect(ack).toMatchObject({ ok: false, code: 'SERVICE_UNAVAILABLE', retryAfter: 1 });
    } finally {
      s.close();
      closed.redis.heal();
    }
  });

  it('Redis restarted mid-traffic: fail-open answers 201, fail-closed 201 or 503 — never 500; both recover', async () => {
    const a = await depositor(open);
    const c = await depositor(closed);
    const statuses: Record<'open' | 'closed', number[]> = { open: [], closed: [] };
    const traffic = (async () => {
      for (let i = 0; i < 12; i++) {
        const [ro, rc] = await Promise.all([
          deposit(open.app.baseUrl, a.user, a.account, '1.00'),
          deposit(closed.app.baseUrl, c.user, c.account, '1.00'),
        ]);
        statuses.open.push(ro.status);
        statuses.closed.push(rc.status);
        if (rc.status === 503) expectServiceUnavailable(rc);
        await sleep(50);
      }
    })();
    await sleep(100);
    await redis.stop();
    await sleep(300);
    await redis.start();
    await traffic;
    expect(statuses.open).toEqual(Array(12).fill(201));
    expect(statuses.closed.every((s) => s === 201 || s === 503)).toBe(true);
    expect((await retried(() => deposit(closed.app.baseUrl, c.user, c.account, '1.00'), 60)).status).toBe(201);
    expect(await balanceOf(closed.dbUrl, c.account)).toBe(
      100n * BigInt(statuses.closed.filter((s) => s === 201).length + 1),
    );
  });
});

describe('PostgreSQL gives no answer', () => {
  it('pool checkout timeout (no connection within DB_CONNECT_TIMEOUT_MS): 503 after about that long', async () => {
    const { user } = await depositor(closed);
    closed.pg.dropAll(); // no idle connection left: the next request must open one
    closed.pg.blackhole();
    const { value: res, ms } = await timed(() =>
      api(closed.app.baseUrl, 'GET', '/api/v1/accounts', { token: user.token }),
    );
    expectServiceUnavailable(res);
    expect(ms).toBeGreaterThanOrEqual(1_900);
    expect(ms).toBeLessThan(5_000);
    closed.pg.heal();
    await healthy(closed, user);
  });

  it('a pooled connection partitioned mid-request: the query deadline ends it, 503 (small timeouts)', async () => {
    const { user } = await depositor(closed);
    await healthy(closed, user); // an idle pooled connection to be caught by the partition
    closed.pg.blackhole();
    const { value: res, ms } = await timed(() =>
      api(closed.app.baseUrl, 'GET', '/api/v1/accounts', { token: user.token }),
    );
    expectServiceUnavailable(res);
    expect(ms).toBeGreaterThanOrEqual(2_500); // DB_STATEMENT_TIMEOUT_MS 1000 + 2000
    expect(ms).toBeLessThan(6_000);
    closed.pg.heal();
    await healthy(closed, user);
  });

  it('the same with the default settings: 503 after the 7 s deadline (5 s statement timeout + 2 s), not a hang', async () => {
    const { user, account } = await depositor(open);
    open.pg.blackhole();
    const { value: res, ms } = await timed(() =>
      deposit(open.app.baseUrl, user, account, '1.00', { 'Idempotency-Key': randomUUID() }),
    );
    expectServiceUnavailable(res);
    expect(ms).toBeGreaterThanOrEqual(6_500);
    expect(ms).toBeLessThan(12_000);
    open.pg.heal();
    await healthy(open, user);
    await expectSoundBooks(open.dbUrl);
  });
});

describe('the outage log', () => {
  it('one warn line at the start of a burst, warn summaries with the count, an info line at its end; no error lines', async () => {
    const { user } = await depositor(closed);
    // Start from a quiet log: no database burst still open from the tests above.
    for (let i = 0; i < 40; i++) {
      const last = logLines(closed.app)
        .filter((l) => l.dependency === 'database' && /^dependency outage/.test(l.msg))
        .pop();
      if (!last || last.msg.startsWith('dependency outage over')) break;
      await sleep(250);
    }
    const from = closed.app.output().length;
    closed.pg.refuseNew();
    closed.pg.dropAll();
    for (let i = 0; i < 12; i++)
      expectServiceUnavailable(await api(closed.app.baseUrl, 'GET', '/api/v1/accounts', { token: user.token }));
    let lines = logLines(closed.app, from).filter(
      (l) => l.dependency === 'database' && /^dependency outage/.test(l.msg),
    );
    for (let i = 0; i < 40 && !lines.some((l) => l.msg.startsWith('dependency outage over')); i++) {
      await sleep(250);
      lines = logLines(closed.app, from).filter((l) => l.dependency === 'database' && /^dependency outage/.test(l.msg));
    }
    const [first, ...rest] = lines;
    expect(first).toMatchObject({
      level: 'warn',
      count: 1,
      msg: 'dependency outage: answering 503 SERVICE_UNAVAILABLE',
    });
    const summaries = rest.filter((l) => l.msg.startsWith('dependency outage continues'));
    expect(summaries.every((l) => l.level === 'warn')).toBe(true);
    expect(summaries.reduce((n, l) => n + Number(l.count), 0)).toBe(11);
    expect(rest.at(-1)).toMatchObject({ level: 'info', total: 12 });
    expect(lines).toHaveLength(2 + summaries.length);
    closed.pg.heal();
    await healthy(closed, user);

    for (const f of [open, closed])
      expect(logLines(f.app).filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    expect(
      logLines(closed.app).some(
        (l) => l.dependency === 'redis' && l.level === 'warn' && l.msg.startsWith('dependency outage: answering 503'),
      ),
    ).toBe(true);
  });
});
