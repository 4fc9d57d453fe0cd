/**
 * Deployment checker (`npm run preflight`): validates configuration, PostgreSQL reachability,
 * pending migrations and Redis reachability, prints a readable report, exits non-zero on failure.
 * Run by the Helm migration Job after migrating, and by operators before a rollout.
 */
import 'reflect-metadata';
import { checkRedisTopology } from './infra/redis/redis-startup-check';
import { describeTopology, topologyOf } from './infra/redis/redis-topology';
import { parseConfig, ConfigError, type Config } from './config/config.schema';
import { createDataSource } from './infra/database/data-source';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

async function timed<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      fn(),
      new Promise<never>((_, rej) => {
        timer = setTimeout(() => rej(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function checkDatabase(config: Config, checks: Check[]): Promise<void> {
  if (!config.DATABASE_URL) {
    checks.push({ name: 'database', ok: config.NODE_ENV !== 'production', detail: 'DATABASE_URL not set (embedded PostgreSQL mode)' });
    return;
  }
  const ds = createDataSource(config, config.DATABASE_URL);
  try {
    const started = Date.now();
    await timed(() => ds.initialize(), config.DB_CONNECT_TIMEOUT_MS + 1000);
    const [{ version }] = (await ds.query('SHOW server_version')) as Array<{ version?: string; server_version: string }>;
    checks.push({ name: 'database', ok: true, detail: `reachable in ${Date.now() - started} ms (PostgreSQL ${version ?? ''})`.trim() });
    const pending = await ds.showMigrations();
    checks.push({ name: 'migrations', ok: !pending, detail: pending ? 'pending migrations: run `npm run migration:run`' : 'schema up to date' });
  } catch (err) {
    checks.push({ name: 'database', ok: false, detail: `unreachable: ${(err as Error).message}` });
  } finally {
    if (ds.isInitialized) await ds.destroy();
  }
}

async function checkRedis(config: Config, checks: Check[]): Promise<void> {
  const topology = topologyOf(config);
  if (!topology) {
    checks.push({ name: 'redis', ok: config.NODE_ENV !== 'production', detail: 'no Redis topology set (single-instance mode)' });
    return;
  }
  const started = Date.now();
  const check = await checkRedisTopology(topology);
  // The namespace too: two deployments on one Redis must not share one (docs/operations.md).
  const what = `${topology.mode} ${describeTopology(topology)}, namespace ${config.REDIS_NAMESPACE || '(none)'}`;
  if (check.fatal) checks.push({ name: 'redis', ok: false, detail: check.fatal });
  else if (check.unreachable.length > 0) checks.push({ name: 'redis', ok: false, detail: `${what}: unreachable: ${check.unreachable.join('; ')}` });
  else checks.push({ name: 'redis', ok: true, detail: `${what}: reachable in ${Date.now() - started} ms` });
}

async function main(): Promise<number> {
  const checks: Check[] = [];
  let config: Config;
  try {
    config = parseConfig(process.env);
    checks.push({ name: 'configuration', ok: true, detail: `valid (NODE_ENV=${config.NODE_ENV})` });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    checks.push({ name: 'configuration', ok: false, detail: err.problems.join('; ') });
    return report(checks);
  }
  await checkDatabase(config, checks);
  await checkRedis(config, checks);
  return report(checks);
}

function report(checks: Check[]): number {
  const width = Math.max(...checks.map((c) => c.name.length));
  for (const c of checks) process.stdout.write(`${c.ok ? 'PASS' : 'FAIL'}  ${c.name.padEnd(width)}  ${c.detail}\n`);
  const failed = checks.filter((c) => !c.ok).length;
  process.stdout.write(failed === 0 ? 'preflight: all checks passed\n' : `preflight: ${failed} check(s) failed\n`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`preflight crashed: ${String(err)}\n`);
    process.exit(1);
  },
);
