/**
 * The harness cleans up after itself: a full run on a nearly full disk once failed with ENOSPC
 * from PostgreSQL because every run kept its test databases and data directories in /tmp.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { createDatabase, processState, sharedPostgresUrl, sleep, sql, startPostgres } from '../harness';
import { dropMadeDatabases, recordDatabase } from '../harness/made-databases';
import IntegrationEnvironment from '../harness/integration-environment';

const exists = async (name: string) =>
  (await sql<{ n: number }>(sharedPostgresUrl(), 'SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [name]))[0].n === 1;

describe('test harness cleanup', () => {
  it("drops a test file's databases at its end, even one a connection still holds", async () => {
    const url = await createDatabase(sharedPostgresUrl(), { migrate: false });
    const name = new URL(url).pathname.slice(1);
    const holder = new Client({ connectionString: url });
    await holder.connect();
    holder.on('error', () => undefined); // FORCE ends it
    try {
      expect(await exists(name)).toBe(true);
      await dropMadeDatabases(globalThis);
      expect(await exists(name)).toBe(false);
    } finally {
      await holder.end().catch(() => undefined);
    }
  });

  it("drops them in the test environment's teardown (which Jest runs after the file's last hook)", async () => {
    const config = { globalConfig: {}, projectConfig: { testEnvironmentOptions: {}, globals: {}, fakeTimers: {} } };
    const env = new IntegrationEnvironment(config as never, { console, docblockPragmas: {}, testPath: __filename });
    const name = new URL(await createDatabase(sharedPostgresUrl(), { migrate: false })).pathname.slice(1);
    recordDatabase(sharedPostgresUrl(), name, env.global); // as createDatabase does inside a file
    expect(await exists(name)).toBe(true);
    await env.teardown();
    expect(await exists(name)).toBe(false);
  });

  it('runs the integration project in the environment that drops them', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const config = require('../../jest.config.js') as { projects: { displayName: string; testEnvironment: string }[] };
    const integration = config.projects.find((p) => p.displayName === 'integration');
    expect(integration?.testEnvironment).toBe('<rootDir>/test/harness/integration-environment.ts');
  });

  it('deletes a PostgreSQL data directory it made when the server is disposed', async () => {
    const pg = await startPostgres();
    expect(existsSync(pg.dataDir)).toBe(true);
    await pg.dispose();
    expect(existsSync(pg.dataDir)).toBe(false);
  });

  it('stops the postmaster too when its wrapper had to be killed, before deleting its data', async () => {
    const pg = await startPostgres();
    const postmaster = Number(readFileSync(join(pg.dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pg.pid, 'SIGKILL'); // what the stop does to a wrapper that ignores SIGTERM
    await sleep(300);
    expect(processState(postmaster)).toMatch(/^[RS]/); // orphaned, still serving
    await pg.dispose();
    // Gone, or a zombie when nothing reaps orphans here (some containers' PID 1 does not).
    expect(processState(postmaster)).toMatch(/^(gone|Z)/);
    expect(existsSync(pg.dataDir)).toBe(false);
  });
});
