/**
 * Migration CLI: `node dist/infra/database/migrate.js run|revert|show`.
 * Uses DATABASE_URL (or the embedded server when unset), like the app.
 */
import 'reflect-metadata';
import { AppConfig } from '../../config/config.service';
import { ConfigError } from '../../config/config.schema';
import { createDataSource } from './data-source';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded-postgres';

async function main(command: string): Promise<number> {
  const config = AppConfig.load();
  let embedded: EmbeddedPostgresHandle | undefined;
  let url = config.DATABASE_URL;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: config.EMBEDDED_PG_DIR });
    url = embedded.url;
  }
  const ds = createDataSource(config, url);
  try {
    await ds.initialize();
    if (command === 'run') {
      const applied = await ds.runMigrations({ transaction: 'each' });
      process.stdout.write(`applied ${applied.length} migration(s)${applied.map((m) => `\n  ${m.name}`).join('')}\n`);
    } else if (command === 'revert') {
      await ds.undoLastMigration({ transaction: 'each' });
      process.stdout.write('reverted the last migration\n');
    } else if (command === 'show') {
      const pending = await ds.showMigrations();
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
