/**
 * Runs a use case in ONE database transaction on ONE connection, with the isolation level in
 * the BEGIN itself, the QueryRunner always released, and serialization failures / deadlocks
 * (40001, 40P01) retried a bounded number of times with jittered backoff.
 */
import type { DataSource, EntityManager } from 'typeorm';

export type IsolationLevel = 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';

const RETRYABLE = new Set(['40001', '40P01']);

export function isRetryableTxError(err: unknown): boolean {
  const code =
    (err as { code?: string; driverError?: { code?: string } })?.driverError?.code ?? (err as { code?: string })?.code;
  return typeof code === 'string' && RETRYABLE.has(code);
}

export async function runInTransaction<T>(
  ds: DataSource,
  work: (tx: EntityManager) => Promise<T>,
  opts: { isolation?: IsolationLevel; retries?: number } = {},
): Promise<T> {
  const isolation = opts.isolation ?? 'READ COMMITTED';
  return withRetries(opts.retries ?? 5, async () => {
    const runner = ds.createQueryRunner();
    try {
      await runner.connect();
      await runner.query(`BEGIN ISOLATION LEVEL ${isolation}`);
      try {
        const result = await work(runner.manager);
        await runner.query('COMMIT');
        return result;
      } catch (err) {
        await runner.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      await runner.release();
    }
  });
}

/**
 * Runs a use case that is ONE statement, atomic on its own (e.g. one call of a database
 * function), in autocommit: no BEGIN/COMMIT round trips, locks released the moment it ends.
 * Same retry rule as runInTransaction. A `work` that issued two statements would NOT be atomic.
 */
export function runSingleStatement<T>(ds: DataSource, work: (em: EntityManager) => Promise<T>, opts: { retries?: number } = {}): Promise<T> {
  return withRetries(opts.retries ?? 5, () => work(ds.manager));
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
