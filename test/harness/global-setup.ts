/**
 * Integration global setup: one embedded PostgreSQL and one redis-server on free loopback
 * ports for the whole run (each test file creates its own database and key space).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST_MAIN, startPostgres, startRedis } from './processes';

/** What a full run keeps in the temp dir at its peak (PostgreSQL's data and WAL), with room to spare. */
const TEMP_SPACE_NEEDED_MB = 400;

export default async function globalSetup(): Promise<void> {
  if (!existsSync(DIST_MAIN)) throw new Error('dist/main.js is missing: run `npm run build` first (npm test does it)');
  // A full disk shows up as scattered failures (PostgreSQL stops on ENOSPC, then every later
  // file cannot connect): say so up front.
  const fs = statfsSync(tmpdir());
  const freeMb = Math.floor((fs.bavail * fs.bsize) / 2 ** 20);
  if (freeMb < TEMP_SPACE_NEEDED_MB) {
    process.stderr.write(`WARNING: only ${freeMb} MB free in ${tmpdir()}; a full test run needs about ${TEMP_SPACE_NEEDED_MB} MB there\n`);
  }
  // The OpenAPI document every answer is checked against (openapi-contract.ts), built once by the
  // same code that serves /api/docs-json.
  // The same for the Socket.IO messages and the AsyncAPI document (asyncapi-contract.ts).
  const documents = mkdtempSync(join(tmpdir(), 'bw-api-documents-'));
  const print = (args: string[]) => execFileSync(process.execPath, [join(DIST_MAIN, '..', 'openapi.js'), ...args], { encoding: 'utf8' });
  process.env.BW_TEST_OPENAPI_FILE = join(documents, 'openapi.json');
  process.env.BW_TEST_ASYNCAPI_FILE = join(documents, 'asyncapi.json');
  writeFileSync(process.env.BW_TEST_OPENAPI_FILE, print([]));
  writeFileSync(process.env.BW_TEST_ASYNCAPI_FILE, print(['--asyncapi']));
  const pg = await startPostgres();
  const redis = await startRedis();
  process.env.BW_TEST_PG_URL = pg.url;
  process.env.BW_TEST_REDIS_URL = redis.url;
  (globalThis as Record<string, unknown>).__BW_SERVERS__ = { pg, redis, documents };
}
