/**
 * Shared by the dependency-fault tests: an app whose PostgreSQL and Redis connections go through
 * fault proxies, the checks every fault answer must pass, the app's JSON log lines, and the
 * books (balances = sum of postings, at most one journal entry per Idempotency-Key).
 */
import {
  createDatabase,
  sharedPostgresUrl,
  sleep,
  startApp,
  startFaultProxy,
  sql,
  type AppProcess,
  type FaultProxy,
  type HttpResult,
} from '../harness';
import { bookViolations } from '../transactions/ledger-fixtures';

export interface FaultedApp {
  app: AppProcess;
  /** Direct URL of the app's database (the tests' own SQL bypasses the proxy). */
  dbUrl: string;
  pg: FaultProxy;
  redis: FaultProxy;
  close(): Promise<void>;
}

/** Same URL, another port (the proxy's). */
export function through(url: string, port: number): string {
  const u = new URL(url);
  u.port = String(port);
  return u.toString();
}

export async function startFaultedApp(opts: {
  redisPort: number;
  dbUrl?: string;
  env?: Record<string, string>;
}): Promise<FaultedApp> {
  const dbUrl = opts.dbUrl ?? (await createDatabase());
  const pg = await startFaultProxy(Number(new URL(sharedPostgresUrl()).port));
  const redis = await startFaultProxy(opts.redisPort);
  const app = await startApp({
    databaseUrl: through(dbUrl, pg.port),
    redisUrl: `redis://127.0.0.1:${redis.port}`,
    env: opts.env,
  }).catch(async (err: unknown) => {
    await Promise.all([pg.close(), redis.close()]); // or they keep Jest from exiting
    throw err;
  });
  return {
    app,
    dbUrl,
    pg,
    redis,
    async close() {
      await app.stop();
      await pg.close();
      await redis.close();
    },
  };
}

/** A fault answer: 503 SERVICE_UNAVAILABLE problem+json with Retry-After, nothing leaked. */
export function expectServiceUnavailable(res: HttpResult, retryAfter?: string): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status: 503, code: 'SERVICE_UNAVAILABLE' });
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  const header = res.headers.get('retry-after');
  expect(header).toMatch(/^\d+$/);
  if (retryAfter) expect(header).toBe(retryAfter);
  expect(res.body).toMatchObject({ status: 503, title: 'Service Unavailable', requestId: expect.any(String) });
  expect(JSON.stringify(res.body)).not.toMatch(/SELECT|INSERT|COMMIT|ECONNRESET|QueryRunner|\bat \w+ \(/);
}

/**
 * The bytes of `text` sent as a PostgreSQL simple query ('Q', length, text, NUL): matches the
 * statement itself, not a longer one containing it ("BEGIN ISOLATION LEVEL READ COMMITTED").
 */
export function simpleQuery(text: string): Buffer {
  const body = Buffer.from(`${text}\0`);
  const head = Buffer.alloc(5);
  head.write('Q', 0);
  head.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/** Resolves when the proxy rule fired; fails the test if it did not within `ms`. */
export async function fired(rule: Promise<void>, what: string, ms = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    rule,
    new Promise((_, rej) => {
      timer = setTimeout(() => rej(new Error(`fault "${what}" never fired`)), ms);
    }),
  ]);
  clearTimeout(timer);
}

/** Retries like a client would (409 IDEMPOTENCY_IN_PROGRESS / 503 → again shortly), bounded. */
export async function retried(send: () => Promise<HttpResult>, attempts = 20): Promise<HttpResult> {
  let res = await send();
  for (let i = 1; i < attempts && (res.status === 409 || res.status === 503); i++) {
    await sleep(150);
    res = await send();
  }
  return res;
}

export interface LogLine {
  level: string;
  msg: string;
  [k: string]: unknown;
}

/** The app's JSON log lines (from character `from` of its output on). */
export function logLines(app: AppProcess, from = 0): LogLine[] {
  return app
    .output()
    .slice(from)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l) as LogLine;
      } catch {
        return { level: 'unparsed', msg: l };
      }
    });
}

/** Balances = sum of postings, entries balanced, and no Idempotency-Key with two journal entries. */
export async function expectSoundBooks(dbUrl: string): Promise<void> {
  expect(await bookViolations(dbUrl)).toEqual([]);
  const doubled = await sql(
    dbUrl,
    `SELECT idempotency_key, count(*)::int AS n FROM journal_entries WHERE idempotency_key IS NOT NULL GROUP BY 1 HAVING count(*) > 1`,
  );
  expect(doubled).toEqual([]);
}

export async function entriesWithKey(dbUrl: string, key: string): Promise<Array<{ id: string; amount: string }>> {
  return sql(dbUrl, `SELECT id::text, amount::text FROM journal_entries WHERE idempotency_key = $1`, [key]);
}
