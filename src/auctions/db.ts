/** What the repositories need from a connection: a transaction's EntityManager or the DataSource. */
import type { EntityManager } from 'typeorm';

export type Db = Pick<EntityManager, 'query'>;

/**
 * Rows of a query. TypeORM's postgres driver answers UPDATE and DELETE with [rows, rowCount]
 * and everything else with rows; this hides the difference.
 */
export async function queryRows<T>(db: Db, text: string, params: unknown[] = []): Promise<T[]> {
  const result: unknown = await db.query(text, params);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}
