/**
 * Migration CLI: `node dist/infra/database/migrate.js run|revert|show`.
 * Uses DATABASE_URL (or the embedded server when unset), like the app, and like the app waits up
 * to DB_STARTUP_WAIT_MS for a database it cannot reach (startup-wait.ts): the chart's migration
 * Job is retried only once (`backoffLimit: 1`), so a failover during `helm upgrade` must not fail
 * the release. `run` and `show` are retried whole (each migration is its own transaction, so a
 * retry applies only those not recorded yet); `revert` waits only to connect, because repeating
 * a revert whose COMMIT was lost could undo a second migration.
 */
import 'reflect-metadata';
import { AppConfig } from '../../config/config.service';
import { ConfigError } from '../../config/config.schema';
import { createLogger } from '../logging/logger';
import { createDataSource } from './data-source';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded-postgres';
import { releaseFailedStart, whenDatabaseReachable } from './startup-wait';

async function main(command: string): Promise<number> {
  const config = AppConfig.load();
  let embedded: EmbeddedPostgresHandle | undefined;
  let url = config.DATABASE_URL;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: config.EMBEDDED_PG_DIR });
    url = embedded.url;
  }
  const ds = createDataSource(config, url);
  const wait = { waitMs: config.DB_STARTUP_WAIT_MS, logger: createLogger(config.LOG_LEVEL), cleanup: () => releaseFailedStart(ds) };
  const waitFor = <T>(attempt: () => Promise<T>) => whenDatabaseReachable(attempt, wait);
  try {
    if (command === 'run') {
      const applied = await waitFor(async () => {
        await ds.initialize();
        return ds.runMigrations({ transaction: 'each' });
      });
      process.stdout.write(`applied ${applied.length} migration(s)${applied.map((m) => `\n  ${m.name}`).join('')}\n`);
    } else if (command === 'revert') {
      await waitFor(() => ds.initialize());
      await ds.undoLastMigration({ transaction: 'each' });
      process.stdout.write('reverted the last migration\n');
    } else if (command === 'show') {
      const pending = await waitFor(async () => {
        await ds.initialize();
        return ds.showMigrations();
      });
      process.stdout.write(pending ? 'pending migrations exist\n' : 'schema is up to date\n');
      return pending ? 3 : 0;
    } else {
      process.stderr.write('usage: migrate.js run|revert|show\n');
      return 2;
    }
    return 0;
  } finally {
    await ds.destroy().catch(() => undefined);
    await embedded?.stop();
  }
}

main(process.argv[2] ?? 'run').then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof ConfigError ? err.message : `migration failed: ${String(err)}`}\n`);
    process.exit(1);
  },
);
