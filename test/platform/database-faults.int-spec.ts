/**
 * PostgreSQL failing under a request, at each moment it can (issue #18), with the DEFAULT
 * settings: the app's pool connects through a fault proxy that resets the connection when given
 * bytes pass. Every answer is 503 SERVICE_UNAVAILABLE with Retry-After (never 500), or — when
 * nothing of the request can have reached PostgreSQL (a dead connection at BEGIN) — the request
 * is retried on a fresh connection and succeeds. An unknown COMMIT outcome still ends in
 * exactly-once through the Idempotency-Key. The books are checked with SQL after every fault.
 */
import { randomUUID } from 'node:crypto';
import { api, createUser, sharedRedisUrl, sleep, sql, type TestUser } from '../harness';
import { connect, emitAck, leagueWith, openAuction } from '../auctions/support';
import { balanceOf, deposit, fundedAccount, openAccount, transfer } from '../transactions/ledger-fixtures';
import {
  entriesWithKey,
  expectServiceUnavailable,
  expectSoundBooks,
  fired,
  logLines,
  retried,
  simpleQuery,
  startFaultedApp,
  type FaultedApp,
  type LogLine,
} from './fault-support';

let f: FaultedApp;
let url: string;
let unavailable = 0; // 503 answers seen, to compare with the outage log lines

beforeAll(async () => {
  f = await startFaultedApp({ redisPort: Number(new URL(sharedRedisUrl()).port) });
  url = f.app.baseUrl;
});
afterAll(async () => {
  await f?.close();
});
afterEach(() => f.pg.heal());

const keyed = (key: string) => ({ 'Idempotency-Key': key });

async function depositor(): Promise<{ user: TestUser; account: string }> {
  const user = await createUser(f.dbUrl, { level: 'BUSINESS' });
  return { user, account: await openAccount(url, user) };
}

function counted503(res: Awaited<ReturnType<typeof api>>): void {
  expectServiceUnavailable(res);
  unavailable++;
}

describe('a dead pooled connection at BEGIN (nothing reached PostgreSQL)', () => {
  it('is retried on a fresh connection: the deposit is applied once', async () => {
    const { user, account } = await depositor();
    const cut = f.pg.cutWhen('BEGIN ISOLATION LEVEL', 'before');
    const key = randomUUID();
    const res = await deposit(url, user, account, '7.00', keyed(key));
    // The first attempt's connection died at BEGIN (the cut fired), yet the answer is 201: the
    // retry ran on another pooled connection (an idle one, or a new one: either is fine).
    await fired(cut, 'BEGIN');
    expect(res.status).toBe(201);
    expect(await entriesWithKey(f.dbUrl, key)).toHaveLength(1);
    expect(await balanceOf(f.dbUrl, account)).toBe(700n);
  });

  it('three dead in a row: 503 with Retry-After, nothing moved; the same key then applies once', async () => {
    const { user, account } = await depositor();
    const cut = f.pg.cutWhen('BEGIN ISOLATION LEVEL', 'before', 3);
    const key = randomUUID();
    counted503(await deposit(url, user, account, '3.00', keyed(key)));
    await fired(cut, 'BEGIN x3');
    expect(await entriesWithKey(f.dbUrl, key)).toHaveLength(0);
    const again = await retried(() => deposit(url, user, account, '3.00', keyed(key)));
    expect(again.status).toBe(201);
    expect(await entriesWithKey(f.dbUrl, key)).toHaveLength(1);
    expect(await balanceOf(f.dbUrl, account)).toBe(300n);
  });
});

describe('the connection dies mid-transaction (PostgreSQL rolls back)', () => {
  it('a deposit: 503, nothing moved, no key recorded; the same key then applies once', async () => {
    const { user, account } = await depositor();
    const key = randomUUID();
    // The key's claim reached PostgreSQL; its answer never comes back.
    const cut = f.pg.cutWhen('INSERT INTO idempotency_keys', 'after');
    counted503(await deposit(url, user, account, '4.00', keyed(key)));
    await fired(cut, 'claim');
    expect(await entriesWithKey(f.dbUrl, key)).toHaveLength(0);
    expect(await sql(f.dbUrl, `SELECT 1 FROM idempotency_keys WHERE key = $1`, [key])).toHaveLength(0);
    expect((await retried(() => deposit(url, user, account, '4.00', keyed(key)))).status).toBe(201);
    expect(await balanceOf(f.dbUrl, account)).toBe(400n);
    await expectSoundBooks(f.dbUrl);
  });

  it('a sign-up: 503, no user left behind; signing up again works', async () => {
    const email = `fault-${randomUUID().slice(0, 8)}@example.test`;
    const body = { email, password: 'Str0ng!Passw0rd' };
    const cut = f.pg.cutWhen('INSERT INTO users', 'after');
    counted503(await api(url, 'POST', '/api/v1/auth/signup', { body }));
    await fired(cut, 'signup');
    expect(await sql(f.dbUrl, `SELECT 1 FROM users WHERE email = $1`, [email])).toHaveLength(0);
    expect((await retried(() => api(url, 'POST', '/api/v1/auth/signup', { body }))).status).toBe(201);
  });
});

describe('the connection dies at COMMIT (the outcome is unknown to the app)', () => {
  it('(a) COMMIT never reached PostgreSQL: 503, nothing moved; a retry with the same key applies it once', async () => {
    const { user, account } = await depositor();
    const key = randomUUID();
    const cut = f.pg.cutWhen(simpleQuery('COMMIT'), 'before');
    const res = await deposit(url, user, account, '5.00', keyed(key));
    await fired(cut, 'COMMIT before');
    counted503(res);
    expect(res.body.detail).toMatch(/same Idempotency-Key/);
    expect(await entriesWithKey(f.dbUrl, key)).toHaveLength(0);
    expect(await balanceOf(f.dbUrl, account)).toBe(0n);

    const again = await retried(() => deposit(url, user, account, '5.00', keyed(key)));
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBeNull(); // applied now, not replayed
    expect(await entriesWithKey(f.dbUrl, key)).toHaveLength(1);
    expect(await balanceOf(f.dbUrl, account)).toBe(500n);
    await expectSoundBooks(f.dbUrl);
  });

  it('(b) COMMIT reached PostgreSQL and committed, the client was told 503: the retry replays it, one entry', async () => {
    const { user, account } = await depositor();
    const key = randomUUID();
    const cut = f.pg.cutWhen(simpleQuery('COMMIT'), 'after');
    const res = await deposit(url, user, account, '6.00', keyed(key));
    await fired(cut, 'COMMIT after');
    counted503(res);
    const [entry] = await entriesWithKey(f.dbUrl, key);
    expect(entry).toBeDefined(); // it did commit
    expect(await balanceOf(f.dbUrl, account)).toBe(600n);

    const again = await retried(() => deposit(url, user, account, '6.00', keyed(key)));
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.transactionId).toBe(entry.id);
    expect(again.body.balanceAfter).toBe('6.00');
    expect(await entriesWithKey(f.dbUrl, key)).toHaveLength(1);
    expect(await balanceOf(f.dbUrl, account)).toBe(600n);
    await expectSoundBooks(f.dbUrl);
  });

  it('a transfer without a key (one autocommit statement) cut after it ran: 503 saying the outcome is unknown, books sound', async () => {
    const alice = await fundedAccount(url, f.dbUrl, '10.00');
    const bob = await openAccount(url, await createUser(f.dbUrl));
    const cut = f.pg.cutWhen('ledger_transfer(', 'after');
    const res = await transfer(url, alice.user, alice.accountNumber, bob, '2.50');
    await fired(cut, 'ledger_transfer');
    counted503(res);
    expect(res.body.detail).toMatch(/outcome/);
    expect(await balanceOf(f.dbUrl, bob)).toBe(250n); // it ran: the answer was what got lost
    await expectSoundBooks(f.dbUrl);
  });
});

describe('auctions', () => {
  let owner: TestUser;
  let bidder: TestUser;
  let auctionId: string;

  beforeAll(async () => {
    [owner, bidder] = await Promise.all([createUser(f.dbUrl), createUser(f.dbUrl)]);
    const league = await leagueWith(url, owner, [bidder]);
    auctionId = (await openAuction(url, owner, league.id, { durationSeconds: 600 })).id;
  });

  it('a bid stuck behind a lock past the statement timeout (default 5 s) is 503 with Retry-After, not 500', async () => {
    const { Client } = await import('pg');
    const blocker = new Client({ connectionString: f.dbUrl });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM auctions WHERE id = $1 FOR UPDATE', [auctionId]);
      const started = Date.now();
      const res = await api(url, 'POST', `/api/v1/auctions/${auctionId}/bids`, {
        token: bidder.token,
        body: { amount: '2.00' },
      });
      counted503(res);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(Date.now() - started).toBeGreaterThanOrEqual(4_500);
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    expect(
      (await api(url, 'GET', `/api/v1/auctions/${auctionId}`, { token: bidder.token })).body.currentAmount,
    ).toBeNull();
  });

  it('a socket bid:place whose connection dies mid-transaction acks {ok:false, code:SERVICE_UNAVAILABLE}', async () => {
    const s = await connect(url, bidder.token);
    try {
      const cut = f.pg.cutWhen('FOR NO KEY UPDATE OF a', 'after');
      const ack = await emitAck(s.socket, 'bid:place', { auctionId, amount: '3.00' });
      await fired(cut, 'bid lock');
      expect(ack).toMatchObject({ ok: false, code: 'SERVICE_UNAVAILABLE', retryAfter: expect.any(Number) });
      unavailable++;
      const next = await emitAck(s.socket, 'bid:place', { auctionId, amount: '3.00' });
      expect(next).toMatchObject({ ok: true, bid: { amount: '3.00' } });
    } finally {
      s.close();
    }
  });
});

describe('an auction that ends while PostgreSQL is unreachable', () => {
  it('closes once when it is back, and the log warns once, not on each 250 ms retry', async () => {
    const [owner, bidder] = await Promise.all([createUser(f.dbUrl), createUser(f.dbUrl)]);
    const league = await leagueWith(url, owner, [bidder]);
    const from = f.app.output().length;
    const { id } = await openAuction(url, owner, league.id, { durationSeconds: 2 });
    await sleep(700); // the timer scan (every 500 ms by default) has taken up its countdown
    f.pg.refuseNew();
    f.pg.dropAll();
    await sleep(4_000); // it ended 2 s ago: the close has been retried every 250 ms since
    f.pg.heal();
    let status = '';
    for (let i = 0; i < 100 && status !== 'CLOSED'; i++) {
      const res = await api(url, 'GET', `/api/v1/auctions/${id}`, { token: owner.token });
      if (res.status === 200) status = res.body.status as string;
      if (status !== 'CLOSED') await sleep(200);
    }
    expect(status).toBe('CLOSED');
    expect(await sql(f.dbUrl, `SELECT count(*)::int AS n FROM auction_events WHERE auction_id = $1 AND type = 'closed'`, [id])).toEqual([{ n: 1 }]);
    const lines = logLines(f.app, from);
    const mine = (l: LogLine) => l.auctionId === id;
    expect(lines.filter((l) => mine(l) && l.msg.startsWith('auction close failed') && l.level === 'warn')).toHaveLength(1);
    expect(lines.filter((l) => mine(l) && l.msg === 'auction close works again')).toHaveLength(1);
    expect(lines.filter((l) => l.msg.startsWith('auction timer scan failed')).length).toBeLessThanOrEqual(1);
  });
});

describe('what the operator sees', () => {
  it('the outage at warn, once per burst with counts, never an error line; errors_total counts each answer', async () => {
    expect(unavailable).toBeGreaterThanOrEqual(8);
    const lines = logLines(f.app);
    expect(lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    const outage = lines.filter((l) => l.dependency === 'database' && /^dependency outage/.test(l.msg));
    const first = outage.filter((l) => l.msg.startsWith('dependency outage: answering 503'));
    expect(first.length).toBeGreaterThanOrEqual(1);
    expect(
      first.every(
        (l) => l.level === 'warn' && l.count === 1 && typeof l.err === 'string' && !String(l.err).includes('\n'),
      ),
    ).toBe(true);
    // Bursts within OUTAGE_LOG_INTERVAL_MS (default 10 s) share one line: far fewer lines than answers.
    expect(first.length).toBeLessThan(unavailable);
    const metrics = (await api<string>(url, 'GET', '/metrics')).body;
    const counted = Number(/errors_total\{code="SERVICE_UNAVAILABLE"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    expect(counted).toBeGreaterThanOrEqual(unavailable); // the socket ack included
  });
});
