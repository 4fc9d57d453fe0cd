/**
 * A money request over its budget whose Idempotency-Key already holds an answer gets that answer
 * replayed instead of 429: it is the retry of a request that happened (the soak's case: a 503
 * whose commit went through, the first attempt having spent the budget's last call). Nothing new
 * runs past the budget: a new key, or no key, still gets the 429, and replays are not counted.
 * Two replicas share one Redis and one database; the budgets are the defaults (deposits 50/h,
 * withdrawals 30/h, transfers 20/h).
 */
import { randomUUID } from 'node:crypto';
import { api, createDatabase, sql, startApp, startRedis, type AppProcess, type RedisServer } from '../harness';
import { bookViolations, fundedAccount, openAccount, type Funded } from './ledger-fixtures';

type Kind = 'deposits' | 'withdrawals' | 'transfers';

describe('replays past a spent budget', () => {
  let redis: RedisServer;
  let dbUrl: string;
  let a: AppProcess;
  let b: AppProcess;
  let owner: Funded;
  let second: string;

  const post = (app: AppProcess, kind: Kind, body: Record<string, unknown>, key?: string) =>
    api(app.baseUrl, 'POST', `/api/v1/${kind}`, {
      token: owner.user.token,
      body,
      headers: key ? { 'idempotency-key': key } : {},
    });
  const bodyOf = (kind: Kind, amount = '1.00'): Record<string, unknown> =>
    kind === 'transfers'
      ? { fromAccountNumber: owner.accountNumber, toAccountNumber: second, amount, description: 'budget test' }
      : { accountNumber: owner.accountNumber, amount, description: 'budget test' };
  const entries = async (type: string) =>
    Number(
      (
        await sql<{ n: string }>(dbUrl, `SELECT count(*)::text AS n FROM journal_entries WHERE created_by = $1 AND type = $2`, [
          owner.user.id,
          type,
        ])
      )[0].n,
    );

  beforeAll(async () => {
    redis = await startRedis();
    dbUrl = await createDatabase();
    [a, b] = await Promise.all([startApp({ databaseUrl: dbUrl, redisUrl: redis.url }), startApp({ databaseUrl: dbUrl, redisUrl: redis.url })]);
    // The funding deposit (no key) is the deposits budget's first call.
    owner = await fundedAccount(a.baseUrl, dbUrl, '1000.00');
    second = await openAccount(a.baseUrl, owner.user);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  it.each([
    ['transfers', 20, 'TRANSFER'],
    ['withdrawals', 30, 'WITHDRAWAL'],
    ['deposits', 49, 'DEPOSIT'], // 50 with the funding deposit
  ] as const)('%s: replays a recorded answer past the budget, refuses anything new with 429', async (kind, calls, type) => {
    const run = randomUUID().slice(0, 8);
    const before = await entries(type);
    const keys = Array.from({ length: calls }, (_, i) => `${kind}-${run}-${i}`);
    const answers = [];
    for (const [i, key] of keys.entries()) {
      const res = await post(i % 2 ? a : b, kind, bodyOf(kind), key);
      expect(res.status).toBe(201);
      answers.push(res);
    }
    expect(answers.at(-1)!.headers.get('ratelimit-remaining')).toBe('0');

    // A new key, and no key: the budget is spent.
    const fresh = await post(a, kind, bodyOf(kind), `${kind}-${run}-new`);
    expect(fresh.status).toBe(429);
    expect(fresh.body.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(Number(fresh.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await post(b, kind, bodyOf(kind))).status).toBe(429);

    // The retry of a request that happened, on either replica: its answer, replayed.
    for (const app of [a, b]) {
      const replay = await post(app, kind, bodyOf(kind), keys[3]);
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body).toEqual(answers[3].body);
      expect(replay.headers.get('ratelimit-remaining')).toBe('0');
    }
    // Same key, another body: the key's rule, not a way past the budget.
    const reused = await post(b, kind, bodyOf(kind, '2.00'), keys[3]);
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    // Replays were not counted: a new key is still refused, and nothing moved beyond the budget.
    expect((await post(a, kind, bodyOf(kind), `${kind}-${run}-after`)).status).toBe(429);
    expect((await entries(type)) - before).toBe(calls);
  });

  it('replays a recorded refusal as the refusal', async () => {
    const empty = await fundedAccount(a.baseUrl, dbUrl, '0');
    const key = `refused-${randomUUID()}`;
    const body = { accountNumber: empty.accountNumber, amount: '5.00', description: 'more than there is' };
    const withdraw = (app: AppProcess) =>
      api(app.baseUrl, 'POST', '/api/v1/withdrawals', { token: empty.user.token, body, headers: { 'idempotency-key': key } });
    const first = await withdraw(a);
    expect(first.status).toBe(409);
    expect(first.body.code).toBe('INSUFFICIENT_FUNDS');
    // Spend the rest of this user's withdrawals budget (29 more calls, each refused the same way).
    for (let i = 0; i < 29; i++) {
      const res = await api(b.baseUrl, 'POST', '/api/v1/withdrawals', { token: empty.user.token, body, headers: { 'idempotency-key': `${key}-${i}` } });
      expect(res.status).toBe(409);
    }
    const replay = await withdraw(b);
    expect(replay.status).toBe(409);
    expect(replay.body.code).toBe('INSUFFICIENT_FUNDS');
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await withdraw(a)).status).toBe(409);
    const fresh = await api(a.baseUrl, 'POST', '/api/v1/withdrawals', { token: empty.user.token, body, headers: { 'idempotency-key': `${key}-new` } });
    expect(fresh.status).toBe(429);
  });

  it('keeps the books', async () => {
    expect(await bookViolations(dbUrl)).toEqual([]);
  });
});
