/**
 * Every error of the transactions contract (DESIGN.md §3, §4) through a real app instance:
 * bad amounts, UNAUTHENTICATED, EMAIL_NOT_VERIFIED, NOT_FOUND, INSUFFICIENT_FUNDS, SAME_ACCOUNT,
 * CONFLICT, TRANSFER_LIMIT_EXCEEDED, IDEMPOTENCY_KEY_REUSED, IDEMPOTENCY_IN_PROGRESS, and 503
 * (never 500) when the database is busy. BASIC users have small limits (100.00 / 250.00 a day).
 */
import { api, createDatabase, createUser, sql, startApp, type AppProcess, type TestUser } from '../harness';
import { bookViolations, deposit, fundedAccount, openAccount, transfer, withdraw } from './ledger-fixtures';

describe('transactions errors', () => {
  let app: AppProcess;
  let db: string;
  let url: string;

  beforeAll(async () => {
    db = await createDatabase();
    app = await startApp({
      databaseUrl: db,
      env: { ENABLE_RATE_LIMITING: 'false', TRANSFER_LIMITS_BASIC: '100.00/250.00', DB_STATEMENT_TIMEOUT_MS: '3000' },
    });
    url = app.baseUrl;
  });
  afterAll(async () => {
    await app?.stop();
  });
  afterEach(async () => {
    expect(await bookViolations(db)).toEqual([]);
  });

  describe('bad amounts are 400 VALIDATION_FAILED and move nothing', () => {
    const badAmounts: Array<[string, unknown]> = [
      ['a JSON number', 12.5],
      ['an integer JSON number', 10],
      ['exponent notation', '1e3'],
      ['negative', '-1'],
      ['zero', '0'],
      ['zero with decimals', '0.00'],
      ['three decimals', '0.001'],
      ['a leading space', ' 1'],
      ['a trailing dot', '1.'],
      ['a leading dot', '.5'],
      ['NaN', 'NaN'],
      ['Infinity', 'Infinity'],
      ['over the maximum', '1000000000.01'],
      ['far too long', '1'.repeat(300)],
      ['empty', ''],
      ['null', null],
      ['an object', { value: '1.00' }],
      ['a comma', '1,00'],
      ['hex', '0x10'],
    ];
    let alice: { user: TestUser; accountNumber: string };
    let bob: { user: TestUser; accountNumber: string };
    beforeAll(async () => {
      alice = await fundedAccount(url, db, '100.00');
      bob = await fundedAccount(url, db, '0');
    });

    it.each(badAmounts)('%s', async (_label, amount) => {
      const requests = [
        api(url, 'POST', '/api/v1/deposits', { token: alice.user.token, body: { accountNumber: alice.accountNumber, amount, description: 'x' } }),
        api(url, 'POST', '/api/v1/withdrawals', { token: alice.user.token, body: { accountNumber: alice.accountNumber, amount, description: 'x' } }),
        api(url, 'POST', '/api/v1/transfers', {
          token: alice.user.token,
          body: { fromAccountNumber: alice.accountNumber, toAccountNumber: bob.accountNumber, amount, description: 'x' },
        }),
      ];
      for (const res of await Promise.all(requests)) {
        expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
        expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'amount' })]));
      }
      const acc = await api(url, 'GET', `/api/v1/accounts/${alice.accountNumber}`, { token: alice.user.token });
      expect(acc.body.balance).toBe('100.00');
    });

    it('also refuses a missing field, an unknown field and a malformed Idempotency-Key', async () => {
      const cases: Array<[string, Record<string, unknown>, Record<string, string>]> = [
        ['no amount', { accountNumber: alice.accountNumber, description: 'x' }, {}],
        ['no description', { accountNumber: alice.accountNumber, amount: '1.00' }, {}],
        ['no account', { amount: '1.00', description: 'x' }, {}],
        ['an unknown field', { accountNumber: alice.accountNumber, amount: '1.00', description: 'x', currency: 'GBP' }, {}],
        ['a control character in the description', { accountNumber: alice.accountNumber, amount: '1.00', description: 'a\u0000b' }, {}],
        ['an over-long description', { accountNumber: alice.accountNumber, amount: '1.00', description: 'd'.repeat(141) }, {}],
        ['a key with a space', { accountNumber: alice.accountNumber, amount: '1.00', description: 'x' }, { 'Idempotency-Key': 'a b' }],
        ['a 256-character key', { accountNumber: alice.accountNumber, amount: '1.00', description: 'x' }, { 'Idempotency-Key': 'k'.repeat(256) }],
      ];
      for (const [label, body, headers] of cases) {
        const res = await api(url, 'POST', '/api/v1/deposits', { token: alice.user.token, body, headers });
        expect({ label, status: res.status, code: res.body.code }).toEqual({ label, status: 400, code: 'VALIDATION_FAILED' });
      }
    });
  });

  describe('error codes of the contract', () => {
    it('UNAUTHENTICATED without or with a bad token, on every transactions route', async () => {
      const routes: Array<[string, string]> = [
        ['POST', '/api/v1/accounts'],
        ['GET', '/api/v1/accounts'],
        ['GET', '/api/v1/accounts/BW000000000001'],
        ['POST', '/api/v1/deposits'],
        ['POST', '/api/v1/withdrawals'],
        ['POST', '/api/v1/transfers'],
        ['GET', '/api/v1/transfer-limits/BASIC'],
        ['GET', '/api/v1/transaction-logs/BW000000000001'],
      ];
      for (const [method, path] of routes) {
        for (const token of [undefined, 'not.a.jwt']) {
          const res = await api(url, method, path, { token, body: method === 'POST' ? {} : undefined });
          expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status: 401, code: 'UNAUTHENTICATED' });
        }
      }
    });

    it('EMAIL_NOT_VERIFIED for an unverified user, on every transactions route', async () => {
      const unverified = await createUser(db, { verified: false });
      const alice = await fundedAccount(url, db, '10.00');
      const routes: Array<[string, string, unknown]> = [
        ['POST', '/api/v1/accounts', {}],
        ['GET', '/api/v1/accounts', undefined],
        ['GET', `/api/v1/accounts/${alice.accountNumber}`, undefined],
        ['POST', '/api/v1/deposits', { accountNumber: alice.accountNumber, amount: '1.00', description: 'x' }],
        ['POST', '/api/v1/withdrawals', { accountNumber: alice.accountNumber, amount: '1.00', description: 'x' }],
        ['POST', '/api/v1/transfers', { fromAccountNumber: alice.accountNumber, toAccountNumber: alice.accountNumber, amount: '1.00', description: 'x' }],
        ['GET', '/api/v1/transfer-limits/BASIC', undefined],
        ['GET', `/api/v1/transaction-logs/${alice.accountNumber}`, undefined],
      ];
      for (const [method, path, body] of routes) {
        const res = await api(url, method, path, { token: unverified.token, body });
        expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status: 403, code: 'EMAIL_NOT_VERIFIED' });
      }
    });

    it('NOT_FOUND for someone else’s account on every route that names one, and nothing moves', async () => {
      const alice = await fundedAccount(url, db, '50.00');
      const mallory = await fundedAccount(url, db, '50.00');
      const attempts: Array<[string, string, unknown]> = [
        ['GET', `/api/v1/accounts/${alice.accountNumber}`, undefined],
        ['GET', `/api/v1/transaction-logs/${alice.accountNumber}`, undefined],
        ['POST', '/api/v1/deposits', { accountNumber: alice.accountNumber, amount: '1.00', description: 'x' }],
        ['POST', '/api/v1/withdrawals', { accountNumber: alice.accountNumber, amount: '1.00', description: 'x' }],
        ['POST', '/api/v1/transfers', { fromAccountNumber: alice.accountNumber, toAccountNumber: mallory.accountNumber, amount: '1.00', description: 'x' }],
        ['POST', '/api/v1/transfers', { fromAccountNumber: mallory.accountNumber, toAccountNumber: 'BW000000000000', amount: '1.00', description: 'x' }],
        ['POST', '/api/v1/transfers', { fromAccountNumber: mallory.accountNumber, toAccountNumber: 'SETTLEMENT-GBP', amount: '1.00', description: 'x' }],
      ];
      for (const [method, path, body] of attempts) {
        const res = await api(url, method, path, { token: mallory.user.token, body });
        expect({ path, body, status: res.status, code: res.body.code }).toEqual({ path, body, status: 404, code: 'NOT_FOUND' });
      }
      const [a, m] = await Promise.all(
        [alice, mallory].map((f) => api(url, 'GET', `/api/v1/accounts/${f.accountNumber}`, { token: f.user.token })),
      );
      expect([a.body.balance, m.body.balance]).toEqual(['50.00', '50.00']);
    });

    it('INSUFFICIENT_FUNDS (409) for a withdrawal or transfer over the balance', async () => {
      const alice = await fundedAccount(url, db, '10.00');
      const bob = await fundedAccount(url, db, '0');
      const w = await withdraw(url, alice.user, alice.accountNumber, '10.01');
      const t = await transfer(url, alice.user, alice.accountNumber, bob.accountNumber, '10.01');
      for (const res of [w, t]) expect([res.status, res.body.code]).toEqual([409, 'INSUFFICIENT_FUNDS']);
      expect((await withdraw(url, alice.user, alice.accountNumber, '10.00')).body.balanceAfter).toBe('0.00');
    });

    it('SAME_ACCOUNT (422) for a transfer to the sending account', async () => {
      const alice = await fundedAccount(url, db, '10.00');
      const res = await transfer(url, alice.user, alice.accountNumber, alice.accountNumber, '1.00');
      expect([res.status, res.body.code]).toEqual([422, 'SAME_ACCOUNT']);
    });

    it('CONFLICT (409) for a transfer between different currencies', async () => {
      const alice = await fundedAccount(url, db, '10.00');
      const euro = await fundedAccount(url, db, '0', { currency: 'EUR' });
      const res = await transfer(url, alice.user, alice.accountNumber, euro.accountNumber, '1.00');
      expect([res.status, res.body.code]).toEqual([409, 'CONFLICT']);
    });

    it('TRANSFER_LIMIT_EXCEEDED (422) over the per-transaction limit of the owner’s level', async () => {
      const basic = await fundedAccount(url, db, '500.00', { level: 'BASIC' });
      const bob = await fundedAccount(url, db, '0');
      const over = await transfer(url, basic.user, basic.accountNumber, bob.accountNumber, '100.01');
      expect([over.status, over.body.code]).toEqual([422, 'TRANSFER_LIMIT_EXCEEDED']);
      expect((await transfer(url, basic.user, basic.accountNumber, bob.accountNumber, '100.00')).status).toBe(201);
      // A teller sending on the customer's behalf is held to the owner's limits too.
      const teller = await createUser(db, { roles: ['TELLER'], level: 'BUSINESS' });
      const byTeller = await transfer(url, teller, basic.accountNumber, bob.accountNumber, '100.01');
      expect([byTeller.status, byTeller.body.code]).toEqual([422, 'TRANSFER_LIMIT_EXCEEDED']);
    });

    it('TRANSFER_LIMIT_EXCEEDED (422) over the rolling daily limit, across all the owner’s accounts', async () => {
      const basic = await fundedAccount(url, db, '500.00', { level: 'BASIC' });
      const second = await openAccount(url, basic.user);
      await deposit(url, basic.user, second, '100.00');
      const bob = await fundedAccount(url, db, '0');
      expect((await transfer(url, basic.user, basic.accountNumber, bob.accountNumber, '100.00')).status).toBe(201);
      expect((await transfer(url, basic.user, basic.accountNumber, bob.accountNumber, '100.00')).status).toBe(201);
      const fromSecond = await transfer(url, basic.user, second, bob.accountNumber, '50.01');
      expect([fromSecond.status, fromSecond.body.code]).toEqual([422, 'TRANSFER_LIMIT_EXCEEDED']);
      expect((await transfer(url, basic.user, second, bob.accountNumber, '50.00')).status).toBe(201);
      const more = await transfer(url, basic.user, basic.accountNumber, bob.accountNumber, '0.01');
      expect([more.status, more.body.code]).toEqual([422, 'TRANSFER_LIMIT_EXCEEDED']);
      // Withdrawals are not transfers: they do not count and are not limited.
      expect((await withdraw(url, basic.user, basic.accountNumber, '150.00')).status).toBe(201);
    });

    it('the daily window rolls: transfers older than 24 h stop counting and their usage rows are purged', async () => {
      const basic = await fundedAccount(url, db, '500.00', { level: 'BASIC' });
      const bob = await fundedAccount(url, db, '0');
      for (const amount of ['90.00', '80.00', '70.00']) {
        expect((await transfer(url, basic.user, basic.accountNumber, bob.accountNumber, amount)).status).toBe(201);
      }
      const full = await transfer(url, basic.user, basic.accountNumber, bob.accountNumber, '10.01');
      expect([full.status, full.body.code, full.body.detail]).toEqual([
        422,
        'TRANSFER_LIMIT_EXCEEDED',
        'Transfers are limited to 250.00 per 24 hours for BASIC accounts; 10.00 remains',
      ]);
      // Let the first transfer (90.00) age out of the window: 150.00 of 250.00 now count.
      // (Usage rows are the limit's only input; postings keep their real times.)
      await sql(
        db,
        `UPDATE transfer_allowance_usage SET sent_at = sent_at - interval '24 hours 1 second'
          WHERE owner_id = $1 AND amount = 9000`,
        [basic.user.id],
      );
      expect((await transfer(url, basic.user, basic.accountNumber, bob.accountNumber, '60.00')).status).toBe(201);
      const over = await transfer(url, basic.user, basic.accountNumber, bob.accountNumber, '40.01');
      expect([over.status, over.body.detail]).toEqual([422, 'Transfers are limited to 250.00 per 24 hours for BASIC accounts; 40.00 remains']);
      expect((await transfer(url, basic.user, basic.accountNumber, bob.accountNumber, '40.00')).status).toBe(201);
      const rows = await sql<{ amount: string; sent_total: string }>(
        db,
        `SELECT amount::text, sent_total::text FROM transfer_allowance_usage WHERE owner_id = $1 ORDER BY sent_at, id`,
        [basic.user.id],
      );
      // The aged-out row was deleted by the next transfer; running totals continue.
      expect(rows).toEqual([
        { amount: '8000', sent_total: '17000' },
        { amount: '7000', sent_total: '24000' },
        { amount: '6000', sent_total: '30000' },
        { amount: '4000', sent_total: '34000' },
      ]);
      const last = await transfer(url, basic.user, basic.accountNumber, bob.accountNumber, '0.01');
      expect([last.status, last.body.detail]).toEqual([422, 'Transfers are limited to 250.00 per 24 hours for BASIC accounts; 0.00 remains']);
    });

    it('reads the owner’s level from the database, not from the token', async () => {
      const basic = await fundedAccount(url, db, '500.00', { level: 'BASIC' });
      const bob = await fundedAccount(url, db, '0');
      await sql(db, `UPDATE users SET privilege_level = 'BUSINESS' WHERE id = $1`, [basic.user.id]);
      expect((await transfer(url, basic.user, basic.accountNumber, bob.accountNumber, '300.00')).status).toBe(201);
    });

    it('IDEMPOTENCY_KEY_REUSED (422) for the same key with another body or on another operation', async () => {
      const alice = await fundedAccount(url, db, '100.00');
      const bob = await fundedAccount(url, db, '0');
      const key = { 'Idempotency-Key': `reuse-${Date.now()}` };
      expect((await transfer(url, alice.user, alice.accountNumber, bob.accountNumber, '5.00', key)).status).toBe(201);
      const otherAmount = await transfer(url, alice.user, alice.accountNumber, bob.accountNumber, '6.00', key);
      const otherOperation = await withdraw(url, alice.user, alice.accountNumber, '5.00', key);
      for (const res of [otherAmount, otherOperation]) expect([res.status, res.body.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
      // Keys are per user: Bob may use the same key for his own request.
      const bobs = await deposit(url, bob.user, bob.accountNumber, '1.00', key);
      expect(bobs.status).toBe(201);
      expect(bobs.headers.get('idempotent-replayed')).toBeNull();
      expect(await sql(db, `SELECT 1 FROM journal_entries WHERE idempotency_key = $1`, [key['Idempotency-Key']])).toHaveLength(2);
    });

    it('IDEMPOTENCY_IN_PROGRESS (409) for a retry while the first request is still running, then a replay', async () => {
      const alice = await fundedAccount(url, db, '100.00');
      const key = { 'Idempotency-Key': `slow-${Date.now()}` };
      // Hold Alice's account row so the first withdrawal stalls after claiming its key.
      const { Client } = await import('pg');
      const blocker = new Client({ connectionString: db });
      await blocker.connect();
      let first: Promise<{ status: number; body: any; headers: Headers }>;
      try {
        await blocker.query('BEGIN');
        await blocker.query('SELECT 1 FROM accounts WHERE account_number = $1 FOR UPDATE', [alice.accountNumber]);
        first = withdraw(url, alice.user, alice.accountNumber, '30.00', key);
        await waitFor(async () => (await sql(db, `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).length > 0);
        const retry = await withdraw(url, alice.user, alice.accountNumber, '30.00', key);
        expect([retry.status, retry.body.code]).toEqual([409, 'IDEMPOTENCY_IN_PROGRESS']);
        expect(retry.headers.get('retry-after')).toBe('1');
        // A different body under the running key is still "in progress": its outcome is unknown yet.
        const different = await withdraw(url, alice.user, alice.accountNumber, '31.00', key);
        expect(different.status).toBe(409);
      } finally {
        await blocker.query('COMMIT');
        await blocker.end();
      }
      const done = await first;
      expect(done.status).toBe(201);
      expect(done.headers.get('idempotent-replayed')).toBeNull();
      const replay = await withdraw(url, alice.user, alice.accountNumber, '30.00', key);
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body).toEqual(done.body);
      expect(JSON.stringify(replay.body)).toBe(JSON.stringify(done.body));
      const acc = await api(url, 'GET', `/api/v1/accounts/${alice.accountNumber}`, { token: alice.user.token });
      expect(acc.body.balance).toBe('70.00');
    });

    it('records a business refusal under its key and replays it, even after the balance would allow it', async () => {
      const alice = await fundedAccount(url, db, '10.00');
      const key = { 'Idempotency-Key': `refused-${Date.now()}` };
      const first = await withdraw(url, alice.user, alice.accountNumber, '20.00', key);
      expect([first.status, first.body.code]).toEqual([409, 'INSUFFICIENT_FUNDS']);
      await deposit(url, alice.user, alice.accountNumber, '50.00');
      const again = await withdraw(url, alice.user, alice.accountNumber, '20.00', key);
      expect([again.status, again.body.code]).toEqual([409, 'INSUFFICIENT_FUNDS']);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body.requestId).not.toBe(first.body.requestId);
      const fresh = await withdraw(url, alice.user, alice.accountNumber, '20.00', { 'Idempotency-Key': `${key['Idempotency-Key']}-2` });
      expect(fresh.status).toBe(201);
    });

    it('ignores an expired key: the same key works again as a new request after 24 h', async () => {
      const alice = await fundedAccount(url, db, '10.00');
      const key = { 'Idempotency-Key': `expiring-${Date.now()}` };
      expect((await deposit(url, alice.user, alice.accountNumber, '1.00', key)).status).toBe(201);
      await sql(db, `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1`, [key['Idempotency-Key']]);
      const again = await deposit(url, alice.user, alice.accountNumber, '2.00', key);
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBeNull();
      expect(again.body.balanceAfter).toBe('13.00');
    });
  });

  describe('the books defend themselves', () => {
    it('a movement stuck behind a lock for longer than the statement timeout is 503 with Retry-After, and moves nothing', async () => {
      const alice = await fundedAccount(url, db, '10.00');
      const { Client } = await import('pg');
      const blocker = new Client({ connectionString: db });
      await blocker.connect();
      try {
        await blocker.query('BEGIN');
        await blocker.query('SELECT 1 FROM accounts WHERE account_number = $1 FOR UPDATE', [alice.accountNumber]);
        const res = await withdraw(url, alice.user, alice.accountNumber, '1.00');
        expect([res.status, res.body.code, res.headers.get('retry-after')]).toEqual([503, 'SERVICE_UNAVAILABLE', '1']);
        expect(JSON.stringify(res.body)).not.toMatch(/SELECT|statement|canceling/i);
      } finally {
        await blocker.query('ROLLBACK');
        await blocker.end();
      }
      const acc = await api(url, 'GET', `/api/v1/accounts/${alice.accountNumber}`, { token: alice.user.token });
      expect(acc.body.balance).toBe('10.00');
    });

    it('PostgreSQL refuses an unbalanced entry, an edited posting and a negative customer balance', async () => {
      const alice = await fundedAccount(url, db, '10.00');
      const { Client } = await import('pg');
      const c = new Client({ connectionString: db });
      await c.connect();
      try {
        await c.query('BEGIN');
        const [entry] = (
          await c.query(`INSERT INTO journal_entries (type, currency, amount, description, created_by) VALUES ('DEPOSIT', 'GBP', 100, 'forged', $1) RETURNING id`, [
            alice.user.id,
          ])
        ).rows;
        await c.query(`INSERT INTO postings (entry_id, account_number, amount, balance_after) VALUES ($1, $2, 100, 1100)`, [entry.id, alice.accountNumber]);
        await expect(c.query('COMMIT')).rejects.toThrow(/unbalanced/);
        await expect(c.query(`UPDATE postings SET amount = amount + 1`)).rejects.toThrow(/append-only/);
        await expect(c.query(`DELETE FROM journal_entries`)).rejects.toThrow(/append-only/);
        await expect(c.query(`UPDATE accounts SET balance = -1 WHERE account_number = $1`, [alice.accountNumber])).rejects.toThrow(/balance_not_negative/);
      } finally {
        await c.end();
      }
    });

    it('the invariant checker used by these tests notices a balance that drifted from its postings', async () => {
      const alice = await fundedAccount(url, db, '10.00');
      await sql(db, `UPDATE accounts SET balance = balance + 1 WHERE account_number = $1`, [alice.accountNumber]);
      const problems = await bookViolations(db);
      await sql(db, `UPDATE accounts SET balance = balance - 1 WHERE account_number = $1`, [alice.accountNumber]);
      expect(problems).toEqual([
        expect.stringContaining(`account ${alice.accountNumber} balance 1001 but its postings sum to 1000`),
        'customers + settlement sum to 1, not 0',
      ]);
    });
  });

});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
