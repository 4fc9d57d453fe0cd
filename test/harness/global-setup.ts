/**
 * Integration global setup: one embedded PostgreSQL and one redis-server on free loopback
 * ports for the whole run (each test file creates its own database and key space).
 */
import { existsSync } from 'node:fs';
import { DIST_MAIN, startPostgres, startRedis } from './processes';

export default async function globalSetup(): Promise<void> {
  if (!existsSync(DIST_MAIN)) throw new Error('dist/main.js is missing: run `npm run build` first (npm test does it)');
  const pg = await startPostgres();
  const redis = await startRedis();
  process.env.BW_TEST_PG_URL = pg.url;
  process.env.BW_TEST_REDIS_URL = redis.url;
  (globalThis as Record<string, unknown>).__BW_SERVERS__ = { pg, redis };
}
