/**
 * Retention: every RETENTION_INTERVAL_MS one replica purges rows that grow with use and are not
 * history (see retention.repository.ts for what goes and what never does).
 *
 * One replica at a time, through a lease in the SharedStore like the auction timers (Redis in
 * scaled mode, the in-process store in the embedded default). The lease outlives the interval
 * and its holder renews it at each run and between batches, so the same replica keeps the job
 * while it lives and another takes over within one interval after it dies. Without the store
 * (Redis down) nobody purges: the work simply waits for the next interval.
 * Deletes go in small batches of short autocommit statements with a pause between them, so a
 * purge never holds locks for long nor starves the requests sharing the pool.
 */
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/config.service';
import { MetricsService } from '../../metrics/metrics.service';
import { LOGGER } from '../logging/logging.module';
import { ShutdownService } from '../lifecycle/shutdown.service';
import { SHARED_STORE } from '../redis/redis.module';
import type { SharedStore } from '../redis/shared-store';
import { RETENTION_TABLES, RetentionRepository, type RetentionPeriods } from './retention.repository';

export const RETENTION_LEASE_KEY = 'retention:lease';
/** Pause between two batches: leaves the pool and the disk to the requests. */
const BATCH_PAUSE_MS = 20;

@Injectable()
export class RetentionService implements OnApplicationBootstrap {
  readonly replicaId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly purgedTotal: Counter<'table'>;
  private readonly runsTotal: Counter;
  private timer?: NodeJS.Timeout;
  private running = false;
  private stopped = false;

  constructor(
    private readonly ds: DataSource,
    @Inject(SHARED_STORE) private readonly store: SharedStore,
    private readonly repo: RetentionRepository,
    private readonly config: AppConfig,
    private readonly shutdown: ShutdownService,
    metrics: MetricsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.purgedTotal = metrics.counter('retention_purged_total', 'Rows deleted by retention, by table', ['table']);
    this.runsTotal = metrics.counter('retention_runs_total', 'Retention runs made by this replica (it held the lease)', []);
  }

  onApplicationBootstrap(): void {
    const interval = this.config.get('RETENTION_INTERVAL_MS');
    if (interval === 0) return; // retention off
    this.timer = setInterval(() => void this.run(), interval);
    this.timer.unref();
    void this.run();
    this.shutdown.onShutdown({ name: 'retention', close: () => this.stop(), timeoutMs: 2_000 });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.store.releaseLease(RETENTION_LEASE_KEY, this.replicaId).catch(() => undefined);
  }

  /** One purge pass over every table, when this replica holds (or takes) the lease. */
  async run(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      if (!(await this.holdLease())) return;
      this.runsTotal.inc();
      const started = Date.now();
      const purged: Record<string, number> = {};
      for (const table of RETENTION_TABLES) {
        purged[table] = await this.purgeTable(table);
        if (this.stopped) break;
      }
      this.logger.info({ replica: this.replicaId, purged, ms: Date.now() - started }, 'retention run');
    } catch (err) {
      this.logger.warn({ err: String(err) }, 'retention run failed; next interval retries');
    } finally {
      this.running = false;
    }
  }

  private async holdLease(): Promise<boolean> {
    try {
      // Longer than the interval: the holder renews it at its next run, so it keeps the job.
      return await this.store.acquireLease(RETENTION_LEASE_KEY, this.replicaId, this.config.get('RETENTION_INTERVAL_MS') * 2);
    } catch {
      return false; // shared store unreachable: nobody can be sure to be alone; wait
    }
  }

  private async purgeTable(table: (typeof RETENTION_TABLES)[number]): Promise<number> {
    const batch = this.config.get('RETENTION_BATCH_SIZE');
    const periods: RetentionPeriods = {
      refreshTokensDays: this.config.get('RETENTION_REFRESH_TOKENS_DAYS'),
      emailTokensDays: this.config.get('RETENTION_EMAIL_TOKENS_DAYS'),
      mailOutboxDays: this.config.get('RETENTION_MAIL_OUTBOX_DAYS'),
    };
    let total = 0;
    for (;;) {
      const deleted = await this.repo.purgeBatch(this.ds.manager, table, batch, periods);
      total += deleted;
      if (deleted > 0) this.purgedTotal.inc({ table }, deleted);
      if (deleted < batch || this.stopped) return total;
      // A long purge keeps the lease alive; losing it (a pause longer than its TTL) stops here.
      if (!(await this.holdLease())) return total;
      await new Promise((r) => setTimeout(r, BATCH_PAUSE_MS));
    }
  }
}
