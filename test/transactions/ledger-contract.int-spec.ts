/**
 * The transactions contract (DESIGN.md §4) through the public API of a real app instance:
 * accounts, deposits, withdrawals, transfers, limits, logs, metrics and OpenAPI.
 * Error codes are in ledger-errors.int-spec.ts.
 */
import { api, createDatabase, createUser, sql, startApp, type AppProcess } from '../harness';
import { bookViolations, deposit, fundedAccount, openAccount, transfer, withdraw } from './ledger-fixtures';

const ACCOUNT_NUMBER = /^BW\d{12}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('transactions contract', () => {
  let app: AppProcess;
  let db: string;
  let url: string;

  beforeAll(async () => {
    db = await createDatabase();
    app = await startApp({
      databaseUrl: db,
      env: { ENABLE_RATE_LIMITING: 'false', TRANSFER_LIMITS_BASIC: '100.00/250.00' },
    });
    url = app.baseUrl;
  });
  afterAll(async () => {
    await app?.stop();
  });
  afterEach(async () => {
    expect(await bookViolations(db)).toEqual([]);
  });

  describe('accounts', () => {
    it('opens a GBP account by default with a zero balance, and an EUR one on request', async () => {
      const user = await createUser(db);
      const res = await api(url, 'POST', '/api/v1/accounts', { token: user.token, body: {} });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ accountNumber: expect.stringMatching(ACCOUNT_NUMBER), ownerId: user.id, currency: 'GBP', balance: '0.00' });
      const eur = await api(url, 'POST', '/api/v1/accounts', { token: user.token, body: { currency: 'EUR', ownerId: user.id } });
      expect(eur.status).toBe(201);
      expect(eur.body.currency).toBe('EUR');
    });

    it('refuses a currency outside LEDGER_CURRENCIES or malformed with 400', async () => {
      const user = await createUser(db);
      for (const currency of ['JPY', 'gbp', 'POUNDS', 12]) {
        const res = await api(url, 'POST', '/api/v1/accounts', { token: user.token, body: { currency } });
        expect({ currency, status: res.status, code: res.body.code }).toEqual({ currency, status: 400, code: 'VALIDATION_FAILED' });
      }
    });

    it('lets staff open an account for a customer, but not a customer for someone else', async () => {
      const customer = await createUser(db);
      const other = await createUser(db);
      const teller = await createUser(db, { roles: ['TELLER'] });
      const byTeller = await api(url, 'POST', '/api/v1/accounts', { token: teller.token, body: { ownerId: customer.id } });
      expect(byTeller.status).toBe(201);
      expect(byTeller.body.ownerId).toBe(customer.id);
      const byCustomer = await api(url, 'POST', '/api/v1/accounts', { token: other.token, body: { ownerId: customer.id } });
      expect(byCustomer.status).toBe(403);
      expect(byCustomer.body.code).toBe('FORBIDDEN');
      const ghost = await api(url, 'POST', '/api/v1/accounts', { token: teller.token, body: { ownerId: '00000000-0000-4000-8000-000000000000' } });
      expect(ghost.status).toBe(404);
    });

    it('shows a customer their own account and answers 404 for anyone else’s', async () => {
      const alice = await createUser(db);
      const bob = await createUser(db);
      const admin = await createUser(db, { roles: ['ADMIN'] });
      const acc = await openAccount(url, alice);
      const own = await api(url, 'GET', `/api/v1/accounts/${acc}`, { token: alice.token });
      expect(own.status).toBe(200);
      expect(own.body).toEqual({ accountNumber: acc, ownerId: alice.id, currency: 'GBP', balance: '0.00', createdAt: expect.stringMatching(ISO) });
      const foreign = await api(url, 'GET', `/api/v1/accounts/${acc}`, { token: bob.token });
      const missing = await api(url, 'GET', `/api/v1/accounts/BW000000000000`, { token: bob.token });
      expect([foreign.status, foreign.body.code]).toEqual([404, 'NOT_FOUND']);
      expect(foreign.body.detail.replace(acc, 'X')).toBe(missing.body.detail.replace('BW000000000000', 'X'));
      expect((await api(url, 'GET', `/api/v1/accounts/${acc}`, { token: admin.token })).status).toBe(200);
      expect((await api(url, 'GET', `/api/v1/accounts/SETTLEMENT-GBP`, { token: admin.token })).status).toBe(404);
    });

    it('lists one’s own accounts in pages; staff may list another owner’s, customers may not', async () => {
      const alice = await createUser(db);
      const bob = await createUser(db);
      const teller = await createUser(db, { roles: ['TELLER'] });
      const mine = [];
      for (let i = 0; i < 5; i++) mine.push(await openAccount(url, alice));
      await openAccount(url, bob);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { status: number; body: any } = await api(url, 'GET', `/api/v1/accounts?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: alice.token });
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.items.map((a: { accountNumber: string }) => a.accountNumber));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...mine].sort());
      const byTeller = await api(url, 'GET', `/api/v1/accounts?ownerId=${alice.id}&limit=100`, { token: teller.token });
      expect(byTeller.body.items.map((a: { accountNumber: string }) => a.accountNumber).sort()).toEqual([...mine].sort());
      const byBob = await api(url, 'GET', `/api/v1/accounts?ownerId=${alice.id}`, { token: bob.token });
      expect(byBob.status).toBe(403);
    });
  });

  describe('movements', () => {
    it('deposits, withdraws and transfers with exact decimal amounts', async () => {
      const alice = await fundedAccount(url, db, '0', { level: 'BASIC' });
      const bob = await fundedAccount(url, db, '0');
      const dep = await deposit(url, alice.user, alice.accountNumber, '100.10');
      expect(dep.status).toBe(201);
      expect(dep.body).toEqual({
        transactionId: expect.stringMatching(UUID),
        type: 'DEPOSIT',
        amount: '100.10',
        accountNumber: alice.accountNumber,
        balanceAfter: '100.10',
        createdAt: expect.stringMatching(ISO),
      });
      const wd = await withdraw(url, alice.user, alice.accountNumber, '0.1');
      expect(wd.status).toBe(201);
      expect(wd.body).toMatchObject({ type: 'WITHDRAWAL', amount: '0.10', balanceAfter: '100.00' });
      const tr = await transfer(url, alice.user, alice.accountNumber, bob.accountNumber, '33.33');
      expect(tr.status).toBe(201);
      expect(tr.body).toEqual({
        transactionId: expect.stringMatching(UUID),
        type: 'TRANSFER',
        amount: '33.33',
        fromAccountNumber: alice.accountNumber,
        toAccountNumber: bob.accountNumber,
        balanceAfter: '66.67',
        createdAt: expect.stringMatching(ISO),
      });
      const bobs = await api(url, 'GET', `/api/v1/accounts/${bob.accountNumber}`, { token: bob.user.token });
      expect(bobs.body.balance).toBe('33.33');
    });

    it('lets a teller move money on any customer account and records who did it', async () => {
      const alice = await fundedAccount(url, db, '50.00');
      const teller = await createUser(db, { roles: ['TELLER'] });
      const res = await withdraw(url, teller, alice.accountNumber, '20.00');
      expect(res.status).toBe(201);
      const [entry] = await sql<{ created_by: string }>(db, `SELECT created_by FROM journal_entries WHERE id = $1`, [res.body.transactionId]);
      expect(entry.created_by).toBe(teller.id);
    });

    it('writes an audit entry for every movement', async () => {
      const alice = await fundedAccount(url, db, '10.00');
      const bob = await fundedAccount(url, db, '0');
      const w = await withdraw(url, alice.user, alice.accountNumber, '1.00');
      const t = await transfer(url, alice.user, alice.accountNumber, bob.accountNumber, '2.00');
      const rows = await sql<{ action: string; tx: string }>(
        db,
        `SELECT action, details->>'transactionId' AS tx FROM audit_log WHERE user_id = $1 AND action LIKE 'MONEY_%' ORDER BY id`,
        [alice.user.id],
      );
      expect(rows.map((r) => r.action)).toEqual(['MONEY_DEPOSIT', 'MONEY_WITHDRAWAL', 'MONEY_TRANSFER']);
      expect(rows.slice(1).map((r) => r.tx)).toEqual([w.body.transactionId, t.body.transactionId]);
    });

    it('the transfer audit entry (written inside ledger_transfer) names the movement, the owner and the request', async () => {
      const alice = await fundedAccount(url, db, '10.00');
      const bob = await fundedAccount(url, db, '0');
      const teller = await createUser(db, { roles: ['TELLER'] });
      const t = await api(url, 'POST', '/api/v1/transfers', {
        token: teller.token,
        body: { fromAccountNumber: alice.accountNumber, toAccountNumber: bob.accountNumber, amount: '2.50', description: 'audited' },
        headers: { 'user-agent': 'audit-probe/1.0', 'x-request-id': 'audit-transfer-1' },
      });
      expect(t.status).toBe(201);
      const [entry] = await sql<{ details: Record<string, unknown>; ip: string; user_agent: string; request_id: string }>(
        db,
        `SELECT details, ip, user_agent, request_id FROM audit_log WHERE user_id = $1 AND action = 'MONEY_TRANSFER'`,
        [teller.id],
      );
      expect(entry).toEqual({
        details: {
          transactionId: t.body.transactionId,
          fromAccountNumber: alice.accountNumber,
          toAccountNumber: bob.accountNumber,
          amount: '2.50',
          currency: 'GBP',
          ownerId: alice.user.id,
        },
        ip: '127.0.0.1',
        user_agent: 'audit-probe/1.0',
        request_id: 'audit-transfer-1',
      });
    });
  });

  describe('transfer limits', () => {
    it('answers each level’s limits from config and 404 for an unknown level', async () => {
      const user = await createUser(db);
      const basic = await api(url, 'GET', '/api/v1/transfer-limits/BASIC', { token: user.token });
      expect(basic.body).toEqual({ privilegeLevel: 'BASIC', perTransaction: '100.00', daily: '250.00' });
      const premium = await api(url, 'GET', '/api/v1/transfer-limits/PREMIUM', { token: user.token });
      expect(premium.body).toEqual({ privilegeLevel: 'PREMIUM', perTransaction: '10000.00', daily: '50000.00' });
      for (const level of ['GOLD', 'basic', 'BASIC%20']) {
        const res = await api(url, 'GET', `/api/v1/transfer-limits/${level}`, { token: user.token });
        expect({ level, status: res.status, code: res.body.code }).toEqual({ level, status: 404, code: 'NOT_FOUND' });
      }
    });
  });

  describe('transaction logs', () => {
    it('lists entries newest first with direction, counterparty and balance after, in pages', async () => {
      const alice = await fundedAccount(url, db, '100.00');
      const bob = await fundedAccount(url, db, '0');
      await transfer(url, alice.user, alice.accountNumber, bob.accountNumber, '30.00');
      await api(url, 'POST', '/api/v1/transfers', {
        token: bob.user.token,
        body: { fromAccountNumber: bob.accountNumber, toAccountNumber: alice.accountNumber, amount: '5.50', description: 'back' },
      });
      await withdraw(url, alice.user, alice.accountNumber, '0.50');
      const page1 = await api(url, 'GET', `/api/v1/transaction-logs/${alice.accountNumber}?limit=2`, { token: alice.user.token });
      expect(page1.status).toBe(200);
      expect(page1.body.items).toEqual([
        {
          transactionId: expect.stringMatching(UUID),
          type: 'WITHDRAWAL',
          amount: '0.50',
          direction: 'DEBIT',
          balanceAfter: '75.00',
          counterpartyAccountNumber: null,
          description: 'test withdrawal',
          createdAt: expect.stringMatching(ISO),
        },
        expect.objectContaining({ type: 'TRANSFER', amount: '5.50', direction: 'CREDIT', balanceAfter: '75.50', counterpartyAccountNumber: bob.accountNumber, description: 'back' }),
      ]);
      expect(page1.body.nextCursor).toEqual(expect.any(String));
      const page2 = await api(url, 'GET', `/api/v1/transaction-logs/${alice.accountNumber}?limit=2&cursor=${page1.body.nextCursor}`, {
        token: alice.user.token,
      });
      expect(page2.body.items.map((i: { type: string; direction: string; balanceAfter: string }) => [i.type, i.direction, i.balanceAfter])).toEqual([
        ['TRANSFER', 'DEBIT', '70.00'],
        ['DEPOSIT', 'CREDIT', '100.00'],
      ]);
      expect(page2.body.nextCursor).toBeNull();
      const dflt = await api(url, 'GET', `/api/v1/transaction-logs/${alice.accountNumber}`, { token: alice.user.token });
      expect(dflt.body.items).toHaveLength(4);
    });

    it('refuses a bad limit or cursor with 400', async () => {
      const alice = await fundedAccount(url, db, '1.00');
      for (const q of ['limit=0', 'limit=101', 'limit=abc', 'limit=1.5', 'limit=1e1', 'limit=%205', 'limit=0x10', 'limit=', 'cursor=%2B%2B', `cursor=${Buffer.from('v1:0').toString('base64url')}`, `cursor=${Buffer.from('["0"]').toString('base64url')}`, 'cursor=MTIz', 'foo=bar']) {
        const res = await api(url, 'GET', `/api/v1/transaction-logs/${alice.accountNumber}?${q}`, { token: alice.user.token });
        expect({ q, status: res.status, code: res.body.code }).toEqual({ q, status: 400, code: 'VALIDATION_FAILED' });
      }
    });
  });

  describe('observability and docs', () => {
    it('counts movements in transactions_total{type,status} and amounts in transaction_amount{type}', async () => {
      const alice = await fundedAccount(url, db, '10.00');
      await withdraw(url, alice.user, alice.accountNumber, '99.00');
      const text = (await api<string>(url, 'GET', '/metrics')).body;
      expect(text).toMatch(/transactions_total\{type="deposit",status="success"\} [1-9]\d*/);
      expect(text).toMatch(/transactions_total\{type="withdrawal",status="failed"\} [1-9]\d*/);
      expect(text).toMatch(/transaction_amount_bucket\{le="10",type="deposit"\} [1-9]\d*/);
    });

    it('documents every transactions route in the OpenAPI document', async () => {
      const doc = (await api(url, 'GET', '/api/docs-json')).body;
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          '/api/v1/accounts',
          '/api/v1/accounts/{accountNumber}',
          '/api/v1/deposits',
          '/api/v1/withdrawals',
          '/api/v1/transfers',
          '/api/v1/transfer-limits/{privilegeLevel}',
          '/api/v1/transaction-logs/{accountNumber}',
        ]),
      );
      expect(doc.components.schemas.TransferDto.properties.amount.type).toBe('string');
    });
  });
});
