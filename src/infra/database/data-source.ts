/**
 * Builds the TypeORM DataSource from configuration. Migrations only, never `synchronize`.
 * Also the default export used by the TypeORM CLI (`npm run migration:generate`).
 */
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import type { Config } from '../../config/config.schema';
import { DeadlineClient, queryDeadlineMs } from './deadline-client';

export function createDataSource(config: Config, url: string): DataSource {
  return new DataSource({
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
      query_timeout: queryDeadlineMs(config.DB_STATEMENT_TIMEOUT_MS),
      idle_in_transaction_session_timeout: 60_000,
      keepAlive: true,
    },
  });
}
