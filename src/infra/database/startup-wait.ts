/**
 * A replica that starts while PostgreSQL cannot be reached (a restart, a failover, a pod
 * scheduled before the database's Service answers) waits for it instead of exiting: it retries
 * with backoff for up to DB_STARTUP_WAIT_MS, one warn line per failed attempt, and fails the
 * start only after that. Exiting at once would put the pod into CrashLoopBackOff, whose growing
 * delays outlast the outage. What waiting cannot fix (a wrong password, an unknown database, a
 * refused certificate: anything db-errors.ts does not call a database fault) fails the start at
 * once, with the server's own message.
 */
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { databaseFault } from './db-errors';

export interface StartupWaitOptions {
  /** DB_STARTUP_WAIT_MS: how long to keep trying; 0 = one attempt. */
  waitMs: number;
  logger: Pick<Logger, 'warn' | 'info'>;
  /** Runs after a failed attempt, before the next: release what the attempt left open. */
  cleanup?: () => Promise<void>;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

/** Delay before attempt n+1: 250 ms doubling up to 5 s, each drawn from its upper half (replicas starting together spread out). */
export function startupRetryDelayMs(failedAttempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(5_000, 250 * 2 ** Math.min(failedAttempts - 1, 10));
  return Math.round(ceiling * (0.5 + random() / 2));
}

export class DatabaseUnreachableAtStartError extends Error {
  constructor(
    readonly waitedMs: number,
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(
      `database unreachable at start: gave up after ${attempts} attempts in ${waitedMs} ms (DB_STARTUP_WAIT_MS): ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
    );
    this.name = 'DatabaseUnreachableAtStartError';
  }
}

/** Runs `attempt` until it succeeds, it fails with something other than a database fault, or the wait is over. */
export async function whenDatabaseReachable<T>(attempt: () => Promise<T>, opts: StartupWaitOptions): Promise<T> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const started = now();
  for (let n = 1; ; n++) {
    try {
      const value = await attempt();
      if (n > 1) opts.logger.info({ attempts: n, waitedMs: now() - started }, 'database reachable: starting');
      return value;
    } catch (err) {
      const fault = databaseFault(err);
      if (fault === undefined) throw err;
      await opts.cleanup?.();
      const waitedMs = now() - started;
      const retryInMs = startupRetryDelayMs(n, opts.random);
      if (waitedMs + retryInMs > opts.waitMs) throw new DatabaseUnreachableAtStartError(waitedMs, n, err);
      opts.logger.warn(
        {
          attempt: n,
          fault,
          error: err instanceof Error ? err.message : String(err),
          retryInMs,
          waitedMs,
          waitMs: opts.waitMs,
        },
        'database unreachable at start: retrying',
      );
      await sleep(retryInMs);
    }
  }
}

/**
 * Undoes a failed start attempt so the next one starts clean: an initialized DataSource is
 * destroyed; one whose initialize() failed after the pool was made (the version query lost its
 * connection) cannot be, so its pool is ended directly.
 */
export async function releaseFailedStart(ds: DataSource): Promise<void> {
  if (ds.isInitialized) {
    await ds.destroy().catch(() => undefined);
    return;
  }
  const driver = ds.driver as unknown as { master?: { end(): Promise<void> } };
  const pool = driver.master;
  driver.master = undefined;
  await pool?.end().catch(() => undefined);
}
