/**
 * Migration 1764000004000 (ledger_transfer + transfer_allowance_usage) on a database that already
 * holds transfers: reverting it and applying it again rebuilds the usage rows of the last 24 hours
 * from the postings, so the daily limit keeps counting what was sent before the upgrade.
 */
import { createDatabase, createUser, migrate, sql, startApp, type AppProcess } from '../harness';
import { fundedAccount, transfer } from './ledger-fixtures';

interface UsageRow {
  owner_id: string;
  currency: string;
  amount: string;
  sent_total: string;
}

const USAGE = `SELECT owner_id, currency, amount::text, sent_total::text FROM transfer_allowance_usage ORDER BY owner_id, sent_at, id`;

describe('transfer usage migration', () => {
  let app: AppProcess | undefined;
  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  it('revert + run rebuilds the owners’ rolling usage from their transfers of the last 24 hours', async () => {
    const db = await createDatabase();
    app = await startApp({ databaseUrl: db, env: { ENABLE_RATE_LIMITING: 'false', TRANSFER_LIMITS_BASIC: '100.00/250.00' } });
    const alice = await fundedAccount(app.baseUrl, db, '500.00', { level: 'BASIC' });
    const teller = await createUser(db, { roles: ['TELLER'] });
    const bob = await fundedAccount(app.baseUrl, db, '300.00');
    expect((await transfer(app.baseUrl, alice.user, alice.accountNumber, bob.accountNumber, '90.00')).status).toBe(201);
    expect((await transfer(app.baseUrl, bob.user, bob.accountNumber, alice.accountNumber, '12.34')).status).toBe(201);
    expect((await transfer(app.baseUrl, teller, alice.accountNumber, bob.accountNumber, '80.00')).status).toBe(201);
    expect((await transfer(app.baseUrl, bob.user, bob.accountNumber, alice.accountNumber, '0.66')).status).toBe(201);
    await app.stop();
    app = undefined;

    const before = await sql<UsageRow>(db, USAGE);
    // alice: 90.00 then 80.00 (sent by a teller, still alice's allowance); bob: 12.34 then 0.66.
    expect(before.map((r) => [r.amount, r.sent_total]).sort()).toEqual([['1234', '1234'], ['66', '1300'], ['8000', '17000'], ['9000', '9000']]);
    migrate(db, 'revert'); // RetentionIndexes (1764000005000), applied after it
    migrate(db, 'revert'); // TransferFunction (1764000004000)
    expect(await sql(db, `SELECT to_regclass('transfer_allowance_usage') AS t, to_regproc('ledger_transfer') AS f`)).toEqual([{ t: null, f: null }]);
    migrate(db, 'run');
    expect(await sql<UsageRow>(db, USAGE)).toEqual(before);

    // The rebuilt rows are what the limit counts: alice has 80.00 of 250.00 left today.
    app = await startApp({ databaseUrl: db, env: { ENABLE_RATE_LIMITING: 'false', TRANSFER_LIMITS_BASIC: '100.00/250.00' } });
    const over = await transfer(app.baseUrl, alice.user, alice.accountNumber, bob.accountNumber, '80.01');
    expect([over.status, over.body.detail]).toEqual([422, 'Transfers are limited to 250.00 per 24 hours for BASIC accounts; 80.00 remains']);
    expect((await transfer(app.baseUrl, alice.user, alice.accountNumber, bob.accountNumber, '80.00')).status).toBe(201);
  });
});
