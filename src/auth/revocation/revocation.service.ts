/**
 * Immediate revocation on every replica (DESIGN §4) without a Redis round trip per request.
 * Each replica keeps the revocation state in process (RevocationState) and answers every
 * authenticated request and socket event from it; the state is kept current by the Redis feed
 * (RevocationFeed): a writer applies its record locally first, then stores and publishes it.
 *
 * Staleness: while the feed is subscribed, a revocation reaches the other replicas in one
 * pub/sub hop (measured publish → refusal on all replicas in test/auth/revocation.int-spec.ts).
 * After every (re)subscription the whole state is re-read and merged, and whatever this replica
 * knows that Redis lacks (written while Redis was down, or lost with a restarted Redis) is written
 * back and announced, so the union of every replica's knowledge survives outages.
 * While Redis is unreachable: every replica keeps its last known state plus its own revocations
 * (customer traffic goes on), but once the feed has been lost for REVOCATION_MAX_STALENESS_MS,
 * staff requests fail closed (RolesGuard: 503) — see docs/operations.md for why. "Lost" includes
 * a silent partition: the feed's heartbeat (RevocationFeed.checkLiveness) notices it.
 * Single-instance mode: the in-process state is the whole truth; there is nothing to share.
 */
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { AppConfig } from '../../config/config.service';
import { ShutdownService } from '../../infra/lifecycle/shutdown.service';
import { LOGGER } from '../../infra/logging/logging.module';
import { RedisFactory } from '../../infra/redis/redis.factory';
import { DegradationRegistry } from '../../infra/resilience/degradation.registry';
import { MetricsService } from '../../metrics/metrics.service';
import type { AuthUser, PrivilegeLevel, Role } from '../auth-user';
import { RevocationFeed } from './revocation-feed';
import { newer, recordKey, RevocationState, type RevocationRecord, type Verdict } from './revocation-state';

/** Records outlive the access-token lifetime by this much (clock skew between replicas). */
const SKEW_MARGIN_MS = 60_000;
const TICK_MS = 1_000;
const START_SYNC_WAIT_MS = 3_000;
/** Full re-read even while subscribed, in case a message was lost without a disconnect. */
const FULL_READ_EVERY_TICKS = 30;

@Injectable()
export class RevocationService implements OnModuleInit {
  private readonly state = new RevocationState();
  private readonly listeners: Array<() => void> = [];
  private readonly written: Counter<'kind'>;
  private feed?: RevocationFeed;
  /** Since when this replica may have missed revocations; undefined while in sync. */
  private lostAt: number | undefined;
  /** This replica holds records Redis may lack (a write failed). */
  private unsent = false;
  /** Bumped by every failed write and every (re)subscription: a re-read that started before one
   *  of them must not declare the replica in sync (it may have read Redis before the change). */
  private unsentGeneration = 0;
  private subscriptionGeneration = 0;
  private resyncing: Promise<void> | undefined;
  private ticks = 0;
  private lastTickAt = Date.now();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly config: AppConfig,
    private readonly redis: RedisFactory,
    private readonly shutdown: ShutdownService,
    private readonly degradation: DegradationRegistry,
    private readonly metrics: MetricsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.written = metrics.counter('auth_revocations_total', 'Revocation records written by this replica, by kind', ['kind']);
  }

  async onModuleInit(): Promise<void> {
    const state = this.state;
    this.metrics.gauge('auth_revocation_records', 'Revocation records this replica holds (live ones)', [], function () {
      this.set(state.size);
    });
    const staleForMs = () => this.staleForMs();
    this.metrics.gauge('auth_revocation_feed_lost_seconds', 'How long this replica has been without the revocation feed (0 = in sync)', [], function () {
      this.set(staleForMs() / 1000);
    });
    this.degradation.registerFeature('session-revocation', () =>
      this.lostAt === undefined ? undefined : `revocation feed lost ${Math.round(this.staleForMs() / 1000)} s ago: revocations from other replicas may be missed`,
    );
    if (this.redis.enabled) {
      const commands = this.redis.create({ name: 'revocations' });
      const subscriber = this.redis.create({ name: 'revocations-sub', subscriber: true });
      this.feed = new RevocationFeed(commands, subscriber, this.recordTtlMs, this.redis.names);
      this.lostAt = Date.now(); // not in sync until the first full read
      this.feed.start({
        onRecords: (records) => this.merge(records),
        onResubscribed: () => {
          this.subscriptionGeneration++;
          void this.resync();
        },
        onLost: () => {
          this.lostAt ??= Date.now();
          // Shutting down closes the feed's Redis clients: routine, not a warning an operator
          // should be paged for on every rollout.
          if (this.shutdown.isShuttingDown) this.logger.info('revocation feed closed for shutdown');
          else this.logger.warn('revocation feed lost: keeping the last known revocations');
        },
      });
    }
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
    this.shutdown.onShutdown({ name: 'revocations', close: () => clearInterval(this.timer) });
    // A replica should know the revocations before it serves: wait for the first full read, but
    // never hang start-up on Redis (it then starts out of sync, and staff routes fail closed).
    if (this.feed) await this.untilInSync(START_SYNC_WAIT_MS);
  }

  private async untilInSync(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.lostAt !== undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  /** Lifetime of a record: no access token issued before it can outlive it. */
  get recordTtlMs(): number {
    return this.config.get('JWT_ACCESS_TTL') * 1000 + SKEW_MARGIN_MS;
  }

  /** The hot path: is this (already verified) token still good, and with which roles? */
  judge(user: AuthUser): Verdict {
    return this.state.judge(user);
  }

  /** How long this replica may have been missing revocations from others (0 when in sync). */
  staleForMs(now = Date.now()): number {
    return this.lostAt === undefined ? 0 : Math.max(0, now - this.lostAt);
  }

  /** Called after any change of the state (the gateway re-judges its open sockets). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Sign-out, refresh-token reuse: every access token of the session is void. */
  revokeSession(familyId: string): Promise<void> {
    return this.write({ kind: 'session', familyId, expiresAt: Date.now() + this.recordTtlMs });
  }

  /** Password change/reset, lockout: the user's tokens issued at or before `at` are void, but `keep`'s. */
  revokeUserTokens(userId: string, at: number, keep?: string): Promise<void> {
    return this.write({ kind: 'user', userId, at, ...(keep ? { keep } : {}), expiresAt: at + this.recordTtlMs });
  }

  /**
   * Role or level change, email verified: tokens issued at or before `at` are judged with the
   * user's values as of `at` (all of them: the later record replaces the earlier one).
   */
  changeAuthorization(userId: string, at: number, now: { roles: Role[]; privilegeLevel: PrivilegeLevel; emailVerified: boolean }): Promise<void> {
    const { roles, privilegeLevel, emailVerified } = now;
    return this.write({ kind: 'authz', userId, at, roles, privilegeLevel, emailVerified, expiresAt: at + this.recordTtlMs });
  }

  /** Applied here at once; then stored and announced. Never throws: a failed write is retried. */
  private async write(record: RevocationRecord): Promise<void> {
    this.written.inc({ kind: record.kind });
    this.merge([record]);
    if (!this.feed) return;
    const winner = this.state.current(record) ?? record;
    try {
      await this.feed.publish([winner]);
    } catch (err) {
      if (!this.unsent) this.logger.warn({ err: String(err) }, 'revocation not shared yet (redis unreachable): applied here, sent when redis is back');
      this.unsent = true;
      this.unsentGeneration++;
    }
  }

  private merge(records: RevocationRecord[]): void {
    let changed = false;
    for (const r of records) if (this.state.apply(r)) changed = true;
    if (!changed) return;
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (err) {
        this.logger.error({ err }, 'revocation listener failed');
      }
    }
  }

  private tick(): void {
    const now = Date.now();
    const resumed = now - this.lastTickAt > 3 * TICK_MS; // this process was paused or blocked
    this.lastTickAt = now;
    this.feed?.checkLiveness(now, resumed);
    if (++this.ticks % FULL_READ_EVERY_TICKS === 0) {
      this.state.sweep();
      if (this.feed?.isSubscribed) void this.resync();
    } else if (this.feed?.isSubscribed && (this.unsent || this.lostAt !== undefined)) {
      void this.resync();
    }
  }

  /** Full re-read and merge, then writes back what Redis lacks. One at a time. */
  private resync(): Promise<void> {
    if (this.resyncing) return this.resyncing;
    const feed = this.feed;
    if (!feed) return Promise.resolve();
    const subscription = this.subscriptionGeneration;
    const unsent = this.unsentGeneration;
    this.resyncing = (async () => {
      try {
        const remote = await feed.readAll();
        this.merge(remote);
        const remoteByKey = new Map(remote.map((r) => [recordKey(r), r]));
        const missing = this.state.all().filter((mine) => {
          const theirs = remoteByKey.get(recordKey(mine));
          return !theirs || newer(theirs, mine) !== theirs;
        });
        await feed.publish(missing);
        if (missing.length > 0) this.logger.info({ records: missing.length }, 'revocations written back to redis');
        if (unsent === this.unsentGeneration) this.unsent = false;
        // In sync only if the subscription this read relies on is the one still in place (the
        // next tick re-reads otherwise).
        if (feed.isSubscribed && subscription === this.subscriptionGeneration && this.lostAt !== undefined) {
          this.logger.info({ lostMs: Date.now() - this.lostAt, records: this.state.size }, 'revocation feed in sync again');
          this.lostAt = undefined;
        }
      } catch (err) {
        this.logger.debug({ err: String(err) }, 'revocation re-read failed; retrying');
      } finally {
        this.resyncing = undefined;
      }
    })();
    return this.resyncing;
  }
}

/**
 * Writers stamp a revocation under the user's row lock and call this before committing: once it
 * returns, any token issued later (under the same lock) has an issue time strictly after `at`.
 */
export async function waitForClockToPass(at: number): Promise<void> {
  while (Date.now() <= at) await new Promise((resolve) => setTimeout(resolve, 1));
}
