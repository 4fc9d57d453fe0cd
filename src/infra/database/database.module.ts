/**
 * The one DataSource of the app. Without DATABASE_URL it first starts the embedded PostgreSQL
 * and applies pending migrations (single-instance mode). A database that cannot be reached yet is
 * waited for, up to DB_STARTUP_WAIT_MS (startup-wait.ts). Closers are registered in opening order,
 * so shutdown destroys the pool before stopping the embedded server.
 */
import { Global, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { AppConfig } from '../../config/config.service';
import { LOGGER } from '../logging/logging.module';
import { ShutdownService } from '../lifecycle/shutdown.service';
import { createDataSource } from './data-source';
import { startEmbeddedPostgres } from './embedded-postgres';
import { DatabaseState } from './database.state';
import { MetricsService } from '../../metrics/metrics.service';
import { BreakerFactory } from '../resilience/breaker.factory';
import { releaseFailedStart, whenDatabaseReachable } from './startup-wait';

/**
 * Every pool checkout goes through the `database` circuit breaker: while PostgreSQL is down,
 * requests fail fast (503) instead of each waiting DB_CONNECT_TIMEOUT_MS, and after
 * `resetTimeout` one trial checkout decides whether to close it again. Only acquiring a
 * connection is guarded, so a failing query (constraint, bug) never opens it.
 */
function guardConnectionsWithBreaker(ds: DataSource, breakers: BreakerFactory, config: AppConfig): void {
  const driver = ds.driver as unknown as { obtainMasterConnection: () => Promise<unknown> };
  const obtain = driver.obtainMasterConnection.bind(driver);
  const breaker = breakers.createBreaker('database', () => obtain(), {
    timeout: false, // pg's own connectionTimeoutMillis bounds the wait
    volumeThreshold: 3,
    errorThresholdPercentage: 50,
    resetTimeout: Math.min(5_000, config.get('DB_CONNECT_TIMEOUT_MS')),
  });
  driver.obtainMasterConnection = () => breaker.fire();
}

interface PgPoolStats {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/** db_pool_connections / db_pool_idle / db_pool_waiting, read from the pg pool at scrape time. */
function registerPoolGauges(ds: DataSource, metrics: MetricsService): void {
  const pool = () => (ds.driver as unknown as { master?: PgPoolStats }).master;
  metrics.gauge('db_pool_connections', 'Connections open in the database pool', [], function () {
    this.set(pool()?.totalCount ?? 0);
  });
  metrics.gauge('db_pool_idle', 'Idle connections in the database pool', [], function () {
    this.set(pool()?.idleCount ?? 0);
  });
  metrics.gauge('db_pool_waiting', 'Queries waiting for a database connection', [], function () {
    this.set(pool()?.waitingCount ?? 0);
  });
}

async function openDatabase(
  config: AppConfig,
  logger: Logger,
  shutdown: ShutdownService,
  state: DatabaseState,
  metrics: MetricsService,
  breakers: BreakerFactory,
): Promise<DataSource> {
  let url = config.get('DATABASE_URL');
  let embedded = false;
  if (!url) {
    const started = Date.now();
    const pg = await startEmbeddedPostgres({ dataDir: config.get('EMBEDDED_PG_DIR'), logger });
    shutdown.onShutdown({ name: 'embedded-postgres', close: () => pg.stop(), timeoutMs: 10_000 });
    logger.info({ port: pg.port, ms: Date.now() - started }, 'embedded PostgreSQL started');
    url = pg.url;
    embedded = true;
  }
  const ds = createDataSource(config.values, url);
  const migrateSetting = config.get('DB_MIGRATE_ON_START');
  // Everything that needs the database before the app can serve, retried as one while the
  // database cannot be reached (startup-wait.ts). Migrations run one transaction each, so a
  // retry after a lost connection applies only those not recorded yet.
  state.migrationsPending = await whenDatabaseReachable(
    async () => {
      await ds.initialize();
      if (migrateSetting === 'true' || (migrateSetting === 'auto' && embedded)) {
        const applied = await ds.runMigrations({ transaction: 'each' });
        if (applied.length > 0) logger.info({ migrations: applied.map((m) => m.name) }, 'migrations applied');
      }
      return ds.showMigrations();
    },
    { waitMs: config.get('DB_STARTUP_WAIT_MS'), logger, cleanup: () => releaseFailedStart(ds) },
  );
  shutdown.onShutdown({ name: 'database-pool', close: () => ds.destroy() });
  registerPoolGauges(ds, metrics);
  guardConnectionsWithBreaker(ds, breakers, config);
  if (state.migrationsPending) {
    logger.warn('database has pending migrations: run `npm run migration:run`');
    state.watch(
      () => ds.showMigrations(),
      () => logger.info('migrations applied: the startup probe passes'),
    );
  }
  return ds;
}

@Global()
@Module({
  providers: [
    DatabaseState,
    {
      provide: DataSource,
      useFactory: openDatabase,
      inject: [AppConfig, LOGGER, ShutdownService, DatabaseState, MetricsService, BreakerFactory],
    },
  ],
  exports: [DataSource, DatabaseState],
})
export class DatabaseModule {}
