/**
 * Builds the TypeORM DataSource from configuration. Migrations only, never `synchronize`.
 * Also the default export used by the TypeORM CLI (`npm run migration:generate`).
 */
import { join } from 'node:path';
import { DataSource, QueryFailedError, type QueryRunner } from 'typeorm';
import type { PoolClient, QueryResult } from 'pg';
import type { Config } from '../../config/config.schema';
import { isConnectionFault } from './db-errors';
import { DeadlineClient, isStalePlan, queryDeadlineMs } from './deadline-client';

type Release = (err?: Error) => void;
interface PooledDriver {
  /** TypeORM's pool checkout; database.module.ts routes it through the `database` breaker. */
  obtainMasterConnection(): Promise<[PoolClient, Release]>;
}

/**
 * TypeORM's DataSource with one shortcut: a query outside a transaction (`dataSource.query()`,
 * `dataSource.manager.query()`: every single-statement read) checks a pooled connection out,
 * runs the statement and returns the connection, with no QueryRunner. TypeORM's path builds a
 * QueryRunner per statement, broadcasts BeforeQuery/AfterQuery to subscribers (there are none)
 * and awaits four more times: 11 of the 95 promises of an authenticated account read
 * (docs/operations.md "Performance notes"). What callers see is TypeORM's: the same checkout
 * (through the breaker), the same results (rows; `[rows, rowCount]` for UPDATE and DELETE), the
 * same QueryFailedError for a failed statement, and a connection that fails while checked out
 * is handed back as broken — also when only the statement's error says so (TypeORM hands such
 * a connection back as healthy, and the next query on it fails). Transactions, subscribers, query logging and slow-query logging take
 * TypeORM's own path.
 */
export class AppDataSource extends DataSource {
  override async query<T = unknown>(query: string, parameters?: unknown[], queryRunner?: QueryRunner): Promise<T> {
    if (queryRunner || this.subscribers.length > 0 || this.options.logging || this.options.maxQueryExecutionTime) {
      return super.query<T>(query, parameters, queryRunner);
    }
    const [client, release] = await (this.driver as unknown as PooledDriver).obtainMasterConnection();
    let released = false;
    const giveBack = (err?: Error) => {
      if (released) return;
      released = true;
      client.removeListener('error', giveBack);
      release(err);
    };
    client.on('error', giveBack); // as TypeORM's runner: a connection that fails is not reused
    try {
      let raw: QueryResult;
      try {
        raw = await client.query(query, parameters);
      } catch (err) {
        // A prepared statement a migration made stale fails before it runs: run it once more,
        // prepared afresh (deadline-client.ts). Outside a transaction nothing was done yet.
        if (!isStalePlan(err)) throw err;
        raw = await client.query(query, parameters);
      }
      return (raw.command === 'UPDATE' || raw.command === 'DELETE' ? [raw.rows, raw.rowCount] : raw.rows) as T;
    } catch (err) {
      // A statement that failed because its connection died (the server ended the session, the
      // socket closed) hands the connection back as broken even when the socket has not said so
      // yet: handed back as healthy, the next query would take it and fail too (seen on Node 24).
      if (isConnectionFault(err)) giveBack(err as Error);
      throw new QueryFailedError(query, parameters, err as Error);
    } finally {
      giveBack();
    }
  }
}

export function createDataSource(config: Config, url: string): DataSource {
  return new AppDataSource({
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun: false,
    logging: false,
    entities: [join(__dirname, '..', '..', '**', '*.entity.js')],
    migrations: [join(__dirname, '..', '..', 'migrations', '*.js')],
    migrationsTableName: 'schema_migrations',
    poolSize: config.DB_POOL_SIZE,
    connectTimeoutMS: config.DB_CONNECT_TIMEOUT_MS,
    applicationName: 'bulwark',
    extra: {
      max: config.DB_POOL_SIZE,
      connectionTimeoutMillis: config.DB_CONNECT_TIMEOUT_MS,
      idleTimeoutMillis: 30_000,
      statement_timeout: config.DB_STATEMENT_TIMEOUT_MS || undefined,
      // A query the server never answers (partition, frozen server) ends its connection here.
      Client: DeadlineClient,
      preparedStatements: config.DB_PREPARED_STATEMENTS,
      query_timeout: queryDeadlineMs(config.DB_STATEMENT_TIMEOUT_MS),
      idle_in_transaction_session_timeout: 60_000,
      keepAlive: true,
    },
  });
}
