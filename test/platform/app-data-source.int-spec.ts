/**
 * AppDataSource's shortcut for queries outside a transaction (src/infra/database/data-source.ts)
 * against a real PostgreSQL: every answer equals TypeORM's own QueryRunner path, failures are the
 * same QueryFailedError, and no connection is ever leaked or reused broken.
 */
import { QueryFailedError, type DataSource } from 'typeorm';
import { configSchema } from '../../src/config/config.schema';
import { createDataSource } from '../../src/infra/database/data-source';
import { createDatabase, sql, viaRunner } from '../harness';

interface PoolStats {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

let dbUrl: string;
let ds: DataSource;
const pool = () => (ds.driver as unknown as { master: PoolStats }).master;

beforeAll(async () => {
  dbUrl = await createDatabase(undefined, { migrate: false });
  // The defaults, except a pool of 2 so that a leaked connection shows within a few queries.
  ds = createDataSource({ ...configSchema.parse({}), DB_POOL_SIZE: 2 }, dbUrl);
  await ds.initialize();
  await ds.query('CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(12,2))');
});
afterAll(async () => {
  await ds?.destroy();
});

describe('queries outside a transaction', () => {
  beforeEach(async () => {
    await ds.query('TRUNCATE items');
    await ds.query(`INSERT INTO items VALUES (1, 'a', 1.50), (2, 'b', 2.00), (3, 'c', NULL)`);
  });

  it.each([
    ['SELECT', 'SELECT id, name, price FROM items WHERE id <= $1 ORDER BY id', [2]],
    ['SELECT (no rows)', 'SELECT id FROM items WHERE id > $1', [99]],
    ['UPDATE (rows and count)', "UPDATE items SET name = name || 'x' WHERE id >= $1 RETURNING id", [2]],
    ['UPDATE (count only)', "UPDATE items SET name = 'y' WHERE id = $1", [1]],
    ['DELETE', 'DELETE FROM items WHERE id = $1', [3]],
    ['INSERT RETURNING', `INSERT INTO items VALUES ($1, 'd', 4) RETURNING id, name`, [4]],
    ['no parameters', 'SELECT count(*)::int AS n FROM items', undefined],
  ])('%s answers exactly as TypeORM does', async (_name, query, params) => {
    const shortcut = await ds.query(query, params);
    // Undo, then the same statement through TypeORM's runner on the same data.
    await ds.query('TRUNCATE items');
    await ds.query(`INSERT INTO items VALUES (1, 'a', 1.50), (2, 'b', 2.00), (3, 'c', NULL)`);
    const runner = await viaRunner(ds, query, params);
    expect(shortcut).toEqual(runner);
    if (/^(UPDATE|DELETE)/.test(query)) expect(Array.isArray((shortcut as unknown[])[0])).toBe(true); // [rows, rowCount]
  });

  it('a failing statement throws the same QueryFailedError, and its connection goes back to the pool', async () => {
    const query = 'INSERT INTO items VALUES ($1, NULL, 1)';
    const viaShortcut = await ds.query(query, [9]).catch((e: unknown) => e);
    const viaTypeorm = await viaRunner(ds, query, [9]).catch((e: unknown) => e);
    expect(viaShortcut).toBeInstanceOf(QueryFailedError);
    expect(viaShortcut).toMatchObject({ query, parameters: [9], driverError: { code: '23502' } });
    expect((viaShortcut as Error).message).toBe((viaTypeorm as Error).message);
    // Ten failures with a pool of two: a connection not given back would hang the next query.
    for (let i = 0; i < 10; i++) await expect(ds.query(query, [10 + i])).rejects.toBeInstanceOf(QueryFailedError);
    expect(await ds.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(pool().totalCount).toBeLessThanOrEqual(2);
    expect(pool().waitingCount).toBe(0);
  });

  it('many concurrent queries share the two connections and all answer', async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => ds.query<Array<{ n: number }>>('SELECT $1::int AS n', [i])));
    expect(answers.map((rows) => rows[0].n)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(pool().totalCount).toBeLessThanOrEqual(2);
    expect(pool().idleCount).toBe(pool().totalCount);
  });

  it('a connection killed under a query fails that query and is not reused', async () => {
    const pending = ds.query('SELECT pg_sleep(5)').catch((e: unknown) => e);
    let pid: number | undefined;
    for (let i = 0; i < 50 && !pid; i++) {
      const rows = await sql<{ pid: number }>(dbUrl, `SELECT pid FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(5)' AND state = 'active'`);
      pid = rows[0]?.pid;
      if (!pid) await new Promise((r) => setTimeout(r, 50));
    }
    expect(pid).toBeDefined();
    await sql(dbUrl, 'SELECT pg_terminate_backend($1)', [pid]);
    const err = await pending;
    expect(err).toBeInstanceOf(QueryFailedError);
    expect((err as QueryFailedError & { driverError: { code?: string } }).driverError.code).toBe('57P01'); // admin_shutdown
    // Every later query runs on a live connection.
    for (let i = 0; i < 5; i++) expect(await ds.query('SELECT pg_backend_pid() <> $1 AS other', [pid])).toEqual([{ other: true }]);
  });

  it('a query inside a transaction still goes through the transaction (rolled back with it)', async () => {
    await expect(
      ds.transaction(async (em) => {
        await em.query(`INSERT INTO items VALUES (7, 'in-tx', 1)`);
        expect(await em.query('SELECT name FROM items WHERE id = 7')).toEqual([{ name: 'in-tx' }]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await ds.query('SELECT id FROM items WHERE id = 7')).toEqual([]);
  });
});
