/**
 * The ledger under concurrency, with TWO app instances on one PostgreSQL: random transfers
 * (opposite directions included) with 32 requests in flight, racing withdrawals, racing
 * transfers against the daily limit, and one Idempotency-Key sent 10 times at once.
 * Money is never created, lost or doubled, and no request ever gets a 5xx.
 */
import { api, createDatabase, createUser, sharedRedisUrl, sql, startApp, type AppProcess } from '../harness';
import { bookViolations, customerTotals, deposit, fundedAccount, logReplayProblems, minor, openAccount, transfer, withdraw, type Funded } from './ledger-fixtures';

/** Runs `jobs` with at most `inFlight` at a time; results in job order. */
async function runPool<T>(jobs: Array<() => Promise<T>>, inFlight: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]();
      }
    }),
  );
  return results;
}

/** Deterministic pseudo-random numbers, so a failure can be reproduced. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function cents(n: bigint): string {
  return `${n / 100n}.${(n % 100n).toString().padStart(2, '0')}`;
}

describe('ledger under concurrency on two instances', () => {
  let a: AppProcess;
  let b: AppProcess;
  let db: string;
  const instance = (i: number) => (i % 2 === 0 ? a : b).baseUrl;

  beforeAll(async () => {
    db = await createDatabase();
    const env = { ENABLE_RATE_LIMITING: 'false', TRANSFER_LIMITS_BASIC: '100.00/250.00' };
    [a, b] = await Promise.all([startApp({ databaseUrl: db, redisUrl: sharedRedisUrl(), env }), startApp({ databaseUrl: db, redisUrl: sharedRedisUrl(), env })]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('400 random transfers among 20 accounts, 32 in flight across both instances, keep the books exact', async () => {
    const rand = prng(20240611);
    const accounts: Funded[] = [];
    const funding: bigint[] = [];
    for (let i = 0; i < 20; i++) funding.push(BigInt(10_000 + Math.floor(rand() * 90_000))); // 100.00 .. 999.99
    // Funding deposits race each other on the settlement account, from both instances.
    const funded = await Promise.all(funding.map((f, i) => fundedAccount(instance(i), db, cents(f))));
    accounts.push(...funded);
    const expected = new Map(accounts.map((acc, i) => [acc.accountNumber, funding[i]]));

    const plan: Array<{ from: number; to: number; amount: bigint }> = [];
    while (plan.length < 400) {
      const from = Math.floor(rand() * 20);
      let to = Math.floor(rand() * 19);
      if (to >= from) to++;
      const amount = BigInt(1 + Math.floor(rand() * 30_000)); // 0.01 .. 300.00, so some bounce
      plan.push({ from, to, amount });
      // Opposite-direction pair fired back to back: the classic deadlock shape.
      if (plan.length % 5 === 0) plan.push({ from: to, to: from, amount: BigInt(1 + Math.floor(rand() * 5_000)) });
    }
    plan.length = 400;

    const started = Date.now();
    const results = await runPool(
      plan.map((p, i) => () => transfer(instance(i), accounts[p.from].user, accounts[p.from].accountNumber, accounts[p.to].accountNumber, cents(p.amount))),
      32,
    );
    const elapsedMs = Date.now() - started;

    const statuses = results.map((r) => `${r.status} ${r.body.code ?? ''}`.trim());
    const tally = statuses.reduce<Record<string, number>>((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {});
    // Only two outcomes are acceptable: moved, or refused for lack of funds. Never a 5xx.
    expect(Object.keys(tally).filter((s) => s !== '201' && s !== '409 INSUFFICIENT_FUNDS')).toEqual([]);
    expect(tally['201']).toBeGreaterThan(250);
    process.stdout.write(`transfers: ${JSON.stringify(tally)} in ${elapsedMs} ms (${Math.round((400 / elapsedMs) * 1000)}/s)\n`);

    // Every 201 is exactly one movement: replaying the answers gives the stored balances.
    results.forEach((r, i) => {
      if (r.status !== 201) return;
      const p = plan[i];
      expect(r.body.amount).toBe(cents(p.amount));
      expect(r.headers.get('idempotent-replayed')).toBeNull();
      expected.set(accounts[p.from].accountNumber, expected.get(accounts[p.from].accountNumber)! - p.amount);
      expected.set(accounts[p.to].accountNumber, expected.get(accounts[p.to].accountNumber)! + p.amount);
    });
    const rows = await sql<{ account_number: string; balance: string }>(db, `SELECT account_number, balance::text FROM accounts WHERE kind = 'CUSTOMER'`);
    const actual = new Map(rows.map((r) => [r.account_number, BigInt(r.balance)]));
    for (const [acc, want] of expected) expect({ acc, balance: actual.get(acc) }).toEqual({ acc, balance: want });
    const [{ n }] = await sql<{ n: string }>(db, `SELECT count(*)::text AS n FROM journal_entries WHERE type = 'TRANSFER'`);
    expect(Number(n)).toBe(tally['201']);

    expect(await bookViolations(db)).toEqual([]);
    const totals = await customerTotals(db);
    const deposited = funding.reduce((s, f) => s + f, 0n);
    expect(totals).toEqual({ customers: deposited, depositsMinusWithdrawals: deposited });
    const [settlement] = await sql<{ balance: string }>(db, `SELECT balance::text FROM accounts WHERE account_number = 'SETTLEMENT-GBP'`);
    expect(BigInt(settlement.balance)).toBe(-deposited);

    // Each account's transaction log, read page by page through the API, replays to its balance.
    const replay = await Promise.all(accounts.map((acc, i) => logReplayProblems(instance(i), acc.user, acc.accountNumber)));
    expect(replay.flat()).toEqual([]);
  });

  it('racing withdrawals never overdraw: 10 × 30.00 from 100.00 lets exactly 3 through', async () => {
    const alice = await fundedAccount(a.baseUrl, db, '100.00');
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => withdraw(instance(i), alice.user, alice.accountNumber, '30.00')));
    const ok = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 409 && r.body.code === 'INSUFFICIENT_FUNDS');
    expect([ok.length, refused.length]).toEqual([3, 7]);
    expect(ok.map((r) => r.body.balanceAfter).sort()).toEqual(['10.00', '40.00', '70.00']);
    const acc = await api(b.baseUrl, 'GET', `/api/v1/accounts/${alice.accountNumber}`, { token: alice.user.token });
    expect(acc.body.balance).toBe('10.00');
    expect(await bookViolations(db)).toEqual([]);
  });

  it('racing transfers from two accounts of one owner cannot slip past the daily limit together (250.00 → 5 × 50.00)', async () => {
    const basic = await fundedAccount(a.baseUrl, db, '1000.00', { level: 'BASIC' });
    const second = await openAccount(a.baseUrl, basic.user);
    expect((await deposit(b.baseUrl, basic.user, second, '1000.00')).status).toBe(201);
    // A different receiver per request, so nothing but the owner's allowance lock serialises them.
    const receivers = await Promise.all(Array.from({ length: 12 }, () => fundedAccount(a.baseUrl, db, '0')));
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          transfer(instance(i >> 1), basic.user, i % 2 ? second : basic.accountNumber, receivers[(i + round) % 12].accountNumber, '50.00'),
        ),
      );
      const tally = results.map((r) => `${r.status} ${r.body.code ?? ''}`.trim()).sort();
      // Round one fills the 250.00 allowance exactly; later rounds find it spent.
      const allowed = round === 0 ? 5 : 0;
      expect(tally).toEqual([...Array(allowed).fill('201'), ...Array(12 - allowed).fill('422 TRANSFER_LIMIT_EXCEEDED')]);
    }
    const [{ sent }] = await sql<{ sent: string }>(
      db,
      `SELECT COALESCE(-SUM(amount), 0)::text AS sent FROM postings WHERE account_number = ANY($1) AND amount < 0`,
      [[basic.accountNumber, second]],
    );
    expect(sent).toBe('25000');
  });

  it('the same Idempotency-Key sent 10 times at once moves money exactly once, and later retries replay it', async () => {
    const alice = await fundedAccount(a.baseUrl, db, '100.00');
    const bob = await fundedAccount(a.baseUrl, db, '0');
    const key = { 'Idempotency-Key': `burst-${Date.now()}` };
    const burst = await Promise.all(
      Array.from({ length: 10 }, (_, i) => transfer(instance(i), alice.user, alice.accountNumber, bob.accountNumber, '12.34', key)),
    );
    const originals = burst.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === null);
    const replays = burst.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === 'true');
    const busy = burst.filter((r) => r.status === 409 && r.body.code === 'IDEMPOTENCY_IN_PROGRESS');
    expect({ originals: originals.length, others: replays.length + busy.length }).toEqual({ originals: 1, others: 9 });
    const original = originals[0].body;
    for (const r of replays) expect(r.body).toEqual(original);

    const retries = await Promise.all(
      Array.from({ length: 6 }, (_, i) => transfer(instance(i), alice.user, alice.accountNumber, bob.accountNumber, '12.34', key)),
    );
    for (const r of retries) {
      expect(r.status).toBe(201);
      expect(r.headers.get('idempotent-replayed')).toBe('true');
      expect(JSON.stringify(r.body)).toBe(JSON.stringify(original));
    }
    expect(await sql(db, `SELECT 1 FROM journal_entries WHERE idempotency_key = $1`, [key['Idempotency-Key']])).toHaveLength(1);
    const acc = await api(a.baseUrl, 'GET', `/api/v1/accounts/${alice.accountNumber}`, { token: alice.user.token });
    expect(acc.body.balance).toBe('87.66');
    expect(await bookViolations(db)).toEqual([]);
  });

  it('many deposits at once all land, though they share the settlement account', async () => {
    const teller = await createUser(db, { roles: ['TELLER'] });
    const targets = await Promise.all(Array.from({ length: 8 }, (_, i) => fundedAccount(instance(i), db, '0')));
    const before = await customerTotals(db);
    const results = await runPool(
      Array.from({ length: 64 }, (_, i) => () => deposit(instance(i), teller, targets[i % 8].accountNumber, '1.25')),
      32,
    );
    expect(results.map((r) => r.status).filter((s) => s !== 201)).toEqual([]);
    const after = await customerTotals(db);
    expect(after.customers - before.customers).toBe(minor('80.00'));
    expect(after.depositsMinusWithdrawals - before.depositsMinusWithdrawals).toBe(minor('80.00'));
    expect(await bookViolations(db)).toEqual([]);
  });
});
