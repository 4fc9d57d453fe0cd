import type { DataSource } from 'typeorm';
import { CommitOutcomeUnknownError } from './db-errors';
import { runInTransaction, runSingleStatement } from './transaction';

const reset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
const released = () =>
  Object.assign(new Error('Query runner already released. Cannot run queries anymore.'), {
    name: 'QueryRunnerAlreadyReleasedError',
  });

/** A fake DataSource whose runners fail the statements `fail` names (pure logic: no database). */
function fakeDataSource(fail: (sql: string, runner: number) => Error | undefined) {
  const log: string[] = [];
  let runners = 0;
  let releasedCount = 0;
  const ds = {
    manager: {
      query: async (sql: string) => {
        const err = fail(sql, 0);
        if (err) throw err;
        return [sql];
      },
    },
    createQueryRunner() {
      const id = ++runners;
      const query = async (sql: string) => {
        log.push(`${id}:${sql}`);
        const err = fail(sql, id);
        if (err) throw err;
        return [];
      };
      return {
        manager: { query },
        query,
        connect: async () => undefined,
        release: async () => void releasedCount++,
      };
    },
  };
  return { ds: ds as unknown as DataSource, log, runners: () => runners, released: () => releasedCount };
}

const work = async (tx: { query(sql: string): Promise<unknown> }) => {
  await tx.query('INSERT work');
  return 'done';
};

describe('runInTransaction under connection faults', () => {
  it('a connection dead at BEGIN is replaced by a fresh one; the work runs once', async () => {
    const f = fakeDataSource((sql, r) => (sql.startsWith('BEGIN') && r === 1 ? reset() : undefined));
    await expect(runInTransaction(f.ds, work)).resolves.toBe('done');
    expect(f.log.filter((l) => l.endsWith('INSERT work'))).toEqual(['2:INSERT work']);
    expect(f.released()).toBe(2);
  });

  it('a runner released by its dead connection before BEGIN is replaced too', async () => {
    const f = fakeDataSource((sql, r) => (sql.startsWith('BEGIN') && r === 1 ? released() : undefined));
    await expect(runInTransaction(f.ds, work)).resolves.toBe('done');
  });

  it('gives up after three dead connections with the connection error', async () => {
    const f = fakeDataSource((sql) => (sql.startsWith('BEGIN') ? reset() : undefined));
    await expect(runInTransaction(f.ds, work)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(f.runners()).toBe(3);
  });

  it('does not retry a BEGIN that timed out (the server is silent: another wait would not help)', async () => {
    const f = fakeDataSource((sql) => (sql.startsWith('BEGIN') ? new Error('Query read timeout') : undefined));
    await expect(runInTransaction(f.ds, work)).rejects.toThrow('Query read timeout');
    expect(f.runners()).toBe(1);
  });

  it('a connection lost inside the work is rethrown as it is (rolled back), not retried', async () => {
    const f = fakeDataSource((sql) => (sql === 'INSERT work' ? released() : undefined));
    await expect(runInTransaction(f.ds, work)).rejects.toMatchObject({ name: 'QueryRunnerAlreadyReleasedError' });
    expect(f.runners()).toBe(1);
  });

  it('a connection lost at COMMIT leaves the outcome unknown', async () => {
    const f = fakeDataSource((sql) => (sql === 'COMMIT' ? reset() : undefined));
    await expect(runInTransaction(f.ds, work)).rejects.toBeInstanceOf(CommitOutcomeUnknownError);
    expect(f.runners()).toBe(1);
  });

  it('a runner released before COMMIT was sent is not "unknown": COMMIT never left', async () => {
    const f = fakeDataSource((sql) => (sql === 'COMMIT' ? released() : undefined));
    await expect(runInTransaction(f.ds, work)).rejects.toMatchObject({ name: 'QueryRunnerAlreadyReleasedError' });
  });

  it('an autocommit statement whose connection died leaves the outcome unknown', async () => {
    const f = fakeDataSource((sql) => (sql === 'INSERT work' ? reset() : undefined));
    await expect(runSingleStatement(f.ds, work)).rejects.toBeInstanceOf(CommitOutcomeUnknownError);
  });
});
