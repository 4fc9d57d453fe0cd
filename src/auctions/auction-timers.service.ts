/**
 * Server-side countdowns: exactly one replica at a time drives each open auction (timer_tick
 * about once a second, and the close at endsAt).
 *
 * Why a lease per auction in the SharedStore, taken by a scan on every replica:
 * - @nestjs/schedule and plain timers fire on every replica and have no locking; a queue of
 *   delayed jobs (BullMQ) is at-least-once, takes the fire time from the client's clock and
 *   needs changeDelay on every anti-snipe extension. A PostgreSQL advisory lock needs a
 *   dedicated session per auction.
 * - A lease (`auction-timer:<id>`, value = this replica's id, SET PX via one Lua script) is one
 *   Redis round trip per open auction per scan, survives any replica dying (it just expires),
 *   and needs no extra infrastructure. Every replica scans `status = 'OPEN'` (partial index)
 *   every AUCTION_SCAN_INTERVAL_MS, renewing the leases it holds and taking free ones; a dead
 *   holder's auctions are taken over within lease TTL + one scan interval (1.5 s + 0.5 s).
 * - The lease is only an optimisation against duplicate ticks: correctness comes from the close
 *   itself, a conditional UPDATE (status = 'OPEN' AND ends_at <= now()) that charges the winner
 *   in the same transaction, so two replicas that both believe they hold it (GC pause, Redis
 *   down) still close the auction exactly once, and never before its end by the database clock.
 * Times are the database's: the scan reads clock_timestamp() and every replica keeps the offset
 * to its own clock, so a skewed replica clock shifts nothing.
 */
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Server } from 'socket.io';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/config.service';
import { LOGGER } from '../infra/logging/logging.module';
import { ShutdownService } from '../infra/lifecycle/shutdown.service';
import { SHARED_STORE } from '../infra/redis/redis.module';
import type { SharedStore } from '../infra/redis/shared-store';
import { AuctionEventsRelay, auctionRoom } from './auction-events.relay';
import { AuctionMetrics } from './auctions.metrics';
import { AuctionsRepository } from './auctions.repository';
import { BiddingService } from './bidding.service';
import type { AuctionEvent } from './event-sequencer';

interface Countdown {
  auctionId: string;
  endsAt: number;
  /** Database clock minus this process's clock, in ms. */
  offsetMs: number;
  lastTickAt: number;
  timer?: NodeJS.Timeout;
  closing: boolean;
  /** Failed close attempts in a row (retried every 250 ms): only the first is a warning. */
  closeFailures?: number;
}

export const timerLeaseKey = (auctionId: string) => `auction-timer:${auctionId}`;

@Injectable()
export class AuctionTimersService implements OnApplicationBootstrap {
  /** Host and pid, so operators (and tests) can tell which process drives an auction. */
  readonly replicaId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly countdowns = new Map<string, Countdown>();
  private server?: Server;
  private scanTimer?: NodeJS.Timeout;
  private scanning = false;
  /** Failed scans in a row: only the first of an outage is a warning. */
  private scanFailures = 0;
  private stopped = false;
  private storeDown = false;

  constructor(
    private readonly ds: DataSource,
    @Inject(SHARED_STORE) private readonly store: SharedStore,
    private readonly auctions: AuctionsRepository,
    private readonly bidding: BiddingService,
    relay: AuctionEventsRelay,
    private readonly metrics: AuctionMetrics,
    private readonly config: AppConfig,
    private readonly shutdown: ShutdownService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    relay.onEvent((event) => this.onAuctionEvent(event));
  }

  attach(server: Server): void {
    this.server = server;
  }

  onApplicationBootstrap(): void {
    this.scanTimer = setInterval(() => void this.scan(), this.config.get('AUCTION_SCAN_INTERVAL_MS'));
    this.scanTimer.unref();
    void this.scan();
    this.shutdown.onShutdown({ name: 'auction-timers', close: () => this.stop(), timeoutMs: 2_000 });
  }

  /** Stops every countdown and gives the leases back, so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.scanTimer);
    const held = [...this.countdowns.keys()];
    for (const c of this.countdowns.values()) clearTimeout(c.timer);
    this.countdowns.clear();
    await Promise.allSettled(held.map((id) => this.store.releaseLease(timerLeaseKey(id), this.replicaId)));
    this.logger.info({ released: held.length }, 'auction countdowns stopped');
  }

  private async scan(): Promise<void> {
    if (this.scanning || this.stopped) return;
    this.scanning = true;
    try {
      const { rows, dbNow } = await this.auctions.openAuctions(this.ds);
      const offsetMs = dbNow.getTime() - Date.now();
      const open = new Set(rows.map((r) => r.id));
      await Promise.all(rows.map((r) => this.claim(r.id, r.ends_at.getTime(), offsetMs)));
      for (const id of this.countdowns.keys()) if (!open.has(id)) await this.drop(id, true);
      if (this.scanFailures > 0) this.logger.info({ failures: this.scanFailures }, 'auction timer scan works again');
      this.scanFailures = 0;
    } catch (err) {
      // One warning per outage, not one per scan (a database outage would repeat it every scan).
      if (this.scanFailures++ === 0) this.logger.warn({ err: String(err) }, 'auction timer scan failed; retrying quietly until it works');
      else this.logger.debug({ err: String(err), failures: this.scanFailures }, 'auction timer scan failed again');
    } finally {
      this.scanning = false;
    }
  }

  /** Takes or renews the lease; starts, updates or drops the local countdown accordingly. */
  private async claim(auctionId: string, endsAt: number, offsetMs: number): Promise<void> {
    const mine = this.countdowns.get(auctionId);
    // While draining for shutdown, keep what we hold but take nothing new.
    if (!mine && this.shutdown.isShuttingDown) return;
    let held: boolean;
    try {
      held = await this.store.acquireLease(
        timerLeaseKey(auctionId),
        this.replicaId,
        this.config.get('AUCTION_TIMER_LEASE_MS'),
      );
      if (this.storeDown) this.logger.info('auction timer leases: shared store reachable again');
      this.storeDown = false;
    } catch (err) {
      // Without the store every replica drives: duplicate ticks, but still exactly one close.
      if (!this.storeDown)
        this.logger.warn({ err: String(err) }, 'auction timer leases unavailable: every replica drives its countdowns');
      this.storeDown = true;
      held = true;
    }
    if (this.stopped) return;
    if (!held) {
      if (mine) await this.drop(auctionId, false);
      return;
    }
    if (mine) {
      mine.offsetMs = offsetMs;
      if (!mine.closing && mine.endsAt !== endsAt) {
        mine.endsAt = endsAt;
        this.schedule(mine);
      }
      return;
    }
    const countdown: Countdown = { auctionId, endsAt, offsetMs, lastTickAt: 0, closing: false };
    this.countdowns.set(auctionId, countdown);
    this.logger.debug({ auctionId, replicaId: this.replicaId }, 'driving auction countdown');
    void this.fire(countdown);
  }

  private async drop(auctionId: string, release: boolean): Promise<void> {
    const c = this.countdowns.get(auctionId);
    if (c) clearTimeout(c.timer);
    this.countdowns.delete(auctionId);
    if (release) await this.store.releaseLease(timerLeaseKey(auctionId), this.replicaId).catch(() => undefined);
  }

  /** Bids may move the end (anti-snipe); a close from anywhere ends the countdown. */
  private onAuctionEvent(event: AuctionEvent): void {
    const c = this.countdowns.get(event.auctionId);
    if (!c) return;
    if (event.type === 'closed') {
      void this.drop(event.auctionId, true);
      return;
    }
    const endsAt = Date.parse(String(event.payload.endsAt));
    if (!Number.isNaN(endsAt) && endsAt > c.endsAt && !c.closing) {
      c.endsAt = endsAt;
      this.schedule(c);
    }
  }

  private schedule(c: Countdown, minDelayMs = 0): void {
    clearTimeout(c.timer);
    if (this.countdowns.get(c.auctionId) !== c) return;
    const now = Date.now();
    // +1 ms: event end times are rounded down to the millisecond, the database keeps microseconds.
    const untilEnd = c.endsAt + 1 - (now + c.offsetMs);
    const untilTick = c.lastTickAt + this.config.get('AUCTION_TICK_INTERVAL_MS') - now;
    c.timer = setTimeout(() => void this.fire(c), Math.max(minDelayMs, Math.min(untilEnd, untilTick)));
    c.timer.unref();
  }

  private async fire(c: Countdown): Promise<void> {
    if (this.countdowns.get(c.auctionId) !== c || c.closing) return;
    const remainingMs = c.endsAt - (Date.now() + c.offsetMs);
    if (remainingMs > 0) {
      this.tick(c, remainingMs);
      this.schedule(c);
      return;
    }
    c.closing = true;
    try {
      const closed = await this.bidding.closeAuction(c.auctionId);
      if (c.closeFailures) this.logger.info({ auctionId: c.auctionId, failures: c.closeFailures }, 'auction close works again');
      c.closeFailures = 0;
      if (closed) {
        await this.drop(c.auctionId, true);
        return;
      }
      // Nothing to close: extended by a late bid, or closed elsewhere. Ask the database.
      const timing = await this.auctions.timing(this.ds, c.auctionId);
      if (!timing || timing.status !== 'OPEN' || !timing.ends_at) {
        await this.drop(c.auctionId, true);
        return;
      }
      c.endsAt = timing.ends_at.getTime();
      c.offsetMs = timing.db_now.getTime() - Date.now();
      c.closing = false;
      this.schedule(c, 10);
    } catch (err) {
      // One warning per auction and outage: it is retried every 250 ms until the database answers.
      c.closeFailures = (c.closeFailures ?? 0) + 1;
      if (c.closeFailures === 1) this.logger.warn({ err: String(err), auctionId: c.auctionId }, 'auction close failed; retrying every 250 ms');
      else this.logger.debug({ err: String(err), auctionId: c.auctionId, failures: c.closeFailures }, 'auction close failed again');
      c.closing = false;
      clearTimeout(c.timer);
      c.timer = setTimeout(() => void this.fire(c), 250);
      c.timer.unref();
    }
  }

  private tick(c: Countdown, remainingMs: number): void {
    c.lastTickAt = Date.now();
    this.server?.to(auctionRoom(c.auctionId)).emit('timer_tick', {
      auctionId: c.auctionId,
      remainingMs: Math.max(0, Math.round(remainingMs)),
      endsAt: new Date(c.endsAt).toISOString(),
    });
    this.metrics.timerTicks.inc();
  }
}
