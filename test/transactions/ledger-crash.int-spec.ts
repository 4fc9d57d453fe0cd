/**
 * Crash safety: one of two instances is SIGKILLed in the middle of a transfer load fired at it,
 * then restarted. No half-written movement may exist, the books still balance, and a client
 * that retries its cut-off requests with the same Idempotency-Key ends up with exactly one
 * movement per key — the ones that committed before the crash are replayed, not repeated.
 */
import { createDatabase, sharedRedisUrl, sleep, sql, startApp, type AppProcess, type HttpResult } from '../harness';
import { bookViolations, customerTotals, fundedAccount, logReplayProblems, transfer, type Funded } from './ledger-fixtures';

type Result = { kind: 'answer'; res: HttpResult; via: 'a' | 'b' } | { kind: 'cut-off'; error: string };

function cents(n: bigint): string {
  return `${n / 100n}.${(n % 100n).toString().padStart(2, '0')}`;
}

describe('ledger survives an instance crash mid-load', () => {
  let a: AppProcess;
  let b: AppProcess;
  let db: string;
  const env = { ENABLE_RATE_LIMITING: 'false' };

  beforeAll(async () => {
    db = await createDatabase();
    [a, b] = await Promise.all([startApp({ databaseUrl: db, redisUrl: sharedRedisUrl(), env }), startApp({ databaseUrl: db, redisUrl: sharedRedisUrl(), env })]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('SIGKILL during transfers leaves no partial entry, and keyed retries settle every request exactly once', async () => {
    const accounts: Funded[] = await Promise.all(Array.from({ length: 20 }, () => fundedAccount(b.baseUrl, db, '500.00')));
    const deposited = 20n * 50_000n;
    let seed = 7;
    const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    const plan = Array.from({ length: 500 }, (_, i) => {
      const from = Math.floor(rand() * 20);
      const to = (from + 1 + Math.floor(rand() * 19)) % 20;
      return { from, to, amount: BigInt(1 + Math.floor(rand() * 5_000)), key: `crash-${i}-${Date.now()}` };
    });
    const send = (i: number, target: AppProcess) => {
      const p = plan[i];
      return transfer(target.baseUrl, accounts[p.from].user, accounts[p.from].accountNumber, accounts[p.to].accountNumber, cents(p.amount), {
        'Idempotency-Key': p.key,
      });
    };

    // 32 in flight, all at instance A until it dies; then the rest go to B.
    let aAlive = true;
    let completed = 0;
    let killed: Promise<void> | undefined;
    const results: Result[] = new Array(plan.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < plan.length) {
          const i = next++;
          const via = aAlive ? 'a' : 'b';
          try {
            results[i] = { kind: 'answer', res: await send(i, via === 'a' ? a : b), via };
          } catch (err) {
            results[i] = { kind: 'cut-off', error: String(err) };
          }
          if (++completed === 150) {
            aAlive = false;
            killed = a.kill();
          }
        }
      }),
    );
    await killed;
    const cutOff = results.map((r, i) => (r.kind === 'cut-off' ? i : -1)).filter((i) => i >= 0);
    const answered = results.filter((r): r is Extract<Result, { kind: 'answer' }> => r.kind === 'answer');
    expect(answered.filter((r) => r.res.status >= 500).map((r) => `${r.via}: ${r.res.status} ${JSON.stringify(r.res.body)}`)).toEqual([]);
    expect(cutOff.length).toBeGreaterThan(0); // the kill really hit requests in flight

    // Right after the crash, before any retry: nothing half-written.
    expect(await bookViolations(db)).toEqual([]);

    a = await startApp({ databaseUrl: db, redisUrl: sharedRedisUrl(), env, port: a.port });

    // The client retries each cut-off request with its key until it gets a definitive answer.
    let replayedAfterCrash = 0;
    for (const i of cutOff) {
      const deadline = Date.now() + 30_000;
      for (let attempt = 0; ; attempt++) {
        const res = await send(i, attempt % 2 === 0 ? a : b);
        if (res.status === 409 && res.body.code === 'IDEMPOTENCY_IN_PROGRESS' && Date.now() < deadline) {
          await sleep(200);
          continue;
        }
        expect(res.status).toBeLessThan(500);
        if (res.headers.get('idempotent-replayed') === 'true') replayedAfterCrash++;
        results[i] = { kind: 'answer', res, via: attempt % 2 === 0 ? 'a' : 'b' };
        break;
      }
    }
    process.stdout.write(`crash: ${cutOff.length} requests cut off, ${replayedAfterCrash} of them had committed before the crash and were replayed\n`);

    // Every request now has a definitive answer; the answers and the books agree exactly.
    const expected = new Map(accounts.map((acc) => [acc.accountNumber, 50_000n]));
    let moved = 0;
    results.forEach((r, i) => {
      if (r.kind !== 'answer') throw new Error(`request ${i} has no answer`);
      const outcome = `${r.res.status} ${r.res.body.code ?? ''}`.trim();
      expect(['201', '409 INSUFFICIENT_FUNDS']).toContain(outcome);
      if (r.res.status !== 201) return;
      moved++;
      const p = plan[i];
      expected.set(accounts[p.from].accountNumber, expected.get(accounts[p.from].accountNumber)! - p.amount);
      expected.set(accounts[p.to].accountNumber, expected.get(accounts[p.to].accountNumber)! + p.amount);
    });
    const perKey = await sql<{ idempotency_key: string; n: string }>(
      db,
      `SELECT idempotency_key, count(*)::text AS n FROM journal_entries WHERE type = 'TRANSFER' GROUP BY idempotency_key HAVING count(*) > 1`,
    );
    expect(perKey).toEqual([]);
    const [{ n }] = await sql<{ n: string }>(db, `SELECT count(*)::text AS n FROM journal_entries WHERE type = 'TRANSFER'`);
    expect(Number(n)).toBe(moved);
    const rows = await sql<{ account_number: string; balance: string }>(db, `SELECT account_number, balance::text FROM accounts WHERE kind = 'CUSTOMER'`);
    const actual = new Map(rows.map((r) => [r.account_number, BigInt(r.balance)]));
    for (const [acc, want] of expected) expect({ acc, balance: actual.get(acc) }).toEqual({ acc, balance: want });

    expect(await bookViolations(db)).toEqual([]);
    expect(await customerTotals(db)).toEqual({ customers: deposited, depositsMinusWithdrawals: deposited });
    const replay = await Promise.all(accounts.map((acc, i) => logReplayProblems(i % 2 ? a.baseUrl : b.baseUrl, acc.user, acc.accountNumber, 25)));
    expect(replay.flat()).toEqual([]);
  });
});
