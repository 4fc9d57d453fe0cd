/**
 * scripts/backup.sh and scripts/restore.sh round trip: a populated database is dumped, restored
 * into a fresh database, and every table matches row for row (counts and content checksums).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { api, createDatabase, createUser, ROOT, sharedPostgresUrl, startApp } from '../harness';
import { populateLedger } from './populate';

function run(script: string, args: string[], env: Record<string, string>) {
  const res = spawnSync('bash', [join(ROOT, 'scripts', script), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (res.status !== 0) throw new Error(`${script} failed (${res.status}): ${res.stderr}${res.stdout}`);
  return res.stdout;
}

/** Row count and an order-independent content checksum of every table in the public schema. */
async function fingerprint(databaseUrl: string): Promise<Record<string, { rows: number; md5: string }>> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const tables = (await client.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows;
    const out: Record<string, { rows: number; md5: string }> = {};
    for (const { t } of tables) {
      const [r] = (
        await client.query<{ rows: string; md5: string | null }>(
          `SELECT count(*) AS rows, md5(string_agg(x::text, '|' ORDER BY x::text)) AS md5 FROM "${t}" x`,
        )
      ).rows;
      out[t] = { rows: Number(r.rows), md5: r.md5 ?? '' };
    }
    return out;
  } finally {
    await client.end();
  }
}

describe('backup and restore', () => {
  const dirs: string[] = [];
  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('restores a populated database into a fresh one with identical tables', async () => {
    const source = await createDatabase();
    const app = await startApp({ databaseUrl: source, env: { ENABLE_RATE_LIMITING: 'false' } });
    try {
      const admin = await createUser(source, { roles: ['ADMIN', 'TELLER'] });
      for (let i = 0; i < 5; i++) await createUser(source);
      await populateLedger(app.baseUrl, admin.token);
      const check = await api(app.baseUrl, 'GET', '/health/ready');
      expect(check.status).toBe(200);
    } finally {
      await app.stop();
    }
    const before = await fingerprint(source);
    expect(before.users.rows).toBe(6);
    expect(before.schema_migrations.rows).toBeGreaterThan(0);

    const dir = tempDir('bulwark-backup-');
    const out = run('backup.sh', [dir], { DATABASE_URL: source });
    expect(out).toMatch(/backup written: .*bulwark-\d{8}T\d{6}Z\.dump/);
    const dumps = readdirSync(dir).filter((f) => f.endsWith('.dump'));
    expect(dumps).toHaveLength(1);

    const target = await createDatabase(sharedPostgresUrl(), { migrate: false });
    run('restore.sh', [join(dir, dumps[0])], { DATABASE_URL: target });
    expect(await fingerprint(target)).toEqual(before);

    // The restored database is a working Bulwark database.
    const restoredApp = await startApp({ databaseUrl: target });
    try {
      expect((await api(restoredApp.baseUrl, 'GET', '/health/startup')).status).toBe(200);
    } finally {
      await restoredApp.stop();
    }
  });

  it('keeps only the newest BACKUP_KEEP dumps', async () => {
    const source = await createDatabase();
    const dir = tempDir('bulwark-retention-');
    for (let i = 0; i < 3; i++) {
      const old = join(dir, `bulwark-2020010${i + 1}T000000Z.dump`);
      writeFileSync(old, 'old');
      utimesSync(old, new Date(2020, 0, i + 1), new Date(2020, 0, i + 1));
    }
    run('backup.sh', [dir], { DATABASE_URL: source, BACKUP_KEEP: '2' });
    const left = readdirSync(dir).sort();
    expect(left).toHaveLength(2);
    expect(left).toContain('bulwark-20200103T000000Z.dump');
    expect(left.some((f) => !f.startsWith('bulwark-2020'))).toBe(true);
  });

  it('refuses to restore a missing file', () => {
    const res = spawnSync('bash', [join(ROOT, 'scripts', 'restore.sh'), '/nonexistent.dump'], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: 'postgres://x@127.0.0.1:1/x' },
      encoding: 'utf8',
    });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('no such backup');
  });
});
