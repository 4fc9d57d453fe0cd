/**
 * Named prepared statements (src/infra/database/deadline-client.ts, DB_PREPARED_STATEMENTS) on a
 * real PostgreSQL: a statement with parameters is parsed once per connection and run from then on,
 * on TypeORM's path and on the shortcut alike; answers and errors are those of unnamed statements;
 * a parameter pg cannot serialise does not leave the connection thinking a closed statement is
 * prepared; and with the setting off nothing is prepared (for transaction-mode poolers).
 */
import { QueryFailedError, type DataSource } from 'typeorm';
import { configSchema } from '../../src/config/config.schema';
import { createDataSource } from '../../src/infra/database/data-source';
import { createDatabase, sql, viaRunner } from '../harness';

interface Prepared {
  statement: string;
  runs: number;
}

let dbUrl: string;
const open: DataSource[] = [];

/** A data source with the defaults (prepared statements on) and one connection, so every query shares it. */
async function dataSource(env: Record<string, string> = {}): Promise<DataSource> {
  const ds = createDataSource({ ...configSchema.parse(env), DB_POOL_SIZE: 1 }, dbUrl);
  await ds.initialize();
  open.push(ds);
  return ds;
}

/** The statements prepared on the data source's one connection, and how often each ran. */
async function prepared(ds: DataSource): Promise<Prepared[]> {
  return ds.query(
    `SELECT statement, (generic_plans + custom_plans)::int AS runs FROM pg_prepared_statements WHERE NOT from_sql ORDER BY statement`,
  );
}

beforeAll(async () => {
  dbUrl = await createDatabase(undefined, { migrate: false });
  const ds = await dataSource();
  await ds.query('CREATE TABLE things (id int PRIMARY KEY, name text NOT NULL)');
});
afterAll(async () => {
  for (const ds of open) await ds.destroy();
});
beforeEach(async () => {
  await open[0].query('TRUNCATE things');
});

describe('DB_PREPARED_STATEMENTS (default: on)', () => {
  it('is on by default', () => {
    expect(configSchema.parse({}).DB_PREPARED_STATEMENTS).toBe(true);
  });

  it('prepares a statement with parameters once per connection and runs it from then on, on both paths', async () => {
    const ds = await dataSource();
    const select = 'SELECT id, name FROM things WHERE id = $1';
    await ds.query('INSERT INTO things VALUES ($1, $2)', [1, 'one']);
    for (let i = 0; i < 4; i++) expect(await ds.query(select, [1])).toEqual([{ id: 1, name: 'one' }]);
    for (let i = 0; i < 3; i++) expect(await viaRunner(ds, select, [1])).toEqual([{ id: 1, name: 'one' }]);
    await ds.transaction(async (em) => {
      expect(await em.query(select, [1])).toEqual([{ id: 1, name: 'one' }]);
    });
    // One prepared statement per text, run 8 times; statements without parameters (TRUNCATE,
    // BEGIN, COMMIT, this query itself) stay on the simple protocol and are not prepared.
    expect(await prepared(ds)).toEqual([
      { statement: 'INSERT INTO things VALUES ($1, $2)', runs: 1 },
      { statement: select, runs: 8 },
    ]);
  });

  it('answers and fails exactly as an unnamed statement does', async () => {
    const named = await dataSource();
    const unnamed = await dataSource({ DB_PREPARED_STATEMENTS: 'false' });
    await named.query('INSERT INTO things VALUES ($1, $2), ($3, $4)', [1, 'one', 2, 'two']);
    const cases: Array<[string, unknown[]]> = [
      ['SELECT id, name FROM things WHERE id >= $1 ORDER BY id', [1]],
      ['SELECT $1::numeric(12,2) AS amount, $2::timestamptz AS at, $3::text[] AS tags', ['1.50', '2026-12-02T00:00:00Z', ['a', 'b']]],
      ["UPDATE things SET name = name || 'x' WHERE id = $1 RETURNING name", [1]],
    ];
    for (const [query, params] of cases) {
      // Twice each: the second run is the one that skips parsing.
      for (let i = 0; i < 2; i++) {
        const a = await named.query(query, params);
        const b = await unnamed.query(query, params);
        if (query.startsWith('UPDATE')) expect((a as [unknown[], number])[1]).toBe((b as [unknown[], number])[1]);
        else expect(a).toEqual(b);
      }
    }
    const duplicate = 'INSERT INTO things VALUES ($1, $2)';
    const errA = await named.query(duplicate, [1, 'again']).catch((e: unknown) => e);
    const errB = await unnamed.query(duplicate, [1, 'again']).catch((e: unknown) => e);
    expect(errA).toBeInstanceOf(QueryFailedError);
    expect((errA as Error).message).toBe((errB as Error).message);
    expect((errA as QueryFailedError & { driverError: { code: string } }).driverError.code).toBe('23505');
    // The failed run left the statement prepared and usable.
    expect(await named.query(duplicate, [3, 'three'])).toEqual([]);
    expect(await prepared(unnamed)).toEqual([]);
  });

  it('a statement the server cannot parse fails the same way every time, and the connection goes on', async () => {
    const ds = await dataSource();
    const broken = 'SELECT id FROM no_such_table WHERE id = $1';
    for (let i = 0; i < 2; i++) {
      const err = await ds.query(broken, [1]).catch((e: unknown) => e);
      expect((err as QueryFailedError & { driverError: { code: string } }).driverError.code).toBe('42P01'); // not "already exists"
    }
    expect(await ds.query('SELECT $1::int AS n', [5])).toEqual([{ n: 5 }]);
  });

  it('a parameter pg cannot serialise fails that call only: the statement is parsed again on its next use', async () => {
    const ds = await dataSource();
    const insert = 'INSERT INTO things VALUES ($1, $2) RETURNING id';
    const unserialisable = {
      toPostgres() {
        throw new Error('cannot serialise');
      },
    };
    // First use of the text (Parse and Close in flight together), then an already prepared one.
    await expect(ds.query(insert, [1, unserialisable])).rejects.toThrow('cannot serialise');
    expect(await ds.query(insert, [1, 'one'])).toEqual([{ id: 1 }]);
    await expect(ds.query(insert, [2, unserialisable])).rejects.toThrow('cannot serialise');
    expect(await ds.query(insert, [2, 'two'])).toEqual([{ id: 2 }]);
    await ds.transaction(async (em) => {
      await expect(em.query(insert, [3, unserialisable])).rejects.toThrow('cannot serialise');
    });
    expect(await ds.query(insert, [3, 'three'])).toEqual([{ id: 3 }]);
  });

  it('a statement the server no longer knows (a pooler reset it) fails one call and is prepared again', async () => {
    const ds = await dataSource();
    const select = 'SELECT name FROM things WHERE id = $1';
    await ds.query('INSERT INTO things VALUES (1, $1)', ['one']);
    expect(await ds.query(select, [1])).toEqual([{ name: 'one' }]);
    await ds.query('DEALLOCATE ALL');
    const err = await ds.query(select, [1]).catch((e: unknown) => e);
    expect((err as QueryFailedError & { driverError: { code: string } }).driverError.code).toBe('26000');
    expect(await ds.query(select, [1])).toEqual([{ name: 'one' }]);
    expect(await ds.query(select, [1])).toEqual([{ name: 'one' }]);
  });

  it('a migration that changes a statement’s result columns under a running replica costs no query outside a transaction', async () => {
    const ds = await dataSource();
    await ds.query('CREATE TABLE widgets (id int PRIMARY KEY, qty int NOT NULL)');
    await ds.query('INSERT INTO widgets VALUES ($1, $2)', [1, 5]);
    const select = 'SELECT qty FROM widgets WHERE id = $1';
    const selectAll = 'SELECT * FROM widgets WHERE id = $1';
    for (let i = 0; i < 3; i++) {
      expect(await ds.query(select, [1])).toEqual([{ qty: 5 }]);
      expect(await ds.query(selectAll, [1])).toEqual([{ id: 1, qty: 5 }]);
    }
    // From another connection, as a migration Job would: a type change, and a new column.
    await sql(dbUrl, 'ALTER TABLE widgets ALTER COLUMN qty TYPE bigint');
    await sql(dbUrl, "ALTER TABLE widgets ADD COLUMN label text NOT NULL DEFAULT 'w'");
    expect(await ds.query(select, [1])).toEqual([{ qty: '5' }]); // bigint arrives as a string
    expect(await ds.query(selectAll, [1])).toEqual([{ id: 1, qty: '5', label: 'w' }]);
    // Inside a transaction the stale statement fails once (the transaction cannot go on), and the
    // next use prepares it afresh.
    await sql(dbUrl, 'ALTER TABLE widgets ALTER COLUMN qty TYPE numeric(12,2)');
    const failed = await ds.transaction((em) => em.query(select, [1])).catch((e: unknown) => e);
    expect((failed as QueryFailedError & { driverError: { code: string } }).driverError.code).toBe('0A000');
    expect(await ds.transaction((em) => em.query(select, [1]))).toEqual([{ qty: '5.00' }]);
    expect(await ds.query(select, [1])).toEqual([{ qty: '5.00' }]);
  });

  it('with DB_PREPARED_STATEMENTS=false nothing is prepared', async () => {
    const ds = await dataSource({ DB_PREPARED_STATEMENTS: 'false' });
    await ds.query('INSERT INTO things VALUES ($1, $2)', [1, 'one']);
    for (let i = 0; i < 3; i++) expect(await ds.query('SELECT name FROM things WHERE id = $1', [1])).toEqual([{ name: 'one' }]);
    await ds.transaction((em) => em.query('SELECT name FROM things WHERE id = $1', [1]));
    expect(await prepared(ds)).toEqual([]);
  });
});
