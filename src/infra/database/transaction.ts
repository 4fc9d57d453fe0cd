/**
 * Runs a use case in ONE database transaction on ONE connection, with the isolation level in
 * the BEGIN itself, the QueryRunner always released, and serialization failures / deadlocks
 * (40001, 40P01) retried a bounded number of times with jittered backoff.
 *
 * Connection faults are told apart by where they happen:
 * - at BEGIN (a pooled connection that died while idle, e.g. across a PostgreSQL restart):
 *   nothing of the use case reached the server, so it is retried at once on a fresh connection;
 * - inside the use case: PostgreSQL rolls back a transaction whose connection died, so the
 *   fault is rethrown as it is (503, nothing changed);
 * - at COMMIT: the outcome is unknown (CommitOutcomeUnknownError, 503); an Idempotency-Key retry
 *   then replays or applies it, never both.
 */
import type { DataSource, EntityManager } from 'typeorm';
import { CommitOutcomeUnknownError, databaseFault, isConnectionFault } from './db-errors';

export type IsolationLevel = 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';

const RETRYABLE = new Set(['40001', '40P01']);
/** Fresh connections tried after a dead one at BEGIN: a restart can leave several dead in the pool. */
const FRESH_CONNECTION_RETRIES = 2;

export function isRetryableTxError(err: unknown): boolean {
  const code =
    (err as { code?: string; driverError?: { code?: string } })?.driverError?.code ?? (err as { code?: string })?.code;
  return typeof code === 'string' && RETRYABLE.has(code);
}

/** Thrown by one attempt when its connection was found dead at BEGIN (retried on a fresh one). */
class DeadAtBegin extends Error {
  constructor(override readonly cause: unknown) {
    super('connection found dead at BEGIN');
  }
}

export async function runInTransaction<T>(
  ds: DataSource,
  work: (tx: EntityManager) => Promise<T>,
  opts: { isolation?: IsolationLevel; retries?: number } = {},
): Promise<T> {
  const isolation = opts.isolation ?? 'READ COMMITTED';
  return withRetries(opts.retries ?? 5, async () => {
    for (let fresh = 0; ; fresh++) {
      try {
        return await transactionOnce(ds, work, isolation);
      } catch (err) {
        if (!(err instanceof DeadAtBegin)) throw err;
        if (fresh >= FRESH_CONNECTION_RETRIES) throw err.cause;
      }
    }
  });
}

async function transactionOnce<T>(ds: DataSource, work: (tx: EntityManager) => Promise<T>, isolation: IsolationLevel): Promise<T> {
  const runner = ds.createQueryRunner();
  try {
    await runner.connect();
    try {
      await runner.query(`BEGIN ISOLATION LEVEL ${isolation}`);
    } catch (err) {
      // Only a connection that died is worth another one; a timeout would just wait again.
      if (databaseFault(err) === 'lost') throw new DeadAtBegin(err);
      throw err;
    }
    let result: T;
    try {
      result = await work(runner.manager);
    } catch (err) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
    try {
      await runner.query('COMMIT');
    } catch (err) {
      await runner.query('ROLLBACK').catch(() => undefined);
      // A runner released before COMMIT was sent means COMMIT never left: rolled back for sure.
      const name = (err as { name?: string })?.name;
      const neverSent = name === 'QueryRunnerAlreadyReleasedError' || name === 'QueryRunnerProviderAlreadyReleasedError';
      throw isConnectionFault(err) && !neverSent ? new CommitOutcomeUnknownError(err) : err;
    }
    return result;
  } finally {
    await runner.release();
  }
}

/**
 * Runs a use case that is ONE statement, atomic on its own (e.g. one call of a database
 * function), in autocommit: no BEGIN/COMMIT round trips, locks released the moment it ends.
 * Same retry rule as runInTransaction. A `work` that issued two statements would NOT be atomic.
 * A connection fault during the statement leaves its outcome unknown (it commits by itself).
 */
export function runSingleStatement<T>(ds: DataSource, work: (em: EntityManager) => Promise<T>, opts: { retries?: number } = {}): Promise<T> {
  return withRetries(opts.retries ?? 5, async () => {
    try {
      return await work(ds.manager);
    } catch (err) {
      throw isConnectionFault(err) ? new CommitOutcomeUnknownError(err) : err;
    }
  });
}

async function withRetries<T>(retries: number, once: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await once();
    } catch (err) {
      if (attempt >= retries || !isRetryableTxError(err)) throw err;
      const backoff = Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random());
      await new Promise((r) => setTimeout(r, backoff));
    }
  }
}
